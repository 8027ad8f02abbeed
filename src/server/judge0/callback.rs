//! Judge0's `callback_url`: when a submission's run ends, the submission
//! is sent there with a `PUT`, as Judge0 sends it. Only to hosts the
//! operator allows (`JUDGE0_CALLBACK_HOSTS`; none by default, which turns
//! callbacks off), over plain HTTP like the package fetches, and bounded:
//! at most [`IN_FLIGHT`] callbacks are pending at once (a submission that
//! would exceed them is refused), each try has [`TIMEOUT`], and a callback
//! is tried [`TRIES`] times.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Judge0Error;

/// Callbacks pending at once, across all submissions.
const IN_FLIGHT: usize = 256;
/// One try's time, connection included.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Tries per callback (Judge0's default), a second apart.
pub(super) const TRIES: u32 = 3;
/// The longest URL accepted.
const MAX_URL_BYTES: usize = 2048;

/// The callbacks of this server: where they may go, the HTTP client, and
/// the places for pending ones.
pub(in crate::server) struct Callbacks {
    allowed_hosts: Vec<String>,
    client: reqwest::Client,
    in_flight: Arc<Semaphore>,
}

impl Callbacks {
    pub(in crate::server) fn new(allowed_hosts: Vec<String>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            allowed_hosts,
            client,
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }

    /// Checks a `callback_url` and takes its place among the pending
    /// callbacks: an allowed host, over `http://`.
    pub(super) fn reserve(&self, url: &str) -> Result<Pending, Judge0Error> {
        let refuse = |message: &str| Judge0Error::unprocessable("callback_url", message);
        if self.allowed_hosts.is_empty() {
            return Err(refuse(
                "callbacks are off on this server (its operator allows hosts with JUDGE0_CALLBACK_HOSTS)",
            ));
        }
        if url.len() > MAX_URL_BYTES {
            return Err(refuse(&format!("is longer than {MAX_URL_BYTES} bytes")));
        }
        let parsed = Url::parse(url).map_err(|_| refuse("is not a URL"))?;
        if parsed.scheme() != "http" {
            return Err(refuse(
                "must be an http:// URL (this server sends callbacks without TLS)",
            ));
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let with_port = format!("{host}:{}", parsed.port_or_known_default().unwrap_or(80));
        if !self
            .allowed_hosts
            .iter()
            .any(|allowed| *allowed == host || *allowed == with_port)
        {
            return Err(refuse(
                "names a host this server does not send callbacks to",
            ));
        }
        let place = self.in_flight.clone().try_acquire_owned().map_err(|_| {
            refuse("cannot be taken now: too many callbacks are pending; retry later")
        })?;
        Ok(Pending {
            url: parsed,
            client: self.client.clone(),
            _place: place,
        })
    }
}

/// A callback with its place taken, to be sent once the run ends.
pub(super) struct Pending {
    url: Url,
    client: reqwest::Client,
    _place: OwnedSemaphorePermit,
}

impl Pending {
    /// Sends `submission` (tried up to [`TRIES`] times); whether it was
    /// taken (a 2xx answer).
    pub(super) async fn send(self, submission: &Value) -> bool {
        let body = submission.to_string();
        for attempt in 1..=TRIES {
            let answer = self
                .client
                .put(self.url.clone())
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            match answer {
                Ok(answer) if answer.status().is_success() => return true,
                Ok(answer) => {
                    tracing::warn!(url = %self.url, status = %answer.status(), attempt, "a Judge0 callback was refused")
                }
                Err(error) => {
                    tracing::warn!(url = %self.url, %error, attempt, "a Judge0 callback failed")
                }
            }
            if attempt < TRIES {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        false
    }
}
