//! Disk quotas for guests.
//!
//! wasmtime-wasi writes files without any limit. Here the preview-1 calls
//! that make files grow or appear are redefined: each looks at what the
//! call would add (sizes, offsets, whether a path exists) through
//! wasmtime-wasi's own public implementation, reserves it in the run's
//! [`DiskQuota`], delegates to the original function, and settles the
//! reservation with what really happened. Calls that remove things give
//! back what they freed.
//!
//! A call that does not fit returns `ENOSPC` to the guest without doing
//! anything, exactly as a full disk would: programs see an ordinary
//! `OSError`/`EIO`-style failure they can catch, and nothing is written.
//!
//! Writes to anything but a regular file (stdout, stderr, pipes) are
//! recognised first, without touching the disk, and go straight through.
//!
//! A file that is removed while a program still has it open keeps using
//! the disk until it is closed, though a recount no longer sees it. So each
//! run remembers which files it has open ([`GuestDisk`]): removing one of
//! those (or writing to one after its removal) keeps its bytes counted, as
//! *held*, until the run closes it or ends.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::Linker;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p1::types::{self, Errno};
use wasmtime_wasi::p1::wasi_snapshot_preview1::{self as p1, WasiSnapshotPreview1 as _};
use wiggle::{GuestMemory, GuestPtr};

use super::StoreState;
use super::hooks::{SUCCESS, shadow};
use super::lookups;
use crate::budget::Refusal;
use crate::sandbox::DiskQuota;
use crate::sandbox::quota::ChangeGuard;

/// Identifies a file: device and inode, as `fd_filestat_get` reports them.
type FileId = (u64, u64);

fn file_id(stat: &types::Filestat) -> FileId {
    (stat.dev, stat.ino)
}

/// What a descriptor of this run refers to, as far as the quota cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A regular file.
    File(FileId),
    /// Standard streams, directories: writes to them do not count.
    Other,
}

/// Descriptor numbers are small (WASI hands out the lowest free one): a
/// vector indexed by them is the cheapest lookup, which matters on the path
/// of every write to stdout.
#[derive(Default)]
struct FdTable {
    kinds: Vec<Option<Kind>>,
}

impl FdTable {
    /// Descriptors beyond this are not remembered (looked up every time).
    const MAX: u32 = 1 << 20;

    fn get(&self, fd: u32) -> Option<Kind> {
        self.kinds.get(fd as usize).copied().flatten()
    }

    fn insert(&mut self, fd: u32, kind: Kind) {
        if fd >= Self::MAX {
            return;
        }
        let index = fd as usize;
        if self.kinds.len() <= index {
            self.kinds.resize(index + 1, None);
        }
        self.kinds[index] = Some(kind);
    }

    fn remove(&mut self, fd: u32) -> Option<Kind> {
        self.kinds.get_mut(fd as usize).and_then(Option::take)
    }

    fn contains(&self, kind: Kind) -> bool {
        self.kinds.contains(&Some(kind))
    }
}

/// One run's side of its sandbox's disk quota.
pub(crate) struct GuestDisk {
    quota: Arc<DiskQuota>,
    /// What each descriptor refers to, learnt when it was opened (or, for
    /// stdio and preopens, at its first write), so that a write finds out
    /// whether it counts without a system call.
    fds: FdTable,
    /// Files this run still has open after their last link was removed,
    /// with the bytes they hold (counted, but invisible to a recount).
    held: HashMap<FileId, u64>,
    /// A running program may change its sandbox at any moment: no compile
    /// of that sandbox is cached meanwhile (see `DiskQuota::changing`).
    _changing: ChangeGuard,
}

impl GuestDisk {
    pub(crate) fn new(quota: Arc<DiskQuota>) -> Self {
        Self {
            _changing: quota.changing(),
            quota,
            fds: FdTable::default(),
            held: HashMap::new(),
        }
    }

    fn is_open(&self, id: FileId) -> bool {
        self.fds.contains(Kind::File(id))
    }

    /// Keeps `bytes` of the removed file `id` (already counted) counted
    /// until the run closes it.
    fn hold(&mut self, id: FileId, bytes: u64) {
        self.quota.hold(bytes);
        *self.held.entry(id).or_default() += bytes;
    }

    /// `fd` was closed: a removed file nobody here has open any more frees
    /// what it held.
    fn closed(&mut self, fd: u32) {
        if let Some(Kind::File(id)) = self.fds.remove(fd)
            && !self.is_open(id)
            && let Some(bytes) = self.held.remove(&id)
        {
            self.quota.unhold(bytes);
        }
    }

    /// A file system object is gone: frees its entry, and its bytes unless
    /// this run still has it open.
    fn removed(&mut self, stat: &types::Filestat) {
        let (bytes, entries) = footprint(stat);
        let id = file_id(stat);
        if stat.filetype == types::Filetype::RegularFile && stat.nlink <= 1 && self.is_open(id) {
            self.quota.removed(0, entries);
            self.hold(id, bytes);
        } else {
            self.quota.removed(bytes, entries);
        }
    }

    /// A file of this run grew by `bytes` (already reserved): if it is a
    /// removed one, a recount would not see them.
    fn grew(&mut self, id: FileId, bytes: u64) {
        if self.held.contains_key(&id) {
            self.hold(id, bytes);
        }
    }

    /// A file of this run shrank by `bytes`.
    fn shrank(&mut self, id: FileId, bytes: u64) {
        match self.held.get_mut(&id) {
            Some(held) => {
                let freed = bytes.min(*held);
                *held -= freed;
                self.quota.unhold(freed);
            }
            None => self.quota.removed(bytes, 0),
        }
    }
}

impl Drop for GuestDisk {
    /// The run is over and its files are closed: what they held is free.
    fn drop(&mut self) {
        self.quota.unhold(self.held.values().sum());
    }
}

/// Replaces the quota-relevant WASI imports of `linker` (which must hold
/// wasmtime-wasi's preview-1 functions already) with checked versions.
pub(super) fn add_to_linker(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    shadow!(linker, fd_write(fd: i32, iovs: i32, iovs_len: i32, nwritten: i32));
    shadow!(linker, fd_pwrite(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nwritten: i32));
    shadow!(linker, fd_filestat_set_size(fd: i32, size: i64));
    shadow!(linker, path_open(
        dirfd: i32, dirflags: i32, path: i32, path_len: i32, oflags: i32,
        rights_base: i64, rights_inheriting: i64, fdflags: i32, opened: i32
    ));
    shadow!(linker, path_create_directory(dirfd: i32, path: i32, path_len: i32));
    shadow!(linker, path_symlink(old: i32, old_len: i32, dirfd: i32, new: i32, new_len: i32));
    shadow!(linker, path_link(
        old_dirfd: i32, old_flags: i32, old: i32, old_len: i32,
        new_dirfd: i32, new: i32, new_len: i32
    ));
    shadow!(linker, path_rename(
        old_dirfd: i32, old: i32, old_len: i32, new_dirfd: i32, new: i32, new_len: i32
    ));
    shadow!(linker, path_unlink_file(dirfd: i32, path: i32, path_len: i32));
    shadow!(linker, path_remove_directory(dirfd: i32, path: i32, path_len: i32));
    shadow!(linker, fd_close(fd: i32));
    shadow!(linker, fd_renumber(from: i32, to: i32));
    linker.allow_shadowing(false);
    Ok(())
}

/// The ABI value of an errno.
fn code(errno: Errno) -> i32 {
    i32::from(u16::from(errno))
}

/// What a WASI error means for the guest: an errno to return, or a trap.
fn errno(error: types::Error) -> wasmtime::Result<i32> {
    error.downcast().map(code)
}

/// Unwraps a WASI result, or returns its errno to the guest (or traps).
macro_rules! check {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(error) => return errno(error),
        }
    };
}

/// Reserves room, recounting the sandbox first when that could help (on
/// a blocking thread: a recount walks the tree).
async fn reserve(quota: &Arc<DiskQuota>, bytes: u64, entries: u64) -> bool {
    if quota.reserve(bytes, entries).is_ok() {
        return true;
    }
    if !quota.may_recount() {
        return false;
    }
    let quota = quota.clone();
    tokio::task::spawn_blocking(move || quota.reserve_or_recount(bytes, entries).is_ok())
        .await
        .unwrap_or(false)
}

fn path(pointer: i32, len: i32) -> GuestPtr<str> {
    GuestPtr::new((pointer as u32, len as u32))
}

/// What `fd` refers to: known since it was opened, or looked up once
/// (cheap for stdio: no file system call).
async fn kind(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    disk: &mut GuestDisk,
    fd: i32,
) -> Result<Kind, types::Error> {
    if let Some(kind) = disk.fds.get(fd as u32) {
        return Ok(kind);
    }
    let stat = wasi.fd_filestat_get(memory, fd.into()).await?;
    let kind = if stat.filetype == types::Filetype::RegularFile {
        Kind::File(file_id(&stat))
    } else {
        Kind::Other
    };
    disk.fds.insert(fd as u32, kind);
    Ok(kind)
}

/// The size of the regular file `fd`, with one `stat` (`fd_filestat_get`
/// costs two): seek to its end, then back where it was. The guest cannot
/// tell: it is waiting for this call.
async fn file_size(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    fd: i32,
) -> Result<u64, types::Error> {
    let position = wasi.fd_tell(memory, fd.into())?;
    let size = wasi
        .fd_seek(memory, fd.into(), 0, types::Whence::End)
        .await?;
    let back = i64::try_from(position).map_err(|_| types::Errno::Overflow)?;
    wasi.fd_seek(memory, fd.into(), back, types::Whence::Set)
        .await?;
    Ok(size)
}

/// What a path names now, without following a final symlink unless
/// `follow`. `None` when nothing is there (or it cannot be looked at:
/// the real call will report that).
async fn stat_path(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    follow: bool,
    path: GuestPtr<str>,
) -> Result<types::Filestat, types::Error> {
    let flags = if follow {
        types::Lookupflags::SYMLINK_FOLLOW
    } else {
        types::Lookupflags::empty()
    };
    wasi.path_filestat_get(memory, dirfd.into(), flags, path)
        .await
}

/// What a file system object counts for: its bytes if a regular file, and
/// one entry.
fn footprint(stat: &types::Filestat) -> (u64, u64) {
    let bytes = if stat.filetype == types::Filetype::RegularFile {
        stat.size
    } else {
        0
    };
    (bytes, 1)
}

/// The length `fd_write` and `fd_pwrite` will write: wasmtime-wasi writes
/// only the first non-empty buffer of a vectored write (and the program
/// loops for the rest). `None` if the vector cannot be read; the real call
/// then reports the same error.
fn first_buffer_len(memory: &GuestMemory<'_>, iovs: i32, iovs_len: i32) -> Option<u64> {
    let iovs: types::CiovecArray = GuestPtr::new((iovs as u32, iovs_len as u32));
    for iov in iovs.iter() {
        let iov = memory.read(iov.ok()?).ok()?;
        if iov.buf_len > 0 {
            return Some(u64::from(iov.buf_len));
        }
    }
    Some(0)
}

/// A write about to happen: where, how much, and to a file how large.
#[derive(Debug, Clone, Copy)]
struct Write {
    /// The offset it would write at without append mode.
    start: u64,
    /// What wasmtime-wasi will write (its first non-empty buffer).
    len: u64,
    /// The file's size before.
    size: u64,
    /// Whether the file is in append mode, once that was asked.
    append: Option<bool>,
}

impl Write {
    /// What writing `n` bytes adds to the file, if that follows from what
    /// is known (at the end of the file, both modes add the same).
    fn growth(&self, n: u64) -> Option<u64> {
        let positional = self.start.saturating_add(n).saturating_sub(self.size);
        match self.append {
            Some(true) => Some(n),
            Some(false) => Some(positional),
            None if self.start == self.size => Some(positional),
            None => None,
        }
    }
}

/// Reserves what `write` adds and returns the amount reserved, or `None`
/// when it does not fit. Whether the file is in append mode costs two
/// file system calls to find out, so it is asked only when it matters:
/// when the larger of the two possible growths does not fit.
async fn reserve_write(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    quota: &Arc<DiskQuota>,
    fd: i32,
    write: &mut Write,
) -> Result<Option<u64>, types::Error> {
    if write.len == 0 {
        return Ok(Some(0));
    }
    let positional = write
        .start
        .saturating_add(write.len)
        .saturating_sub(write.size);
    let either = positional.max(write.len);
    if quota.reserve(either, 0).is_ok() {
        return Ok(Some(either));
    }
    let stat = wasi.fd_fdstat_get(memory, fd.into()).await?;
    let append = stat.fs_flags.contains(types::Fdflags::APPEND);
    write.append = Some(append);
    let growth = if append { write.len } else { positional };
    Ok(reserve(quota, growth, 0).await.then_some(growth))
}

/// After a write: keeps what the file really grew by (from the count the
/// guest was told, or a new look at the size when that is ambiguous) and
/// gives back the rest of the reservation (all of it if the write failed).
#[allow(clippy::too_many_arguments)]
async fn settle_write(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    disk: &mut GuestDisk,
    id: FileId,
    fd: i32,
    result: i32,
    nwritten: i32,
    write: &Write,
    reserved: u64,
) {
    if result != SUCCESS {
        disk.quota.release(reserved, 0);
        return;
    }
    let written = memory
        .read(GuestPtr::<u32>::new(nwritten as u32))
        .map(u64::from)
        .unwrap_or(write.len);
    let grown = match write.growth(written) {
        Some(grown) => grown,
        None => match file_size(wasi, memory, fd).await {
            Ok(after) => after.saturating_sub(write.size),
            // Keep it all: erring high is safe.
            Err(_) => reserved,
        },
    }
    .min(reserved);
    disk.quota.release(reserved - grown, 0);
    disk.grew(id, grown);
}

async fn fd_write(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    nwritten: i32,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let Some(disk) = disk else {
        return p1::fd_write(wasi, memory, fd, iovs, iovs_len, nwritten).await;
    };
    let Kind::File(id) = check!(kind(wasi, memory, disk, fd).await) else {
        return p1::fd_write(wasi, memory, fd, iovs, iovs_len, nwritten).await;
    };
    let Some(len) = first_buffer_len(memory, iovs, iovs_len) else {
        return p1::fd_write(wasi, memory, fd, iovs, iovs_len, nwritten).await;
    };
    let mut write = Write {
        start: check!(wasi.fd_tell(memory, fd.into())),
        len,
        size: check!(file_size(wasi, memory, fd).await),
        append: None,
    };
    let Some(reserved) = check!(reserve_write(wasi, memory, &disk.quota, fd, &mut write).await)
    else {
        return Ok(code(Errno::Nospc));
    };
    let result = p1::fd_write(wasi, memory, fd, iovs, iovs_len, nwritten).await?;
    settle_write(
        wasi, memory, disk, id, fd, result, nwritten, &write, reserved,
    )
    .await;
    Ok(result)
}

async fn fd_pwrite(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    offset: i64,
    nwritten: i32,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let Some(disk) = disk else {
        return p1::fd_pwrite(wasi, memory, fd, iovs, iovs_len, offset, nwritten).await;
    };
    let Kind::File(id) = check!(kind(wasi, memory, disk, fd).await) else {
        return p1::fd_pwrite(wasi, memory, fd, iovs, iovs_len, offset, nwritten).await;
    };
    let Some(len) = first_buffer_len(memory, iovs, iovs_len) else {
        return p1::fd_pwrite(wasi, memory, fd, iovs, iovs_len, offset, nwritten).await;
    };
    let mut write = Write {
        start: offset as u64,
        len,
        size: check!(file_size(wasi, memory, fd).await),
        append: None,
    };
    let Some(reserved) = check!(reserve_write(wasi, memory, &disk.quota, fd, &mut write).await)
    else {
        return Ok(code(Errno::Nospc));
    };
    let result = p1::fd_pwrite(wasi, memory, fd, iovs, iovs_len, offset, nwritten).await?;
    settle_write(
        wasi, memory, disk, id, fd, result, nwritten, &write, reserved,
    )
    .await;
    Ok(result)
}

/// `ftruncate`: growing reserves the difference (a sparse file counts at
/// its full length), shrinking frees it.
async fn fd_filestat_set_size(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    size: i64,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let Some(disk) = disk else {
        return p1::fd_filestat_set_size(wasi, memory, fd, size).await;
    };
    let Kind::File(id) = check!(kind(wasi, memory, disk, fd).await) else {
        return p1::fd_filestat_set_size(wasi, memory, fd, size).await;
    };
    let (old, new) = (check!(file_size(wasi, memory, fd).await), size as u64);
    let growth = new.saturating_sub(old);
    if !reserve(&disk.quota, growth, 0).await {
        return Ok(code(Errno::Nospc));
    }
    let result = p1::fd_filestat_set_size(wasi, memory, fd, size).await?;
    if result != SUCCESS {
        disk.quota.release(growth, 0);
    } else if new > old {
        disk.grew(id, growth);
    } else if new < old {
        disk.shrank(id, old - new);
    }
    Ok(result)
}

/// `path_open`: counted against the quota, and recorded by
/// [`lookups`].
#[allow(clippy::too_many_arguments)]
async fn path_open(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    dirflags: i32,
    path_ptr: i32,
    path_len: i32,
    oflags: i32,
    rights_base: i64,
    rights_inheriting: i64,
    fdflags: i32,
    opened: i32,
) -> wasmtime::Result<i32> {
    // Every descriptor the guest opens is a host descriptor: at its cap
    // it gets EMFILE, as a process at its `ulimit -n` does (ENFILE when
    // the server's share for sandboxes is spent).
    if let Err(refusal) = state.files.opening() {
        let errno = match refusal {
            Refusal::TooManyOpenFiles { .. } => Errno::Mfile,
            _ => Errno::Nfile,
        };
        return Ok(code(errno));
    }
    let args = OpenArgs {
        dirfd,
        dirflags,
        path_ptr,
        path_len,
        oflags,
        rights_base,
        rights_inheriting,
        fdflags,
        opened,
    };
    let result = open_counted(state, memory, args).await;
    if matches!(result, Ok(SUCCESS)) {
        // Unreadable, it stays counted until the run ends.
        if let Ok(fd) = memory.read(GuestPtr::<u32>::new(opened as u32)) {
            state.files.opened(fd);
        }
    } else {
        state.files.not_opened();
    }
    let result = result?;
    lookups::after_open(
        state,
        memory,
        dirfd,
        path(path_ptr, path_len),
        result,
        opened,
    );
    Ok(result)
}

/// Opens: `O_CREAT` of a path that does not exist adds an entry,
/// `O_TRUNC` frees the old contents.
async fn open_counted(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    args: OpenArgs,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let flags = types::Oflags::from_bits_truncate(args.oflags as u16);
    let Some(disk) = disk else {
        return args.open(wasi, memory).await;
    };
    if !flags.intersects(types::Oflags::CREAT | types::Oflags::TRUNC) {
        let result = args.open(wasi, memory).await?;
        track_open(wasi, memory, disk, result, args.opened).await;
        return Ok(result);
    }
    let follow = types::Lookupflags::from_bits_truncate(args.dirflags as u32)
        .contains(types::Lookupflags::SYMLINK_FOLLOW);
    let target = path(args.path_ptr, args.path_len);
    let (created, truncated) = match stat_path(wasi, memory, args.dirfd, follow, target).await {
        Ok(stat) if flags.contains(types::Oflags::TRUNC) => (0, footprint(&stat).0),
        Ok(_) => (0, 0),
        Err(error) if error.downcast_ref() == Some(&Errno::Noent) => {
            (u64::from(flags.contains(types::Oflags::CREAT)), 0)
        }
        // Let the real call report it.
        Err(_) => (0, 0),
    };
    if !reserve(&disk.quota, 0, created).await {
        return Ok(code(Errno::Nospc));
    }
    let result = args.open(wasi, memory).await?;
    if result != SUCCESS {
        disk.quota.release(0, created);
    } else if truncated > 0 {
        disk.quota.removed(truncated, 0);
    }
    track_open(wasi, memory, disk, result, args.opened).await;
    Ok(result)
}

/// Remembers what a successful `path_open` opened.
async fn track_open(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    disk: &mut GuestDisk,
    result: i32,
    opened: i32,
) {
    if result != SUCCESS {
        return;
    }
    let Ok(fd) = memory.read(GuestPtr::<u32>::new(opened as u32)) else {
        return;
    };
    // A descriptor number can be reused: forget what it was, then learn it.
    disk.closed(fd);
    let _ = kind(wasi, memory, disk, fd as i32).await;
}

async fn fd_close(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
) -> wasmtime::Result<i32> {
    let result = p1::fd_close(&mut state.wasi, memory, fd).await?;
    if result == SUCCESS {
        state.files.closed(fd as u32);
        if let Some(disk) = &mut state.disk {
            disk.closed(fd as u32);
        }
        lookups::after_close(state, fd);
    }
    Ok(result)
}

/// `dup2`: `to` is closed first, then names what `from` named.
async fn fd_renumber(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    from: i32,
    to: i32,
) -> wasmtime::Result<i32> {
    let result = p1::fd_renumber(&mut state.wasi, memory, from, to).await?;
    if result == SUCCESS && from != to {
        state.files.renumbered(from as u32, to as u32);
        if let Some(disk) = &mut state.disk {
            let moved = disk.fds.remove(from as u32);
            disk.closed(to as u32);
            if let Some(kind) = moved {
                disk.fds.insert(to as u32, kind);
            }
        }
        lookups::after_renumber(state, from, to);
    }
    Ok(result)
}

/// The arguments of `path_open`, as the guest passed them.
#[derive(Clone, Copy)]
struct OpenArgs {
    dirfd: i32,
    dirflags: i32,
    path_ptr: i32,
    path_len: i32,
    oflags: i32,
    rights_base: i64,
    rights_inheriting: i64,
    fdflags: i32,
    opened: i32,
}

impl OpenArgs {
    /// The real `path_open`.
    async fn open(
        self,
        wasi: &mut WasiP1Ctx,
        memory: &mut GuestMemory<'_>,
    ) -> wasmtime::Result<i32> {
        p1::path_open(
            wasi,
            memory,
            self.dirfd,
            self.dirflags,
            self.path_ptr,
            self.path_len,
            self.oflags,
            self.rights_base,
            self.rights_inheriting,
            self.fdflags,
            self.opened,
        )
        .await
    }
}

/// Runs a call that adds one entry (a directory, a symlink), reserved first.
async fn adding_entry(
    quota: &Arc<DiskQuota>,
    bytes: u64,
    call: impl Future<Output = wasmtime::Result<i32>>,
) -> wasmtime::Result<i32> {
    if !reserve(quota, bytes, 1).await {
        return Ok(code(Errno::Nospc));
    }
    let result = call.await?;
    if result != SUCCESS {
        quota.release(bytes, 1);
    }
    Ok(result)
}

async fn path_create_directory(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    path: i32,
    path_len: i32,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let call = p1::path_create_directory(wasi, memory, dirfd, path, path_len);
    match disk {
        Some(disk) => adding_entry(&disk.quota, 0, call).await,
        None => call.await,
    }
}

/// `symlink`: a link whose target leads outside the sandbox is refused
/// with `EPERM`, as `ln -s` in the shell refuses it. On the host, such a
/// link would point out of the sandbox; nothing here follows one, but
/// nothing should find one either.
async fn path_symlink(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    old: i32,
    old_len: i32,
    dirfd: i32,
    new: i32,
    new_len: i32,
) -> wasmtime::Result<i32> {
    let stays_inside = match (
        memory.as_cow_str(path(old, old_len)),
        memory.as_cow_str(path(new, new_len)),
    ) {
        (Ok(target), Ok(link)) => link_stays_inside(&target, &link),
        // Let the real call report bad pointers or bad UTF-8.
        _ => true,
    };
    if !stays_inside {
        return Ok(code(Errno::Perm));
    }
    let StoreState { wasi, disk, .. } = state;
    let call = async {
        let made = p1::path_symlink(wasi, memory, old, old_len, dirfd, new, new_len).await?;
        // Through other links (`d -> .`, then `d/d/../..`), a target can
        // climb further than its text says: follow the new link as the
        // guest would, and take it back if that leads out.
        if made == SUCCESS && leads_outside(wasi, memory, dirfd, path(new, new_len)).await {
            p1::path_unlink_file(wasi, memory, dirfd, new, new_len).await?;
            return Ok(code(Errno::Perm));
        }
        Ok(made)
    };
    match disk {
        Some(disk) => adding_entry(&disk.quota, 0, call).await,
        None => call.await,
    }
}

/// Whether following `link` leads out of the guest's directories: the
/// sandbox's cap-std directory refuses the walk as an escape.
async fn leads_outside(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    link: GuestPtr<str>,
) -> bool {
    match stat_path(wasi, memory, dirfd, true, link).await {
        Ok(_) => false,
        Err(error) => matches!(
            error.downcast_ref(),
            Some(Errno::Perm | Errno::Xdev | Errno::Notcapable | Errno::Acces)
        ),
    }
}

/// Whether a link at `link` (relative to the directory the guest named)
/// pointing at `target` resolves within that directory's tree. Absolute
/// targets never do: on the host they name the host's root. A guest
/// reaches its sandbox through a preopened directory at its root, so
/// within that tree means within the sandbox (a link made relative to a
/// deeper directory is judged as if that were the root: stricter, never
/// looser).
fn link_stays_inside(target: &str, link: &str) -> bool {
    let drive_letter = target.as_bytes().get(1) == Some(&b':');
    if target.starts_with('/') || target.starts_with('\\') || drive_letter {
        return false;
    }
    let mut depth: usize = 0;
    let link_dir = link.rsplit_once('/').map_or("", |(dir, _)| dir);
    for part in link_dir.split('/') {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return false,
            },
            _ => depth += 1,
        }
    }
    // `..` only before any name: `y/..` climbs through whatever `y` turns
    // out to be, and `y` may be made a link later.
    let mut named = false;
    for part in target.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if named => return false,
            ".." => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return false,
            },
            _ => named = true,
        }
    }
    true
}

/// A hard link counts the file once more (as a recount would see it).
#[allow(clippy::too_many_arguments)]
async fn path_link(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    old_dirfd: i32,
    old_flags: i32,
    old: i32,
    old_len: i32,
    new_dirfd: i32,
    new: i32,
    new_len: i32,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let Some(disk) = disk else {
        return p1::path_link(
            wasi, memory, old_dirfd, old_flags, old, old_len, new_dirfd, new, new_len,
        )
        .await;
    };
    let follow = types::Lookupflags::from_bits_truncate(old_flags as u32)
        .contains(types::Lookupflags::SYMLINK_FOLLOW);
    let bytes = match stat_path(wasi, memory, old_dirfd, follow, path(old, old_len)).await {
        Ok(stat) => footprint(&stat).0,
        Err(_) => 0,
    };
    let call = p1::path_link(
        wasi, memory, old_dirfd, old_flags, old, old_len, new_dirfd, new, new_len,
    );
    adding_entry(&disk.quota, bytes, call).await
}

/// Renaming over an existing file or empty directory frees it.
#[allow(clippy::too_many_arguments)]
async fn path_rename(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    old_dirfd: i32,
    old: i32,
    old_len: i32,
    new_dirfd: i32,
    new: i32,
    new_len: i32,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let Some(disk) = disk else {
        return p1::path_rename(
            wasi, memory, old_dirfd, old, old_len, new_dirfd, new, new_len,
        )
        .await;
    };
    let replaced = match stat_path(wasi, memory, new_dirfd, false, path(new, new_len)).await {
        Ok(target) => {
            // Renaming a link onto another link of the same file does
            // nothing at all.
            match stat_path(wasi, memory, old_dirfd, false, path(old, old_len)).await {
                Ok(source) if file_id(&source) == file_id(&target) => None,
                _ => Some(target),
            }
        }
        Err(_) => None,
    };
    let result = p1::path_rename(
        wasi, memory, old_dirfd, old, old_len, new_dirfd, new, new_len,
    )
    .await?;
    if result == SUCCESS
        && let Some(replaced) = replaced
    {
        disk.removed(&replaced);
    }
    Ok(result)
}

async fn path_unlink_file(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    path_ptr: i32,
    path_len: i32,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let Some(disk) = disk else {
        return p1::path_unlink_file(wasi, memory, dirfd, path_ptr, path_len).await;
    };
    let before = stat_path(wasi, memory, dirfd, false, path(path_ptr, path_len)).await;
    let result = p1::path_unlink_file(wasi, memory, dirfd, path_ptr, path_len).await?;
    if result == SUCCESS {
        match before {
            Ok(stat) => disk.removed(&stat),
            Err(_) => disk.quota.mark_stale(),
        }
    }
    Ok(result)
}

async fn path_remove_directory(
    state: &mut StoreState,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    path: i32,
    path_len: i32,
) -> wasmtime::Result<i32> {
    let StoreState { wasi, disk, .. } = state;
    let result = p1::path_remove_directory(wasi, memory, dirfd, path, path_len).await?;
    if result == SUCCESS
        && let Some(disk) = disk
    {
        disk.quota.removed(0, 1);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::link_stays_inside;

    #[test]
    fn links_that_climb_out_or_start_at_the_root_are_refused() {
        assert!(link_stays_inside("b", "a/link"));
        assert!(link_stays_inside("../b", "a/link"));
        assert!(!link_stays_inside("../../x/../y", "a/b/link"));
        assert!(!link_stays_inside("y/..", "link"));
        assert!(!link_stays_inside("../../../../etc", "e"));
        assert!(!link_stays_inside("../b", "link"));
        assert!(!link_stays_inside("/etc/passwd", "a/link"));
        assert!(!link_stays_inside("a/../../..", "x/link"));
        assert!(!link_stays_inside("x", "../link"));
    }
}
