//! `POST /run/{language}`: the HTTP surface of the execution service
//! ([`super::execution`]): parse the request, route it (here, or through
//! the cluster's queue), and answer either at once (the original 202
//! response) or with the full result (`wait`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::body::json_body;
use super::execution::{RunAccepted, RunBody, start};
use super::{ApiError, AppState};
use crate::language::Language;

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
