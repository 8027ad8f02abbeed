//! `POST /run/{language}`: validate, admit, write the code into a sandbox,
//! run it, and answer either at once (the original 202 response) or with
//! the full result (`wait`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::executions::{ExecutionResult, State as ExecutionState};
use super::{ApiError, AppState};
use crate::cluster::QueuedJob;
use crate::config::Config;
use crate::engine::{Limits, Outcome, Status, Stdin};
use crate::language::{Language, RunFile, Runner, Source};
use crate::sandbox::{Sandbox, relative_path};
use crate::session::{Session, SessionHold, stream_outcome};

const MAX_ARGS: usize = 256;
const MAX_ARG_BYTES: usize = 4096;
const MAX_FILES: usize = 64;

/// The request body may carry stdin and files besides the code.
pub(super) fn body_limit(config: &Config) -> usize {
    config
        .max_code_size
        .saturating_mul(4)
        .saturating_add(64 * 1024)
}

/// A run: the code, and what it gets.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"code": "print(input()[::-1])", "stdin": "stressed", "wait": true}))]
pub(super) struct RunBody {
    /// The program's source, at most `MAX_CODE_SIZE` bytes.
    code: String,
    /// The program's standard input.
    #[serde(default)]
    stdin: Option<String>,
    /// Its arguments (at most 256, each at most 4 KiB).
    #[serde(default)]
    args: Vec<String>,
    /// More files beside the code: sandbox path → contents (at most 64).
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// Run in this shell session's sandbox, its output shown there live.
    #[serde(default)]
    session_id: Option<String>,
    /// Answer with the result instead of 202.
    #[serde(default)]
    wait: Option<bool>,
    #[serde(default)]
    limits: Option<RequestLimits>,
    /// C and C++ compiler flags (checked against the allowlist).
    #[serde(default)]
    flags: Vec<String>,
}

impl RunBody {
    /// The shell session it is to run in, if any.
    pub(super) fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// A run of `code` in a sandbox of its own, with the server's limits.
    pub(super) fn new(
        code: String,
        stdin: Option<String>,
        args: Vec<String>,
        files: BTreeMap<String, String>,
    ) -> Self {
        Self {
            code,
            stdin,
            args,
            files,
            session_id: None,
            wait: Some(true),
            limits: None,
            flags: Vec::new(),
        }
    }
}

impl RunBody {
    /// The run as a cluster job, with its limits resolved and its names
    /// chosen.
    pub(super) fn into_queued(
        self,
        language: Language,
        limits: &Limits,
        accepted: &RunAccepted,
    ) -> QueuedJob {
        QueuedJob {
            execution_id: accepted.execution_id.clone(),
            language: language.info().name.to_owned(),
            code: self.code,
            stdin: self.stdin,
            args: self.args,
            files: self.files,
            flags: self.flags,
            wall_time_ms: limits.wall_time.as_millis() as u64,
            memory_bytes: limits.memory_bytes,
            output_bytes: limits.output_bytes as u64,
            session_id: self.session_id,
            user_directory: accepted.user_directory.clone(),
            filename: accepted.filename.clone(),
        }
    }

    /// A cluster job as a run here (validated again as any run is).
    pub(super) fn from_queued(job: QueuedJob) -> (Names, Self) {
        let names = Names {
            execution_id: Some(job.execution_id),
            user_directory: job.session_id.is_none().then_some(job.user_directory),
            filename: Some(job.filename),
        };
        let body = Self {
            code: job.code,
            stdin: job.stdin,
            args: job.args,
            files: job.files,
            session_id: job.session_id,
            wait: None,
            limits: Some(RequestLimits {
                timeout_ms: Some(job.wall_time_ms.max(1)),
                memory_mb: Some(job.memory_bytes.div_ceil(1 << 20).max(1)),
                output_bytes: Some(job.output_bytes.max(1)),
            }),
            flags: job.flags,
        };
        (names, body)
    }
}

/// Tighter limits for this run (never looser than the server's).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RequestLimits {
    /// Wall time, at most `CODE_EXECUTION_TIMEOUT`.
    timeout_ms: Option<u64>,
    /// Linear memory, at most `MEMORY_LIMIT_MB`.
    memory_mb: Option<u64>,
    /// stdout and stderr together, at most `MAX_OUTPUT_BYTES`.
    output_bytes: Option<u64>,
}

/// Everything a run needs, validated.
struct Job {
    id: String,
    language: Language,
    sandbox: Arc<Sandbox>,
    /// The session whose sandbox this runs in, which sees the output live.
    session: Option<Arc<Session>>,
    /// The session's turn: one command (or run) at a time per session.
    turn: Option<SessionHold>,
    script: String,
    args: Vec<String>,
    flags: Vec<String>,
    stdin: Vec<u8>,
    limits: Limits,
    /// Taken from the cluster's queue: which attempt this is. Such a job is
    /// handed back, not cancelled, when this node shuts down.
    queued_attempt: Option<u64>,
}

/// What a run is called before it starts: its id, and (for a cluster
/// job, promised in the 202 answer) its sandbox and file names.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    pub(super) execution_id: Option<String>,
    pub(super) user_directory: Option<String>,
    pub(super) filename: Option<String>,
}

/// The original server's answer to a run without `wait`: it started.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RunAccepted {
    success: bool,
    message: &'static str,
    /// The sandbox the code runs in.
    pub(super) user_directory: String,
    /// The code's file name in the sandbox.
    pub(super) filename: String,
    /// Poll `GET /executions/{executionId}` for the result.
    pub(super) execution_id: String,
}

impl RunAccepted {
    pub(super) fn new(execution_id: String, user_directory: String, filename: String) -> Self {
        Self {
            success: true,
            message: "Code execution started",
            user_directory,
            filename,
            execution_id,
        }
    }
}

/// Runs code. Without `wait` it answers 202 at once (poll
/// `/executions/{executionId}`); with `wait` (body or `?wait=true`), the
/// result.
#[utoipa::path(
    post,
    path = "/run/{language}",
    tag = "run",
    params(
        ("language" = String, Path, description = "python, javascript, typescript, c or c++ (or an alias: py, js, node, ts, cpp, cxx)", example = "python"),
        ("wait" = Option<bool>, Query, description = "answer with the result instead of 202"),
    ),
    request_body = RunBody,
    responses(
        (status = 200, description = "The result (with `wait`)", body = super::executions::ExecutionResult),
        (status = 202, description = "Started", body = RunAccepted),
        (status = 400, description = "Invalid body, arguments, files or flags", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 404, description = "Unknown language or session", body = super::error::ErrorBody),
        (status = 413, description = "Code, body or files too large", body = super::error::ErrorBody),
        (status = 415, description = "Not JSON", body = super::error::ErrorBody),
        (status = 429, description = "Queue full or rate limited", body = super::error::ErrorBody),
        (status = 503, description = "Runtimes not ready", body = super::error::ErrorBody),
        (status = 507, description = "The server's disk is nearly full", body = super::error::ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn run(
    State(state): State<Arc<AppState>>,
    Path(language): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let runner = state.runner()?;
    let Some(language) = Language::from_name(&language) else {
        return Err(ApiError::not_found(
            "unknown_language",
            format!(
                "unknown language '{language}'; supported: {}",
                Language::all_names().join(", ")
            ),
        ));
    };
    let request: RunBody = json_body(&state.config, &headers, body)?;
    let wait = request.wait.unwrap_or(false) || wait_query(&query)?;
    let slot = match super::cluster::route(&state, &request, wait).await? {
        super::cluster::Route::Here(slot) => slot,
        super::cluster::Route::Queue(destination) => {
            return super::cluster::queue_run(&state, language, request, destination, wait).await;
        }
    };
    let started = start(&state, runner, language, request, slot)?;
    if !wait {
        return Ok((StatusCode::ACCEPTED, Json(started.accepted)).into_response());
    }
    Ok(Json(started.finished().await?).into_response())
}

/// A run that has been admitted and is under way.
pub(super) struct StartedRun {
    accepted: RunAccepted,
    task: tokio::task::JoinHandle<Option<ExecutionResult>>,
    client_gone: CancellationToken,
}

impl StartedRun {
    /// Waits for the result; a caller that stops waiting stops the run.
    pub(super) async fn finished(self) -> Result<ExecutionResult, ApiError> {
        let stop_when_dropped = self.client_gone.drop_guard();
        let result = self
            .task
            .await
            .map_err(|e| ApiError::internal(format!("the execution task failed: {e}")))?;
        stop_when_dropped.disarm();
        result.ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "draining",
                "the server shut down before the run ended",
            )
        })
    }
}

/// Validates, admits and starts a run, as a task of its own, so that a
/// client that goes away cannot leave it half done: it is stopped,
/// recorded and cleaned up.
///
/// `slot`, when given, is a cluster node's run slot already held for it;
/// otherwise the run is admitted against this node's queue.
pub(super) fn start(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    language: Language,
    request: RunBody,
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
) -> Result<StartedRun, ApiError> {
    if request.code.len() > state.config.max_code_size {
        return Err(too_large(&state.config));
    }
    let session = match &request.session_id {
        Some(id) => Some(local_session(state, id)?),
        None => None,
    };
    let limits = limits(&state.config, request.limits.as_ref())?;
    check_args(&request.args)?;
    let admission = match slot {
        Some(slot) => Admission::Slot { _slot: slot },
        None => Admission::Admitted {
            _place: admit(state)?,
        },
    };
    check_files(&request.files)?;
    let job = prepare(state, language, request, limits, session, Names::default())?;
    let id = job.id.clone();
    let accepted = RunAccepted::new(
        id.clone(),
        job.sandbox.name().to_owned(),
        job.script.clone(),
    );
    state.executions.set_state(&id, ExecutionState::Queued);
    let client_gone = CancellationToken::new();
    let task = state.tasks.spawn(supervise(
        state.clone(),
        runner,
        job,
        admission,
        client_gone.clone(),
    ));
    Ok(StartedRun {
        accepted,
        task,
        client_gone,
    })
}

/// Runs a job taken from the cluster's queue in `slot`, to its end.
/// `Ok(None)`: this node shut down first, and the job is to be handed
/// back.
pub(super) async fn run_queued(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    language: Language,
    (names, request): (Names, RunBody),
    attempt: u64,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Result<Option<ExecutionResult>, ApiError> {
    let limits = validate(&state.config, &request)?;
    let session = match &request.session_id {
        Some(id) => Some(local_session(state, id)?),
        None => None,
    };
    let mut job = prepare(state, language, request, limits, session, names)?;
    job.queued_attempt = Some(attempt);
    state.executions.set_state(&job.id, ExecutionState::Queued);
    let task = state.tasks.spawn(supervise(
        state.clone(),
        runner,
        job,
        Admission::Slot { _slot: slot },
        CancellationToken::new(),
    ));
    task.await
        .map_err(|e| ApiError::internal(format!("the execution task failed: {e}")))
}

/// Checks what can be checked before a run is admitted anywhere: sizes,
/// limits, arguments and file names. Returns the run's limits.
pub(super) fn validate(config: &Config, request: &RunBody) -> Result<Limits, ApiError> {
    if request.code.len() > config.max_code_size {
        return Err(too_large(config));
    }
    let limits = limits(config, request.limits.as_ref())?;
    check_args(&request.args)?;
    check_files(&request.files)?;
    Ok(limits)
}

fn check_files(files: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if files.len() > MAX_FILES {
        return Err(ApiError::bad_request(format!("at most {MAX_FILES} files")));
    }
    for path in files.keys() {
        relative_path(path).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    Ok(())
}

/// A live session on this node.
pub(super) fn local_session(state: &AppState, id: &str) -> Result<Arc<Session>, ApiError> {
    state.sessions.get(id).ok_or_else(unknown_session)
}

pub(super) fn unknown_session() -> ApiError {
    ApiError::not_found("unknown_session", "no live session has that sessionId")
}

/// `?wait=`: true or 1, false or 0 (anything else is a 400).
fn wait_query(query: &HashMap<String, String>) -> Result<bool, ApiError> {
    match query.get("wait").map(String::as_str) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "wait must be true or false, not '{}'",
            other.escape_debug()
        ))),
    }
}

/// Runs a job to its end and records it, even when the execution itself
/// panics: the record gets a final status and the sandbox is removed.
async fn supervise(
    state: Arc<AppState>,
    runner: Arc<Runner>,
    job: Job,
    admission: Admission,
    client_gone: CancellationToken,
) -> Option<ExecutionResult> {
    let _admission = admission;
    let (id, language) = (job.id.clone(), job.language);
    let from_queue = job.queued_attempt.is_some();
    let cleanup = job.session.is_none().then(|| job.sandbox.name().to_owned());
    let inner = tokio::spawn({
        let state = state.clone();
        async move { execute(&state, &runner, job, client_gone).await }
    });
    match inner.await {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(%error, "an execution panicked");
            let outcome =
                Outcome::failed(Status::InternalError, "the execution failed on the server");
            let result = ExecutionResult::new(id, language.info().name, outcome);
            record_finished(&state, &result, from_queue);
            if let Some(name) = cleanup {
                remove_sandbox(&state, name).await;
            }
            Some(result)
        }
    }
}

/// Records a finished execution here, and in the cluster when there is
/// one (so that every node can answer for it), in the background: the
/// client waiting here need not wait for Redis. A job from the cluster's
/// queue is stored by the queue's side, before it is acknowledged.
fn record_finished(state: &AppState, result: &ExecutionResult, from_queue: bool) {
    state.executions.finish(result.clone());
    if let (Some(cluster), false) = (&state.cluster, from_queue) {
        let (cluster, result) = (cluster.clone(), result.clone());
        state.tasks.spawn(async move {
            super::cluster::store_result(&cluster, &result, None).await;
        });
    }
}

/// A JSON request body, checked for its content type and size.
pub(super) fn json_body<T: serde::de::DeserializeOwned>(
    config: &Config,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    check_content_type(headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(config),
        status => ApiError::new(status, "bad_request", rejection.body_text()),
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

pub(super) fn too_large(config: &Config) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "code is larger than MAX_CODE_SIZE ({} bytes)",
            config.max_code_size
        ),
    )
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected Content-Type: application/json, got '{content_type}'"),
        ))
    }
}

/// The configured limits of one execution.
pub(super) fn default_limits(config: &Config) -> Limits {
    Limits {
        wall_time: config.execution_timeout,
        memory_bytes: config.memory_limit_mb << 20,
        output_bytes: config.max_output_bytes,
        ..Limits::default()
    }
}

/// The server's limits, lowered (never raised) by the request's.
pub(super) fn limits(
    config: &Config,
    requested: Option<&RequestLimits>,
) -> Result<Limits, ApiError> {
    let mut limits = default_limits(config);
    let Some(requested) = requested else {
        return Ok(limits);
    };
    let positive = |name: &str, value: Option<u64>| -> Result<Option<u64>, ApiError> {
        match value {
            Some(0) => Err(ApiError::bad_request(format!(
                "limits.{name} must be positive"
            ))),
            other => Ok(other),
        }
    };
    if let Some(ms) = positive("timeoutMs", requested.timeout_ms)? {
        limits.wall_time = limits.wall_time.min(Duration::from_millis(ms));
    }
    if let Some(mb) = positive("memoryMb", requested.memory_mb)? {
        limits.memory_bytes = limits.memory_bytes.min(mb.saturating_mul(1 << 20));
    }
    if let Some(bytes) = positive("outputBytes", requested.output_bytes)? {
        limits.output_bytes = limits
            .output_bytes
            .min(usize::try_from(bytes).unwrap_or(usize::MAX));
    }
    Ok(limits)
}

pub(super) fn check_args(args: &[String]) -> Result<(), ApiError> {
    if args.len() > MAX_ARGS {
        return Err(ApiError::bad_request(format!("at most {MAX_ARGS} args")));
    }
    if args
        .iter()
        .any(|a| a.len() > MAX_ARG_BYTES || a.contains('\0'))
    {
        return Err(ApiError::bad_request(format!(
            "each arg must be at most {MAX_ARG_BYTES} bytes without NUL characters"
        )));
    }
    Ok(())
}

/// What a run holds while it is admitted, released (dropped) when it is
/// over.
pub(super) enum Admission {
    /// A place in this node's queue.
    Admitted { _place: Admitted },
    /// A cluster node's run slot.
    Slot {
        _slot: tokio::sync::OwnedSemaphorePermit,
    },
}

/// Releases an admission slot when the execution is over.
pub(super) struct Admitted(Arc<AppState>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

fn admit(state: &Arc<AppState>) -> Result<Admitted, ApiError> {
    let capacity = state.config.max_concurrent_executions + state.config.max_queued_executions;
    let admitted = state.admitted.fetch_add(1, Ordering::SeqCst);
    let admission = Admitted(state.clone());
    if admitted >= capacity {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "queue_full",
            format!("{capacity} executions are already running or queued; retry later"),
        );
        error.retry_after_seconds = Some(1);
        return Err(error);
    }
    Ok(admission)
}

/// Takes the session's turn (if any), creates or opens the sandbox and
/// writes the files and the code into it.
fn prepare(
    state: &AppState,
    language: Language,
    request: RunBody,
    limits: Limits,
    session: Option<Arc<Session>>,
    names: Names,
) -> Result<Job, ApiError> {
    let turn = match &session {
        Some(session) => Some(session.hold(&format!("run {language}")).map_err(|busy| {
            ApiError::new(StatusCode::CONFLICT, "session_busy", busy.to_string())
        })?),
        None => None,
    };
    let sandbox = match &session {
        Some(session) => session.sandbox().clone(),
        None => Arc::new(
            create_sandbox(state, names.user_directory.as_deref()).map_err(|e| {
                ApiError::from_sandbox(e, |message| {
                    ApiError::internal(format!("cannot create a sandbox: {message}"))
                })
            })?,
        ),
    };
    let written = (|| {
        for (path, content) in &request.files {
            sandbox
                .write_file(path, content.as_bytes())
                .map_err(|e| ApiError::from_sandbox(e, ApiError::bad_request))?;
        }
        let filename = names.filename.unwrap_or_else(|| code_file_name(language));
        write_code_as(&sandbox, &filename, &request.code)
    })();
    let script = match written {
        Ok(script) => script,
        Err(error) => {
            if session.is_none() {
                let _ = state.sandboxes.remove(sandbox.name());
            }
            return Err(error);
        }
    };
    Ok(Job {
        id: names.execution_id.unwrap_or_else(new_execution_id),
        language,
        sandbox,
        session,
        turn,
        script,
        args: request.args,
        flags: request.flags,
        stdin: request.stdin.unwrap_or_default().into_bytes(),
        limits,
        queued_attempt: None,
    })
}

fn create_sandbox(
    state: &AppState,
    name: Option<&str>,
) -> Result<Sandbox, crate::sandbox::SandboxError> {
    match name {
        Some(name) => state.sandboxes.create_named(name),
        None => state.sandboxes.create(),
    }
}

/// A fresh execution id: `exec_` and 32 random hex digits (128 bits), so
/// that knowing one id (or a user directory) tells nothing of another.
pub(super) fn new_execution_id() -> String {
    let bits: u128 = rand::random();
    format!("exec_{bits:032x}")
}

/// Writes code into a sandbox as `<millis>_code.<ext>`, as the original
/// server named it; returns the file name.
pub(super) fn write_code(
    sandbox: &Sandbox,
    language: Language,
    code: &str,
) -> Result<String, ApiError> {
    write_code_as(sandbox, &code_file_name(language), code)
}

/// `<millis>_code.<ext>`.
pub(super) fn code_file_name(language: Language) -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!("{millis}_code.{}", language.info().extension)
}

fn write_code_as(sandbox: &Sandbox, script: &str, code: &str) -> Result<String, ApiError> {
    sandbox
        .write_file(script, code.as_bytes())
        .map_err(|e| ApiError::from_sandbox(e, ApiError::bad_request))?;
    Ok(script.to_owned())
}

/// Runs a job once a slot is free, records its result and removes its
/// sandbox. Stops early when the client goes away or the server shuts down.
///
/// A job from the cluster's queue that the shutdown stops is not recorded:
/// it returns `None`, to be handed back to the queue.
async fn execute(
    state: &AppState,
    runner: &Runner,
    job: Job,
    client_gone: CancellationToken,
) -> Option<ExecutionResult> {
    let (id, language, sandbox) = (job.id.clone(), job.language, job.sandbox.clone());
    let in_session = job.session.is_some();
    let attempt = job.queued_attempt;
    let interrupted = job
        .turn
        .as_ref()
        .map_or_else(CancellationToken::new, |turn| turn.stop.clone());
    let outcome = tokio::select! {
        outcome = run_job(state, runner, job) => outcome,
        () = interrupted.cancelled() => {
            Outcome::failed(Status::Cancelled, "interrupted in its session")
        }
        () = client_gone.cancelled() => {
            Outcome::failed(Status::Cancelled, "cancelled: the client went away before the result")
        }
        () = state.cancel.cancelled() => {
            if attempt.is_some() {
                if !in_session {
                    remove_sandbox(state, sandbox.name().to_owned()).await;
                }
                return None;
            }
            Outcome::failed(Status::Cancelled, "cancelled: the server shut down")
        }
    };
    tracing::info!(
        language = language.info().name,
        status = outcome.status.as_str(),
        duration_ms = outcome.duration.as_millis() as u64,
        user_directory = sandbox.name(),
        "execution"
    );
    let result = ExecutionResult::new(id, language.info().name, outcome);
    record_finished(state, &result, attempt.is_some());
    if !in_session {
        remove_sandbox(state, sandbox.name().to_owned()).await;
    }
    Some(result)
}

/// Runs the job (streaming to its session, if any).
async fn run_job(state: &AppState, runner: &Runner, job: Job) -> Outcome {
    // The runner waits for a slot shared with shell programs and `run`
    // events (MAX_CONCURRENT_EXECUTIONS) before it starts.
    state.executions.set_state(&job.id, ExecutionState::Running);
    let started = Instant::now();
    let run = |output| {
        runner.run_file(RunFile {
            language: job.language,
            sandbox: &job.sandbox,
            source: Source::File(job.script.clone()),
            working_dir: "/".to_owned(),
            args: job.args,
            env: Vec::new(),
            flags: job.flags,
            stdin: Stdin::Bytes(job.stdin),
            limits: job.limits,
            output,
        })
    };
    match &job.session {
        Some(session) => {
            session.count_execution();
            let outcome = stream_outcome(session, |output| run(Some(output))).await;
            let exit = super::socket::outcome_exit(session, &outcome);
            session.report_exit(&exit, started.elapsed());
            outcome
        }
        None => run(None).await,
    }
}

/// Removes a run's sandbox off the async workers (a guest can leave a tree
/// of thousands of directories); failures are logged and retried later.
pub(super) async fn remove_sandbox(state: &AppState, name: String) {
    let sandboxes = state.sandboxes.clone();
    let removed = tokio::task::spawn_blocking(move || {
        let result = sandboxes.remove(&name);
        (name, result)
    })
    .await;
    if let Ok((name, Err(error))) = removed {
        tracing::warn!(sandbox = name, %error, "cannot remove a sandbox; will retry");
    }
}
