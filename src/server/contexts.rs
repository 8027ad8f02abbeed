//! `/contexts`: stateful, notebook-style contexts over HTTP (see
//! [`crate::contexts`]): create one, run cells in it, look at it, restart
//! or delete it.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::body::json_body;
use super::caller::Caller;
use super::execution::{RequestLimits, check_packages, limits, too_large};
use super::executions::ExecutionResult;
use super::{ApiError, AppState};
use crate::contexts::{Context, ContextError, ContextView, Creator};
use crate::engine::Limits;
use crate::language::{Language, Runner};

/// A new context.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"language": "python"}))]
pub(super) struct CreateBody {
    /// `python` or `javascript` (or an alias).
    language: String,
    /// Tighter limits for each of its runs (memory is the interpreter's).
    #[serde(default)]
    limits: Option<RequestLimits>,
    /// Packages to install into its sandbox before its first cell, as
    /// `pip install` (Python) or `npm install` (JavaScript) takes them.
    #[serde(default)]
    packages: Vec<String>,
}

/// A created context.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Created {
    success: bool,
    context_id: String,
    user_directory: String,
    language: &'static str,
}

/// One cell to run in a context.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"code": "x = 21\nx * 2"}))]
pub(super) struct CellBody {
    /// Code, at most `MAX_CODE_SIZE` bytes; the value of its last
    /// expression comes back as `value`.
    code: String,
    /// This run's standard input.
    #[serde(default)]
    stdin: Option<String>,
}

/// A run's result, as `POST /run?wait=true` gives it, with the value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CellResult {
    #[serde(flatten)]
    result: ExecutionResult,
    context_id: String,
    /// The text of the last expression, as a notebook shows it (`repr` in
    /// Python, `util.inspect` in JavaScript); null when there is none.
    value: Option<String>,
    /// This run ended the interpreter (a trap, the memory or time limit):
    /// the context's files stay; restart it or delete it.
    context_ended: bool,
}

/// The contexts there are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContextList {
    contexts: Vec<ContextView>,
}

impl From<ContextError> for ApiError {
    fn from(error: ContextError) -> Self {
        let (status, code) = match &error {
            ContextError::NotFound(_) => (StatusCode::NOT_FOUND, "unknown_context"),
            ContextError::TooMany(_) | ContextError::TooManyForClient(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_contexts")
            }
            ContextError::Unsupported(_) => (StatusCode::BAD_REQUEST, "unsupported_language"),
            ContextError::Busy => (StatusCode::CONFLICT, "context_busy"),
            ContextError::Ended(_) => (StatusCode::CONFLICT, "context_ended"),
            ContextError::Sandbox(_) => (StatusCode::INSUFFICIENT_STORAGE, "disk_full"),
            ContextError::Start(_) => (StatusCode::SERVICE_UNAVAILABLE, "context_not_started"),
        };
        ApiError::new(status, code, error.to_string())
    }
}

fn context_language(name: &str) -> Result<Language, ApiError> {
    Language::from_name(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown language '{name}'; contexts take python or javascript"
        ))
    })
}

/// Creates a context: a sandbox and a live interpreter of its own.
#[utoipa::path(post, path = "/contexts", tag = "contexts",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 400, description = "Bad request, a language without contexts, a memory limit below what the interpreter starts with, or packages while installs are off (packages_off)", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 413, description = "Body too large", body = super::error::ErrorBody),
        (status = 415, description = "Not JSON", body = super::error::ErrorBody),
        (status = 422, description = "The packages could not be installed (install_error; the message says why, as pip would)", body = super::error::ErrorBody),
        (status = 429, description = "MAX_CONTEXTS or MAX_CONTEXTS_PER_CLIENT reached, or rate limited", body = super::error::ErrorBody),
        (status = 503, description = "Runtimes not ready, or the interpreter did not start", body = super::error::ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let runner = state.runner()?;
    let request: CreateBody = json_body(&state.config, &headers, body)?;
    let language = context_language(&request.language)?;
    let limits = limits(&state.config, request.limits.as_ref())?;
    check_packages(&state.config, language, &request.packages)?;
    let context = create_context(&state, runner.clone(), language, limits, caller).await?;
    if let Err(error) = install_into_context(&state, &runner, &context, &request.packages).await {
        let _ = state.contexts.delete(context.id());
        return Err(error);
    }
    let created = Created {
        success: true,
        context_id: context.id().to_owned(),
        user_directory: context.sandbox().name().to_owned(),
        language: language.info().name,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// Runs a cell in a context: its variables, imports and files are there
/// from earlier runs.
#[utoipa::path(post, path = "/contexts/{id}/run", tag = "contexts",
    params(("id" = String, Path, description = "The context's id: a secret, as execution ids are; whoever holds it may use the context")),
    request_body = CellBody,
    responses(
        (status = 200, description = "The run's result and its value", body = CellResult),
        (status = 400, description = "Bad request", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 404, description = "No such context", body = super::error::ErrorBody),
        (status = 409, description = "The context is busy, or its interpreter ended", body = super::error::ErrorBody),
        (status = 413, description = "Code too large", body = super::error::ErrorBody),
        (status = 415, description = "Not JSON", body = super::error::ErrorBody),
        (status = 429, description = "Rate limited", body = super::error::ErrorBody),
        (status = 503, description = "Runtimes not ready", body = super::error::ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn run(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CellResult>, ApiError> {
    let context = state.contexts.get(&id)?;
    let request: CellBody = json_body(&state.config, &headers, body)?;
    Ok(Json(
        run_cell(&state, context, request.code, request.stdin).await?,
    ))
}

/// Creates a context in a task of its own (for the route and the MCP
/// tool): a client that goes away mid-way cannot leave a half-made one
/// behind, holding a place under `MAX_CONTEXTS` and a sandbox.
pub(super) async fn create_context(
    state: &Arc<AppState>,
    runner: Arc<Runner>,
    language: Language,
    limits: Limits,
    caller: Caller,
) -> Result<Arc<Context>, ApiError> {
    if let Some(needs) = runner.context_start_bytes(language)
        && limits.memory_bytes < needs
    {
        return Err(ApiError::bad_request(format!(
            "limits.memoryMb: a {language} context starts with {} MiB of memory; give at least that",
            needs.div_ceil(1 << 20)
        )));
    }
    let state = state.clone();
    let creator = Creator {
        client: caller.client,
        owner: caller.owner,
    };
    let task = tokio::spawn(async move {
        state
            .contexts
            .create(&runner, language, limits, creator)
            .await
    });
    Ok(task
        .await
        .map_err(|e| ApiError::internal(format!("the creation's task failed: {e}")))??)
}

/// Installs Python packages into a context's sandbox: its next cell
/// imports them. Returns pip's report lines.
pub(super) async fn install_into_context(
    state: &AppState,
    runner: &Runner,
    context: &Context,
    packages: &[String],
) -> Result<Vec<String>, ApiError> {
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    check_packages(&state.config, context.language(), packages)?;
    crate::packages::install(
        runner.packages(),
        context.language(),
        context.sandbox(),
        packages,
    )
    .await
    .map(|report| report.lines())
    .map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "install_error",
            error.to_string(),
        )
    })
}

/// Runs a cell in `context` (for the route and the MCP tool).
pub(super) async fn run_cell(
    state: &Arc<AppState>,
    context: Arc<Context>,
    code: String,
    stdin: Option<String>,
) -> Result<CellResult, ApiError> {
    let runner = state.runner()?;
    if code.len() > state.config.max_code_size {
        return Err(too_large(&state.config));
    }
    let stdin = stdin.unwrap_or_default().into_bytes();
    // The run finishes even if the client goes away: a turn stopped
    // half-way would leave the interpreter torn.
    let task = {
        let state = state.clone();
        let context = context.clone();
        tokio::spawn(async move { state.contexts.run(&runner, &context, &code, stdin).await })
    };
    let ran = task
        .await
        .map_err(|e| ApiError::internal(format!("the run's task failed: {e}")))??;
    let id = context.id().to_owned();
    let execution_id = format!("{id}-{}", super::execution::new_execution_id());
    Ok(CellResult {
        result: ExecutionResult::new(execution_id, context.language().info().name, ran.outcome),
        context_id: id,
        value: ran.value,
        context_ended: ran.ended,
    })
}

/// A context's state.
#[utoipa::path(get, path = "/contexts/{id}", tag = "contexts",
    params(("id" = String, Path, description = "The context's id: a secret, as execution ids are; whoever holds it may use the context")),
    responses(
        (status = 200, description = "The context", body = ContextView),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 404, description = "No such context", body = super::error::ErrorBody),
        (status = 429, description = "Rate limited", body = super::error::ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ContextView>, ApiError> {
    let context = state.contexts.get(&id)?;
    Ok(Json(state.contexts.view(&context)))
}

/// The caller's own contexts: those created with the same bearer token
/// (with `API_TOKEN` set, that token; without it, any token the client
/// sends is its own key). A caller without a token is shown none: context
/// ids are secrets, and are never listed to anyone but their creator.
#[utoipa::path(get, path = "/contexts", tag = "contexts",
    responses(
        (status = 200, description = "The contexts created with the caller's bearer token", body = ContextList),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 429, description = "Rate limited", body = super::error::ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn list(State(state): State<Arc<AppState>>, caller: Caller) -> Json<ContextList> {
    Json(ContextList {
        contexts: state.contexts.list(caller.owner.as_ref()),
    })
}

/// Deletes a context, its interpreter and its files.
#[utoipa::path(delete, path = "/contexts/{id}", tag = "contexts",
    params(("id" = String, Path, description = "The context's id: a secret, as execution ids are; whoever holds it may use the context")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 404, description = "No such context", body = super::error::ErrorBody),
        (status = 429, description = "Rate limited", body = super::error::ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.contexts.delete(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a new interpreter in a context, keeping its files: after its
/// interpreter ended, or to forget its variables.
#[utoipa::path(post, path = "/contexts/{id}/restart", tag = "contexts",
    params(("id" = String, Path, description = "The context's id: a secret, as execution ids are; whoever holds it may use the context")),
    responses(
        (status = 200, description = "Restarted", body = ContextView),
        (status = 401, description = "Missing or wrong bearer token", body = super::error::ErrorBody),
        (status = 404, description = "No such context", body = super::error::ErrorBody),
        (status = 409, description = "The context is busy", body = super::error::ErrorBody),
        (status = 429, description = "Rate limited", body = super::error::ErrorBody),
        (status = 503, description = "Runtimes not ready, or the interpreter did not start", body = super::error::ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn restart(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ContextView>, ApiError> {
    let runner = state.runner()?;
    let context = state.contexts.get(&id)?;
    state.contexts.restart(&runner, &context).await?;
    Ok(Json(state.contexts.view(&context)))
}
