//! Cluster mode: many polyrun nodes sharing one Redis (`REDIS_URL`).
//!
//! - [`queue`]: runs waiting for a node, in a Redis stream read by every
//!   node as one consumer group; a dead node's runs are claimed by others.
//! - [`results`]: execution records and results, kept with a TTL, and the
//!   pub/sub channel that tells waiters a run has finished.
//! - [`nodes`]: which node holds which shell session, refreshed by
//!   heartbeat.
//!
//! This module speaks Redis only; what a job *is* and how it runs is the
//! server's business (`server::cluster`). Without `REDIS_URL` none of it
//! exists and a node keeps everything in its own memory.

pub mod nodes;
pub mod queue;
pub mod results;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::broadcast;

pub use queue::{Delivery, QueuedJob};

/// Every key polyrun writes starts with this.
const PREFIX: &str = "polyrun";

/// How long any one Redis operation may take before the caller is told
/// Redis is unavailable: while it reconnects, the connection manager would
/// otherwise keep a request waiting through its retries.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a cluster operation failed, for the caller to answer 429, 503 or
/// 500.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The queue holds `MAX_QUEUED_EXECUTIONS` runs already.
    #[error("{0} executions are already queued or running in the cluster; retry later")]
    QueueFull(usize),
    /// Redis cannot be reached (or answered with an error).
    #[error("the cluster's Redis is unavailable: {0}")]
    Unavailable(String),
    /// Something polyrun wrote cannot be encoded (a bug, not Redis).
    #[error("cannot encode for the cluster: {0}")]
    Encoding(String),
}

impl From<redis::RedisError> for ClusterError {
    fn from(error: redis::RedisError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// What a node needs to join a cluster.
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    pub redis_url: String,
    pub node: String,
    /// How long finished results are kept.
    pub result_ttl: Duration,
    /// A job pending this long on its node is taken to be lost with the
    /// node and claimed by another: above the longest allowed run.
    pub claim_idle: Duration,
    /// More queued runs than this are refused.
    pub max_queued: usize,
}

/// This node's link to the cluster.
pub struct Cluster {
    settings: ClusterSettings,
    client: redis::Client,
    /// Short commands, shared; reconnects with backoff by itself.
    commands: ConnectionManager,
    /// Execution ids as the pub/sub channel announces them finished.
    finished: broadcast::Sender<String>,
    /// Entries of the shared stream this node is working on, kept fresh by
    /// the heartbeat so that no other node takes them for abandoned.
    in_flight: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Cluster {
    /// Connects, checks that Redis answers and creates the consumer
    /// groups. Errors name the URL without its password.
    pub async fn connect(settings: ClusterSettings) -> anyhow::Result<Arc<Self>> {
        let shown = redacted_url(&settings.redis_url);
        let client = redis::Client::open(settings.redis_url.as_str())
            .with_context(|| format!("invalid REDIS_URL {shown}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let commands = tokio::time::timeout(
            Duration::from_secs(5),
            client.get_connection_manager_with_config(config),
        )
        .await
        .map_err(|_| anyhow::anyhow!("timed out"))
        .and_then(|connected| connected.map_err(anyhow::Error::from))
        .with_context(|| format!("cannot reach Redis at {shown}"))?;
        let (finished, _) = broadcast::channel(1024);
        let cluster = Arc::new(Self {
            settings,
            client,
            commands,
            finished,
            in_flight: Default::default(),
        });
        cluster
            .ping()
            .await
            .with_context(|| format!("cannot reach Redis at {shown}"))?;
        cluster
            .create_groups()
            .await
            .with_context(|| format!("cannot create the job queue in Redis at {shown}"))?;
        Ok(cluster)
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.settings.node
    }

    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    /// Whether Redis answers, within a second.
    pub async fn ping(&self) -> Result<(), ClusterError> {
        let mut connection = self.commands.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        within(Duration::from_secs(1), async { Ok(ping.await?) })
            .await
            .map(drop)
    }

    fn connection(&self) -> ConnectionManager {
        self.commands.clone()
    }

    /// Sends a command, within [`COMMAND_TIMEOUT`].
    async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, ClusterError> {
        let mut connection = self.connection();
        within(COMMAND_TIMEOUT, async {
            Ok(command.query_async(&mut connection).await?)
        })
        .await
    }

    /// Sends a pipeline, within [`COMMAND_TIMEOUT`].
    async fn query_pipeline<T: redis::FromRedisValue>(
        &self,
        pipeline: &redis::Pipeline,
    ) -> Result<T, ClusterError> {
        let mut connection = self.connection();
        within(COMMAND_TIMEOUT, async {
            Ok(pipeline.query_async(&mut connection).await?)
        })
        .await
    }
}

/// Runs a Redis operation, or says Redis is unavailable after `limit`.
pub(crate) async fn within<T>(
    limit: Duration,
    operation: impl std::future::Future<Output = Result<T, ClusterError>>,
) -> Result<T, ClusterError> {
    tokio::time::timeout(limit, operation)
        .await
        .unwrap_or_else(|_| {
            Err(ClusterError::Unavailable(format!(
                "no answer within {limit:?}"
            )))
        })
}

/// A Redis URL fit to print: its password, if any, replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let user = rest[..at].split(':').next().unwrap_or("");
    let hidden = if rest[..at].contains(':') {
        format!("{user}:***")
    } else {
        "***".to_owned()
    };
    format!("{scheme}://{hidden}@{}", &rest[at + 1..])
}

/// `SET key value PX ttl`.
fn set_expiring(key: String, value: String, ttl: Duration) -> redis::Cmd {
    let mut command = redis::cmd("SET");
    command
        .arg(key)
        .arg(value)
        .arg("PX")
        .arg(ttl.as_millis() as u64);
    command
}

fn key(parts: &[&str]) -> String {
    let mut key = PREFIX.to_owned();
    for part in parts {
        key.push(':');
        key.push_str(part);
    }
    key
}

/// Waits a little longer after each failure, up to a few seconds.
pub(crate) struct Backoff(Duration);

impl Backoff {
    pub(crate) fn new() -> Self {
        Self(Duration::from_millis(100))
    }

    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(3));
    }

    pub(crate) fn reset(&mut self) {
        self.0 = Duration::from_millis(100);
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_url;

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(redacted_url("redis://h:6379/0"), "redis://h:6379/0");
        assert_eq!(
            redacted_url("redis://:s3cret@h:6379/"),
            "redis://:***@h:6379/"
        );
        assert_eq!(
            redacted_url("rediss://user:p@ss@h/1"),
            "rediss://user:***@h/1"
        );
        assert_eq!(redacted_url("redis://token@h"), "redis://***@h");
        assert!(!redacted_url("nonsense s3cret").contains("s3cret"));
    }
}
