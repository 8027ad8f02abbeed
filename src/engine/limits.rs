//! The limits one execution runs under, the memory limiter that enforces
//! the linear-memory part of them while recording what the guest asked for,
//! and the pool that bounds the memory of live instances together.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
            memory_bytes: 512 * 1024 * 1024,
            output_bytes: 1024 * 1024,
        }
    }
}

/// Linear memory shared by every live instance: each one's growth is
/// taken from it and given back when the instance is dropped.
#[derive(Debug)]
pub struct MemoryPool {
    capacity: u64,
    used: AtomicU64,
}

impl MemoryPool {
    pub fn new(capacity: u64) -> Arc<Self> {
        Arc::new(Self {
            capacity,
            used: AtomicU64::new(0),
        })
    }

    /// Bytes held by live instances now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub(crate) fn try_take(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes)
                    .filter(|&total| total <= self.capacity)
            })
            .is_ok()
    }

    pub(crate) fn give_back(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(bytes))
            });
    }
}

/// Refuses growth past the limit and remembers that it did, because a refused
/// `memory.grow` only returns -1 to the guest: without this record a program
/// that dies of it would look like any other crash.
pub(crate) struct MemoryLimiter {
    limit: usize,
    peak: usize,
    refused: bool,
    /// The linear memory of every memory of the instance, together.
    total: usize,
    /// Where growth is also taken from (live instances), and whether it
    /// refused some.
    pool: Option<Arc<MemoryPool>>,
    pool_refused: bool,
}

impl MemoryLimiter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            peak: 0,
            refused: false,
            total: 0,
            pool: None,
            pool_refused: false,
        }
    }

    /// This limiter, for an instance whose memories `earlier` watched grow
    /// so far (an instance made before its run).
    pub fn continuing(mut self, earlier: &MemoryLimiter) -> Self {
        self.total = earlier.total;
        self.peak = earlier.peak;
        self
    }

    /// Takes every growth from `pool` as well, and gives it back on drop.
    pub fn drawing_on(self, pool: Arc<MemoryPool>) -> Self {
        Self {
            pool: Some(pool),
            ..self
        }
    }

    /// The memory held now.
    pub fn current_bytes(&self) -> u64 {
        self.total as u64
    }

    /// Whether the pool, rather than the limit, refused a growth.
    pub fn pool_refused(&self) -> bool {
        self.pool_refused
    }

    /// Starts a new turn of a live instance: earlier refusals were reported.
    pub fn forget_refusals(&mut self) {
        self.refused = false;
        self.pool_refused = false;
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
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let allowed = desired <= self.limit && maximum.is_none_or(|max| desired <= max);
        if !allowed {
            self.refused = true;
            return Ok(false);
        }
        if let Some(pool) = &self.pool
            && !pool.try_take(growth as u64)
        {
            self.refused = true;
            self.pool_refused = true;
            return Ok(false);
        }
        self.total = self.total.saturating_add(growth);
        self.peak = self.peak.max(desired);
        Ok(true)
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

impl Drop for MemoryLimiter {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.give_back(self.total as u64);
        }
    }
}
