//! MCP sessions within their budget.
//!
//! Each `initialize` opens a session that holds memory (the SDK's worker,
//! its channels, the client's `clientInfo`) until it is closed or idle for
//! `MCP_SESSION_IDLE`. Without caps, 20,000 sessions took a gigabyte in
//! seconds, and 300 with a 2 MB client name 620 MiB. So:
//!
//! - sessions are counted in all (`MAX_MCP_SESSIONS`) and per client
//!   address (`MAX_MCP_SESSIONS_PER_CLIENT`); at a client's share, its
//!   least recently used session is closed to make room; at the total,
//!   the session idle longest, if idle for 30 s (else 503
//!   `too_many_mcp_sessions`);
//! - an `initialize` body may be [`MAX_INITIALIZE_BYTES`], and its
//!   `clientInfo` [`MAX_CLIENT_INFO_BYTES`];
//! - idle sessions close after `MCP_SESSION_IDLE` (minutes, not hours).
//!
//! [`Sessions`] wraps the SDK's in-memory session manager with that
//! bookkeeping; [`admit`], a middleware in front of the service, checks an
//! `initialize` and makes room before the SDK creates its session.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures_util::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    ServerSseMessage, SessionId, SessionManager,
};
use serde_json::Value;

use crate::budget::Refusal;
use crate::budget::slots::{Full, Slots, client_key};
use crate::server::ApiError;

/// The largest `initialize` request body.
pub const MAX_INITIALIZE_BYTES: usize = 64 * 1024;

/// The largest `clientInfo` in an `initialize`, as JSON.
pub const MAX_CLIENT_INFO_BYTES: usize = 4 * 1024;

/// At the total, only a session idle this long may be closed for another.
const IDLE_BEFORE_EVICTION: Duration = Duration::from_secs(30);

/// The header that names an MCP session.
const SESSION_HEADER: &str = "mcp-session-id";

tokio::task_local! {
    /// The slot taken for the `initialize` being served, set by [`admit`]
    /// for [`Sessions::create_session`], which the SDK calls without the
    /// request.
    static INITIALIZING: Arc<Ticket>;
}

/// A session slot taken for one `initialize`: given back unless a session
/// was made with it.
struct Ticket {
    sessions: Arc<Sessions>,
    client: IpAddr,
    used: std::sync::atomic::AtomicBool,
}

impl Ticket {
    /// Marks the slot used; false if it was already.
    fn use_once(&self) -> bool {
        !self.used.swap(true, std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !*self.used.get_mut() {
            self.sessions.slots.give_back(&self.client);
        }
    }
}

/// The SDK's session manager, within the budget.
pub struct Sessions {
    inner: LocalSessionManager,
    slots: Slots<IpAddr>,
    open: Mutex<HashMap<SessionId, OpenSession>>,
}

struct OpenSession {
    client: IpAddr,
    last_used: Instant,
}

/// Why a session could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
    #[error("an MCP session was created without a slot taken for it")]
    NoClient,
}

impl Sessions {
    pub fn new(inner: LocalSessionManager) -> Self {
        let settings = crate::budget::settings();
        Self {
            inner,
            slots: Slots::new(
                "MCP sessions",
                settings.mcp_sessions,
                settings.mcp_sessions_per_client,
            ),
            open: Mutex::new(HashMap::new()),
        }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, OpenSession>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sessions open now.
    pub fn count(&self) -> usize {
        self.slots.total()
    }

    fn touch(&self, id: &SessionId) {
        if let Some(session) = self.open().get_mut(id) {
            session.last_used = Instant::now();
        }
    }

    /// Takes a slot for a new session of `client`, closing the least
    /// recently used session in the way: its own, at its share; at the
    /// total, the one idle longest if it has been idle for
    /// [`IDLE_BEFORE_EVICTION`] (a client busy with its sessions cannot
    /// push out everyone else's). `Err` when no session can go.
    async fn take_slot(self: &Arc<Self>, client: IpAddr) -> Result<Ticket, Refusal> {
        loop {
            let full = match self.slots.take(&client) {
                Ok(()) => {
                    return Ok(Ticket {
                        sessions: self.clone(),
                        client,
                        used: false.into(),
                    });
                }
                Err(full) => full,
            };
            let victim = self
                .open()
                .iter()
                .filter(|(_, session)| match full {
                    Full::Client => session.client == client,
                    Full::Total => session.last_used.elapsed() >= IDLE_BEFORE_EVICTION,
                })
                .min_by_key(|(_, session)| session.last_used)
                .map(|(id, _)| id.clone())
                .ok_or_else(|| self.slots.refusal(full))?;
            tracing::info!("closing the least recently used MCP session to make room");
            let _ = self.close_session(&victim).await;
        }
    }
}

impl SessionManager for Sessions {
    type Error = SessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let ticket = INITIALIZING
            .try_with(Arc::clone)
            .map_err(|_| SessionsError::NoClient)?;
        if !ticket.use_once() {
            return Err(SessionsError::NoClient);
        }
        let client = ticket.client;
        match self.inner.create_session().await {
            Ok((id, transport)) => {
                let session = OpenSession {
                    client,
                    last_used: Instant::now(),
                };
                self.open().insert(id.clone(), session);
                Ok((id, transport))
            }
            Err(error) => {
                self.slots.give_back(&client);
                Err(error.into())
            }
        }
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.touch(id);
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    /// Also called by the SDK when a session's worker ends (idle, or the
    /// client went away): the slot is given back once.
    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        if let Some(session) = self.open().remove(id) {
            self.slots.give_back(&session.client);
        }
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}

/// In front of `/mcp`: an `initialize` (a POST without a session) is
/// checked for size, room is made for its session, and the SDK creates
/// the session knowing whose it is.
pub async fn admit(
    State(sessions): State<Arc<Sessions>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || request.headers().contains_key(SESSION_HEADER) {
        return next.run(request).await;
    }
    let client = client_key(super::super::rate_limit::address_of(request.extensions()));
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_INITIALIZE_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("an MCP initialize request may be at most {MAX_INITIALIZE_BYTES} bytes"),
            )
            .into_response();
        }
    };
    // Anything but a well-formed initialize is left for the SDK to refuse.
    if let Ok(message) = serde_json::from_slice::<Value>(&bytes)
        && message["method"] == "initialize"
    {
        if let Err(error) = check_client_info(&message) {
            return error.into_response();
        }
        let ticket = match sessions.take_slot(client).await {
            Ok(ticket) => Arc::new(ticket),
            Err(refusal) => {
                let mut error = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too_many_mcp_sessions",
                    refusal.to_string(),
                );
                error.retry_after_seconds = Some(IDLE_BEFORE_EVICTION.as_secs() as u32);
                return error.into_response();
            }
        };
        let request = Request::from_parts(parts, Body::from(bytes));
        return INITIALIZING.scope(ticket, next.run(request)).await;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// An `initialize`'s `clientInfo` is kept for the session's life: it may
/// be [`MAX_CLIENT_INFO_BYTES`] as JSON.
fn check_client_info(message: &Value) -> Result<(), ApiError> {
    let info = &message["params"]["clientInfo"];
    let size = serde_json::to_vec(info).map_or(0, |json| json.len());
    if size > MAX_CLIENT_INFO_BYTES {
        return Err(ApiError::bad_request(format!(
            "clientInfo is {size} bytes; at most {MAX_CLIENT_INFO_BYTES}"
        )));
    }
    Ok(())
}
