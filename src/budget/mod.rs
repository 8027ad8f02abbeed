//! Budgets: every resource a user can make the host hold is granted here,
//! from a cap, before it is taken.
//!
//! Each new surface of the server (a shell utility, a protocol's sessions,
//! a context) once brought its own unbounded resource: a `printf` width
//! sized an allocation, a pipeline took every blocking thread, a guest
//! kept every file descriptor. So the host asks this module first, and a
//! request over a cap is a typed [`Refusal`] that each surface words as
//! its own error (an errno for a guest, a message in the shell, a status
//! over HTTP).
//!
//! - [`files`]: file descriptors: the process's share for sandboxes'
//!   files, per execution (`MAX_OPEN_FILES`) and per shell command.
//! - [`threads`]: blocking threads for the shell's own commands, per
//!   client and in all (`MAX_SHELL_THREADS`), and the commands a command
//!   line runs at once (`MAX_PIPELINE_STAGES`).
//! - [`sizes`]: allocations sized by user input: a command's expanded
//!   argv (`MAX_ARGV_BYTES`, `MAX_ARGV_WORDS`) and formatted output.
//! - [`slots`]: things a client opens and leaves open (MCP sessions,
//!   contexts), in all and per client.
//! - [`installs`]: package installs running at once
//!   (`MAX_CONCURRENT_INSTALLS`) and the bytes each may fetch.

pub mod files;
pub mod installs;
pub mod sizes;
pub mod slots;
pub mod threads;

use std::time::Duration;

/// The caps, as configured (see `Config::budgets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// `MAX_OPEN_FILES`: descriptors one execution may have open at once.
    pub open_files_per_execution: u64,
    /// `MAX_PIPELINE_STAGES`: commands in one pipeline.
    pub pipeline_stages: usize,
    /// `MAX_SHELL_THREADS`: shell commands running on blocking threads at
    /// once, over all sessions.
    pub shell_threads: usize,
    /// `MAX_ARGV_BYTES`: one command's expanded arguments together.
    pub argv_bytes: usize,
    /// `MAX_ARGV_WORDS`: one command's expanded arguments.
    pub argv_words: usize,
    /// `MAX_MCP_SESSIONS`: MCP sessions open at once.
    pub mcp_sessions: usize,
    /// `MAX_MCP_SESSIONS_PER_CLIENT`: MCP sessions of one client.
    pub mcp_sessions_per_client: usize,
    /// `MCP_SESSION_IDLE` (ms): an MCP session unused this long is closed.
    pub mcp_session_idle: Duration,
    /// `MAX_CONTEXTS_PER_CLIENT`: contexts one client may hold.
    pub contexts_per_client: usize,
    /// `TRANSPILE_TIMEOUT` (ms): the longest one TypeScript transpile may take.
    pub transpile_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            open_files_per_execution: 1024,
            pipeline_stages: 64,
            shell_threads: 256,
            argv_bytes: 2 << 20,
            argv_words: 100_000,
            mcp_sessions: 256,
            mcp_sessions_per_client: 16,
            mcp_session_idle: Duration::from_secs(300),
            contexts_per_client: 4,
            transpile_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a resource was not granted. Each surface turns it into its own
/// error: the message is written for the user who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// One execution (or command) has as many files open as it may.
    #[error("too many open files (at most {limit} at once)")]
    TooManyOpenFiles { limit: u64 },
    /// The server's share of descriptors for sandboxes' files is in use.
    #[error("the server has no file descriptors to spare; try again shortly")]
    ServerOutOfFiles,
    /// A pipeline that would take a command line past
    /// `MAX_PIPELINE_STAGES` commands running at once.
    #[error(
        "a pipeline of {stages} commands: a command line runs at most {limit} at once, counting those in $(…) (MAX_PIPELINE_STAGES)"
    )]
    TooManyStages { stages: usize, limit: usize },
    /// No blocking thread came free before the command's time was up.
    #[error("the server is too busy to run this command now; try again")]
    ThreadsBusy,
    /// A command's arguments grew past `MAX_ARGV_BYTES` or `MAX_ARGV_WORDS`.
    #[error("the expanded arguments are too long (at most {bytes} bytes and {words} words)")]
    ArgumentsTooLong { bytes: usize, words: usize },
    /// An allocation sized by the input is larger than its cap.
    #[error("{what} of {requested} is too large (at most {limit})")]
    TooLarge {
        what: &'static str,
        requested: u64,
        limit: u64,
    },
    /// A client holds as many of something as it may.
    #[error("too many {what} for one client (at most {limit})")]
    TooManyForClient { what: &'static str, limit: usize },
    /// The server holds as many of something as it may.
    #[error("the server holds as many {what} as it may ({limit}); try again later")]
    ServerFull { what: &'static str, limit: usize },
}

static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();

/// Sets the process-wide caps (the server does this once at start-up;
/// without it, the defaults hold). Later calls are ignored: one process,
/// one set of caps.
pub fn configure(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

/// The process-wide caps.
pub fn settings() -> &'static Settings {
    SETTINGS.get_or_init(Settings::default)
}
