//! Who is asking: the client whose share of per-client caps a request
//! takes (the API token's holder, or an address: the same client the rate
//! limit counts), and the owner key that says which contexts are its own
//! (a digest of the bearer token it sent, if any).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::AppState;
use crate::budget::slots::Client;
use crate::contexts::Owner;

/// The caller of a request.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub client: Client,
    pub owner: Option<Owner>,
}

impl Caller {
    /// The caller of a request with these parts (also what an MCP tool
    /// call sees of its HTTP request).
    pub fn of(state: &AppState, parts: &Parts) -> Self {
        Self {
            client: super::rate_limit::client_from(state, &parts.headers, &parts.extensions),
            owner: super::bearer_token(&parts.headers).map(Owner::from_token),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of(state, parts))
    }
}
