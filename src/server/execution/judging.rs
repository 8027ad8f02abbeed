//! A run's test cases: the program runs once per test, each with its own
//! stdin and args, and is judged against the expected output.
//!
//! The first test runs alone, so that a C or C++ program is compiled once
//! (the others find it in the compile cache) and a compile error ends the
//! run before any other test starts; the rest run [`PARALLEL_TESTS`] at a
//! time, all within the request's one admission. The output limit is
//! shared: each test gets its part, so a run holds no more output than
//! one without tests.

use std::time::Instant;

use futures_util::StreamExt as _;

use super::Job;
use crate::engine::{Limits, Outcome, Status, Stdin};
use crate::judge::{PARALLEL_TESTS, TestCase, passed, verdict};
use crate::language::Runner;
use crate::server::executions::TestResult;

/// The least output a test may keep, however many tests share the limit.
const MIN_TEST_OUTPUT: usize = 1024;

/// Runs every test of `job`; the run's outcome (how the build went, and
/// the first test that did not end cleanly) and each test's result.
pub(super) async fn run_tests(runner: &Runner, job: &Job) -> (Outcome, Vec<TestResult>) {
    let started = Instant::now();
    let limits = test_limits(job.limits, job.tests.len());
    let mut tests = job.tests.iter();
    let Some(first) = tests.next() else {
        return (
            Outcome::failed(Status::InternalError, "no tests"),
            Vec::new(),
        );
    };
    let first_outcome = run_test(runner, job, first, limits).await;
    if first_outcome.status == Status::CompileError {
        return (first_outcome, Vec::new());
    }
    let mut outcomes = vec![first_outcome];
    // Made before they are streamed: a closure that makes them inside the
    // stream would have to work for any lifetime, which spawn requires.
    let runs: Vec<_> = tests
        .map(|test| run_test(runner, job, test, limits))
        .collect();
    let rest: Vec<Outcome> = futures_util::stream::iter(runs)
        .buffered(PARALLEL_TESTS)
        .collect()
        .await;
    outcomes.extend(rest);
    let results: Vec<TestResult> = job
        .tests
        .iter()
        .zip(&outcomes)
        .map(|(test, outcome)| judge(test, outcome, job))
        .collect();
    (summary(outcomes, started), results)
}

/// Each test's limits: the run's, with its share of the output.
fn test_limits(limits: Limits, tests: usize) -> Limits {
    Limits {
        output_bytes: (limits.output_bytes / tests.max(1)).max(MIN_TEST_OUTPUT),
        ..limits
    }
}

async fn run_test(runner: &Runner, job: &Job, test: &TestCase, limits: Limits) -> Outcome {
    // A test without its own stdin (or args) gets the run's.
    let stdin = test
        .stdin
        .as_ref()
        .map_or_else(|| job.stdin.clone(), |stdin| stdin.clone().into_bytes());
    let args = test.args.clone().unwrap_or_else(|| job.args.clone());
    runner
        .run_file(job.run_file(Stdin::Bytes(stdin), args, limits, None))
        .await
}

fn judge(test: &TestCase, outcome: &Outcome, job: &Job) -> TestResult {
    let stdout = outcome.stdout_lossy();
    let verdict = verdict(
        outcome.status,
        &stdout,
        test.expected_output.as_deref(),
        job.compare,
    );
    TestResult {
        status: outcome.status,
        passed: passed(outcome.status, verdict),
        verdict,
        exit_code: outcome.exit_code,
        stdout,
        stderr: outcome.stderr_lossy(),
        duration_ms: outcome.duration.as_millis() as u64,
        memory_bytes: outcome.peak_memory_bytes,
        truncated: outcome.truncated,
        message: outcome.message.clone(),
    }
}

/// The run's own outcome: the build's (from the first test, which
/// compiled it), the status of the first test that did not end cleanly
/// (or `ok`), no output of its own, the time of them all and the most
/// memory any test used.
fn summary(mut outcomes: Vec<Outcome>, started: Instant) -> Outcome {
    let peak = outcomes
        .iter()
        .map(|o| o.peak_memory_bytes)
        .max()
        .unwrap_or(0);
    let failing = outcomes
        .iter()
        .position(|o| o.status != Status::Ok)
        .map(|index| (index, outcomes[index].status, outcomes[index].exit_code));
    let mut outcome = outcomes.swap_remove(0);
    outcome.stdout.clear();
    outcome.stderr.clear();
    outcome.truncated = false;
    outcome.peak_memory_bytes = peak;
    outcome.duration = started.elapsed();
    (outcome.status, outcome.exit_code, outcome.message) = match failing {
        Some((index, status, exit_code)) => (
            status,
            exit_code,
            Some(format!("test {index} ended with {}", status.as_str())),
        ),
        None => (Status::Ok, Some(0), None),
    };
    outcome
}
