//! Who is asking: the client whose share of per-client caps a request
//! takes (its address; see [`crate::budget::slots`]), and the owner key
//! that says which contexts are its own (a digest of the bearer token it
//! sent, if any).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::AppState;
use crate::budget::slots::client_key;
use crate::contexts::Owner;

/// The caller of a request.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub client: IpAddr,
    pub owner: Option<Owner>,
}

impl Caller {
    /// The caller of a request with these parts (also what an MCP tool
    /// call sees of its HTTP request).
    pub fn of(parts: &Parts) -> Self {
        Self {
            client: client_key(super::rate_limit::address_of(&parts.extensions)),
            owner: super::bearer_token(&parts.headers).map(Owner::from_token),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}
