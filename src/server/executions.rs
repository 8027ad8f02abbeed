//! Executions the server knows about: their state while queued and running,
//! and their results once finished, for `GET /executions/{id}`; plus the
//! counters and latencies `/stats` reports.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::engine::{Outcome, Status};

/// Finished executions kept for polling; older ones are forgotten.
const KEEP_FINISHED: usize = 10_000;
/// Output (stdout, stderr, compiler output) of the finished executions
/// kept, in all: each may hold `MAX_OUTPUT_BYTES`, so the count alone
/// would let a client fill the server's memory with results.
const KEEP_OUTPUT_BYTES: usize = 128 << 20;
/// Latency samples kept for percentiles.
const KEEP_LATENCIES: usize = 2_000;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Queued,
    Running,
    Finished,
}

/// The full result of an execution, as the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionResult {
    pub success: bool,
    pub execution_id: String,
    pub language: &'static str,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub compile_output: String,
    /// Compile (or transpile) and run together.
    pub duration_ms: u64,
    /// The compile or transpile step alone, for C, C++ and TypeScript.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_ms: Option<u64>,
    /// For C and C++: the program was reused from the compile cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_cached: Option<bool>,
    /// For C and C++: the source files built (`code` and the sources
    /// among `files`), and how many of them came from the cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_units: Option<crate::engine::CompileUnits>,
    pub memory_bytes: u64,
    pub fuel_consumed: Option<u64>,
    pub truncated: bool,
    /// Why it ended, when not just an exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// With `tests`: each test's result, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<Vec<TestResult>>,
    /// With `tests`: how many passed (accepted, or exited cleanly when they
    /// had no expected output).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests_passed: Option<usize>,
}

/// One test's run, and its verdict.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub status: Status,
    /// `accepted` or `wrong_answer` when the test had an expected output
    /// and the program exited cleanly; how it ended otherwise (`timeout`,
    /// `runtime_error`, …); absent for a clean run with nothing to match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'static str>,
    pub passed: bool,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: u64,
    pub memory_bytes: u64,
    /// Its output went past its share of the output limit.
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ExecutionResult {
    pub fn new(execution_id: String, language: &'static str, outcome: Outcome) -> Self {
        Self {
            success: outcome.status == Status::Ok,
            stdout: outcome.stdout_lossy(),
            stderr: outcome.stderr_lossy(),
            execution_id,
            language,
            status: outcome.status,
            exit_code: outcome.exit_code,
            compile_output: outcome.compile_output,
            duration_ms: outcome.duration.as_millis() as u64,
            compile_ms: outcome.compile_duration.map(|d| d.as_millis() as u64),
            compile_cached: outcome
                .compile_duration
                .is_some()
                .then_some(outcome.compile_cached),
            compile_units: outcome.compile_units,
            memory_bytes: outcome.peak_memory_bytes,
            fuel_consumed: outcome.fuel_consumed,
            truncated: outcome.truncated,
            message: outcome.message,
            tests: None,
            tests_passed: None,
        }
    }

    /// Adds the results of a run's tests: it succeeded if every test
    /// passed.
    pub fn set_tests(&mut self, tests: Vec<TestResult>) {
        let passed = tests.iter().filter(|test| test.passed).count();
        self.success = self.status == Status::Ok && passed == tests.len();
        self.tests_passed = Some(passed);
        self.tests = Some(tests);
    }
}

impl ExecutionResult {
    /// The signal a native process would have died of: `SIGKILL` when a
    /// limit stopped it, `SIGABRT` for a crash (a trap, `abort()`: exit
    /// code 134); `None` when it exited.
    pub fn signal(&self) -> Option<&'static str> {
        match (self.status, self.exit_code) {
            (Status::Timeout | Status::MemoryLimit | Status::FuelExhausted, _) => Some("SIGKILL"),
            (Status::RuntimeError, Some(134) | None) => Some("SIGABRT"),
            _ => None,
        }
    }

    /// The bytes of output this result holds.
    fn output_bytes(&self) -> usize {
        let tests: usize = self
            .tests
            .iter()
            .flatten()
            .map(|t| t.stdout.len() + t.stderr.len())
            .sum();
        self.stdout.len() + self.stderr.len() + self.compile_output.len() + tests
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionView {
    pub execution_id: String,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ExecutionResult>,
}

#[derive(Default)]
pub struct Executions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    records: HashMap<String, ExecutionView>,
    finished_order: VecDeque<String>,
    /// Output bytes held by the finished records.
    retained_bytes: usize,
    counts: BTreeMap<String, BTreeMap<String, u64>>,
    latencies: VecDeque<Duration>,
}

impl Executions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_state(&self, id: &str, state: State) {
        self.lock().records.insert(
            id.to_owned(),
            ExecutionView {
                execution_id: id.to_owned(),
                state,
                result: None,
            },
        );
    }

    pub fn finish(&self, result: ExecutionResult) {
        let mut inner = self.lock();
        *inner
            .counts
            .entry(result.language.to_owned())
            .or_default()
            .entry(result.status.as_str().to_owned())
            .or_default() += 1;
        inner
            .latencies
            .push_back(Duration::from_millis(result.duration_ms));
        if inner.latencies.len() > KEEP_LATENCIES {
            inner.latencies.pop_front();
        }
        let id = result.execution_id.clone();
        inner.retained_bytes += result.output_bytes();
        inner.records.insert(
            id.clone(),
            ExecutionView {
                execution_id: id.clone(),
                state: State::Finished,
                result: Some(result),
            },
        );
        inner.finished_order.push_back(id);
        while inner.finished_order.len() > KEEP_FINISHED
            || (inner.retained_bytes > KEEP_OUTPUT_BYTES && inner.finished_order.len() > 1)
        {
            let Some(old) = inner.finished_order.pop_front() else {
                break;
            };
            if let Some(view) = inner.records.remove(&old) {
                let freed = view
                    .result
                    .as_ref()
                    .map_or(0, ExecutionResult::output_bytes);
                inner.retained_bytes = inner.retained_bytes.saturating_sub(freed);
            }
        }
    }

    #[cfg(test)]
    fn retained(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.finished_order.len(), inner.retained_bytes)
    }

    pub fn get(&self, id: &str) -> Option<ExecutionView> {
        self.lock().records.get(id).cloned()
    }

    /// Counts by language, then status.
    pub fn counts(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.lock().counts.clone()
    }

    /// p50, p90 and p99 of recent execution durations, in milliseconds.
    pub fn latency_percentiles(&self) -> serde_json::Value {
        let mut samples: Vec<Duration> = self.lock().latencies.iter().copied().collect();
        samples.sort();
        let at = |p: f64| -> Option<u64> {
            if samples.is_empty() {
                return None;
            }
            let index = ((samples.len() - 1) as f64 * p).round() as usize;
            Some(samples[index].as_millis() as u64)
        };
        serde_json::json!({
            "samples": samples.len(),
            "p50Ms": at(0.5),
            "p90Ms": at(0.9),
            "p99Ms": at(0.99),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: usize, output: usize) -> ExecutionResult {
        let mut outcome = Outcome::failed(Status::Ok, "");
        outcome.stdout = vec![b'x'; output];
        ExecutionResult::new(format!("exec_{id}"), "python", outcome)
    }

    #[test]
    fn finished_results_are_kept_within_a_byte_budget() {
        let executions = Executions::default();
        for id in 0..300 {
            executions.finish(result(id, 1 << 20));
        }
        let (kept, bytes) = executions.retained();
        assert!(bytes <= KEEP_OUTPUT_BYTES, "{bytes}");
        assert_eq!(kept, KEEP_OUTPUT_BYTES >> 20);
        assert!(executions.get("exec_299").is_some());
        assert!(executions.get("exec_0").is_none());
    }
}
