//! Judge0's statuses, and which one a run ended with.

use serde::Serialize;

use crate::engine::Status;
use crate::judge::{Compare, verdict};
use crate::server::executions::ExecutionResult;

/// A status as Judge0 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(in crate::server) struct Judge0Status {
    pub id: u32,
    pub description: &'static str,
}

const fn status(id: u32, description: &'static str) -> Judge0Status {
    Judge0Status { id, description }
}

pub(super) const IN_QUEUE: Judge0Status = status(1, "In Queue");
pub(super) const PROCESSING: Judge0Status = status(2, "Processing");
const ACCEPTED: Judge0Status = status(3, "Accepted");
const WRONG_ANSWER: Judge0Status = status(4, "Wrong Answer");
const TIME_LIMIT: Judge0Status = status(5, "Time Limit Exceeded");
const COMPILATION_ERROR: Judge0Status = status(6, "Compilation Error");
const SIGSEGV: Judge0Status = status(7, "Runtime Error (SIGSEGV)");
const SIGXFSZ: Judge0Status = status(8, "Runtime Error (SIGXFSZ)");
const SIGFPE: Judge0Status = status(9, "Runtime Error (SIGFPE)");
const SIGABRT: Judge0Status = status(10, "Runtime Error (SIGABRT)");
const NZEC: Judge0Status = status(11, "Runtime Error (NZEC)");
const OTHER: Judge0Status = status(12, "Runtime Error (Other)");
pub(super) const INTERNAL_ERROR: Judge0Status = status(13, "Internal Error");
const EXEC_FORMAT_ERROR: Judge0Status = status(14, "Exec Format Error");

/// Every status, for `GET /statuses`.
pub(super) const ALL: [Judge0Status; 14] = [
    IN_QUEUE,
    PROCESSING,
    ACCEPTED,
    WRONG_ANSWER,
    TIME_LIMIT,
    COMPILATION_ERROR,
    SIGSEGV,
    SIGXFSZ,
    SIGFPE,
    SIGABRT,
    NZEC,
    OTHER,
    INTERNAL_ERROR,
    EXEC_FORMAT_ERROR,
];

/// The status of a finished run: accepted or wrong answer when it exited
/// cleanly (compared as Judge0 compares: trailing spaces and blank lines
/// do not count), otherwise how it ended. A trap is named by the signal
/// its native counterpart dies of: an invalid memory access SIGSEGV, a
/// division by zero SIGFPE, any other crash SIGABRT; output past the
/// limit is SIGXFSZ (a file too large), a memory limit "Other".
pub(super) fn of(result: &ExecutionResult, expected_output: Option<&str>) -> Judge0Status {
    let message = result.message.as_deref().unwrap_or_default();
    match result.status {
        Status::Ok => match verdict(
            result.status,
            &result.stdout,
            expected_output,
            Compare::TrimLines,
        ) {
            Some("wrong_answer") => WRONG_ANSWER,
            _ => ACCEPTED,
        },
        Status::Timeout | Status::FuelExhausted => TIME_LIMIT,
        Status::CompileError => COMPILATION_ERROR,
        Status::OutputLimit => SIGXFSZ,
        Status::MemoryLimit => OTHER,
        Status::RuntimeError if message.contains("out of bounds") => SIGSEGV,
        Status::RuntimeError if message.contains("divide by zero") => SIGFPE,
        Status::RuntimeError if result.signal().is_some() => SIGABRT,
        Status::RuntimeError => NZEC,
        Status::InstallError | Status::InternalError | Status::Cancelled => INTERNAL_ERROR,
    }
}
