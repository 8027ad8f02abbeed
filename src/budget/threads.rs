//! Blocking threads for the shell's own commands.
//!
//! The shell's builtins and utilities are synchronous code over cap-std, so
//! each one that runs holds a blocking thread of the server's runtime (see
//! `shell::io::Io::blocking`). Those threads are few (tokio keeps at most
//! 512) and shared with everything else that blocks. A command line of
//! 1,000 pipeline stages once took all of them, and `/health` and every
//! other shell hung. So:
//!
//! - a session's command line has at most `MAX_PIPELINE_STAGES` commands
//!   running at once, counting those of its `$(…)` ([`SessionThreads::
//!   start_commands`], taken without waiting: past it, a refusal);
//! - a builtin that runs holds one of its client's threads (half of the
//!   server's) and one of the server's `MAX_SHELL_THREADS`, well below
//!   tokio's pool, so that other blocking work always finds a thread and
//!   no one client takes the last one;
//! - waiting for a thread holds no thread (it is an async wait), and
//!   neither do `sleep` nor a stage waiting for its first input.
//!
//! Since a session's running commands never outnumber its command slots,
//! and slots are taken before threads, a command line never waits on
//! itself.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex, Weak};

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

/// The threads one client may hold: half of the server's.
fn client_share() -> usize {
    (super::settings().shell_threads / 2).max(1)
}

/// One client's permits, shared by its sessions (by address: IPv6
/// addresses of one /64 are one client, as one host holds them all).
fn client_threads(client: IpAddr) -> Arc<Semaphore> {
    static CLIENTS: LazyLock<Mutex<HashMap<IpAddr, Weak<Semaphore>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let client = super::slots::client_key(client);
    let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(permits) = clients.get(&client).and_then(Weak::upgrade) {
        return permits;
    }
    // Clients without a live session are forgotten as new ones come.
    clients.retain(|_, permits| permits.strong_count() > 0);
    let permits = Arc::new(Semaphore::new(client_share()));
    clients.insert(client, Arc::downgrade(&permits));
    permits
}

/// One session's share of the shell's blocking threads.
#[derive(Clone)]
pub struct SessionThreads {
    /// Commands of the session's command line running at once.
    commands: Arc<Semaphore>,
    client: Arc<Semaphore>,
}

impl SessionThreads {
    /// The share of a session of `client`.
    pub fn new(client: IpAddr) -> Self {
        Self {
            commands: Arc::new(Semaphore::new(super::settings().pipeline_stages)),
            client: client_threads(client),
        }
    }

    /// Slots for `count` commands about to run at once (a pipeline's
    /// stages, or a lone command), or a refusal if the command line would
    /// then run more than `MAX_PIPELINE_STAGES`.
    pub fn start_commands(&self, count: usize) -> Result<CommandSlots, Refusal> {
        let limit = super::settings().pipeline_stages;
        let refusal = Refusal::TooManyStages {
            stages: count,
            limit,
        };
        let count = u32::try_from(count).map_err(|_| refusal.clone())?;
        self.commands
            .clone()
            .try_acquire_many_owned(count)
            .map(CommandSlots)
            .map_err(|_| refusal)
    }

    /// Waits (without holding a thread) until the client and the server
    /// both have a thread for one more command. The caller bounds the wait
    /// by the command's time limit and Ctrl-C.
    pub async fn acquire(&self) -> Result<ThreadGrant, Refusal> {
        let client = self
            .client
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
            _client: client,
            _server: server,
        })
    }

    /// Waits until none of this session's commands runs any more.
    pub async fn settled(&self) {
        let all = u32::try_from(super::settings().pipeline_stages).unwrap_or(u32::MAX);
        let _ = self.commands.acquire_many(all).await;
    }
}

/// Slots of commands running in a session, held while they run.
pub struct CommandSlots(OwnedSemaphorePermit);

impl CommandSlots {
    /// One of the slots, to be held by the task of one command (`None`
    /// once all are handed out).
    pub fn take_one(&mut self) -> Option<CommandSlots> {
        self.0.split(1).map(CommandSlots)
    }
}

/// A thread for one command, held while it runs.
pub struct ThreadGrant {
    _client: OwnedSemaphorePermit,
    _server: OwnedSemaphorePermit,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_line_runs_at_most_the_cap_of_commands_at_once() {
        let limit = crate::budget::settings().pipeline_stages;
        let threads = SessionThreads::new(IpAddr::from([127, 0, 0, 1]));
        let most = threads.start_commands(limit - 1).unwrap();
        let nested = threads.start_commands(1).unwrap();
        assert_eq!(
            threads.start_commands(1).err(),
            Some(Refusal::TooManyStages { stages: 1, limit })
        );
        drop((most, nested));
        let mut all = threads.start_commands(limit).unwrap();
        let one = all.take_one().unwrap();
        drop(all);
        assert!(threads.start_commands(limit).is_err(), "one is still held");
        drop(one);
        assert!(threads.start_commands(limit + 1).is_err());
    }
}
