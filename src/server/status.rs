//! `GET /health`, `/ready`, `/metrics`, `/stats`, `/runtimes` and
//! `/executions/{id}`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{ApiError, AppState, Readiness};
use crate::language::Language;
use crate::runtimes::Runtime;

/// `/health`'s answer (the original server's fields, and ours).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub(super) struct HealthReport {
    /// healthy, provisioning or unhealthy.
    status: String,
    timestamp: String,
    total_sessions: u64,
    active_sessions: u64,
    connection_count: u64,
    #[schema(value_type = Object)]
    memory_usage: (),
    uptime_seconds: u64,
    /// Each runtime's state: ready, provisioning or unavailable.
    #[schema(value_type = Object)]
    runtimes: (),
    running_executions: u64,
    /// What provisioning is doing, or why the runtimes are unavailable.
    #[schema(required = false, nullable = false)]
    detail: Option<String>,
    /// This node's name (`NODE_NAME`).
    node: String,
    /// In cluster mode: whether Redis answers, and the shared queue's length.
    #[schema(value_type = Object, required = false)]
    cluster: (),
}

/// `/ready`'s answer.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct ReadyReport {
    /// Always `ready`.
    status: String,
}

/// `/runtimes`' answer.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct RuntimesReport {
    languages: Vec<crate::language::LanguageInfo>,
}

/// The server's state: runtimes, sessions, memory (always 200).
#[utoipa::path(get, path = "/health", tag = "status",
    responses((status = 200, description = "The server's state", body = HealthReport)))]
pub(super) async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    let (status, runtime_state, detail) =
        match &*state.readiness.read().unwrap_or_else(|p| p.into_inner()) {
            Readiness::Ready(_) => ("healthy", "ready", None),
            Readiness::Provisioning(progress) => {
                ("provisioning", "provisioning", Some(progress.current()))
            }
            Readiness::Failed(reason) => ("unhealthy", "unavailable", Some(reason.clone())),
        };
    let runtimes: serde_json::Map<String, Value> = Runtime::ALL
        .iter()
        .map(|r| (r.name().to_owned(), json!(runtime_state)))
        .collect();
    let rss = memory_stats::memory_stats().map_or(0, |m| m.physical_mem);
    let (total_sessions, active_sessions) = state.sessions.counts();
    let mut body = json!({
        "status": status,
        "timestamp": humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
        "totalSessions": total_sessions,
        "activeSessions": active_sessions,
        "connectionCount": state.sessions.connection_count(),
        "memoryUsage": {
            "rss": rss,
            "heapTotal": rss,
            "anonymousRss": anonymous_rss().unwrap_or(rss as u64),
        },
        "uptimeSeconds": state.started.elapsed().as_secs(),
        "runtimes": runtimes,
        "runningExecutions": state.runner().map_or(0, |runner| runner.running()),
        "node": state.config.node_name,
    });
    if let Some(detail) = detail {
        body["detail"] = json!(detail);
    }
    if let Some(cluster) = super::cluster::report(&state).await {
        body["cluster"] = cluster;
    }
    Json(body)
}

/// `GET /ready`: 200 only when runs are accepted (runtimes loaded, not
/// shutting down), else 503; for load balancers and orchestrators.
#[utoipa::path(get, path = "/ready", tag = "status", responses(
    (status = 200, description = "Runs are accepted", body = ReadyReport),
    (status = 503, description = "Runtimes not ready, shutting down, or (in a cluster) Redis unreachable", body = super::error::ErrorBody)))]
pub(super) async fn ready(State(state): State<Arc<AppState>>) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let draining = state.draining.load(Ordering::SeqCst);
    if let (Some(cluster), false) = (&state.cluster, draining)
        && let Err(error) = cluster.ping().await
    {
        return super::cluster::api_error(error).into_response();
    }
    match (state.runner(), draining) {
        (Ok(_), false) => Json(json!({ "status": "ready" })).into_response(),
        (_, true) => ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "draining",
            "the server is shutting down",
        )
        .into_response(),
        (Err(error), false) => error.into_response(),
    }
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "status", responses(
    (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
    (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
    (status = 429, description = "Rate limited", body = super::error::ErrorBody),
    (status = 503, description = "Metrics are unavailable", body = super::error::ErrorBody)),
    security((), ("bearer" = [])))]
pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let Some(handle) = &state.metrics else {
        return ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "another metrics recorder is installed in this process",
        )
        .into_response();
    };
    let running = state.runner().map_or(0, |runner| runner.running());
    let admitted = state.admitted.load(Ordering::Relaxed);
    let cluster_queue_length = match &state.cluster {
        Some(cluster) => cluster.queue_length().await.ok(),
        None => None,
    };
    crate::metrics::Gauges {
        running,
        queued: admitted.saturating_sub(running),
        sessions: state.sessions.counts().0,
        contexts: state.contexts.count(),
        context_memory_bytes: state.contexts.memory_bytes(),
        disk_bytes: state.sessions.disk_bytes() + state.contexts.disk_bytes(),
        ready: state.runner().is_ok() && !state.draining.load(Ordering::SeqCst),
        cluster_queue_length,
        mcp_sessions: state
            .mcp_sessions
            .get()
            .map_or(0, |sessions| sessions.count()),
    }
    .set();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Resident memory that is not a mapped file (Linux's `RssAnon`): what
/// grows when the server holds more data. Mapped runtime code (clang alone
/// is 75 MB) enters RSS as it is first executed, and is not growth.
fn anonymous_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Sessions, execution counts and latencies, and the limits in force.
#[utoipa::path(get, path = "/stats", tag = "status", responses(
    (status = 200, description = "Sessions, counts, latencies and limits", body = Object),
    (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
    (status = 429, description = "Rate limited", body = super::error::ErrorBody)),
    security((), ("bearer" = [])))]
pub(super) async fn stats(State(state): State<Arc<AppState>>) -> Json<Value> {
    let mut body = json!({
        "node": state.config.node_name,
        "sessions": state.sessions.summaries(),
        "executions": {
            "byLanguageAndStatus": state.executions.counts(),
            "admitted": state.admitted.load(Ordering::Relaxed),
            "latency": state.executions.latency_percentiles(),
        },
        "limits": {
            "maxConcurrentExecutions": state.config.max_concurrent_executions,
            "maxQueuedExecutions": state.config.max_queued_executions,
            "executionTimeoutMs": state.config.execution_timeout.as_millis() as u64,
            "memoryLimitMb": state.config.memory_limit_mb,
            "maxOutputBytes": state.config.max_output_bytes,
            "maxCodeSize": state.config.max_code_size,
            "maxConnections": state.config.max_connections,
            "sessionTimeoutMs": state.config.session_timeout.as_millis() as u64,
            "sessionResumeGraceMs": state.config.session_resume_grace.as_millis() as u64,
        },
    });
    if let Some(cluster) = super::cluster::report(&state).await {
        body["cluster"] = cluster;
    }
    Json(body)
}

/// The languages, what runs each, and their versions.
#[utoipa::path(get, path = "/runtimes", tag = "status", responses(
    (status = 200, description = "The languages", body = RuntimesReport),
    (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
    (status = 429, description = "Rate limited", body = super::error::ErrorBody)),
    security((), ("bearer" = [])))]
pub(super) async fn runtimes() -> Json<Value> {
    let languages: Vec<_> = Language::ALL.iter().map(|l| l.info()).collect();
    Json(json!({ "languages": languages }))
}

/// An execution's state, and its result once finished.
#[utoipa::path(get, path = "/executions/{id}", tag = "run",
    params(("id" = String, Path, description = "The `executionId` a run answered")),
    responses(
        (status = 200, description = "Queued, running or finished", body = super::executions::ExecutionView),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 404, description = "No such execution (or forgotten)", body = super::error::ErrorBody),
        (status = 429, description = "Rate limited", body = super::error::ErrorBody)),
    security((), ("bearer" = [])))]
pub(super) async fn execution(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    // In a cluster, Redis has the fuller record (the node that ran it and
    // its attempts) of any node's execution; this node's own memory is the
    // fallback while Redis is away.
    let from_cluster = match &state.cluster {
        Some(cluster) if well_formed_id(&id) => Some(cluster.fetch(&id).await),
        _ => None,
    };
    if let Some(Ok(Some(record))) = from_cluster {
        return Ok(Json(record));
    }
    if let Some(view) = state.executions.get(&id) {
        return Ok(Json(
            serde_json::to_value(view).map_err(|e| ApiError::internal(e.to_string()))?,
        ));
    }
    match from_cluster {
        Some(Err(error)) => Err(super::cluster::api_error(error)),
        _ => Err(ApiError::not_found(
            "unknown_execution",
            format!("no execution '{id}'"),
        )),
    }
}

/// Execution ids are `exec_` and hex digits; nothing else is looked up in
/// Redis.
fn well_formed_id(id: &str) -> bool {
    id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
