//! Which names a run looked up in a recorded mount.
//!
//! The compile cache keys a program by everything the compiler read, and
//! by every name it probed and did not find: a header found further down
//! the search path, or an `__has_include` that came out false, would
//! change the program the day that file appears. clang's dependency file
//! was the source before, and fell short three ways:
//! - it cost 85 ms per C++ compile, most of a native compile's time (with
//!   system headers included it lists the 800 headers inside the
//!   precompiled header, and clang looks each one up to do so);
//! - without system headers it could be told to leave user files out (a
//!   header with `#pragma GCC system_header` makes the files it includes
//!   system headers);
//! - it never lists names that were probed and not found.
//!
//! So the engine records what the guest asked of the file system, below
//! anything the source can influence: every `path_open`, `path_filestat_get`
//! and `path_readlink` relative to a recorded mount (or to a descriptor
//! opened under one), found or not. Listing a recorded directory makes the
//! record incomplete: its result depends on every name in it.

use std::collections::{BTreeSet, HashMap};

use wasmtime_wasi::p1::wasi_snapshot_preview1 as p1;
use wiggle::{GuestMemory, GuestPtr};

use super::StoreState;
use super::hooks::{SUCCESS, shadow};

/// Names recorded per run, at most; a run that looks up more is not
/// recorded completely (its compile is not cached).
const MAX_PATHS: usize = 10_000;
/// Descriptors under recorded mounts tracked at once, at most.
const MAX_DIRS: usize = 4_096;
/// Longest name recorded (WASI's own `PATH_MAX`).
const MAX_PATH_BYTES: usize = 4_096;

/// What a run looked up in its recorded mounts: guest paths, normalised
/// (no `.` or empty components; `..` is kept as written), without the
/// mounts' roots themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    pub paths: BTreeSet<String>,
    /// False when the run did something the record cannot describe (listed
    /// a recorded directory, looked up too many names, or a name that is
    /// not UTF-8): then nothing may be concluded from `paths`.
    pub complete: bool,
}

/// The record kept while a run goes on.
pub(crate) struct LookupLog {
    /// Descriptors naming something in a recorded mount, with its guest
    /// path: each recorded mount's preopen, and whatever was opened under one.
    under: HashMap<u32, String>,
    lookups: Lookups,
}

impl LookupLog {
    /// Records lookups relative to these preopened descriptors, each with
    /// the guest path it is mounted at.
    pub(crate) fn new(preopens: impl IntoIterator<Item = (u32, String)>) -> Self {
        Self {
            under: preopens.into_iter().collect(),
            lookups: Lookups {
                paths: BTreeSet::new(),
                complete: true,
            },
        }
    }

    pub(crate) fn finish(self) -> Lookups {
        self.lookups
    }

    /// Records a lookup of `path` relative to `dirfd`, if that is under a
    /// recorded mount, and returns the guest path it named.
    fn looked_up(
        &mut self,
        memory: &GuestMemory<'_>,
        dirfd: i32,
        path: GuestPtr<str>,
    ) -> Option<String> {
        let base = self.under.get(&(dirfd as u32))?;
        let Ok(relative) = memory.as_cow_str(path) else {
            self.lookups.complete = false;
            return None;
        };
        if relative.len() > MAX_PATH_BYTES {
            self.lookups.complete = false;
            return None;
        }
        let joined = join(base, &relative);
        if joined != "/" && !self.lookups.paths.contains(&joined) {
            if self.lookups.paths.len() >= MAX_PATHS {
                self.lookups.complete = false;
            } else {
                self.lookups.paths.insert(joined.clone());
            }
        }
        Some(joined)
    }

    /// After a `path_open` (`opened` holds the new descriptor on success):
    /// records the name, and lookups relative to the new descriptor.
    fn opened(
        &mut self,
        memory: &GuestMemory<'_>,
        dirfd: i32,
        path: GuestPtr<str>,
        result: i32,
        opened: i32,
    ) {
        let Some(joined) = self.looked_up(memory, dirfd, path) else {
            return;
        };
        if result != SUCCESS {
            return;
        }
        let Ok(fd) = memory.read(GuestPtr::<u32>::new(opened as u32)) else {
            self.lookups.complete = false;
            return;
        };
        if self.under.len() >= MAX_DIRS {
            self.lookups.complete = false;
            return;
        }
        self.under.insert(fd, joined);
    }

    fn closed(&mut self, fd: i32) {
        self.under.remove(&(fd as u32));
    }

    fn renumbered(&mut self, from: i32, to: i32) {
        self.under.remove(&(to as u32));
        if let Some(path) = self.under.remove(&(from as u32)) {
            self.under.insert(to as u32, path);
        }
    }

    fn listed(&mut self, fd: i32) {
        if self.under.contains_key(&(fd as u32)) {
            self.lookups.complete = false;
        }
    }
}

/// `base` (a guest directory) joined with a WASI-relative `path`, with
/// `.` and empty components dropped.
fn join(base: &str, path: &str) -> String {
    let parts: Vec<&str> = base
        .split('/')
        .chain(path.split('/'))
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// Called by the `path_open` hook after the real call.
pub(super) fn after_open(
    state: &mut StoreState,
    memory: &GuestMemory<'_>,
    dirfd: i32,
    path: GuestPtr<str>,
    result: i32,
    opened: i32,
) {
    if let Some(log) = &mut state.lookups {
        log.opened(memory, dirfd, path, result, opened);
    }
}

/// Called by the `fd_close` hook after a successful close.
pub(super) fn after_close(state: &mut StoreState, fd: i32) {
    if let Some(log) = &mut state.lookups {
        log.closed(fd);
    }
}

/// Called by the `fd_renumber` hook after a successful renumbering.
pub(super) fn after_renumber(state: &mut StoreState, from: i32, to: i32) {
    if let Some(log) = &mut state.lookups {
        log.renumbered(from, to);
    }
}

/// Replaces the lookup imports that no other hook wraps with recording
/// versions (`path_open`, `fd_close` and `fd_renumber` are wrapped by the
/// disk quota's hooks, which call the functions above).
pub(super) fn add_to_linker(linker: &mut wasmtime::Linker<StoreState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    shadow!(linker, path_filestat_get(dirfd: i32, flags: i32, path_ptr: i32, path_len: i32, buf: i32));
    shadow!(linker, path_readlink(
        dirfd: i32, path_ptr: i32, path_len: i32, buf: i32, buf_len: i32, used: i32
    ));
    shadow!(linker, fd_readdir(fd: i32, buf: i32, buf_len: i32, cookie: i64, used: i32));
    linker.allow_shadowing(false);
    Ok(())
}

async fn path_filestat_get(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    flags: i32,
    path_ptr: i32,
    path_len: i32,
    buf: i32,
) -> wasmtime::Result<i32> {
    record(state, memory, dirfd, path_ptr, path_len);
    p1::path_filestat_get(
        &mut state.wasi,
        memory,
        dirfd,
        flags,
        path_ptr,
        path_len,
        buf,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn path_readlink(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    path_ptr: i32,
    path_len: i32,
    buf: i32,
    buf_len: i32,
    used: i32,
) -> wasmtime::Result<i32> {
    record(state, memory, dirfd, path_ptr, path_len);
    p1::path_readlink(
        &mut state.wasi,
        memory,
        dirfd,
        path_ptr,
        path_len,
        buf,
        buf_len,
        used,
    )
    .await
}

async fn fd_readdir(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    buf: i32,
    buf_len: i32,
    cookie: i64,
    used: i32,
) -> wasmtime::Result<i32> {
    if let Some(log) = &mut state.lookups {
        log.listed(fd);
    }
    p1::fd_readdir(&mut state.wasi, memory, fd, buf, buf_len, cookie, used).await
}

fn record(
    state: &mut StoreState,
    memory: &GuestMemory<'_>,
    dirfd: i32,
    path_ptr: i32,
    path_len: i32,
) {
    if let Some(log) = &mut state.lookups {
        log.looked_up(
            memory,
            dirfd,
            GuestPtr::new((path_ptr as u32, path_len as u32)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn paths_are_joined_without_dots_or_empty_parts() {
        assert_eq!(join("/", "."), "/");
        assert_eq!(join("/", "sub/./a.h"), "/sub/a.h");
        assert_eq!(join("/sub", "b.h"), "/sub/b.h");
        assert_eq!(join("/", "a//b/"), "/a/b");
        assert_eq!(join("/", "../x"), "/../x");
    }
}
