//! How an execution ended, as reported to users.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// The end state of an execution. The names are part of the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Exited with code 0.
    Ok,
    /// Non-zero exit code, or a trap (with its message).
    RuntimeError,
    /// Ran past its wall-time limit.
    Timeout,
    /// Asked for more linear memory than allowed, and died of the refusal.
    MemoryLimit,
    /// Used up its fuel.
    FuelExhausted,
    /// Wrote more than the output limit; the first bytes are kept.
    OutputLimit,
    /// The source did not compile.
    CompileError,
    /// The packages the run asked for could not be installed.
    InstallError,
    /// Our fault, not the program's.
    InternalError,
    /// Stopped before it ended: its client went away, or the server shut
    /// down.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::RuntimeError => "runtime_error",
            Status::Timeout => "timeout",
            Status::MemoryLimit => "memory_limit",
            Status::FuelExhausted => "fuel_exhausted",
            Status::OutputLimit => "output_limit",
            Status::InstallError => "install_error",
            Status::CompileError => "compile_error",
            Status::InternalError => "internal_error",
            Status::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything known about a finished execution.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    /// The guest's exit code, when it exited rather than trapped or was stopped.
    pub exit_code: Option<i32>,
    /// Why it ended, when that is not just an exit code: a trap message, a
    /// limit that was hit, or an internal error.
    pub message: Option<String>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The compiler's diagnostics, for compiled languages; kept apart from
    /// the program's own output.
    pub compile_output: String,
    /// Output was cut at the output limit.
    pub truncated: bool,
    /// Compiling (C, C++) or transpiling (TypeScript) before the run,
    /// when there was such a step; `duration` includes it.
    pub compile_duration: Option<Duration>,
    /// The compiled program came from the program cache.
    pub compile_cached: bool,
    /// For C and C++: the translation units built, and how many of them
    /// came from the cache.
    pub compile_units: Option<CompileUnits>,
    /// Where a compile spent its time, step by step (`plan`, `clang -cc1`,
    /// `wasm-ld`, `translate`), for benchmarks and logs.
    pub compile_phases: Vec<(&'static str, Duration)>,
    pub duration: Duration,
    /// Fuel the guest used; `None` where fuel is not counted (see
    /// [`Metering`](super::Metering)).
    pub fuel_consumed: Option<u64>,
    /// The largest linear memory the instance reached, in bytes.
    pub peak_memory_bytes: u64,
    /// The names the guest looked up in its recorded mounts, when a mount
    /// was recorded (see [`Mount::recorded`](super::Mount::recorded)).
    pub lookups: Option<super::Lookups>,
}

/// The translation units of a C or C++ build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CompileUnits {
    /// Source files compiled and linked into the program.
    pub total: usize,
    /// Those whose object came from the cache, not compiled now.
    pub cached: usize,
}

impl Outcome {
    /// An outcome for a run that never started a guest.
    pub fn failed(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            exit_code: None,
            message: Some(message.into()),
            stdout: Vec::new(),
            stderr: Vec::new(),
            compile_output: String::new(),
            truncated: false,
            duration: Duration::ZERO,
            compile_duration: None,
            compile_phases: Vec::new(),
            compile_cached: false,
            compile_units: None,
            fuel_consumed: None,
            peak_memory_bytes: 0,
            lookups: None,
        }
    }

    pub fn stdout_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The exit code a process would have had, as shells and `timeout(1)` see it.
    pub fn process_exit_code(&self) -> i32 {
        match (self.status, self.exit_code) {
            (Status::Ok, _) => 0,
            (Status::Timeout, _) => 124,
            (_, Some(code)) if code != 0 => code,
            (Status::MemoryLimit | Status::FuelExhausted | Status::OutputLimit, _) => 137,
            (Status::RuntimeError, _) => 134,
            _ => 1,
        }
    }
}
