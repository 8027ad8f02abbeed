//! MCP sessions within their budget.
//!
//! Each `initialize` opens a session that holds memory (the SDK's worker,
//! its channels, the client's `clientInfo`) until it is closed or idle for
//! `MCP_SESSION_IDLE`. Without caps, 20,000 sessions took a gigabyte in
//! seconds, and 300 with a 2 MB client name 620 MiB. So:
//!
//! - sessions are counted in all (`MAX_MCP_SESSIONS`) and per client
//!   address (`MAX_MCP_SESSIONS_PER_CLIENT`);
//!   at a cap, the least recently used session is closed to make room;
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
use std::time::Instant;

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
use crate::budget::slots::{Full, Slots};
use crate::server::ApiError;

/// The largest `initialize` request body.
pub const MAX_INITIALIZE_BYTES: usize = 64 * 1024;

/// The largest `clientInfo` in an `initialize`, as JSON.
pub const MAX_CLIENT_INFO_BYTES: usize = 4 * 1024;

/// The header that names an MCP session.
const SESSION_HEADER: &str = "mcp-session-id";

tokio::task_local! {
    /// The client whose `initialize` is being served, set by [`admit`]
    /// for [`Sessions::create_session`], which the SDK calls without the
    /// request.
    static INITIALIZING: IpAddr;
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
    #[error("{0}")]
    Refused(Refusal),
    #[error("an MCP session was created outside an initialize request")]
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

    /// Closes the least recently used session in the way of a new one
    /// for `client`: its own, at its share; anyone's, at the total.
    async fn make_room(&self, client: &IpAddr) {
        let victim = match self.slots.check(client) {
            Ok(()) => None,
            Err(full) => {
                let open = self.open();
                open.iter()
                    .filter(|(_, session)| full == Full::Total || session.client == *client)
                    .min_by_key(|(_, session)| session.last_used)
                    .map(|(id, _)| id.clone())
            }
        };
        if let Some(id) = victim {
            tracing::info!("closing the least recently used MCP session to make room");
            let _ = self.close_session(&id).await;
        }
    }
}

impl SessionManager for Sessions {
    type Error = SessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let client = INITIALIZING
            .try_with(|client| *client)
            .map_err(|_| SessionsError::NoClient)?;
        self.slots
            .take(&client)
            .map_err(|full| SessionsError::Refused(self.slots.refusal(full)))?;
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
    let client = super::super::rate_limit::address_of(request.extensions());
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
    if let Err(error) = check_client_info(&bytes) {
        return error.into_response();
    }
    sessions.make_room(&client).await;
    let request = Request::from_parts(parts, Body::from(bytes));
    INITIALIZING.scope(client, next.run(request)).await
}

/// An `initialize`'s `clientInfo` is kept for the session's life: it may
/// be [`MAX_CLIENT_INFO_BYTES`] as JSON. (Anything that is not JSON is
/// left for the SDK to refuse.)
fn check_client_info(body: &[u8]) -> Result<(), ApiError> {
    let Ok(message) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let info = &message["params"]["clientInfo"];
    let size = serde_json::to_vec(info).map_or(0, |json| json.len());
    if size > MAX_CLIENT_INFO_BYTES {
        return Err(ApiError::bad_request(format!(
            "clientInfo is {size} bytes; at most {MAX_CLIENT_INFO_BYTES}"
        )));
    }
    Ok(())
}
