//! The job queue: a Redis stream that every node reads as one consumer
//! group, plus a stream per node for runs that must happen there (in a
//! shell session's sandbox).
//!
//! A node reads a job only when it has a free slot, so what it holds, it
//! runs. A job stays pending in the group until its result is recorded,
//! and its node's heartbeat keeps it fresh (`XCLAIM … JUSTID` to itself);
//! if the node dies, the job goes idle and another node claims it with
//! `XAUTOCLAIM`. Each claim counts an attempt.

use std::collections::BTreeMap;

use redis::AsyncCommands as _;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadReply};
use serde::{Deserialize, Serialize};

use super::{COMMAND_TIMEOUT, Cluster, ClusterError, key, within};

/// The consumer group all nodes read as.
const GROUP: &str = "workers";
/// The stream field holding the job's JSON.
const FIELD: &str = "job";
/// Attempts after which a job that keeps losing its node is given up.
pub const MAX_ATTEMPTS: u64 = 3;
/// How long a blocking read waits for a new job.
const BLOCK: std::time::Duration = std::time::Duration::from_millis(1000);

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
    /// Packages to install first (see `RunBody::packages`).
    #[serde(default)]
    pub packages: Vec<String>,
    /// Test cases and their comparison (see `RunBody::tests`).
    #[serde(default)]
    pub tests: Vec<crate::judge::TestCase>,
    #[serde(default)]
    pub compare: Option<String>,
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
    /// Taken over from a node that died with it (not read new).
    pub claimed: bool,
}

impl Delivery {
    /// From a node's own stream: a run in one of its shell sessions.
    pub fn for_this_node_only(&self) -> bool {
        self.stream != Cluster::jobs_stream()
    }
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
        let payload = encode(job)?;
        let script = redis::Script::new(ENQUEUE);
        let mut invocation = script.key(stream);
        invocation
            .key(Self::record_key(&job.execution_id))
            .arg(self.settings.max_queued)
            .arg(payload)
            .arg(record.to_string())
            .arg(self.settings.result_ttl.as_millis() as u64);
        let mut connection = self.connection();
        let added: i64 = within(COMMAND_TIMEOUT, async {
            Ok(invocation.invoke_async(&mut connection).await?)
        })
        .await?;
        if added == 0 {
            return Err(ClusterError::QueueFull(self.settings.max_queued));
        }
        Ok(())
    }

    /// Jobs queued or running in the shared stream.
    pub async fn queue_length(&self) -> Result<usize, ClusterError> {
        self.query(redis::cmd("XLEN").arg(Self::jobs_stream()))
            .await
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
            node: self.node().to_owned(),
            claim_cursor: "0-0".to_owned(),
        })
    }

    /// The job is done (its result recorded): off the queue.
    pub async fn acknowledge(&self, delivery: &Delivery) -> Result<(), ClusterError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .xack(&delivery.stream, GROUP, &[&delivery.entry])
            .xdel(&delivery.stream, &[&delivery.entry]);
        self.query_pipeline(&pipe).await
    }

    /// Gives a job back (this node is shutting down before it finished):
    /// queued again at the end, for any node.
    pub async fn hand_back(&self, delivery: &Delivery) -> Result<(), ClusterError> {
        let Ok(job) = &delivery.job else {
            return self.acknowledge(delivery).await;
        };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .xadd(&delivery.stream, "*", &[(FIELD, encode(job)?)])
            .xack(&delivery.stream, GROUP, &[&delivery.entry])
            .xdel(&delivery.stream, &[&delivery.entry]);
        self.query_pipeline(&pipe).await
    }

    /// Which attempt at the job this delivery is: the first, plus one for
    /// each time a node died with it (a claimed delivery counts itself). A
    /// job handed back by a node that shut down is not a new attempt.
    pub async fn attempt(&self, delivery: &Delivery) -> Result<u64, ClusterError> {
        let Ok(job) = &delivery.job else {
            return Ok(1);
        };
        let key = key(&["claims", &job.execution_id]);
        let mut pipe = redis::pipe();
        if delivery.claimed {
            pipe.atomic()
                .incr(&key, 1)
                .pexpire(&key, self.settings.result_ttl.as_millis() as i64)
                .ignore();
        } else {
            pipe.get(&key);
        }
        let (claims,): (Option<u64>,) = self.query_pipeline(&pipe).await?;
        Ok(claims.unwrap_or(0) + 1)
    }

    /// Marks a shared-stream job as this node's work in progress, until
    /// the returned guard is dropped.
    pub fn working_on(self: &std::sync::Arc<Self>, delivery: &Delivery) -> InFlight {
        let entry = (!delivery.for_this_node_only()).then(|| delivery.entry.clone());
        if let Some(entry) = &entry {
            self.lock_in_flight().insert(entry.clone());
        }
        InFlight {
            cluster: self.clone(),
            entry,
        }
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resets the idle time of the jobs this node is working on, so that
    /// a job waiting for the runner's slot (shared with shell sessions) is
    /// not taken for abandoned however long it waits.
    pub(super) async fn refresh_in_flight(&self) -> Result<(), ClusterError> {
        let entries: Vec<String> = self.lock_in_flight().iter().cloned().collect();
        if entries.is_empty() {
            return Ok(());
        }
        let mut claim = redis::cmd("XCLAIM");
        claim
            .arg(Self::jobs_stream())
            .arg(GROUP)
            .arg(self.node())
            .arg(0)
            .arg(&entries)
            .arg("JUSTID");
        self.query(&claim).await
    }
}

/// Keeps a job listed as in progress while it lives.
pub struct InFlight {
    cluster: std::sync::Arc<Cluster>,
    entry: Option<String>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(entry) = &self.entry {
            self.cluster.lock_in_flight().remove(entry);
        }
    }
}

/// One node's reader of its two streams, on a connection of its own
/// (blocking reads would hold up every other command on a shared one).
pub struct Consumer {
    connection: MultiplexedConnection,
    node: String,
    /// Where the next look for abandoned jobs starts: `XAUTOCLAIM` looks
    /// at a few pending entries per call, so it must walk the whole list.
    claim_cursor: String,
}

impl Consumer {
    /// A job another node left pending longer than `idle` (that node is
    /// taken to be dead).
    pub async fn claim_abandoned(
        &mut self,
        idle: std::time::Duration,
    ) -> Result<Option<Delivery>, ClusterError> {
        let stream = Cluster::jobs_stream();
        let claimed: redis::RedisResult<StreamAutoClaimReply> = self
            .connection
            .xautoclaim_options(
                &stream,
                GROUP,
                &self.node,
                idle.as_millis() as u64,
                &self.claim_cursor,
                StreamAutoClaimOptions::default().count(1),
            )
            .await;
        let reply = match claimed {
            Ok(reply) => reply,
            // Redis lost its data; the next read creates the groups again.
            Err(error) if error.code() == Some("NOGROUP") => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        self.claim_cursor = reply.next_stream_id;
        Ok(reply.claimed.into_iter().next().map(|entry| {
            let mut delivery = delivery(&stream, entry);
            delivery.claimed = true;
            delivery
        }))
    }

    /// The next new job for this node: its own stream's first (runs in
    /// its sessions), else the shared one's, waiting at most [`BLOCK`].
    ///
    /// Each stream is read on its own with `COUNT 1`: a read of both at
    /// once returns up to one entry *per stream*, more than one slot holds.
    pub async fn next(&mut self) -> Result<Option<Delivery>, ClusterError> {
        let own = Cluster::node_stream(&self.node);
        if let Some(delivery) = self.read(&own, None).await? {
            return Ok(Some(delivery));
        }
        self.read(&Cluster::jobs_stream(), Some(BLOCK)).await
    }

    async fn read(
        &mut self,
        stream: &str,
        block: Option<std::time::Duration>,
    ) -> Result<Option<Delivery>, ClusterError> {
        let mut options = redis::streams::StreamReadOptions::default()
            .group(GROUP, &self.node)
            .count(1);
        if let Some(block) = block {
            options = options.block(block.as_millis() as usize);
        }
        let read: redis::RedisResult<Option<StreamReadReply>> = self
            .connection
            .xread_options(&[stream], &[">"], &options)
            .await;
        let reply = match read {
            Ok(reply) => reply,
            Err(error) if error.code() == Some("NOGROUP") => {
                self.create_groups().await;
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        Ok(reply.and_then(|reply| {
            reply.keys.into_iter().find_map(|key| {
                let name = key.key;
                key.ids
                    .into_iter()
                    .next()
                    .map(|entry| delivery(&name, entry))
            })
        }))
    }

    /// After Redis lost its data (a restart without persistence) the
    /// groups are gone: create them again.
    async fn create_groups(&mut self) {
        for stream in [Cluster::jobs_stream(), Cluster::node_stream(&self.node)] {
            let _: redis::RedisResult<()> = self
                .connection
                .xgroup_create_mkstream(&stream, GROUP, "0")
                .await;
        }
    }
}

fn encode(job: &QueuedJob) -> Result<String, ClusterError> {
    serde_json::to_string(job).map_err(|e| ClusterError::Encoding(e.to_string()))
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
        claimed: false,
    }
}
