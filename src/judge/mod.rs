//! Judging a program against test cases: what a test gives the program,
//! how its output is compared with the expected one, and the verdict.
//!
//! - `compare`: the comparison modes (`exact`, `trim-lines`, `tokens`,
//!   `float:<tolerance>`).

mod compare;

pub use compare::{Compare, UnknownCompare};
use serde::{Deserialize, Serialize};

use crate::engine::Status;

/// The most test cases one run may have.
pub const MAX_TESTS: usize = 64;

/// Tests run at once for one request (all within its one admission).
pub const PARALLEL_TESTS: usize = 4;

/// One test case: what the program is given, and what it should print.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestCase {
    /// The program's standard input in this test (without it, the
    /// run's `stdin`).
    #[serde(default)]
    pub stdin: Option<String>,
    /// What its standard output should be (compared as `compare` says);
    /// without it, the test only runs.
    #[serde(default)]
    pub expected_output: Option<String>,
    /// Arguments for this test instead of the run's `args`.
    #[serde(default)]
    pub args: Option<Vec<String>>,
}

/// A test's verdict: `accepted` or `wrong_answer` when the program ran to
/// a clean exit and an expected output was given, otherwise how the run
/// ended (`timeout`, `runtime_error`, …); `None` with no expected output
/// and a clean exit.
pub fn verdict(
    status: Status,
    stdout: &str,
    expected: Option<&str>,
    compare: Compare,
) -> Option<&'static str> {
    match (status, expected) {
        (Status::Ok, None) => None,
        (Status::Ok, Some(expected)) if compare.matches(stdout, expected) => Some(ACCEPTED),
        (Status::Ok, Some(_)) => Some("wrong_answer"),
        (status, _) => Some(status.as_str()),
    }
}

/// The verdict of a test whose output matched.
pub const ACCEPTED: &str = "accepted";

/// Whether a test passed: it was accepted, or it had nothing to match and
/// exited cleanly.
pub fn passed(status: Status, verdict: Option<&str>) -> bool {
    match verdict {
        Some(verdict) => verdict == ACCEPTED,
        None => status == Status::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_status_then_the_output() {
        let compare = Compare::TrimLines;
        assert_eq!(
            verdict(Status::Ok, "3\n", Some("3"), compare),
            Some("accepted")
        );
        assert_eq!(
            verdict(Status::Ok, "4\n", Some("3"), compare),
            Some("wrong_answer")
        );
        assert_eq!(verdict(Status::Ok, "3\n", None, compare), None);
        assert_eq!(
            verdict(Status::Timeout, "3\n", Some("3"), compare),
            Some("timeout")
        );
        assert_eq!(
            verdict(Status::RuntimeError, "", None, compare),
            Some("runtime_error")
        );
        assert!(passed(Status::Ok, None));
        assert!(passed(Status::Ok, Some("accepted")));
        assert!(!passed(Status::Ok, Some("wrong_answer")));
        assert!(!passed(Status::RuntimeError, Some("runtime_error")));
    }
}
