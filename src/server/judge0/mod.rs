//! Judge0's API (CE 1.13), under `/judge0`, so that Judge0's clients can
//! switch by changing a URL: submissions (one, a batch, by token, with
//! `base64_encoded`, `wait` and `fields`), languages, statuses and the
//! server's description. Runs go through the same execution service as
//! `POST /run`; errors are Judge0's (422 with `{"field": ["message"]}`,
//! others `{"error": "..."}`).
//!
//! - `languages`: Judge0's language ids mapped to ours.
//! - `statuses`: Judge0's statuses, and the one a run ended with.
//! - `submission`: a submission's request and how it is shown.
//! - `store`: the submissions tokens name, bounded.
//! - `callback`: `callback_url`, to the hosts the operator allows.

mod callback;
mod languages;
mod statuses;
mod store;
mod submission;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use callback::{Callbacks, Pending};
use store::Submissions;
use submission::Fields;

use super::execution::{StartedRun, start};
use super::executions::{ExecutionView, State as ExecutionState};
use super::{ApiError, AppState};

/// The Judge0 version we answer as: its clients choose their language
/// ids by it.
const JUDGE0_VERSION: &str = "1.13.1";

/// Submissions one batch may hold (Judge0's default).
const MAX_BATCH: usize = 20;

/// What the Judge0 API keeps: the submissions by token, and the
/// callbacks pending.
pub(super) struct Judge0 {
    submissions: Submissions,
    callbacks: Callbacks,
}

impl Judge0 {
    pub(super) fn new(config: &crate::config::Config) -> Self {
        Self {
            submissions: Submissions::default(),
            callbacks: Callbacks::new(config.judge0_callback_hosts.clone()),
        }
    }
}

/// An error as Judge0 answers it.
#[derive(Debug)]
pub(super) struct Judge0Error {
    status: StatusCode,
    body: Value,
}

impl Judge0Error {
    /// 422, naming the field at fault.
    fn unprocessable(field: &str, message: &str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ field: [message] }),
        }
    }

    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
        }
    }

    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }
}

impl From<ApiError> for Judge0Error {
    fn from(error: ApiError) -> Self {
        Self::new(error.status, error.message)
    }
}

impl IntoResponse for Judge0Error {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// `?name=true|false` (absent: false).
fn flag(query: &HashMap<String, String>, name: &str) -> Result<bool, Judge0Error> {
    match query.get(name).map(String::as_str) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(Judge0Error::unprocessable(name, "must be true or false")),
    }
}

fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, Judge0Error> {
    let body =
        body.map_err(|rejection| Judge0Error::new(rejection.status(), rejection.body_text()))?;
    serde_json::from_slice(&body).map_err(|e| {
        Judge0Error::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON: {e}"),
        )
    })
}

/// Checks and starts one submission, and remembers it under a new token;
/// with its callback's place taken when it has a `callback_url`.
fn submit(
    state: &Arc<AppState>,
    request: &Value,
    base64: bool,
) -> Result<(Arc<store::Submission>, StartedRun, Option<Pending>), Judge0Error> {
    let parsed = submission::parse(&state.config, request, base64)?;
    let pending = match &parsed.callback_url {
        Some(url) => Some(state.judge0.callbacks.reserve(url)?),
        None => None,
    };
    let runner = state.runner()?;
    let started = start(state, runner, parsed.language.language, parsed.body, None)?;
    let remembered = state.judge0.submissions.insert(store::Submission {
        token: store::new_token(),
        execution_id: started.accepted.execution_id.clone(),
        language: parsed.language,
        source_code: parsed.source_code,
        stdin: parsed.stdin,
        expected_output: parsed.expected_output,
        redirect_stderr_to_stdout: parsed.redirect_stderr_to_stdout,
        created_at: SystemTime::now(),
        options: parsed.options,
    });
    Ok((remembered, started, pending))
}

/// Sends a submission to its callback once its run has ended, in the
/// background.
fn call_back_when_done(
    state: &Arc<AppState>,
    submission: Arc<store::Submission>,
    started: StartedRun,
    pending: Pending,
    base64: bool,
) {
    let task_state = state.clone();
    state.tasks.spawn(async move {
        // A run stopped by a shutdown has no result to send.
        if started.finished().await.is_ok() {
            let shown = show(&task_state, &submission, &Fields::parse(None), base64);
            pending.send(&shown).await;
        }
    });
}

/// A token's answer, with its callback sent when the run ends.
fn token_answer(
    state: &Arc<AppState>,
    (submission, started, pending): (Arc<store::Submission>, StartedRun, Option<Pending>),
    base64: bool,
) -> Value {
    let token = json!({ "token": submission.token });
    if let Some(pending) = pending {
        call_back_when_done(state, submission, started, pending, base64);
    }
    token
}

/// A remembered submission as Judge0 shows it now.
fn show(state: &AppState, submission: &store::Submission, fields: &Fields, base64: bool) -> Value {
    let run = state.executions.get(&submission.execution_id);
    submission::render(submission, run.as_ref(), fields, base64)
}

/// Creates a submission: answers its token, or with `wait=true` the
/// finished submission.
#[utoipa::path(
    post,
    path = "/judge0/submissions",
    tag = "judge0",
    params(
        ("base64_encoded" = Option<bool>, Query, description = "text fields are base64, in and out"),
        ("wait" = Option<bool>, Query, description = "answer when the run is over"),
        ("fields" = Option<String>, Query, description = "the fields to answer with, comma-separated, or *"),
    ),
    request_body(content = Object, description = "Judge0's submission: source_code, language_id, stdin, expected_output, cpu_time_limit, wall_time_limit, memory_limit, max_file_size, compiler_options, command_line_arguments, redirect_stderr_to_stdout, number_of_runs, …"),
    responses(
        (status = 201, description = "{\"token\"}, or the submission with wait", body = Object),
        (status = 400, description = "The body is not JSON", body = Object),
        (status = 413, description = "The body is too large", body = Object),
        (status = 422, description = "{\"field\": [\"what is wrong\"]}", body = Object),
        (status = 429, description = "The queue is full", body = Object),
        (status = 503, description = "Runtimes not ready", body = Object),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), Judge0Error> {
    let base64 = flag(&query, "base64_encoded")?;
    let wait = flag(&query, "wait")?;
    let request = json_body(body)?;
    let submitted = submit(&state, &request, base64)?;
    if !wait {
        let token = token_answer(&state, submitted, base64);
        return Ok((StatusCode::CREATED, Json(token)));
    }
    let (submission, started, pending) = submitted;
    let result = started.finished().await?;
    let view = ExecutionView {
        execution_id: result.execution_id.clone(),
        state: ExecutionState::Finished,
        result: Some(result),
    };
    let fields = Fields::parse(query.get("fields").map(String::as_str));
    let shown = submission::render(&submission, Some(&view), &fields, base64);
    if let Some(pending) = pending {
        let all = Fields::parse(None);
        let body = submission::render(&submission, Some(&view), &all, base64);
        state.tasks.spawn(async move { pending.send(&body).await });
    }
    Ok((StatusCode::CREATED, Json(shown)))
}

/// A submission by its token.
#[utoipa::path(
    get,
    path = "/judge0/submissions/{token}",
    tag = "judge0",
    params(
        ("token" = String, Path, description = "from POST /judge0/submissions"),
        ("base64_encoded" = Option<bool>, Query, description = "text fields as base64"),
        ("fields" = Option<String>, Query, description = "the fields to answer with, comma-separated, or *"),
    ),
    responses(
        (status = 200, description = "The submission", body = Object),
        (status = 404, description = "No such token (or forgotten)", body = Object),
        (status = 422, description = "A query parameter is wrong", body = Object),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn show_one(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Judge0Error> {
    let base64 = flag(&query, "base64_encoded")?;
    let fields = Fields::parse(query.get("fields").map(String::as_str));
    let submission = state
        .judge0
        .submissions
        .get(&token)
        .ok_or_else(Judge0Error::not_found)?;
    Ok(Json(show(&state, &submission, &fields, base64)))
}

/// Creates up to 20 submissions: each answers its token or its errors.
#[utoipa::path(
    post,
    path = "/judge0/submissions/batch",
    tag = "judge0",
    params(("base64_encoded" = Option<bool>, Query, description = "text fields are base64")),
    request_body(content = Object, description = "{\"submissions\": [submission, …]} (at most 20)"),
    responses(
        (status = 201, description = "[{\"token\"} or {\"field\": [\"error\"]}, …]", body = Object),
        (status = 400, description = "The body is not JSON", body = Object),
        (status = 413, description = "The body is too large", body = Object),
        (status = 422, description = "Not 1 to 20 submissions, or a query parameter is wrong", body = Object),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn create_batch(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), Judge0Error> {
    let base64 = flag(&query, "base64_encoded")?;
    let request = json_body(body)?;
    let Some(submissions) = request.get("submissions").and_then(Value::as_array) else {
        return Err(Judge0Error::unprocessable(
            "submissions",
            "must be an array",
        ));
    };
    if submissions.is_empty() || submissions.len() > MAX_BATCH {
        let message = format!("must hold 1 to {MAX_BATCH} submissions");
        return Err(Judge0Error::unprocessable("submissions", &message));
    }
    let answers: Vec<Value> = submissions
        .iter()
        .map(|request| match submit(&state, request, base64) {
            Ok(submitted) => token_answer(&state, submitted, base64),
            Err(error) => error.body,
        })
        .collect();
    Ok((StatusCode::CREATED, Json(Value::Array(answers))))
}

/// Up to 20 submissions by their tokens (`null` for unknown ones).
#[utoipa::path(
    get,
    path = "/judge0/submissions/batch",
    tag = "judge0",
    params(
        ("tokens" = String, Query, description = "comma-separated tokens (at most 20)"),
        ("base64_encoded" = Option<bool>, Query, description = "text fields as base64"),
        ("fields" = Option<String>, Query, description = "the fields to answer with, comma-separated, or *"),
    ),
    responses(
        (status = 200, description = "{\"submissions\": [...]}", body = Object),
        (status = 422, description = "Not 1 to 20 tokens, or a query parameter is wrong", body = Object),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn show_batch(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Judge0Error> {
    let base64 = flag(&query, "base64_encoded")?;
    let fields = Fields::parse(query.get("fields").map(String::as_str));
    let tokens: Vec<&str> = query
        .get("tokens")
        .map(|tokens| tokens.split(',').filter(|t| !t.is_empty()).collect())
        .unwrap_or_default();
    if tokens.is_empty() || tokens.len() > MAX_BATCH {
        let message = format!("must name 1 to {MAX_BATCH} tokens");
        return Err(Judge0Error::unprocessable("tokens", &message));
    }
    let shown: Vec<Value> = tokens
        .into_iter()
        .map(|token| match state.judge0.submissions.get(token) {
            Some(submission) => show(&state, &submission, &fields, base64),
            None => Value::Null,
        })
        .collect();
    Ok(Json(json!({ "submissions": shown })))
}

/// The languages, by Judge0's ids.
#[utoipa::path(get, path = "/judge0/languages", tag = "judge0",
    responses((status = 200, description = "[{id, name}]", body = [languages::LanguageSummary])),
    security((), ("bearer" = [])))]
pub(super) async fn list_languages() -> Json<Vec<languages::LanguageSummary>> {
    Json(languages::LANGUAGES.iter().map(|l| l.summary()).collect())
}

/// One language, in full.
#[utoipa::path(get, path = "/judge0/languages/{id}", tag = "judge0",
    params(("id" = u32, Path, description = "Judge0's language id")),
    responses(
        (status = 200, description = "The language", body = languages::LanguageDetail),
        (status = 404, description = "Not a language we run", body = Object),
    ),
    security((), ("bearer" = [])))]
pub(super) async fn show_language(
    Path(id): Path<String>,
) -> Result<Json<languages::LanguageDetail>, Judge0Error> {
    let language = id
        .parse()
        .ok()
        .and_then(languages::find)
        .ok_or_else(Judge0Error::not_found)?;
    Ok(Json(language.detail()))
}

/// Judge0's statuses.
#[utoipa::path(get, path = "/judge0/statuses", tag = "judge0",
    responses((status = 200, description = "[{id, description}]", body = [statuses::Judge0Status])),
    security((), ("bearer" = [])))]
pub(super) async fn list_statuses() -> Json<Vec<statuses::Judge0Status>> {
    Json(statuses::ALL.to_vec())
}

/// Which Judge0 this answers as.
#[utoipa::path(get, path = "/judge0/about", tag = "judge0",
    responses((status = 200, description = "{version, …}", body = Object)),
    security((), ("bearer" = [])))]
pub(super) async fn about() -> Json<Value> {
    Json(json!({
        "version": JUDGE0_VERSION,
        "homepage": null,
        "source_code": null,
        "maintainer": format!("polyrun {} (Judge0-compatible API)", env!("CARGO_PKG_VERSION")),
    }))
}

/// The limits and features, in Judge0's terms.
#[utoipa::path(get, path = "/judge0/config_info", tag = "judge0",
    responses((status = 200, description = "Judge0's configuration fields", body = Object)),
    security((), ("bearer" = [])))]
pub(super) async fn config_info(State(state): State<Arc<AppState>>) -> Json<Value> {
    let config = &state.config;
    let seconds = config.execution_timeout.as_secs_f64();
    let memory_kb = config.memory_limit_mb * 1024;
    let output_kb = (config.max_output_bytes / 1024) as u64;
    Json(json!({
        "maintenance_mode": false,
        "enable_wait_result": true,
        "enable_compiler_options": true,
        "allowed_languages_for_compile_options": ["C", "C++"],
        "enable_command_line_arguments": true,
        "enable_submission_delete": false,
        "enable_callbacks": !config.judge0_callback_hosts.is_empty(),
        "callbacks_max_tries": callback::TRIES,
        "callbacks_timeout": 5.0,
        "enable_additional_files": true,
        "max_queue_size": config.max_queued_executions,
        "cpu_time_limit": seconds,
        "max_cpu_time_limit": seconds,
        "cpu_extra_time": 0.0,
        "max_cpu_extra_time": 0.0,
        "wall_time_limit": seconds,
        "max_wall_time_limit": seconds,
        "memory_limit": memory_kb,
        "max_memory_limit": memory_kb,
        "stack_limit": 8192,
        "max_stack_limit": 8192,
        "max_processes_and_or_threads": 1,
        "max_max_processes_and_or_threads": 1,
        "enable_per_process_and_thread_time_limit": false,
        "allow_enable_per_process_and_thread_time_limit": false,
        "enable_per_process_and_thread_memory_limit": false,
        "allow_enable_per_process_and_thread_memory_limit": false,
        "max_file_size": output_kb,
        "max_max_file_size": output_kb,
        "number_of_runs": 1,
        "max_number_of_runs": submission::MAX_NUMBER_OF_RUNS,
        "redirect_stderr_to_stdout": false,
        "max_extract_size": super::execution::body_limit(config) / 1024,
        "enable_batched_submissions": true,
        "max_submission_batch_size": MAX_BATCH,
        "submission_cache_duration": 0.0,
        "use_docs_as_homepage": false,
        "allow_enable_network": false,
        "enable_network": false,
    }))
}

/// The machine, briefly (Judge0 answers `lscpu`'s fields).
#[utoipa::path(get, path = "/judge0/system_info", tag = "judge0",
    responses((status = 200, description = "Architecture and CPUs", body = Object)),
    security((), ("bearer" = [])))]
pub(super) async fn system_info() -> Json<Value> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    Json(json!({
        "Architecture": std::env::consts::ARCH,
        "CPU(s)": cpus.to_string(),
        "OS": std::env::consts::OS,
    }))
}
