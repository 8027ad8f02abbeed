//! The limits one execution runs under, and the memory limiter that enforces
//! the linear-memory part of them while recording what the guest asked for.

use std::time::Duration;

/// Resource limits for one execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time from start to finish, including time blocked on stdin.
    pub wall_time: Duration,
    /// WebAssembly instructions, roughly: one unit per basic block operator.
    pub fuel: u64,
    /// Linear memory of the instance, in bytes.
    pub memory_bytes: u64,
    /// stdout and stderr together, in bytes.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            wall_time: Duration::from_secs(30),
            fuel: 200_000_000_000,
            memory_bytes: 256 * 1024 * 1024,
            output_bytes: 1024 * 1024,
        }
    }
}

/// Refuses growth past the limit and remembers that it did, because a refused
/// `memory.grow` only returns -1 to the guest: without this record a program
/// that dies of it would look like any other crash.
pub(crate) struct MemoryLimiter {
    limit: usize,
    peak: usize,
    refused: bool,
}

impl MemoryLimiter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            peak: 0,
            refused: false,
        }
    }

    pub fn peak_bytes(&self) -> u64 {
        self.peak as u64
    }

    pub fn refused(&self) -> bool {
        self.refused
    }
}

/// Upper bound on table growth: far more functions than any real program
/// references indirectly, far less than would hurt the host.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.limit && maximum.is_none_or(|max| desired <= max);
        if allowed {
            self.peak = self.peak.max(desired);
        } else {
            self.refused = true;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS && maximum.is_none_or(|max| desired <= max))
    }
}
