//! Piston's API (v2), so that Piston's clients can switch by changing a
//! URL: `GET /api/v2/runtimes`, `POST /api/v2/execute` and the
//! `/api/v2/connect` WebSocket, on top of the
//! same execution service as `POST /run` (same admission, limits and
//! sandboxes). Errors are Piston's: 400 with `{"message"}`.
//!
//! - `runtimes`: our languages under Piston's names and semver versions.
//! - `execute`: Piston's request and answer.
//! - `connect`: Piston's interactive WebSocket.

pub(super) mod connect;
pub(super) mod execute;
pub(super) mod runtimes;

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::execution::{Names, start_named};
use super::{ApiError, AppState};

/// An error as Piston answers it: a status and `{"message": ...}`.
#[derive(Debug)]
pub(super) struct PistonError {
    status: StatusCode,
    pub(super) message: String,
}

impl PistonError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<ApiError> for PistonError {
    fn from(error: ApiError) -> Self {
        Self {
            status: error.status,
            message: error.message,
        }
    }
}

impl IntoResponse for PistonError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "message": self.message }))).into_response()
    }
}

/// The runtimes, as Piston lists them.
#[utoipa::path(
    get,
    path = "/api/v2/runtimes",
    tag = "piston",
    responses((status = 200, description = "Every runtime", body = [runtimes::PistonRuntime])),
    security((), ("bearer" = [])),
)]
pub(super) async fn list_runtimes() -> Json<Vec<runtimes::PistonRuntime>> {
    Json(runtimes::all())
}

/// Runs files as Piston does: the first file is the program, the rest
/// are written beside it; answers when the run is over.
#[utoipa::path(
    post,
    path = "/api/v2/execute",
    tag = "piston",
    request_body(content = Object, description = "Piston's request: language, version, files [{name?, content, encoding?}], stdin?, args?, compile_timeout?, run_timeout?, compile_memory_limit?, run_memory_limit?"),
    responses(
        (status = 200, description = "The compile and run stages", body = execute::PistonResult),
        (status = 400, description = "Piston's error: {\"message\"}", body = Object),
        (status = 413, description = "The body is too large", body = Object),
        (status = 429, description = "The queue is full", body = Object),
        (status = 503, description = "Runtimes not ready", body = Object),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn run(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<execute::PistonResult>, PistonError> {
    let body = body.map_err(|rejection| PistonError {
        status: rejection.status(),
        message: rejection.body_text(),
    })?;
    let request: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| PistonError::bad_request(format!("the body is not JSON: {e}")))?;
    let runner = state.runner()?;
    let (job, body) = execute::parse(&state.config, &request)?;
    let names = Names {
        filename: job.program_name.clone(),
        ..Names::default()
    };
    let started = start_named(&state, runner, job.language, body, None, names)?;
    let result = started.finished().await?;
    Ok(Json(execute::answer(&job, result)))
}
