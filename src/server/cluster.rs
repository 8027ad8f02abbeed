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
use serde_json::{Value, json};
use tokio::sync::OwnedSemaphorePermit;

use super::execution::{self, RunAccepted, RunBody, store_result};
use super::executions::ExecutionResult;
use super::{ApiError, AppState};
use crate::cluster::queue::{Consumer, MAX_ATTEMPTS};
use crate::cluster::{Backoff, Cluster, ClusterError, ClusterSettings, Delivery};
use crate::config::Config;
use crate::engine::{Outcome, Status};
use crate::language::{Language, Runner};

/// How often a node looks for jobs a dead node left behind.
const CLAIM_EVERY: Duration = Duration::from_secs(2);
/// How long `/health` and `/stats` wait for Redis before saying it is down.
const REPORT_TIMEOUT: Duration = Duration::from_millis(500);

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
        // As on one node: the running ones plus those waiting.
        max_queued: config.max_queued_executions + config.max_concurrent_executions,
    };
    let cluster = Cluster::connect(settings).await?;
    tracing::info!(
        node = cluster.node(),
        redis = crate::cluster::redacted_url(redis_url),
        "joined the cluster"
    );
    Ok(Some(cluster))
}

/// Longer than any run can take (a C or C++ compile's steps and its link,
/// each up to `COMPILE_TIMEOUT`, then the run, up to
/// `CODE_EXECUTION_TIMEOUT`), so that a job still running is never claimed
/// even if its node's heartbeat stalls.
fn claim_idle(config: &Config) -> Duration {
    config.compile_timeout * 2 + config.execution_timeout + Duration::from_secs(5)
}

/// Starts the node's cluster tasks: the result announcements, the
/// heartbeat and the queue consumer (tracked, so that a shutdown waits for
/// it to hand back what it has just read).
pub(super) fn spawn_tasks(state: &Arc<AppState>, cluster: &Arc<Cluster>) {
    tokio::spawn(cluster.clone().listen_until(state.cancel.clone()));
    let (sessions, leaving) = (state.sessions.clone(), state.shutting_down.clone());
    let located = move || {
        if leaving.is_cancelled() {
            Vec::new()
        } else {
            sessions.locations()
        }
    };
    tokio::spawn(
        cluster
            .clone()
            .heartbeat_until(located, state.cancel.clone()),
    );
    state.tasks.spawn(consume(state.clone(), cluster.clone()));
}

/// At the start of a shutdown: no more session runs are to be sent here.
pub(super) async fn leave(state: &AppState) {
    if let Some(cluster) = &state.cluster
        && let Err(error) = cluster.leave(&state.sessions.locations()).await
    {
        tracing::warn!(%error, "cannot take this node's sessions off the cluster's map");
    }
}

/// Where a run goes.
pub(super) enum Route {
    /// Here, holding a cluster slot when it has one.
    Here(Option<OwnedSemaphorePermit>),
    /// Into the cluster's queue.
    Queue(Destination),
}

/// A stream to queue a run on, and the sandbox it will run in if that is
/// known already (a session's).
pub(super) struct Destination {
    stream: String,
    user_directory: Option<String>,
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
            Some(location) if location.node != cluster.node() => Ok(Route::Queue(Destination {
                stream: Cluster::node_stream(&location.node),
                user_directory: Some(location.user_directory),
            })),
            _ => Err(execution::unknown_session()),
        };
    }
    let draining = state.draining.load(std::sync::atomic::Ordering::SeqCst);
    if wait
        && !draining
        && let Ok(slot) = state.node_slots.clone().try_acquire_owned()
    {
        return Ok(Route::Here(Some(slot)));
    }
    Ok(Route::Queue(Destination {
        stream: Cluster::jobs_stream(),
        user_directory: None,
    }))
}

/// Queues a run; answers 202 at once, or (with `wait`) the result once
/// some node has run it. A waited run that takes longer than a compile
/// and a run could (it waits in a long queue) is answered 202 after all,
/// to be polled.
pub(super) async fn queue_run(
    state: &AppState,
    language: Language,
    request: RunBody,
    destination: Destination,
    wait: bool,
) -> Result<Response, ApiError> {
    let cluster = state
        .cluster
        .as_ref()
        .ok_or_else(|| ApiError::internal("not in a cluster"))?;
    let limits = execution::validate(&state.config, language, &request)?;
    let accepted = RunAccepted::new(
        execution::new_execution_id(),
        destination
            .user_directory
            .unwrap_or_else(crate::sandbox::new_sandbox_name),
        execution::code_file_name(language),
    );
    let id = accepted.execution_id.clone();
    let job = request.into_queued(language, &limits, &accepted);
    let queued = json!({ "executionId": id, "state": "queued" });
    cluster
        .enqueue(&destination.stream, &job, &queued)
        .await
        .map_err(api_error)?;
    if !wait {
        return Ok((StatusCode::ACCEPTED, Json(accepted)).into_response());
    }
    let longest = limits.wall_time * 2 + Duration::from_secs(50);
    let waited = tokio::select! {
        record = cluster.wait_finished(&id, longest) => record.map_err(api_error)?,
        () = state.cancel.cancelled() => None,
    };
    match waited {
        Some(record) => finished_answer(record),
        None => Ok((StatusCode::ACCEPTED, Json(accepted)).into_response()),
    }
}

/// A finished record as the API answers it: its result, or the error the
/// node that took the job answered with (as a run here would have).
fn finished_answer(record: Value) -> Result<Response, ApiError> {
    if let Some(error) = record.get("error") {
        let status = error["status"]
            .as_u64()
            .and_then(|s| StatusCode::from_u16(s as u16).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = known_code(error["code"].as_str().unwrap_or_default());
        let message = error["message"].as_str().unwrap_or("the run failed");
        return Err(ApiError::new(status, code, message));
    }
    Ok(Json(record["result"].clone()).into_response())
}

/// The error codes a node can answer a queued job with, as the static
/// strings [`ApiError`] carries.
fn known_code(code: &str) -> &'static str {
    const CODES: [&str; 8] = [
        "bad_request",
        "unknown_session",
        "session_busy",
        "disk_full",
        "disk_quota_exceeded",
        "payload_too_large",
        "runtimes_not_ready",
        "internal_error",
    ];
    CODES
        .into_iter()
        .find(|known| *known == code)
        .unwrap_or("internal_error")
}

/// The API's answer to a cluster failure: 429 when the queue is full,
/// 503 while Redis is unreachable.
pub(super) fn api_error(error: ClusterError) -> ApiError {
    let (status, code, retry) = match &error {
        ClusterError::QueueFull(_) => (StatusCode::TOO_MANY_REQUESTS, "queue_full", Some(1)),
        ClusterError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "cluster_unavailable",
            Some(2),
        ),
        ClusterError::Encoding(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", None),
    };
    let mut answer = ApiError::new(status, code, error.to_string());
    answer.retry_after_seconds = retry;
    answer
}

/// In cluster mode, for `/health` and `/stats`: whether Redis answers, and
/// the shared queue's length.
pub(super) async fn report(state: &AppState) -> Option<Value> {
    let cluster = state.cluster.as_ref()?;
    let length = crate::cluster::within(REPORT_TIMEOUT, cluster.queue_length()).await;
    Some(match length {
        Ok(length) => json!({ "redis": "up", "queueLength": length }),
        Err(_) => json!({ "redis": "down", "queueLength": null }),
    })
}

/// Takes jobs off the queue while this node has free slots, until it
/// begins to shut down.
async fn consume(state: Arc<AppState>, cluster: Arc<Cluster>) {
    let Some(runner) = runner_when_ready(&state).await else {
        return;
    };
    let mut reader = Reader::new(cluster.clone());
    let mut backoff = Backoff::new();
    loop {
        let slot = tokio::select! {
            slot = state.node_slots.clone().acquire_owned() => slot,
            () = state.shutting_down.cancelled() => return,
        };
        let Ok(slot) = slot else { return };
        match reader.next().await {
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
                reader.consumer = None;
                backoff.wait().await;
            }
        }
    }
}

/// Where this node's jobs come from: now and then one a dead node left,
/// else the next new one.
struct Reader {
    cluster: Arc<Cluster>,
    consumer: Option<Consumer>,
    last_claim: Instant,
}

impl Reader {
    fn new(cluster: Arc<Cluster>) -> Self {
        Self {
            cluster,
            consumer: None,
            last_claim: Instant::now() - CLAIM_EVERY,
        }
    }

    async fn next(&mut self) -> Result<Option<Delivery>, ClusterError> {
        if self.consumer.is_none() {
            self.consumer = Some(self.cluster.consumer().await?);
        }
        let Some(consumer) = self.consumer.as_mut() else {
            return Ok(None);
        };
        if self.last_claim.elapsed() >= CLAIM_EVERY {
            self.last_claim = Instant::now();
            let idle = self.cluster.settings().claim_idle;
            if let Some(abandoned) = consumer.claim_abandoned(idle).await? {
                return Ok(Some(abandoned));
            }
        }
        consumer.next().await
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

/// How a job taken from the queue ended on this node.
enum Taken {
    /// It ran: its result.
    Ran(Box<ExecutionResult>),
    /// It could not start here: the error a run here would have answered.
    Refused(ApiError),
    /// This node shut down first.
    Interrupted,
}

/// Runs one job from the queue, stores its result and takes it off the
/// queue; or hands it back when this node shuts down first. A job whose
/// result cannot be stored stays pending, for another node to claim.
async fn take_job(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    cluster: &Arc<Cluster>,
    delivery: Delivery,
    slot: OwnedSemaphorePermit,
) {
    let job = match &delivery.job {
        Ok(job) => job.clone(),
        Err(reason) => {
            tracing::error!(reason, "dropping an unreadable job");
            let _ = cluster.acknowledge(&delivery).await;
            return;
        }
    };
    let _working = cluster.working_on(&delivery);
    let id = job.execution_id.clone();
    let attempt = cluster.attempt(&delivery).await.unwrap_or(1);
    let language = Language::from_name(&job.language);
    let taken = match language {
        _ if attempt > MAX_ATTEMPTS => Taken::Refused(ApiError::internal(format!(
            "given up after {MAX_ATTEMPTS} attempts: the node running it was lost each time"
        ))),
        None => Taken::Refused(ApiError::bad_request(format!(
            "unknown language '{}'",
            job.language
        ))),
        Some(language) => {
            let running = json!({
                "executionId": id, "state": "running", "node": cluster.node(), "attempts": attempt,
            });
            let _ = cluster.record(&id, &running).await;
            let request = RunBody::from_queued(job);
            match execution::run_queued(state, runner, language, request, attempt, slot).await {
                Ok(Some(result)) => Taken::Ran(Box::new(result)),
                Ok(None) => Taken::Interrupted,
                Err(error) => Taken::Refused(error),
            }
        }
    };
    let stored = match taken {
        Taken::Ran(result) => store_result(cluster, &result, Some(attempt)).await,
        Taken::Refused(error) => store_refusal(cluster, &id, &error).await,
        Taken::Interrupted if delivery.for_this_node_only() => {
            // Its session ends with this node: nowhere else to run it.
            let outcome = Outcome::failed(Status::Cancelled, "cancelled: the server shut down");
            let name = language.map_or("unknown", |l| l.info().name);
            store_result(
                cluster,
                &ExecutionResult::new(id.clone(), name, outcome),
                Some(attempt),
            )
            .await
        }
        Taken::Interrupted => {
            hand_back(cluster, &delivery, &id).await;
            return;
        }
    };
    if !stored {
        tracing::warn!(
            execution_id = id,
            "left pending: another node will claim it"
        );
        return;
    }
    if let Err(error) = cluster.acknowledge(&delivery).await {
        tracing::warn!(%error, "cannot acknowledge a finished job");
    }
}

/// Stores the error a job was refused with, status and all.
async fn store_refusal(cluster: &Cluster, id: &str, error: &ApiError) -> bool {
    let record = json!({
        "executionId": id,
        "state": "finished",
        "error": {
            "status": error.status.as_u16(),
            "code": error.code,
            "message": error.message,
        },
        "node": cluster.node(),
    });
    cluster.finish_retrying(id, &record).await
}

async fn hand_back(cluster: &Cluster, delivery: &Delivery, id: &str) {
    tracing::info!(execution_id = id, "handing a job back to the queue");
    let queued = json!({ "executionId": id, "state": "queued" });
    let _ = cluster.record(id, &queued).await;
    if let Err(error) = cluster.hand_back(delivery).await {
        tracing::warn!(%error, execution_id = id, "cannot hand a job back; another node will claim it");
    }
}
