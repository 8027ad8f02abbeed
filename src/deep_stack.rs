//! Work that recurses over user input (oxc parses, transforms and prints
//! TypeScript by recursive descent) runs here: on a thread of its own with
//! a stack far larger than a tokio worker's, and at most a few at a time.
//!
//! A stack overflow is not a panic that can be caught: it aborts the whole
//! process. The caller still bounds how deep the input may be (see
//! [`crate::transpile::check_nesting`]); this stack is sized so that any
//! input within that bound fits with a wide margin.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

/// Stack of each worker thread. Only the pages a job touches are ever
/// committed, and they are returned when the thread ends.
pub const STACK_BYTES: usize = 256 << 20;

/// Jobs running at once; the others wait their turn.
static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new(cores.max(2))
});

/// Why a job did not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum DeepStackError {
    #[error("cannot start a worker thread: {0}")]
    Spawn(std::io::Error),
    #[error("the worker thread panicked")]
    Panicked,
}

/// Runs `job` on a large-stack thread and waits for it without blocking
/// the async runtime. A panic in `job` becomes [`DeepStackError::Panicked`].
pub async fn run<T, F>(job: F) -> Result<T, DeepStackError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    // The permit goes with the thread: a caller that stops waiting does
    // not free a place while its job still runs.
    let permit = PERMITS
        .acquire()
        .await
        .map_err(|_| DeepStackError::Panicked)?;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("polyrun-deep".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let _permit = permit;
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            let _ = sender.send(result);
        })
        .map_err(DeepStackError::Spawn)?;
    match receiver.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) | Err(_) => Err(DeepStackError::Panicked),
    }
}
