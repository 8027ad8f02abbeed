//! Blocking threads for the shell's own commands.
//!
//! The shell's builtins and utilities are synchronous code over cap-std, so
//! each one that runs holds a blocking thread of the server's runtime (see
//! `shell::io::Io::blocking`). Those threads are few (tokio keeps at most
//! 512) and shared with everything else that blocks. A command line of
//! 1,000 pipeline stages once took all of them, and `/health` and every
//! other shell hung. So:
//!
//! - a pipeline has at most `MAX_PIPELINE_STAGES` stages ([`check_stages`]);
//! - a running builtin holds a permit of its session (as many as a
//!   pipeline may have stages, so that a session's own pipeline can always
//!   run all its stages at once and never waits on itself) and one of the
//!   server's `MAX_SHELL_THREADS`, well below tokio's pool, so that other
//!   blocking work always finds a thread;
//! - waiting for a permit holds no thread (it is an async wait), and
//!   neither do `sleep` nor a stage waiting for its first input.

use std::sync::{Arc, LazyLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Refusal;

/// The server's permits for the shell's blocking threads.
fn shell_threads() -> &'static Arc<Semaphore> {
    static PERMITS: LazyLock<Arc<Semaphore>> =
        LazyLock::new(|| Arc::new(Semaphore::new(super::settings().shell_threads)));
    &PERMITS
}

/// Blocking threads the shell's commands hold now, over all sessions.
pub fn shell_threads_in_use() -> usize {
    super::settings().shell_threads - shell_threads().available_permits()
}

/// A pipeline of `stages` commands may run.
pub fn check_stages(stages: usize) -> Result<(), Refusal> {
    let limit = super::settings().pipeline_stages;
    if stages > limit {
        return Err(Refusal::TooManyStages { stages, limit });
    }
    Ok(())
}

/// One session's share of the shell's blocking threads.
#[derive(Clone)]
pub struct SessionThreads {
    session: Arc<Semaphore>,
}

impl Default for SessionThreads {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionThreads {
    pub fn new() -> Self {
        Self {
            session: Arc::new(Semaphore::new(super::settings().pipeline_stages)),
        }
    }

    /// Waits (without holding a thread) until this session and the server
    /// both have a thread for one more command. The caller bounds the wait
    /// by the command's time limit and Ctrl-C.
    pub async fn acquire(&self) -> Result<ThreadGrant, Refusal> {
        let session = self
            .session
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Refusal::ThreadsBusy)?;
        let server = shell_threads()
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Refusal::ThreadsBusy)?;
        Ok(ThreadGrant {
            _session: session,
            _server: server,
        })
    }
}

impl SessionThreads {
    /// Waits until none of this session's builtins holds a thread.
    pub async fn settled(&self) {
        let all = u32::try_from(super::settings().pipeline_stages).unwrap_or(u32::MAX);
        let _ = self.session.acquire_many(all).await;
    }
}

/// A thread for one command, held while it runs.
pub struct ThreadGrant {
    _session: OwnedSemaphorePermit,
    _server: OwnedSemaphorePermit,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_longer_than_the_cap_are_refused() {
        let limit = crate::budget::settings().pipeline_stages;
        assert!(check_stages(limit).is_ok());
        assert_eq!(
            check_stages(limit + 1),
            Err(Refusal::TooManyStages {
                stages: limit + 1,
                limit
            })
        );
    }
}
