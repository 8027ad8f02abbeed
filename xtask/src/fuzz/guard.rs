//! What turns a runaway input into a failure with its input saved, rather
//! than a killed machine or a fuzzer that never ends:
//!
//! - [`CappedAllocator`], this process's global allocator, counts the live
//!   heap. While [`arm`]ed, one allocation over [`MAX_ALLOCATION`] or a
//!   live heap over [`MAX_LIVE_HEAP`] is a finding: the input in flight is
//!   saved and the process aborts (a `printf` width that asks for a
//!   terabyte is caught before the request reaches the system).
//! - a watchdog thread: an input that runs past [`MAX_INPUT_TIME`] is a
//!   hang; it is saved and the process exits.
//!
//! The input in flight is recorded by [`running`] before each input runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One allocation larger than this is a finding.
pub const MAX_ALLOCATION: usize = 256 << 20;

/// A live heap larger than this is a finding.
pub const MAX_LIVE_HEAP: usize = 3 << 30;

/// An input running longer than this is a hang (every input runs under
/// limits of a few seconds).
pub const MAX_INPUT_TIME: Duration = Duration::from_secs(20);

pub struct CappedAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static ARMED: AtomicBool = AtomicBool::new(false);

/// The input in flight: its target and text, and when it started (ms
/// since [`arm`], 0 when none runs).
static CURRENT: Mutex<Option<(&'static str, String)>> = Mutex::new(None);
static STARTED_MS: AtomicU64 = AtomicU64::new(0);
static EPOCH: Mutex<Option<Instant>> = Mutex::new(None);

// SAFETY: every call is passed to the system allocator unchanged; the
// counting is atomics only, and the finding path never returns.
unsafe impl GlobalAlloc for CappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: as for `alloc`.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        moved
    }
}

fn check(size: usize) {
    if !ARMED.load(Ordering::Relaxed) {
        return;
    }
    let live = LIVE.load(Ordering::Relaxed);
    if size > MAX_ALLOCATION {
        disarm();
        finding(&format!(
            "an allocation of {size} bytes (the cap is {MAX_ALLOCATION})"
        ));
    }
    if live.saturating_add(size) > MAX_LIVE_HEAP {
        disarm();
        finding(&format!(
            "a live heap of {} MiB (the cap is {} MiB)",
            (live + size) >> 20,
            MAX_LIVE_HEAP >> 20
        ));
    }
}

/// Turns the caps off, before anything more is allocated on the way out.
fn disarm() {
    ARMED.store(false, Ordering::SeqCst);
}

/// Saves the input in flight, says what happened, and ends the process
/// (the caps are off by now).
fn finding(what: &str) -> ! {
    let saved = save_current();
    eprintln!("fuzz: FAILED: {what}\nfuzz: the input is saved in {saved}");
    std::process::abort();
}

/// Writes the input in flight to `target/fuzz-findings/`, and says where.
fn save_current() -> String {
    let current = match CURRENT.try_lock() {
        Ok(current) => current.clone(),
        Err(_) => None,
    };
    let Some((target, input)) = current else {
        return "(no input was running)".to_owned();
    };
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = workspace
        .parent()
        .unwrap_or(&workspace)
        .join("target/fuzz-findings");
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = dir.join(format!("{target}-{stamp}.txt"));
    let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &input));
    match written {
        Ok(()) => format!("{} ({target}: {:.200?})", path.display(), input),
        Err(error) => format!("nowhere ({error}); it was ({target}) {input:?}"),
    }
}

fn now_ms() -> u64 {
    let epoch = *EPOCH
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(Instant::now);
    epoch.elapsed().as_millis() as u64 + 1
}

/// Turns the caps off while `work` runs (loading the runtimes maps and
/// reads large files by design), then on again.
pub async fn unguarded<T>(work: impl std::future::Future<Output = T>) -> T {
    let was = ARMED.swap(false, Ordering::SeqCst);
    let result = work.await;
    ARMED.store(was, Ordering::SeqCst);
    result
}

/// Turns the caps on, and starts the watchdog.
pub fn arm() {
    now_ms();
    ARMED.store(true, Ordering::SeqCst);
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let started = STARTED_MS.load(Ordering::SeqCst);
            if started != 0 && now_ms() - started > MAX_INPUT_TIME.as_millis() as u64 {
                ARMED.store(false, Ordering::SeqCst);
                let saved = save_current();
                eprintln!(
                    "fuzz: FAILED: an input ran for more than {} s (a hang)\nfuzz: the input is saved in {saved}",
                    MAX_INPUT_TIME.as_secs()
                );
                std::process::exit(3);
            }
        }
    });
}

/// Records the input about to run (until [`done`]).
pub fn running(target: &'static str, input: &str) {
    *CURRENT.lock().unwrap_or_else(|p| p.into_inner()) = Some((target, input.to_owned()));
    STARTED_MS.store(now_ms(), Ordering::SeqCst);
}

/// The input in flight has finished.
pub fn done() {
    STARTED_MS.store(0, Ordering::SeqCst);
}
