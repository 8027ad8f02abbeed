//! File descriptors.
//!
//! The process has one open-files limit for everything: accepted
//! connections, websockets, the runtimes, sandboxes' own directories, and
//! the files guests and shell commands open. One guest opening a file
//! 20,000 times once took them all, and then other users' runs and new
//! sockets failed. So the limit is split: half for connections and the
//! server's own work (see [`connection_share`]), the other half for files
//! opened on users' behalf ([`sandbox_files`]), from which each execution
//! takes at most `MAX_OPEN_FILES` and each shell command at most
//! [`MAX_FILES_PER_COMMAND`].

use std::collections::HashSet;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Refusal;

/// Files one shell command (`tee a b c …`) may hold open at once.
pub const MAX_FILES_PER_COMMAND: u64 = 256;

/// Kept aside from both shares, for the runtimes, logs and sandboxes'
/// directories.
const RESERVED: u64 = 64;

/// Used where the process has no open-files limit to read (Windows: its
/// handles are not counted by a C library limit).
#[cfg(not(unix))]
const NOMINAL_LIMIT: u64 = 16_384;

/// The process's open-files limit, raised once to its hard limit.
pub fn process_limit() -> u64 {
    static LIMIT: LazyLock<u64> = LazyLock::new(raise_open_files_limit);
    *LIMIT
}

/// Descriptors for connections and the server's own work.
pub fn connection_share() -> u64 {
    (process_limit() / 2).saturating_sub(RESERVED).max(16)
}

/// Descriptors for files opened on users' behalf, shared by every
/// execution and shell command.
pub fn sandbox_files() -> &'static Descriptors {
    static SHARE: LazyLock<Descriptors> =
        LazyLock::new(|| Descriptors::new((process_limit() / 2).saturating_sub(RESERVED).max(16)));
    &SHARE
}

/// A share of descriptors: a count taken and given back.
#[derive(Debug)]
pub struct Descriptors {
    capacity: u64,
    used: AtomicU64,
}

impl Descriptors {
    pub const fn new(capacity: u64) -> Self {
        Self {
            capacity,
            used: AtomicU64::new(0),
        }
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Descriptors taken now.
    pub fn in_use(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Takes `count` descriptors, or none if fewer are left.
    pub fn take(&'static self, count: u64) -> Result<FileGrant, Refusal> {
        self.take_more(count)?;
        Ok(FileGrant { from: self, count })
    }

    fn take_more(&self, count: u64) -> Result<(), Refusal> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(count).filter(|n| *n <= self.capacity)
            })
            .map(drop)
            .map_err(|_| Refusal::ServerOutOfFiles)
    }

    fn give_back(&self, count: u64) {
        self.used.fetch_sub(count, Ordering::AcqRel);
    }
}

/// Descriptors taken from a share; given back when dropped.
#[derive(Debug)]
pub struct FileGrant {
    from: &'static Descriptors,
    count: u64,
}

impl FileGrant {
    /// Nothing taken yet.
    pub fn empty(from: &'static Descriptors) -> Self {
        Self { from, count: 0 }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Takes one more descriptor.
    pub fn grow(&mut self) -> Result<(), Refusal> {
        self.from.take_more(1)?;
        self.count += 1;
        Ok(())
    }

    /// Gives one back (a descriptor was closed).
    pub fn shrink(&mut self) {
        if self.count > 0 {
            self.count -= 1;
            self.from.give_back(1);
        }
    }
}

impl Drop for FileGrant {
    fn drop(&mut self) {
        self.from.give_back(self.count);
    }
}

/// The files one execution has open, at most `limit`
/// (`MAX_OPEN_FILES`), each also taken from [`sandbox_files`]. Only what
/// it opened counts: closing its standard streams or preopened
/// directories gives nothing back.
#[derive(Debug)]
pub struct OpenFiles {
    grant: FileGrant,
    limit: u64,
    /// The descriptors it opened (at most `limit` of them).
    opened: HashSet<u32>,
}

impl OpenFiles {
    /// An execution's table, with the configured per-execution cap.
    pub fn for_execution() -> Self {
        Self::new(sandbox_files(), super::settings().open_files_per_execution)
    }

    pub fn new(share: &'static Descriptors, limit: u64) -> Self {
        Self {
            grant: FileGrant::empty(share),
            limit,
            opened: HashSet::new(),
        }
    }

    pub fn open(&self) -> u64 {
        self.grant.count()
    }

    /// Reserves one more file before it is opened: `TooManyOpenFiles` at
    /// the execution's cap (EMFILE), `ServerOutOfFiles` when the share is
    /// spent (ENFILE).
    pub fn opening(&mut self) -> Result<(), Refusal> {
        if self.grant.count() >= self.limit {
            return Err(Refusal::TooManyOpenFiles { limit: self.limit });
        }
        self.grant.grow()
    }

    /// The reserved file did not open.
    pub fn not_opened(&mut self) {
        self.grant.shrink();
    }

    /// The reserved file opened as `fd`.
    pub fn opened(&mut self, fd: u32) {
        if !self.opened.insert(fd) {
            // A number already counted (it cannot be open twice): the
            // reservation is not needed.
            self.grant.shrink();
        }
    }

    /// `fd` was closed.
    pub fn closed(&mut self, fd: u32) {
        if self.opened.remove(&fd) {
            self.grant.shrink();
        }
    }

    /// `from` now has the number `to`, and what `to` was is closed.
    pub fn renumbered(&mut self, from: u32, to: u32) {
        self.closed(to);
        if self.opened.remove(&from) {
            self.opened.insert(to);
        }
    }
}

/// Raises the soft open-files limit to the hard one (at most 2^20), and
/// returns the limit in force.
#[cfg(unix)]
fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct we pass, which we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max.min(1 << 20),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads the struct we pass; failing leaves the
        // limit as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    // `rlim_t` is u64 on Linux and macOS, but not on every Unix.
    #[allow(clippy::useless_conversion)]
    u64::from(limit.rlim_cur).min(1 << 20)
}

#[cfg(not(unix))]
fn raise_open_files_limit() -> u64 {
    NOMINAL_LIMIT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_stops_at_its_cap_and_the_share_at_its_capacity() {
        static SHARE: Descriptors = Descriptors::new(5);
        let mut first = OpenFiles::new(&SHARE, 3);
        for fd in 3..6 {
            first.opening().unwrap();
            first.opened(fd);
        }
        assert_eq!(first.opening(), Err(Refusal::TooManyOpenFiles { limit: 3 }));
        let mut second = OpenFiles::new(&SHARE, 3);
        second.opening().unwrap();
        second.opened(3);
        second.opening().unwrap();
        second.not_opened();
        second.opening().unwrap();
        second.opened(4);
        assert_eq!(second.opening(), Err(Refusal::ServerOutOfFiles));
        // Closing what it never opened (stdio, a preopen) gives nothing.
        first.closed(1);
        assert_eq!(first.open(), 3);
        first.closed(5);
        first.renumbered(3, 4);
        assert_eq!(first.open(), 1);
        second.opening().unwrap();
        second.opened(5);
        drop(first);
        assert_eq!(SHARE.in_use(), 3);
        drop(second);
        assert_eq!(SHARE.in_use(), 0);
    }
}
