//! Execution records in Redis: queued, running (on which node, which
//! attempt) and finished (with the result), each kept for `RESULT_TTL`,
//! so that any node answers `GET /executions/{id}`. Finishing publishes the
//! id, which wakes whoever waits for it on any node.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use super::{Backoff, Cluster, ClusterError, key, set_expiring};

/// Waiters also look every so often, in case an announcement was missed
/// (pub/sub delivers at most once, and not across a reconnection).
const RECHECK: Duration = Duration::from_secs(2);

impl Cluster {
    pub(super) fn record_key(execution_id: &str) -> String {
        key(&["exec", execution_id])
    }

    fn finished_channel() -> String {
        key(&["finished"])
    }

    /// Stores an execution's record (a JSON object with a `state`).
    pub async fn record(
        &self,
        execution_id: &str,
        record: &serde_json::Value,
    ) -> Result<(), ClusterError> {
        let ttl = self.settings.result_ttl;
        self.query(&set_expiring(
            Self::record_key(execution_id),
            record.to_string(),
            ttl,
        ))
        .await
    }

    /// Stores a finished execution's record and announces it.
    pub async fn finish(
        &self,
        execution_id: &str,
        record: &serde_json::Value,
    ) -> Result<(), ClusterError> {
        let mut pipe = redis::pipe();
        pipe.pset_ex(
            Self::record_key(execution_id),
            record.to_string(),
            self.settings.result_ttl.as_millis() as u64,
        )
        .ignore()
        .publish(Self::finished_channel(), execution_id)
        .ignore();
        self.query_pipeline(&pipe).await
    }

    /// [`Self::finish`], tried a few times while Redis is away; whether
    /// the record was stored.
    pub async fn finish_retrying(&self, execution_id: &str, record: &serde_json::Value) -> bool {
        let mut backoff = Backoff::new();
        for _ in 0..5 {
            match self.finish(execution_id, record).await {
                Ok(()) => return true,
                Err(error) => {
                    tracing::warn!(%error, execution_id, "cannot store a result");
                    backoff.wait().await;
                }
            }
        }
        false
    }

    /// An execution's record, if Redis still has it.
    pub async fn fetch(
        &self,
        execution_id: &str,
    ) -> Result<Option<serde_json::Value>, ClusterError> {
        let json: Option<String> = self
            .query(redis::cmd("GET").arg(Self::record_key(execution_id)))
            .await?;
        Ok(json.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Waits until the execution's record says it finished, and returns
    /// that record; `None` if it has not within `limit`.
    pub async fn wait_finished(
        &self,
        execution_id: &str,
        limit: Duration,
    ) -> Result<Option<serde_json::Value>, ClusterError> {
        match tokio::time::timeout(limit, self.finished_record(execution_id)).await {
            Ok(record) => record.map(Some),
            Err(_) => Ok(None),
        }
    }

    async fn finished_record(&self, execution_id: &str) -> Result<serde_json::Value, ClusterError> {
        let mut announcements = self.finished.subscribe();
        loop {
            if let Some(record) = self.fetch(execution_id).await?
                && record["state"] == "finished"
            {
                return Ok(record);
            }
            let deadline = tokio::time::sleep(RECHECK);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    () = &mut deadline => break,
                    announced = announcements.recv() => match announced {
                        Ok(id) if id == execution_id => break,
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            (&mut deadline).await;
                            break;
                        }
                    },
                }
            }
        }
    }

    /// Listens to the finished channel (reconnecting with backoff) until
    /// `stop`, passing each id on to this node's waiters.
    pub async fn listen_until(self: Arc<Self>, stop: CancellationToken) {
        let mut backoff = Backoff::new();
        while !stop.is_cancelled() {
            let listened = tokio::select! {
                () = stop.cancelled() => return,
                listened = self.listen_once(&mut backoff) => listened,
            };
            if let Err(error) = listened {
                tracing::warn!(%error, "cluster pub/sub lost; reconnecting");
            }
            backoff.wait().await;
        }
    }

    async fn listen_once(&self, backoff: &mut Backoff) -> Result<(), ClusterError> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(Self::finished_channel()).await?;
        backoff.reset();
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            if let Ok(id) = message.get_payload::<String>() {
                let _ = self.finished.send(id);
            }
        }
        Err(ClusterError::Unavailable("the subscription ended".into()))
    }
}
