//! The API's error responses: `{"success": false, "error": {"code", "message"}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::sandbox::SandboxError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_seconds: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    /// A sandbox error: a full server disk is 507 `disk_full`, a full
    /// sandbox quota 413 `disk_quota_exceeded`; anything else becomes
    /// `other(message)`.
    pub fn from_sandbox(error: SandboxError, other: impl FnOnce(String) -> Self) -> Self {
        match error {
            SandboxError::DiskFull { .. } => Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "disk_full",
                error.to_string(),
            ),
            SandboxError::Quota { .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "disk_quota_exceeded",
                error.to_string(),
            ),
            error => other(error.to_string()),
        }
    }
}

/// The body of every error response, for the API's description.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct ErrorBody {
    /// Always false.
    success: bool,
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct ErrorDetail {
    /// A stable, machine-readable code, e.g. `unknown_language`,
    /// `rate_limited`, `runtimes_not_ready`.
    code: String,
    /// What went wrong, for people.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "success": false,
            "error": { "code": self.code, "message": self.message },
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
