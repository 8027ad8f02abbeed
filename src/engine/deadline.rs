//! A run's wall-time limit.
//!
//! A program has [`Limits::wall_time`](super::Limits) from its start. An
//! interactive run (a REPL at a terminal) lives as long as its user keeps
//! typing, so there the limit applies to each evaluation instead: while
//! the guest waits in a read of its standard input, time does not count,
//! and every line it reads starts a new allowance. What bounds a REPL that
//! waits for ever is the session's idle timeout, which ends the session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wiggle::GuestMemory;

use super::StoreState;
use super::hooks::shadow;
use wasmtime_wasi::p1::wasi_snapshot_preview1 as p1;

/// Standard input's descriptor.
const STDIN: i32 = 0;

pub(crate) struct Deadline {
    started: Instant,
    limit: Duration,
    /// When the time is up, in nanoseconds after `started`.
    at: AtomicU64,
    /// The guest is blocked reading its terminal (interactive runs only).
    waiting: AtomicBool,
    interactive: bool,
}

impl Deadline {
    pub(crate) fn new(started: Instant, limit: Duration, interactive: bool) -> Arc<Self> {
        Arc::new(Self {
            started,
            limit,
            at: AtomicU64::new(nanos(limit)),
            waiting: AtomicBool::new(false),
            interactive,
        })
    }

    /// When the time is up (ignoring waits still going on).
    pub(crate) fn instant(&self) -> Instant {
        self.started + Duration::from_nanos(self.at.load(Ordering::Relaxed))
    }

    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Whether the run is out of time now.
    pub(crate) fn expired(&self) -> bool {
        !self.is_waiting() && Instant::now() >= self.instant()
    }

    /// A read of the terminal begins: until the guard drops, time does not
    /// count, and afterwards the run has its whole limit again. `None`
    /// for runs that are not interactive.
    fn reading_terminal(self: &Arc<Self>) -> Option<ReadingTerminal> {
        if !self.interactive {
            return None;
        }
        self.waiting.store(true, Ordering::Relaxed);
        Some(ReadingTerminal(self.clone()))
    }

    /// Waits until the run is out of time: returns at once if it already
    /// is, and never while it waits for its terminal.
    pub(crate) async fn elapsed(&self, slack: Duration) {
        loop {
            let wake = if self.is_waiting() {
                Instant::now() + Duration::from_millis(100)
            } else {
                self.instant() + slack
            };
            tokio::time::sleep_until(tokio::time::Instant::from_std(wake)).await;
            if !self.is_waiting() && Instant::now() >= self.instant() + slack {
                return;
            }
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

struct ReadingTerminal(Arc<Deadline>);

impl Drop for ReadingTerminal {
    fn drop(&mut self) {
        let deadline = &self.0;
        let renewed = deadline.started.elapsed() + deadline.limit;
        deadline.at.store(nanos(renewed), Ordering::Relaxed);
        deadline.waiting.store(false, Ordering::Relaxed);
    }
}

/// Replaces `fd_read` with a version that marks reads of standard input
/// as waiting (for interactive runs).
pub(super) fn add_to_linker(linker: &mut wasmtime::Linker<StoreState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    shadow!(linker, fd_read(fd: i32, iovs: i32, iovs_len: i32, nread: i32));
    linker.allow_shadowing(false);
    Ok(())
}

async fn fd_read(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    nread: i32,
) -> wasmtime::Result<i32> {
    let _waiting = (fd == STDIN)
        .then(|| state.deadline.reading_terminal())
        .flatten();
    p1::fd_read(&mut state.wasi, memory, fd, iovs, iovs_len, nread).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_the_terminal_renews_an_interactive_runs_time() {
        let started = Instant::now() - Duration::from_secs(10);
        let interactive = Deadline::new(started, Duration::from_secs(5), true);
        assert!(interactive.expired());
        let reading = interactive.reading_terminal();
        assert!(!interactive.expired(), "waiting does not count");
        drop(reading);
        assert!(!interactive.expired(), "a line read renews the limit");
        assert!(interactive.instant() > Instant::now() + Duration::from_secs(4));
        let batch = Deadline::new(started, Duration::from_secs(5), false);
        assert!(batch.reading_terminal().is_none());
        assert!(batch.expired());
    }
}
