//! The job queue: a Redis stream that every node reads as one consumer
//! group, plus a stream per node for runs that must happen there (in a
//! shell session's sandbox).
//!
//! A node reads a job only when it has a free slot, so what it holds, it
//! runs. A job stays pending in the group until its result is recorded;
//! if its node dies, it goes idle and another node claims it with
//! `XAUTOCLAIM`. Each start counts an attempt.

use std::collections::BTreeMap;

use redis::AsyncCommands as _;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadReply};
use serde::{Deserialize, Serialize};

use super::{Cluster, ClusterError, key};

/// The consumer group all nodes read as.
const GROUP: &str = "workers";
/// The stream field holding the job's JSON.
const FIELD: &str = "job";
/// Attempts after which a job that keeps losing its node is given up.
pub const MAX_ATTEMPTS: u64 = 3;

/// A run waiting for a node: everything needed to start it anywhere.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedJob {
    pub execution_id: String,
    /// The language's canonical name.
    pub language: String,
    pub code: String,
    #[serde(default)]
    pub stdin: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub flags: Vec<String>,
    pub wall_time_ms: u64,
    pub memory_bytes: u64,
    pub output_bytes: u64,
    /// The shell session it runs in (on the node holding it).
    #[serde(default)]
    pub session_id: Option<String>,
    /// The sandbox name promised to the client in the 202 answer.
    pub user_directory: String,
    /// The code's file name promised to the client.
    pub filename: String,
}

/// A job as one node received it, to be acknowledged once recorded.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub stream: String,
    pub entry: String,
    pub job: Result<QueuedJob, String>,
}

/// Queue-full check and enqueue in one step, so that two nodes cannot
/// both see room for the last place.
const ENQUEUE: &str = r"
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
redis.call('XADD', KEYS[1], '*', 'job', ARGV[2])
return 1
";

impl Cluster {
    /// The stream every node reads.
    pub fn jobs_stream() -> String {
        key(&["jobs"])
    }

    /// The stream only `node` reads.
    pub fn node_stream(node: &str) -> String {
        key(&["node", node, "jobs"])
    }

    pub(super) async fn create_groups(&self) -> Result<(), ClusterError> {
        for stream in [Self::jobs_stream(), Self::node_stream(self.node())] {
            let created: redis::RedisResult<()> = self
                .connection()
                .xgroup_create_mkstream(&stream, GROUP, "0")
                .await;
            match created {
                Err(error) if error.code() == Some("BUSYGROUP") => {}
                other => other?,
            }
        }
        Ok(())
    }

    /// Queues `job` on `stream` (the shared one, or a node's) and records
    /// it as queued (`record`), unless the stream is full.
    pub async fn enqueue(
        &self,
        stream: &str,
        job: &QueuedJob,
        record: &serde_json::Value,
    ) -> Result<(), ClusterError> {
        let payload = serde_json::to_string(job)
            .map_err(|e| ClusterError::Unavailable(format!("cannot encode a job: {e}")))?;
        let added: i64 = redis::Script::new(ENQUEUE)
            .key(stream)
            .key(Self::record_key(&job.execution_id))
            .arg(self.settings.max_queued)
            .arg(payload)
            .arg(record.to_string())
            .arg(self.settings.result_ttl.as_millis() as u64)
            .invoke_async(&mut self.connection())
            .await?;
        if added == 0 {
            return Err(ClusterError::QueueFull(self.settings.max_queued));
        }
        Ok(())
    }

    /// Jobs queued or running in the shared stream.
    pub async fn queue_length(&self) -> Result<usize, ClusterError> {
        Ok(self.connection().xlen(Self::jobs_stream()).await?)
    }

    /// A connection of its own for blocking reads.
    pub async fn consumer(&self) -> Result<Consumer, ClusterError> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(std::time::Duration::from_secs(2)))
            .set_response_timeout(Some(std::time::Duration::from_secs(5)));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        Ok(Consumer {
            connection,
            streams: [Self::jobs_stream(), Self::node_stream(self.node())],
            node: self.node().to_owned(),
        })
    }

    /// Takes one job another node left pending for longer than the claim
    /// threshold (that node is taken to be dead).
    pub async fn claim_abandoned(&self) -> Result<Option<Delivery>, ClusterError> {
        let stream = Self::jobs_stream();
        let reply: StreamAutoClaimReply = self
            .connection()
            .xautoclaim_options(
                &stream,
                GROUP,
                self.node(),
                self.settings.claim_idle.as_millis() as u64,
                "0-0",
                StreamAutoClaimOptions::default().count(1),
            )
            .await
            .or_else(|error| match error.code() {
                // Redis lost its data; the consumer creates the groups again.
                Some("NOGROUP") => Ok(StreamAutoClaimReply::default()),
                _ => Err(error),
            })?;
        Ok(reply
            .claimed
            .into_iter()
            .next()
            .map(|entry| delivery(&stream, entry)))
    }

    /// The job is done (its result recorded): off the queue.
    pub async fn acknowledge(&self, delivery: &Delivery) -> Result<(), ClusterError> {
        redis::pipe()
            .atomic()
            .xack(&delivery.stream, GROUP, &[&delivery.entry])
            .xdel(&delivery.stream, &[&delivery.entry])
            .exec_async(&mut self.connection())
            .await?;
        Ok(())
    }

    /// Gives a job back (this node is shutting down before it finished):
    /// queued again at the end, for any node.
    pub async fn hand_back(&self, delivery: &Delivery) -> Result<(), ClusterError> {
        let Ok(job) = &delivery.job else {
            return self.acknowledge(delivery).await;
        };
        let payload = serde_json::to_string(job)
            .map_err(|e| ClusterError::Unavailable(format!("cannot encode a job: {e}")))?;
        redis::pipe()
            .atomic()
            .xadd(&delivery.stream, "*", &[(FIELD, payload)])
            .xack(&delivery.stream, GROUP, &[&delivery.entry])
            .xdel(&delivery.stream, &[&delivery.entry])
            .exec_async(&mut self.connection())
            .await?;
        Ok(())
    }

    /// Counts a start of the job; returns which attempt this is.
    pub async fn count_attempt(&self, execution_id: &str) -> Result<u64, ClusterError> {
        let key = key(&["attempts", execution_id]);
        let (attempt,): (u64,) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .pexpire(&key, self.settings.result_ttl.as_millis() as i64)
            .ignore()
            .query_async(&mut self.connection())
            .await?;
        Ok(attempt)
    }
}

/// One node's blocking reader of its two streams.
pub struct Consumer {
    connection: MultiplexedConnection,
    streams: [String; 2],
    node: String,
}

impl Consumer {
    /// The next new job for this node, waiting at most a second.
    pub async fn next(&mut self) -> Result<Option<Delivery>, ClusterError> {
        let options = redis::streams::StreamReadOptions::default()
            .group(GROUP, &self.node)
            .count(1)
            .block(1000);
        let read: redis::RedisResult<Option<StreamReadReply>> = self
            .connection
            .xread_options(&self.streams, &[">", ">"], &options)
            .await;
        let reply = match read {
            Ok(reply) => reply,
            Err(error) if error.code() == Some("NOGROUP") => {
                for stream in &self.streams {
                    let _: redis::RedisResult<()> = self
                        .connection
                        .xgroup_create_mkstream(stream, GROUP, "0")
                        .await;
                }
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        Ok(reply.and_then(|reply| {
            reply.keys.into_iter().find_map(|stream| {
                let key = stream.key;
                stream.ids.into_iter().next().map(|e| delivery(&key, e))
            })
        }))
    }
}

fn delivery(stream: &str, entry: redis::streams::StreamId) -> Delivery {
    let job = entry
        .get::<String>(FIELD)
        .ok_or_else(|| "the entry has no job".to_owned())
        .and_then(|json| serde_json::from_str(&json).map_err(|e| e.to_string()));
    Delivery {
        stream: stream.to_owned(),
        entry: entry.id,
        job,
    }
}
