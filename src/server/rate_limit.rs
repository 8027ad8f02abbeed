//! Rate limits on the API (`RATE_LIMIT_PER_MINUTE`), with governor's keyed
//! GCRA limiter: one allowance per API token, or per client address for
//! requests without the right token (so guessing tokens is limited too,
//! and made-up tokens get no allowance of their own).
//!
//! Every limited response carries `RateLimit-Limit`, `RateLimit-Remaining`
//! and `RateLimit-Reset` (seconds until the allowance is whole again); a
//! refusal is 429 `rate_limited` with `Retry-After`.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::{ApiError, AppState};

/// Whose allowance a request spends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Client {
    Token,
    Address(IpAddr),
}

type Limiter =
    RateLimiter<Client, DefaultKeyedStateStore<Client>, DefaultClock, StateInformationMiddleware>;

/// Forget idle clients every this many requests, so that the limiter's
/// memory follows the clients of the last minute, not all time.
const SWEEP_EVERY: u64 = 1024;

pub(super) struct RateLimit {
    limiter: Limiter,
    per_minute: u32,
    requests: AtomicU64,
}

impl RateLimit {
    /// The limit, or `None` when `per_minute` is 0 (no limit).
    pub(super) fn new(per_minute: u32) -> Option<Arc<Self>> {
        let allowance = NonZeroU32::new(per_minute)?;
        let limiter = RateLimiter::dashmap(Quota::per_minute(allowance))
            .with_middleware::<StateInformationMiddleware>();
        Some(Arc::new(Self {
            limiter,
            per_minute,
            requests: AtomicU64::new(0),
        }))
    }

    fn sweep_now_and_then(&self) {
        if self.requests.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }

    /// Seconds for `spent` requests to be given back.
    fn seconds_to_refill(&self, spent: u32) -> u64 {
        (u64::from(spent) * 60).div_ceil(u64::from(self.per_minute))
    }
}

/// The middleware: spends one request of the client's allowance.
pub(super) async fn limit(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(limit) = state.rate_limit.clone() else {
        return next.run(request).await;
    };
    limit.sweep_now_and_then();
    let client = client_of(&state, &request);
    match limit.limiter.check_key(&client) {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            let mut response = next.run(request).await;
            let reset = limit.seconds_to_refill(limit.per_minute - remaining);
            set_headers(response.headers_mut(), limit.per_minute, remaining, reset);
            response
        }
        Err(not_until) => {
            metrics::counter!("polyrun_rate_limited_total").increment(1);
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            super::read_unused_body(request).await;
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "more than {} requests a minute (RATE_LIMIT_PER_MINUTE); retry after {retry_after} s",
                    limit.per_minute
                ),
            )
            .into_response();
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            let reset = limit.seconds_to_refill(limit.per_minute);
            set_headers(headers, limit.per_minute, 0, reset);
            response
        }
    }
}

/// The holder of the API token, or else the client's address.
fn client_of(state: &AppState, request: &Request) -> Client {
    let holds_token = state.config.api_token.as_ref().is_some_and(|expected| {
        super::bearer_token(request.headers())
            .is_some_and(|given| super::constant_time_eq(given.as_bytes(), expected.as_bytes()))
    });
    if holds_token {
        return Client::Token;
    }
    Client::Address(address_of(request.extensions()))
}

/// The address a request came from (unspecified if the server does not
/// know it).
pub(super) fn address_of(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

fn set_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset: u64) {
    headers.insert("ratelimit-limit", HeaderValue::from(limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(reset));
}
