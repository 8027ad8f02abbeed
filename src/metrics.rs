//! Prometheus metrics (`GET /metrics`), with the `metrics` crate and its
//! Prometheus exporter. Every name starts with `polyrun_`.
//!
//! Counters and histograms are recorded where things happen (each run
//! through [`record_execution`]); gauges of what the server holds now
//! (queue, sessions, disk) are set by the server just before it renders.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::engine::Outcome;

/// Histogram buckets, in seconds: from a cached hello to the time limit.
const SECONDS_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets for the phases of a run, in seconds: from tens of microseconds.
const PHASE_BUCKETS: [f64; 10] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.1, 1.0,
];

/// Buckets for the page faults of one run.
const FAULT_BUCKETS: [f64; 8] = [10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0, 50000.0];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder the first time; its handle renders the
/// text format. `None` if another recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(PHASE.to_owned()), &PHASE_BUCKETS)
                .ok()?
                .set_buckets_for_metric(Matcher::Full(FAULTS.to_owned()), &FAULT_BUCKETS)
                .ok()?
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .clone()
}

/// Where a run's time goes, by phase (see [`record_phase`]).
pub const PHASE: &str = "polyrun_run_phase_seconds";

/// The page faults of one run's instantiation and guest (Linux).
pub const FAULTS: &str = "polyrun_run_page_faults";

fn describe() {
    metrics::describe_histogram!(
        PHASE,
        metrics::Unit::Seconds,
        "Where a run's time goes, by phase: admission (waiting for a slot), sandbox \
         (creating it, writing the code), instantiate, prefault (its working set), guest, \
         teardown (the instance), cleanup (removing a one-off run's sandbox)"
    );
    metrics::describe_histogram!(
        FAULTS,
        "Page faults of one run, instantiation and guest together (Linux)"
    );
    metrics::describe_counter!(
        "polyrun_executions_total",
        "Executions finished, by language and status"
    );
    metrics::describe_histogram!(
        "polyrun_execution_duration_seconds",
        metrics::Unit::Seconds,
        "Wall time of executions, compile included, by language"
    );
    metrics::describe_histogram!(
        "polyrun_compile_duration_seconds",
        metrics::Unit::Seconds,
        "Compile (or transpile) time, by language and whether the cache answered"
    );
    metrics::describe_gauge!("polyrun_executions_running", "Executions running now");
    metrics::describe_gauge!(
        "polyrun_queue_length",
        "Executions admitted and waiting for a slot"
    );
    metrics::describe_gauge!(
        "polyrun_cluster_queue_length",
        "In cluster mode: jobs queued or running in the shared Redis stream"
    );
    metrics::describe_gauge!(
        "polyrun_sessions",
        "Shell sessions (connected or resumable)"
    );
    metrics::describe_gauge!("polyrun_contexts", "Stateful contexts alive");
    metrics::describe_gauge!(
        "polyrun_context_memory_bytes",
        metrics::Unit::Bytes,
        "Linear memory held by the contexts' interpreters"
    );
    metrics::describe_gauge!(
        "polyrun_sandbox_disk_bytes",
        metrics::Unit::Bytes,
        "Disk used by the sandboxes of live sessions and contexts"
    );
    metrics::describe_gauge!(
        "polyrun_runtimes_ready",
        "1 when the runtimes are loaded and runs are accepted"
    );
    metrics::describe_counter!(
        "polyrun_rate_limited_total",
        "Requests refused by the rate limit"
    );
    metrics::describe_gauge!("polyrun_mcp_sessions", "MCP sessions open");
    metrics::describe_gauge!(
        "polyrun_shell_threads",
        "Blocking threads the shells' own commands hold (MAX_SHELL_THREADS)"
    );
    metrics::describe_counter!(
        "polyrun_package_installs_total",
        "Package installs (pip, npm), by ecosystem and whether they succeeded"
    );
    metrics::describe_counter!(
        "polyrun_package_cache_total",
        "Package files wanted by installs, by whether the shared cache had them"
    );
    metrics::describe_gauge!(
        "polyrun_sandbox_descriptors",
        "File descriptors open on users' behalf (guests' files and shell commands')"
    );
}

/// Counts a finished execution of `language` (an API name, or `binary`
/// for a program the shell built).
pub fn record_execution(language: &'static str, outcome: &Outcome) {
    let status = outcome.status.as_str();
    metrics::counter!("polyrun_executions_total", "language" => language, "status" => status)
        .increment(1);
    metrics::histogram!("polyrun_execution_duration_seconds", "language" => language)
        .record(outcome.duration.as_secs_f64());
    if let Some(compile) = outcome.compile_duration {
        record_compile(language, compile, outcome.compile_cached);
    }
}

/// Records a compile (a run's, or the shell's `g++`).
pub fn record_compile(language: &'static str, took: Duration, cached: bool) {
    let cached = if cached { "true" } else { "false" };
    metrics::histogram!("polyrun_compile_duration_seconds", "language" => language, "cached" => cached)
        .record(took.as_secs_f64());
}

/// Counts an install (`ecosystem`: python, javascript).
pub fn record_package_install(ecosystem: &'static str, succeeded: bool) {
    let result = if succeeded { "ok" } else { "failed" };
    metrics::counter!("polyrun_package_installs_total", "ecosystem" => ecosystem, "result" => result)
        .increment(1);
}

/// Counts a package file an install wanted: a cache hit or a download.
pub fn record_package_cache(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!("polyrun_package_cache_total", "result" => result).increment(1);
}

/// Records how long one phase of a run took (see [`PHASE`]).
pub fn record_phase(phase: &'static str, took: Duration) {
    metrics::histogram!(PHASE, "phase" => phase).record(took.as_secs_f64());
}

/// Records the page faults one run took.
pub fn record_page_faults(faults: u64) {
    metrics::histogram!(FAULTS).record(faults as f64);
}

/// What the server holds now, set just before rendering.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gauges {
    pub running: usize,
    pub queued: usize,
    pub sessions: usize,
    pub contexts: usize,
    pub context_memory_bytes: u64,
    pub disk_bytes: u64,
    pub ready: bool,
    /// In cluster mode (when Redis answers): the shared queue's length,
    /// what an autoscaler should follow.
    pub cluster_queue_length: Option<usize>,
    pub mcp_sessions: usize,
}

impl Gauges {
    pub fn set(self) {
        metrics::gauge!("polyrun_executions_running").set(self.running as f64);
        metrics::gauge!("polyrun_queue_length").set(self.queued as f64);
        metrics::gauge!("polyrun_sessions").set(self.sessions as f64);
        metrics::gauge!("polyrun_contexts").set(self.contexts as f64);
        metrics::gauge!("polyrun_context_memory_bytes").set(self.context_memory_bytes as f64);
        metrics::gauge!("polyrun_sandbox_disk_bytes").set(self.disk_bytes as f64);
        metrics::gauge!("polyrun_runtimes_ready").set(if self.ready { 1.0 } else { 0.0 });
        metrics::gauge!("polyrun_mcp_sessions").set(self.mcp_sessions as f64);
        metrics::gauge!("polyrun_shell_threads")
            .set(crate::budget::threads::shell_threads_in_use() as f64);
        metrics::gauge!("polyrun_sandbox_descriptors")
            .set(crate::budget::files::sandbox_files().in_use() as f64);
        if let Some(length) = self.cluster_queue_length {
            metrics::gauge!("polyrun_cluster_queue_length").set(length as f64);
        }
    }
}
