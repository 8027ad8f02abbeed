//! Where things live: each node announces itself, and each shell session
//! is mapped to the node holding its sandbox and socket. Both keys expire
//! unless refreshed by the heartbeat, so a dead node's sessions vanish.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{Cluster, ClusterError, key, set_expiring};

/// How often a node refreshes its keys.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long its keys live without a refresh.
const EXPIRY: Duration = Duration::from_secs(15);

/// Where a session lives.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionLocation {
    pub node: String,
    /// The session's sandbox (its `userDirectory`).
    pub user_directory: String,
}

impl Cluster {
    fn session_key(session_id: &str) -> String {
        key(&["session", session_id])
    }

    /// Maps these sessions (id, sandbox name) to this node.
    pub async fn register_sessions(
        &self,
        sessions: &[(String, String)],
    ) -> Result<(), ClusterError> {
        let mut pipe = redis::pipe();
        for (id, sandbox) in sessions {
            let location = SessionLocation {
                node: self.node().to_owned(),
                user_directory: sandbox.clone(),
            };
            let json = serde_json::to_string(&location).unwrap_or_default();
            pipe.pset_ex(Self::session_key(id), json, EXPIRY.as_millis() as u64)
                .ignore();
        }
        self.query_pipeline(&pipe).await
    }

    /// Announces this node and refreshes its sessions.
    async fn beat(&self, sessions: &[(String, String)]) -> Result<(), ClusterError> {
        let announcement = serde_json::json!({ "sessions": sessions.len() }).to_string();
        self.query::<()>(&set_expiring(
            key(&["node", self.node()]),
            announcement,
            EXPIRY,
        ))
        .await?;
        self.refresh_in_flight().await?;
        if sessions.is_empty() {
            return Ok(());
        }
        self.register_sessions(sessions).await
    }

    /// Takes this node and its sessions off the map (it is shutting down:
    /// runs for those sessions must not be sent here any more).
    pub async fn leave(&self, sessions: &[(String, String)]) -> Result<(), ClusterError> {
        let mut keys = vec![key(&["node", self.node()])];
        keys.extend(sessions.iter().map(|(id, _)| Self::session_key(id)));
        self.query(redis::cmd("DEL").arg(keys)).await
    }

    /// The node holding a session, if any node does.
    pub async fn locate_session(
        &self,
        session_id: &str,
    ) -> Result<Option<SessionLocation>, ClusterError> {
        let json: Option<String> = self
            .query(redis::cmd("GET").arg(Self::session_key(session_id)))
            .await?;
        Ok(json.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Refreshes this node's keys every [`HEARTBEAT`] until `stop`;
    /// `sessions` lists the sessions it holds at each beat.
    pub async fn heartbeat_until(
        self: Arc<Self>,
        sessions: impl Fn() -> Vec<(String, String)> + Send + 'static,
        stop: CancellationToken,
    ) {
        let mut beat = tokio::time::interval(HEARTBEAT);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = beat.tick() => {}
            }
            if let Err(error) = self.beat(&sessions()).await {
                tracing::warn!(%error, "cluster heartbeat failed");
            }
        }
    }
}
