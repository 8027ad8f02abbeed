//! A socket's link to its session, kept in the socket's extensions: what
//! the socket's event handlers (commands, runs, transfers) act on.

use std::sync::Arc;

use crate::session::Session;

#[derive(Clone)]
pub(super) struct Link {
    pub(super) session: Arc<Session>,
    /// Which attachment of the session this socket is (a reconnect makes a
    /// new one): events of an older one are ignored.
    pub(super) generation: u64,
}
