//! Numbered progress lines on stderr, and the current step for `/health`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Reports provisioning steps as `[n/total] what … result (time)`.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Mutex<ProgressState>>,
}

struct ProgressState {
    total: usize,
    current: usize,
    step: String,
    started: Instant,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Self {
            inner: Arc::new(Mutex::new(ProgressState {
                total: 0,
                current: 0,
                step: String::new(),
                started: Instant::now(),
                quiet,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_total(&self, total: usize) {
        self.lock().total = total;
    }

    /// Starts the next step.
    pub(crate) fn step(&self, what: impl Into<String>) {
        let mut state = self.lock();
        state.current += 1;
        state.step = what.into();
        state.started = Instant::now();
        if !state.quiet {
            eprintln!("[{}/{}] {}", state.current, state.total, state.step);
        }
    }

    /// Ends the current step with a short result ("12.1 MB, verified").
    pub(crate) fn done(&self, result: impl AsRef<str>) {
        let state = self.lock();
        if !state.quiet {
            eprintln!(
                "      {} ({:.1} s)",
                result.as_ref(),
                state.started.elapsed().as_secs_f64()
            );
        }
    }

    pub(crate) fn note(&self, line: impl AsRef<str>) {
        if !self.lock().quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// The step in progress, for status displays: `"3/6 precompiling clang"`.
    pub fn current(&self) -> String {
        let state = self.lock();
        format!("{}/{} {}", state.current, state.total, state.step)
    }
}

/// Formats a byte count the way progress lines show sizes.
pub(crate) fn size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().si().to_string()
}
