//! The server's side of cluster mode (`REDIS_URL`; see [`crate::cluster`]):
//! where a run goes, the loop that takes jobs off the queue while this node
//! has free slots, and how results reach Redis.
//!
//! A run without `wait` is queued for any node. A run with `wait` runs here
//! when this node has a free slot, else it is queued and its result comes
//! back by pub/sub. A run in a shell session that lives on another node is
//! queued on that node's own stream: the sandbox and the socket are there,
//! and the output streams to the browser from there.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;

use super::executions::ExecutionResult;
use super::run::{self, RunAccepted, RunBody};
use super::{ApiError, AppState};
use crate::cluster::queue::MAX_ATTEMPTS;
use crate::cluster::{Backoff, Cluster, ClusterError, ClusterSettings, Delivery};
use crate::config::Config;
use crate::engine::{Outcome, Status};
use crate::language::{Language, Runner};

/// How often a node looks for jobs a dead node left behind.
const CLAIM_EVERY: Duration = Duration::from_secs(2);

/// Joins the cluster `REDIS_URL` names, if it names one.
pub(super) async fn join(config: &Config) -> anyhow::Result<Option<Arc<Cluster>>> {
    let Some(redis_url) = &config.redis_url else {
        return Ok(None);
    };
    let settings = ClusterSettings {
        redis_url: redis_url.clone(),
        node: config.node_name.clone(),
        result_ttl: config.result_ttl,
        claim_idle: claim_idle(config),
        max_queued: config.max_queued_executions,
    };
    let cluster = Cluster::connect(settings).await?;
    tracing::info!(
        node = cluster.node(),
        redis = crate::cluster::redacted_url(redis_url),
        "joined the cluster"
    );
    Ok(Some(cluster))
}

/// Longer than any run can take (a C or C++ compile, then the run, each
/// get up to `CODE_EXECUTION_TIMEOUT`), so that only a dead node's jobs
/// are claimed.
fn claim_idle(config: &Config) -> Duration {
    config.execution_timeout * 2 + Duration::from_secs(5)
}

/// Starts the node's cluster tasks: the result announcements, the
/// heartbeat and the queue consumer.
pub(super) fn spawn_tasks(state: &Arc<AppState>, cluster: &Arc<Cluster>) {
    tokio::spawn(cluster.clone().listen_until(state.cancel.clone()));
    let sessions = state.sessions.clone();
    tokio::spawn(
        cluster
            .clone()
            .heartbeat_until(move || sessions.locations(), state.cancel.clone()),
    );
    tokio::spawn(consume(state.clone(), cluster.clone()));
}

/// Where a run goes.
pub(super) enum Route {
    /// Here, holding a cluster slot when it has one.
    Here(Option<OwnedSemaphorePermit>),
    /// Onto this stream, for the sandbox named (a session's), if any.
    Queue {
        stream: String,
        user_directory: Option<String>,
    },
}

/// Decides where a run goes (always here without a cluster).
pub(super) async fn route(
    state: &AppState,
    request: &RunBody,
    wait: bool,
) -> Result<Route, ApiError> {
    let Some(cluster) = &state.cluster else {
        return Ok(Route::Here(None));
    };
    if let Some(id) = request.session_id() {
        if state.sessions.get(id).is_some() {
            return Ok(Route::Here(None));
        }
        return match cluster.locate_session(id).await.map_err(api_error)? {
            Some(location) if location.node != cluster.node() => Ok(Route::Queue {
                stream: Cluster::node_stream(&location.node),
                user_directory: Some(location.user_directory),
            }),
            _ => Err(run::local_session(state, id).err().unwrap_or_else(|| {
                ApiError::not_found("unknown_session", "no live session has that sessionId")
            })),
        };
    }
    let draining = state.draining.load(std::sync::atomic::Ordering::SeqCst);
    if wait
        && !draining
        && let Ok(slot) = state.node_slots.clone().try_acquire_owned()
    {
        return Ok(Route::Here(Some(slot)));
    }
    Ok(Route::Queue {
        stream: Cluster::jobs_stream(),
        user_directory: None,
    })
}

/// Queues a run; answers 202 at once, or (with `wait`) the result once
/// some node has run it.
pub(super) async fn queue_run(
    state: &AppState,
    language: Language,
    request: RunBody,
    (stream, user_directory): (String, Option<String>),
    wait: bool,
) -> Result<Response, ApiError> {
    let cluster = state
        .cluster
        .as_ref()
        .ok_or_else(|| ApiError::internal("not in a cluster"))?;
    let limits = run::validate(&state.config, &request)?;
    let accepted = RunAccepted::new(
        run::new_execution_id(),
        user_directory.unwrap_or_else(crate::sandbox::new_sandbox_name),
        run::code_file_name(language),
    );
    let id = accepted.execution_id.clone();
    let job = request.into_queued(language, &limits, &accepted);
    let queued = json!({ "executionId": id, "state": "queued" });
    cluster
        .enqueue(&stream, &job, &queued)
        .await
        .map_err(api_error)?;
    if !wait {
        return Ok((StatusCode::ACCEPTED, Json(accepted)).into_response());
    }
    let waited = tokio::select! {
        record = cluster.wait_finished(&id) => record.map_err(api_error)?,
        () = state.cancel.cancelled() => return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "draining",
            format!("the server shut down; poll /executions/{id} for the result"),
        )),
    };
    Ok(Json(waited["result"].clone()).into_response())
}

/// The API's answer to a cluster failure: 429 when the queue is full,
/// 503 while Redis is unreachable.
pub(super) fn api_error(error: ClusterError) -> ApiError {
    match error {
        ClusterError::QueueFull(_) => {
            let mut answer = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "queue_full",
                error.to_string(),
            );
            answer.retry_after_seconds = Some(1);
            answer
        }
        ClusterError::Unavailable(_) => {
            let mut answer = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "cluster_unavailable",
                error.to_string(),
            );
            answer.retry_after_seconds = Some(2);
            answer
        }
    }
}

/// Records a finished execution in Redis, retrying a few times while
/// Redis is away. A queued job whose result cannot be recorded stays
/// pending, and is run again once another node claims it.
pub(super) async fn record_finished(
    cluster: &Cluster,
    result: &ExecutionResult,
    attempt: Option<u64>,
) {
    let record = json!({
        "executionId": result.execution_id,
        "state": "finished",
        "result": result,
        "node": cluster.node(),
        "attempts": attempt,
    });
    let mut backoff = Backoff::new();
    for _ in 0..5 {
        match cluster.finish(&result.execution_id, &record).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, execution_id = result.execution_id, "cannot record a result");
                backoff.wait().await;
            }
        }
    }
}

/// Takes jobs off the queue while this node has free slots, until it
/// begins to shut down.
async fn consume(state: Arc<AppState>, cluster: Arc<Cluster>) {
    let Some(runner) = runner_when_ready(&state).await else {
        return;
    };
    let mut consumer = None;
    let mut backoff = Backoff::new();
    let mut last_claim = Instant::now() - CLAIM_EVERY;
    loop {
        let slot = tokio::select! {
            slot = state.node_slots.clone().acquire_owned() => slot,
            () = state.shutting_down.cancelled() => return,
        };
        let Ok(slot) = slot else { return };
        let next = async {
            if last_claim.elapsed() >= CLAIM_EVERY {
                last_claim = Instant::now();
                if let Some(abandoned) = cluster.claim_abandoned().await? {
                    return Ok(Some(abandoned));
                }
            }
            if consumer.is_none() {
                consumer = Some(cluster.consumer().await?);
            }
            match consumer.as_mut() {
                Some(reader) => reader.next().await,
                None => Ok(None),
            }
        };
        match next.await {
            Ok(Some(delivery)) => {
                backoff.reset();
                if state.shutting_down.is_cancelled() {
                    let _ = cluster.hand_back(&delivery).await;
                    return;
                }
                let (state, runner, cluster) = (state.clone(), runner.clone(), cluster.clone());
                // Tracked, so that a shutdown waits for its hand-back too.
                state.tasks.clone().spawn(async move {
                    take_job(&state, runner, &cluster, delivery, slot).await;
                });
            }
            Ok(None) => backoff.reset(),
            Err(error) => {
                tracing::warn!(%error, "cannot read the cluster's queue; retrying");
                consumer = None;
                backoff.wait().await;
            }
        }
    }
}

async fn runner_when_ready(state: &AppState) -> Option<Arc<Runner>> {
    loop {
        if let Ok(runner) = state.runner() {
            return Some(runner);
        }
        if matches!(
            &*state.readiness.read().unwrap_or_else(|p| p.into_inner()),
            super::Readiness::Failed(_)
        ) {
            return None;
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            () = state.shutting_down.cancelled() => return None,
        }
    }
}

/// Runs one job from the queue and takes it off (or hands it back when
/// this node shuts down first).
async fn take_job(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    cluster: &Cluster,
    delivery: Delivery,
    slot: OwnedSemaphorePermit,
) {
    let job = match &delivery.job {
        Ok(job) => job.clone(),
        Err(reason) => {
            tracing::error!(reason, entry = delivery.entry, "dropping an unreadable job");
            let _ = cluster.acknowledge(&delivery).await;
            return;
        }
    };
    let id = job.execution_id.clone();
    let attempt = cluster.count_attempt(&id).await.unwrap_or(1);
    let language = Language::from_name(&job.language);
    let ran = match language {
        _ if attempt > MAX_ATTEMPTS => Err(format!(
            "given up after {MAX_ATTEMPTS} attempts: the node running it was lost each time"
        )),
        None => Err(format!("unknown language '{}'", job.language)),
        Some(language) => {
            let running = json!({
                "executionId": id, "state": "running", "node": cluster.node(), "attempts": attempt,
            });
            let _ = cluster.record(&id, &running).await;
            let request = RunBody::from_queued(job);
            run::run_queued(state, runner, language, request, attempt, slot)
                .await
                .map_err(|error| error.message)
        }
    };
    match ran {
        Ok(Some(_)) => {}
        Ok(None) => {
            tracing::info!(execution_id = id, "handing a job back to the queue");
            let queued = json!({ "executionId": id, "state": "queued" });
            let _ = cluster.record(&id, &queued).await;
            if let Err(error) = cluster.hand_back(&delivery).await {
                tracing::warn!(%error, execution_id = id, "cannot hand a job back; another node will claim it");
            }
            return;
        }
        Err(message) => {
            let name = language.map_or("unknown", |l| l.info().name);
            let outcome = Outcome::failed(Status::InternalError, message);
            let result = ExecutionResult::new(id, name, outcome);
            state.executions.finish(result.clone());
            record_finished(cluster, &result, Some(attempt)).await;
        }
    }
    if let Err(error) = cluster.acknowledge(&delivery).await {
        tracing::warn!(%error, "cannot acknowledge a finished job");
    }
}
