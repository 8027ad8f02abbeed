//! The execution service: the one path every surface takes to run code
//! (`POST /run`, MCP's `run_code`, a job from the cluster's queue, a run
//! in a shell session's sandbox). It admits a run against the queue,
//! prepares its sandbox, supervises it to its end (even through a panic),
//! records its result and cleans up. It calls none of the surfaces: each
//! of them calls it.
//!
//! - `request`: what a run asks for, and its checks.
//! - `judging`: a run's test cases, run and judged.

mod judging;
mod request;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use request::check_files;
pub(super) use request::{
    MAX_FILES, Names, RequestLimits, RunAccepted, RunBody, body_limit, check_args, check_packages,
    check_tests, default_limits, limits, too_large, validate,
};

use super::executions::{ExecutionResult, State as ExecutionState, TestResult};
use super::{ApiError, AppState};
use crate::engine::{Limits, Outcome, Status, Stdin};
use crate::judge::{Compare, TestCase};
use crate::language::{Language, RunFile, Runner, Source};
use crate::sandbox::Sandbox;
use crate::session::{Session, SessionHold, stream_outcome};

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
    /// The C or C++ sources among `files`, compiled and linked with the
    /// code.
    units: Vec<String>,
    /// Python packages installed into the sandbox before the run.
    packages: Vec<String>,
    /// Test cases: the program runs once per test instead of once.
    tests: Vec<TestCase>,
    compare: Compare,
    stdin: Vec<u8>,
    limits: Limits,
    /// Taken from the cluster's queue: which attempt this is. Such a job is
    /// handed back, not cancelled, when this node shuts down.
    queued_attempt: Option<u64>,
    /// A caller that talks to the program while it runs (Piston's
    /// WebSocket) instead of giving it `stdin` up front.
    live: Option<LiveIo>,
}

/// The live ends of a run: its standard input as a stream (end of file
/// when the writer closes), and its output as it is written.
pub(super) struct LiveIo {
    pub(super) stdin: Box<dyn tokio::io::AsyncRead + Send + Sync + Unpin>,
    pub(super) output: tokio::sync::mpsc::UnboundedSender<crate::engine::OutputChunk>,
}

/// A run that has been admitted and is under way.
pub(super) struct StartedRun {
    pub(super) accepted: RunAccepted,
    result: oneshot::Receiver<Option<ExecutionResult>>,
    client_gone: CancellationToken,
}

impl StartedRun {
    /// Waits for the result; a caller that stops waiting stops the run.
    pub(super) async fn finished(self) -> Result<ExecutionResult, ApiError> {
        let stop_when_dropped = self.client_gone.drop_guard();
        let result = self
            .result
            .await
            .map_err(|_| ApiError::internal("the execution task failed"))?;
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
    start_named(state, runner, language, request, slot, Names::default())
}

/// [`start`], with the names the run is to have (a compatible API's own
/// file name for the program).
pub(super) fn start_named(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    language: Language,
    request: RunBody,
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    names: Names,
) -> Result<StartedRun, ApiError> {
    start_job(state, runner, language, request, slot, names, None)
}

/// [`start_named`] for a caller that talks to the program while it runs:
/// its stdin comes from `live` (the request's `stdin` is not used) and
/// its output goes there as it is written, besides the result.
pub(super) fn start_live(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    language: Language,
    request: RunBody,
    names: Names,
    live: LiveIo,
) -> Result<StartedRun, ApiError> {
    start_job(state, runner, language, request, None, names, Some(live))
}

fn start_job(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    language: Language,
    request: RunBody,
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    names: Names,
    live: Option<LiveIo>,
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
    check_packages(&state.config, language, &request.packages)?;
    check_tests(&request)?;
    let mut job = prepare(state, language, request, limits, session, names)?;
    job.live = live;
    let id = job.id.clone();
    let accepted = RunAccepted::new(
        id.clone(),
        job.sandbox.name().to_owned(),
        job.script.clone(),
    );
    state.executions.set_state(&id, ExecutionState::Queued);
    let client_gone = CancellationToken::new();
    let (answer, result) = oneshot::channel();
    state.tasks.spawn(supervise(
        state.clone(),
        runner,
        job,
        admission,
        client_gone.clone(),
        answer,
    ));
    Ok(StartedRun {
        accepted,
        result,
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
    let limits = validate(&state.config, language, &request)?;
    let session = match &request.session_id {
        Some(id) => Some(local_session(state, id)?),
        None => None,
    };
    let mut job = prepare(state, language, request, limits, session, names)?;
    job.queued_attempt = Some(attempt);
    state.executions.set_state(&job.id, ExecutionState::Queued);
    let (answer, result) = oneshot::channel();
    state.tasks.spawn(supervise(
        state.clone(),
        runner,
        job,
        Admission::Slot { _slot: slot },
        CancellationToken::new(),
        answer,
    ));
    result
        .await
        .map_err(|_| ApiError::internal("the execution task failed"))
}

/// A live session on this node.
pub(super) fn local_session(state: &AppState, id: &str) -> Result<Arc<Session>, ApiError> {
    state.sessions.get(id).ok_or_else(unknown_session)
}

pub(super) fn unknown_session() -> ApiError {
    ApiError::not_found("unknown_session", "no live session has that sessionId")
}

/// Runs a job to its end, records it and sends the result to `answer`,
/// even when the execution itself panics: the record gets a final status.
/// A one-off run's sandbox is removed after the answer, so that the
/// client does not wait for it; the run's admission is held until it is
/// gone, so removals never pile up beyond the runs admitted.
async fn supervise(
    state: Arc<AppState>,
    runner: Arc<Runner>,
    job: Job,
    admission: Admission,
    client_gone: CancellationToken,
    answer: oneshot::Sender<Option<ExecutionResult>>,
) {
    let _admission = admission;
    let (id, language) = (job.id.clone(), job.language);
    let from_queue = job.queued_attempt.is_some();
    let cleanup = job.session.is_none().then(|| job.sandbox.name().to_owned());
    let inner = tokio::spawn({
        let state = state.clone();
        async move { execute(&state, &runner, job, client_gone).await }
    });
    let result = match inner.await {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(%error, "an execution panicked");
            let outcome =
                Outcome::failed(Status::InternalError, "the execution failed on the server");
            let result = ExecutionResult::new(id, language.info().name, outcome);
            record_finished(&state, &result, from_queue);
            Some(result)
        }
    };
    // Nobody may be waiting (a run started without `wait`).
    let _ = answer.send(result);
    if let Some(name) = cleanup {
        remove_sandbox(&state, name).await;
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
            store_result(&cluster, &result, None).await;
        });
    }
}

/// Stores a finished execution in the cluster's Redis (retrying a few
/// times while Redis is away); whether it was stored.
pub(super) async fn store_result(
    cluster: &crate::cluster::Cluster,
    result: &ExecutionResult,
    attempt: Option<u64>,
) -> bool {
    let record = serde_json::json!({
        "executionId": result.execution_id,
        "state": "finished",
        "result": result,
        "node": cluster.node(),
        "attempts": attempt,
    });
    cluster.finish_retrying(&result.execution_id, &record).await
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
    let preparing = std::time::Instant::now();
    let compare = check_tests(&request)?;
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
    crate::metrics::record_phase("sandbox", preparing.elapsed());
    let units = translation_units(language, &request.files, &script);
    Ok(Job {
        id: names.execution_id.unwrap_or_else(new_execution_id),
        language,
        sandbox,
        session,
        turn,
        script,
        args: request.args,
        flags: request.flags,
        units,
        packages: request.packages,
        tests: request.tests,
        compare,
        stdin: request.stdin.unwrap_or_default().into_bytes(),
        limits,
        queued_attempt: None,
        live: None,
    })
}

/// For C and C++, every source among the request's files (in name
/// order), which is compiled and linked with the code; none otherwise.
fn translation_units(
    language: Language,
    files: &std::collections::BTreeMap<String, String>,
    script: &str,
) -> Vec<String> {
    if language.dialect().is_none() {
        return Vec::new();
    }
    files
        .keys()
        .filter(|path| crate::compile::is_unit(path))
        .filter(|path| path.trim_start_matches('/') != script.trim_start_matches('/'))
        .cloned()
        .collect()
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

/// Runs a job once a slot is free and records its result. Stops early when
/// the client goes away or the server shuts down.
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
    let attempt = job.queued_attempt;
    let interrupted = job
        .turn
        .as_ref()
        .map_or_else(CancellationToken::new, |turn| turn.stop.clone());
    let (outcome, tests) = tokio::select! {
        ran = run_job(state, runner, job) => ran,
        () = interrupted.cancelled() => {
            (Outcome::failed(Status::Cancelled, "interrupted in its session"), None)
        }
        () = client_gone.cancelled() => {
            let message = "cancelled: the client went away before the result";
            (Outcome::failed(Status::Cancelled, message), None)
        }
        () = state.cancel.cancelled() => {
            if attempt.is_some() {
                return None;
            }
            (Outcome::failed(Status::Cancelled, "cancelled: the server shut down"), None)
        }
    };
    tracing::info!(
        language = language.info().name,
        status = outcome.status.as_str(),
        duration_ms = outcome.duration.as_millis() as u64,
        user_directory = sandbox.name(),
        "execution"
    );
    let mut result = ExecutionResult::new(id, language.info().name, outcome);
    if let Some(tests) = tests {
        result.set_tests(tests);
    }
    record_finished(state, &result, attempt.is_some());
    Some(result)
}

/// Runs the job (streaming to its session, if any), or its tests: the
/// outcome, and each test's result when it has tests.
async fn run_job(
    state: &AppState,
    runner: &Runner,
    mut job: Job,
) -> (Outcome, Option<Vec<TestResult>>) {
    // The runner waits for a slot shared with shell programs and `run`
    // events (MAX_CONCURRENT_EXECUTIONS) before it starts.
    state.executions.set_state(&job.id, ExecutionState::Running);
    let started = Instant::now();
    if let Err(failed) = install_packages(runner, &job).await {
        return (failed, None);
    }
    if !job.tests.is_empty() {
        let (outcome, tests) = judging::run_tests(runner, &job).await;
        return (outcome, Some(tests));
    }
    let args = std::mem::take(&mut job.args);
    if let Some(live) = job.live.take() {
        let run = job.run_file(
            Stdin::Stream(live.stdin),
            args,
            job.limits,
            Some(live.output),
        );
        return (runner.run_file(run).await, None);
    }
    let stdin = std::mem::take(&mut job.stdin);
    let run = |output| runner.run_file(job.run_file(Stdin::Bytes(stdin), args, job.limits, output));
    let outcome = match &job.session {
        Some(session) => {
            session.count_execution();
            let outcome = stream_outcome(session, |output| run(Some(output))).await;
            let exit = session.report_outcome(&outcome);
            session.report_exit(&exit, started.elapsed());
            outcome
        }
        None => run(None).await,
    };
    (outcome, None)
}

impl Job {
    /// The runner's request for this job's program, with `stdin`, `args`
    /// and `limits` (one run's or one test's).
    fn run_file(
        &self,
        stdin: Stdin,
        args: Vec<String>,
        limits: Limits,
        output: Option<tokio::sync::mpsc::UnboundedSender<crate::engine::OutputChunk>>,
    ) -> RunFile<'_> {
        RunFile {
            language: self.language,
            sandbox: &self.sandbox,
            source: Source::File(self.script.clone()),
            working_dir: "/".to_owned(),
            args,
            env: Vec::new(),
            flags: self.flags.clone(),
            units: self.units.clone(),
            stdin,
            limits,
            output,
            terminal: crate::engine::TerminalStreams::NONE,
        }
    }
}

/// Installs the job's packages into its sandbox (see
/// [`crate::packages`]); an install that fails is the run's outcome, with
/// pip's words on stderr.
async fn install_packages(runner: &Runner, job: &Job) -> Result<(), Outcome> {
    if job.packages.is_empty() {
        return Ok(());
    }
    let installing = Instant::now();
    match crate::packages::install(runner.packages(), job.language, &job.sandbox, &job.packages)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => {
            let message = error.to_string();
            let mut outcome = Outcome::failed(Status::InstallError, message.clone());
            outcome.stderr = format!("{message}\n").into_bytes();
            outcome.duration = installing.elapsed();
            Err(outcome)
        }
    }
}

/// Removes a run's sandbox off the async workers (a guest can leave a tree
/// of thousands of directories); failures are logged and retried later.
pub(super) async fn remove_sandbox(state: &AppState, name: String) {
    let sandboxes = state.sandboxes.clone();
    let removing = std::time::Instant::now();
    let removed = tokio::task::spawn_blocking(move || {
        let result = sandboxes.remove(&name);
        (name, result)
    })
    .await;
    crate::metrics::record_phase("cleanup", removing.elapsed());
    if let Ok((name, Err(error))) = removed {
        tracing::warn!(sandbox = name, %error, "cannot remove a sandbox; will retry");
    }
}
