//! Disk quotas: how many bytes and entries one sandbox may hold.
//!
//! One [`DiskQuota`] is shared by everything that writes into a sandbox:
//! the WASI calls of every program running there (several may run at once)
//! and host code such as [`Sandbox::write_file`](super::Sandbox::write_file).
//! Writers *reserve* what a write would add before doing it and *release*
//! what a removal frees, so the count is kept without walking the tree.
//!
//! What counts is logical: a regular file counts its length (a sparse file
//! its full length, as `ls -l` shows it, since that is what a program asked
//! for), every hard link counts the file again, and every file, directory
//! and symlink is one entry. The sandbox root itself is not an entry.
//!
//! The count can drift from the disk (two runs writing the same file at
//! once, host code deleting without telling the quota). It only ever errs
//! towards a refusal, and a refused reservation recounts the tree when
//! something was removed since the last count ([`DiskQuota::reserve_or_recount`]),
//! so drift cannot lock a user out.

use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cap_std::fs::Dir;

/// Directory handles a rescan keeps open at most. A tree that needs more
/// (dozens of nested directories that each still have unvisited
/// subdirectories; a plain deep chain needs one) is counted as full rather
/// than risk running the server out of file descriptors.
const MAX_OPEN_DIRS: usize = 64;

/// The least time between two recounts triggered by refused reservations:
/// a program that loops on a full disk must not make the host walk its tree
/// on every write.
const RECOUNT_INTERVAL: Duration = Duration::from_secs(1);

/// How much one sandbox may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskLimits {
    /// Logical bytes of all regular files together.
    pub max_bytes: u64,
    /// Files, directories and symlinks together.
    pub max_entries: u64,
}

impl DiskLimits {
    /// No limit at all (host-owned scratch space, tests).
    pub const UNLIMITED: DiskLimits = DiskLimits {
        max_bytes: u64::MAX,
        max_entries: u64::MAX,
    };
}

impl Default for DiskLimits {
    /// The server's defaults: 256 MiB in at most 10,000 entries.
    fn default() -> Self {
        Self {
            max_bytes: 256 << 20,
            max_entries: 10_000,
        }
    }
}

/// What a sandbox holds, as far as its quota knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskUsage {
    pub bytes: u64,
    pub entries: u64,
}

/// A write that would take a sandbox past its quota.
///
/// Reads like the error of a full disk, because to the program that is
/// what it is, and becomes [`std::io::ErrorKind::StorageFull`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("No space left on device (sandbox quota: {}, {} files)", show_bytes(.limits.max_bytes), show_count(.limits.max_entries))]
pub struct QuotaExceeded {
    pub limits: DiskLimits,
}

impl From<QuotaExceeded> for std::io::Error {
    fn from(error: QuotaExceeded) -> Self {
        std::io::Error::new(std::io::ErrorKind::StorageFull, error)
    }
}

fn show_bytes(bytes: u64) -> String {
    if bytes == u64::MAX {
        "unlimited".to_owned()
    } else if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        bytesize::ByteSize::b(bytes).display().iec().to_string()
    }
}

fn show_count(count: u64) -> String {
    if count == u64::MAX {
        "unlimited".to_owned()
    } else {
        count.to_string()
    }
}

/// A change to a sandbox under way (see [`DiskQuota::changing`]).
pub struct ChangeGuard(Arc<DiskQuota>);

impl Drop for ChangeGuard {
    fn drop(&mut self) {
        self.0.changes.fetch_add(1, Ordering::SeqCst);
        self.0.changers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The running count of one sandbox's bytes and entries, against its limits.
pub struct DiskQuota {
    limits: DiskLimits,
    bytes: AtomicU64,
    entries: AtomicU64,
    /// Counted bytes a recount cannot see: files removed while a running
    /// program still has them open (they use the disk until closed).
    held: AtomicU64,
    /// Something was removed (or changed behind the quota's back) since the
    /// last count, so the count may be higher than the disk.
    stale: AtomicBool,
    /// When the last recount started, in milliseconds since `created`
    /// (`u64::MAX`: never).
    last_recount_ms: AtomicU64,
    created: Instant,
    /// The directory this quota covers, for recounts the quota starts itself.
    root: Option<Dir>,
    /// Changes to the sandbox begun or ended: see [`DiskQuota::changing`].
    changes: AtomicU64,
    /// Changes under way now.
    changers: AtomicU64,
}

impl fmt::Debug for DiskQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskQuota")
            .field("limits", &self.limits)
            .field("usage", &self.usage())
            .finish_non_exhaustive()
    }
}

impl DiskQuota {
    /// A quota with nothing counted yet and no directory to recount.
    pub fn new(limits: DiskLimits) -> Self {
        Self {
            limits,
            bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            held: AtomicU64::new(0),
            stale: AtomicBool::new(false),
            last_recount_ms: AtomicU64::new(u64::MAX),
            created: Instant::now(),
            root: None,
            changes: AtomicU64::new(0),
            changers: AtomicU64::new(0),
        }
    }

    /// A quota that never refuses.
    pub fn unlimited() -> Self {
        Self::new(DiskLimits::UNLIMITED)
    }

    /// A quota over `root`, which [`reserve_or_recount`](Self::reserve_or_recount)
    /// may walk to correct the count. Counts nothing yet: call
    /// [`rescan`](Self::rescan) when `root` is not empty.
    pub fn with_root(limits: DiskLimits, root: Dir) -> Self {
        Self {
            root: Some(root),
            ..Self::new(limits)
        }
    }

    /// Marks a change to the sandbox's files under way until the guard is
    /// dropped: a program running in it, a shell command, an upload.
    ///
    /// Why: a compile is cached by what its inputs hold when it ends, for
    /// every user. If anything could write the sandbox while clang read it
    /// (another stage of the same pipeline), the files the entry is keyed
    /// by may not be the files compiled, and another user with those files
    /// would get this user's program. See [`DiskQuota::unchanged_since`].
    pub fn changing(self: &Arc<Self>) -> ChangeGuard {
        self.changers.fetch_add(1, Ordering::SeqCst);
        self.changes.fetch_add(1, Ordering::SeqCst);
        ChangeGuard(self.clone())
    }

    /// [`DiskQuota::changing`] for a change the holder of `mark` makes
    /// itself (a compiler writing its output): the mark moves past this
    /// guard's own beginning and end, so only other changes count.
    pub fn changing_as_marked(self: &Arc<Self>, mark: &mut u64) -> ChangeGuard {
        *mark += 2;
        self.changing()
    }

    /// A mark to give [`DiskQuota::unchanged_since`] later.
    pub fn change_mark(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Nothing began or ended a change since `mark`, and nothing is
    /// changing now.
    pub fn unchanged_since(&self, mark: u64) -> bool {
        self.changers.load(Ordering::SeqCst) == 0 && self.changes.load(Ordering::SeqCst) == mark
    }

    pub fn limits(&self) -> DiskLimits {
        self.limits
    }

    pub fn usage(&self) -> DiskUsage {
        DiskUsage {
            bytes: self.bytes.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
        }
    }

    /// Whether this quota can ever refuse anything.
    pub fn is_unlimited(&self) -> bool {
        self.limits == DiskLimits::UNLIMITED
    }

    /// Counts `bytes` and `entries` as used if both fit, or changes nothing.
    /// Reserving nothing always succeeds, even over the limits, so that a
    /// program can still overwrite what it has.
    pub fn reserve(&self, bytes: u64, entries: u64) -> Result<(), QuotaExceeded> {
        if !add_within(&self.bytes, bytes, self.limits.max_bytes) {
            return Err(self.exceeded());
        }
        if !add_within(&self.entries, entries, self.limits.max_entries) {
            subtract_saturating(&self.bytes, bytes);
            return Err(self.exceeded());
        }
        Ok(())
    }

    /// Gives back a reservation that was not used (a write that failed or
    /// wrote less than reserved). Never goes below zero.
    pub fn release(&self, bytes: u64, entries: u64) {
        subtract_saturating(&self.bytes, bytes);
        subtract_saturating(&self.entries, entries);
    }

    /// Counts a removal (an unlinked file, a truncation): releases what it
    /// freed and remembers that the tree shrank, so that a later refusal
    /// recounts before it refuses.
    pub fn removed(&self, bytes: u64, entries: u64) {
        self.release(bytes, entries);
        self.mark_stale();
    }

    /// Tells the quota that its count may be too high (host code removed
    /// things without counting them, or concurrent writers raced), so the
    /// next refusal recounts first.
    pub fn mark_stale(&self) {
        self.stale.store(true, Ordering::Relaxed);
    }

    /// The error a refused reservation gives.
    pub fn exceeded(&self) -> QuotaExceeded {
        QuotaExceeded {
            limits: self.limits,
        }
    }

    /// Like [`reserve`](Self::reserve), but when it is refused, the count
    /// may be stale and no recount happened within the last second, walks
    /// the tree again and retries once. Blocking: it may read the whole
    /// tree (bounded by twice the limits).
    pub fn reserve_or_recount(&self, bytes: u64, entries: u64) -> Result<(), QuotaExceeded> {
        match self.reserve(bytes, entries) {
            Ok(()) => Ok(()),
            Err(exceeded) => {
                if self.may_recount() && self.recount() {
                    self.reserve(bytes, entries)
                } else {
                    Err(exceeded)
                }
            }
        }
    }

    /// Whether a refusal would be followed by a recount: something was
    /// removed since the last one, and the quota knows its directory.
    /// Cheap; callers on async threads check it before moving the blocking
    /// [`reserve_or_recount`](Self::reserve_or_recount) to a blocking thread.
    pub fn may_recount(&self) -> bool {
        self.root.is_some() && self.stale.load(Ordering::Relaxed)
    }

    /// Keeps `bytes` (already counted) counted through recounts: a file
    /// was removed while a program still has it open.
    pub fn hold(&self, bytes: u64) {
        self.held.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The program closed (or stopped with) a removed file it held: its
    /// bytes are free.
    pub fn unhold(&self, bytes: u64) {
        if bytes > 0 {
            subtract_saturating(&self.held, bytes);
            self.removed(bytes, 0);
        }
    }

    /// Runs `change`, host code that adds `bytes` and `entries` to the
    /// sandbox (as the caller measured them), within the quota: reserves
    /// first, and gives the reservation back if `change` fails.
    pub fn charge<T>(
        &self,
        bytes: u64,
        entries: u64,
        change: impl FnOnce() -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        self.reserve_or_recount(bytes, entries)?;
        let result = change();
        if result.is_err() {
            // It may have done part of it; a refusal will recount.
            self.removed(bytes, entries);
        }
        result
    }

    /// Recounts the quota's own directory unless that happened less than
    /// [`RECOUNT_INTERVAL`] ago. Returns whether it recounted.
    fn recount(&self) -> bool {
        let Some(root) = &self.root else {
            return false;
        };
        let now = u64::try_from(self.created.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.last_recount_ms.load(Ordering::Relaxed);
        let interval = RECOUNT_INTERVAL.as_millis() as u64;
        if last != u64::MAX && now.saturating_sub(last) < interval {
            return false;
        }
        // Only one caller recounts; the others refuse as before.
        if self
            .last_recount_ms
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        match self.rescan(root) {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, "cannot recount a sandbox for its disk quota");
                false
            }
        }
    }

    /// Recounts from the disk and makes that the count. Walks iteratively
    /// (an explicit stack, never recursion: a guest can nest directories
    /// tens of thousands deep), does not follow symlinks, and stops early
    /// once the count passes twice a limit, since beyond that the answer is
    /// "full" anyway. A tree that cannot be walked with [`MAX_OPEN_DIRS`]
    /// handles, or whose walk fails part-way (out of descriptors), is
    /// counted as full: a count that errs low would let the quota be passed.
    pub fn rescan(&self, dir: &Dir) -> std::io::Result<DiskUsage> {
        let bounds = DiskUsage {
            bytes: self.limits.max_bytes.saturating_mul(2),
            entries: self.limits.max_entries.saturating_mul(2),
        };
        // Removals from now on must be seen by the next refusal.
        self.stale.store(false, Ordering::Relaxed);
        let counted = count_tree(dir, bounds)?;
        let mut usage = match counted {
            Walk::Complete(usage) => usage,
            Walk::Incomplete(usage) => DiskUsage {
                bytes: usage.bytes.max(self.limits.max_bytes),
                entries: usage.entries.max(self.limits.max_entries),
            },
        };
        usage.bytes = usage
            .bytes
            .saturating_add(self.held.load(Ordering::Relaxed));
        self.bytes.store(usage.bytes, Ordering::Relaxed);
        self.entries.store(usage.entries, Ordering::Relaxed);
        Ok(usage)
    }
}

/// What writing a whole file at a path would add to a sandbox: its growth
/// in bytes, plus an entry for the file and each missing parent directory
/// (as [`Sandbox::write_file`](super::Sandbox::write_file) creates them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteGrowth {
    bytes: u64,
    entries: u64,
    /// Bytes freed when the new contents are shorter than the old.
    shrink: u64,
}

impl WriteGrowth {
    /// Looks at what is at `relative` in `dir` now. Paths are resolved by
    /// cap-std, as the write will resolve them.
    pub(crate) fn measure(dir: &Dir, relative: &std::path::Path, new_len: u64) -> Self {
        let (old_len, file_entry) = match dir.metadata(relative) {
            Ok(metadata) if metadata.is_file() => (metadata.len(), 0),
            Ok(_) => (0, 0),
            Err(_) => (0, 1),
        };
        Self {
            bytes: new_len.saturating_sub(old_len),
            entries: missing_parents(dir, relative) + file_entry,
            shrink: old_len.saturating_sub(new_len),
        }
    }

    /// Reserves the growth, recounting first if that could help.
    pub(crate) fn reserve(&self, quota: &DiskQuota) -> Result<(), QuotaExceeded> {
        quota.reserve_or_recount(self.bytes, self.entries)
    }

    /// After the write: gives the reservation back if it failed, counts the
    /// bytes a shorter file freed if it succeeded.
    pub(crate) fn settle(&self, quota: &DiskQuota, written: bool) {
        if !written {
            // Some parent directories may exist now; a recount will see them.
            quota.removed(self.bytes, self.entries);
        } else if self.shrink > 0 {
            quota.removed(self.shrink, 0);
        }
    }
}

/// The length of the regular file at `path` (following symlinks, as a
/// write or copy would), if there is one.
pub fn file_len(dir: &Dir, path: &std::path::Path) -> Option<u64> {
    dir.metadata(path)
        .ok()
        .filter(|metadata| metadata.is_file())
        .map(|metadata| metadata.len())
}

/// How many directories `create_dir_all(path)` would create.
pub fn missing_dirs(dir: &Dir, path: &std::path::Path) -> u64 {
    if path.as_os_str().is_empty() || dir.exists(path) {
        return 0;
    }
    1 + missing_parents(dir, path)
}

/// How many of `relative`'s parent directories do not exist yet.
fn missing_parents(dir: &Dir, relative: &std::path::Path) -> u64 {
    let parents: Vec<&std::path::Path> = relative
        .ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    // `parents` runs from the deepest to the top: the missing ones are a
    // prefix of it.
    parents
        .iter()
        .take_while(|parent| !dir.exists(parent))
        .count() as u64
}

/// Adds `amount` to `counter` if the sum stays within `limit`.
fn add_within(counter: &AtomicU64, amount: u64, limit: u64) -> bool {
    if amount == 0 {
        return true;
    }
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
            current.checked_add(amount).filter(|sum| *sum <= limit)
        })
        .is_ok()
}

fn subtract_saturating(counter: &AtomicU64, amount: u64) {
    if amount == 0 {
        return;
    }
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
        Some(current.saturating_sub(amount))
    });
}

/// How a walk ended.
enum Walk {
    /// Everything was counted, or counting stopped past the bounds.
    Complete(DiskUsage),
    /// Part of the tree could not be counted: more directory handles were
    /// needed than [`MAX_OPEN_DIRS`], or opening one failed.
    Incomplete(DiskUsage),
}

/// A directory being walked: its handle and the subdirectories of it not
/// visited yet. The handle stays open only while names remain.
struct Frame {
    dir: Dir,
    subdirs: Vec<OsString>,
}

/// Counts the tree under `root` (not `root` itself), stopping once the
/// count passes `bounds`. Directories that vanish while walking are
/// skipped: the tree may be changing under the walk.
fn count_tree(root: &Dir, bounds: DiskUsage) -> std::io::Result<Walk> {
    let mut usage = DiskUsage::default();
    let first = read_frame(root.try_clone()?, &mut usage)?;
    let mut stack = vec![first];
    while let Some(top) = stack.last_mut() {
        if usage.bytes > bounds.bytes || usage.entries > bounds.entries {
            break;
        }
        let Some(name) = top.subdirs.pop() else {
            stack.pop();
            continue;
        };
        let child = top.dir.open_dir(&name);
        // Close the parent before descending when it has nothing left, so
        // a deep chain holds one handle, not one per level.
        if top.subdirs.is_empty() {
            stack.pop();
        }
        let frame = match child.and_then(|child| read_frame(child, &mut usage)) {
            Ok(frame) => frame,
            // Removed, or replaced by a file, since it was listed.
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                continue;
            }
            Err(_) => return Ok(Walk::Incomplete(usage)),
        };
        if frame.subdirs.is_empty() {
            continue;
        }
        if stack.len() >= MAX_OPEN_DIRS {
            return Ok(Walk::Incomplete(usage));
        }
        stack.push(frame);
    }
    Ok(Walk::Complete(usage))
}

/// Counts a directory's entries into `usage` and lists its subdirectories.
fn read_frame(dir: Dir, usage: &mut DiskUsage) -> std::io::Result<Frame> {
    let mut subdirs = Vec::new();
    for entry in dir.entries()? {
        let Ok(entry) = entry else { continue };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        usage.entries += 1;
        if file_type.is_dir() {
            subdirs.push(entry.file_name());
        } else if file_type.is_file()
            && let Ok(metadata) = entry.metadata()
        {
            usage.bytes = usage.bytes.saturating_add(metadata.len());
        }
    }
    // Visited in name order (the last name first): the same tree is always
    // walked the same way.
    subdirs.sort_unstable();
    Ok(Frame { dir, subdirs })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cap_std::ambient_authority;

    use super::*;

    fn limits(max_bytes: u64, max_entries: u64) -> DiskLimits {
        DiskLimits {
            max_bytes,
            max_entries,
        }
    }

    #[test]
    fn reserve_refuses_past_either_limit_and_changes_nothing() {
        let quota = DiskQuota::new(limits(100, 3));
        quota.reserve(60, 1).unwrap();
        assert!(quota.reserve(41, 0).is_err());
        assert!(quota.reserve(0, 3).is_err());
        assert_eq!(
            quota.usage(),
            DiskUsage {
                bytes: 60,
                entries: 1
            }
        );
        quota.reserve(40, 2).unwrap();
        // Nothing more fits, but reserving nothing still succeeds.
        quota.reserve(0, 0).unwrap();
        assert!(quota.reserve(1, 0).is_err());
        quota.release(500, 500);
        assert_eq!(quota.usage(), DiskUsage::default());
    }

    #[test]
    fn the_error_reads_like_a_full_disk() {
        let error = DiskQuota::new(limits(256 << 20, 10_000))
            .reserve(u64::MAX, 0)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "No space left on device (sandbox quota: 256 MiB, 10000 files)"
        );
        let io: std::io::Error = error.into();
        assert_eq!(io.kind(), std::io::ErrorKind::StorageFull);
        assert!(DiskQuota::unlimited().reserve(u64::MAX, u64::MAX).is_ok());
    }

    #[test]
    fn racing_threads_never_overshoot_and_releases_balance() {
        let quota = Arc::new(DiskQuota::new(limits(10_000, 1_000)));
        let granted: u64 = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    let quota = quota.clone();
                    scope.spawn(move || {
                        let mut granted = 0;
                        for _ in 0..10_000 {
                            if quota.reserve(7, 1).is_ok() {
                                granted += 1;
                                // Give some back, so the threads keep racing
                                // at the limit instead of stopping.
                                if granted % 3 == 0 {
                                    quota.release(7, 1);
                                    granted -= 1;
                                }
                            }
                            let usage = quota.usage();
                            assert!(usage.bytes <= 10_000 && usage.entries <= 1_000);
                        }
                        granted
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        assert_eq!(
            quota.usage(),
            DiskUsage {
                bytes: granted * 7,
                entries: granted
            }
        );
        assert!(granted <= 1_000);
        quota.release(granted * 7, granted);
        assert_eq!(quota.usage(), DiskUsage::default());
    }

    fn open(path: &std::path::Path) -> Dir {
        Dir::open_ambient_dir(path, ambient_authority()).unwrap()
    }

    #[test]
    fn rescan_counts_files_dirs_symlinks_and_hard_links() {
        let temp = tempfile::tempdir().unwrap();
        let dir = open(temp.path());
        dir.create_dir_all("a/b").unwrap();
        dir.write("a/b/f", vec![0u8; 1000]).unwrap();
        dir.write("g", b"hello").unwrap();
        dir.hard_link("g", &dir, "a/g2").unwrap();
        #[cfg(unix)]
        dir.symlink_contents("../../etc/passwd", "escape").unwrap();
        // A sparse file counts at its full length.
        let sparse = dir.create("sparse").unwrap();
        sparse.set_len(1 << 20).unwrap();

        let quota = DiskQuota::new(DiskLimits::default());
        let usage = quota.rescan(&dir).unwrap();
        let symlinks = if cfg!(unix) { 1 } else { 0 };
        assert_eq!(
            usage,
            DiskUsage {
                bytes: 1000 + 5 + 5 + (1 << 20),
                entries: 6 + symlinks,
            }
        );
        assert_eq!(quota.usage(), usage);
    }

    #[test]
    fn rescan_of_a_very_deep_tree_does_not_overflow_the_stack() {
        let temp = tempfile::tempdir().unwrap();
        let dir = open(temp.path());
        // Built one level at a time through handles: the full path would be
        // far longer than the OS allows in one call.
        let mut current = dir.try_clone().unwrap();
        for _ in 0..5_000 {
            current.create_dir("d").unwrap();
            current.write("f", b"x").unwrap();
            current = current.open_dir("d").unwrap();
        }
        let quota = DiskQuota::new(limits(1 << 30, 100_000));
        // A small stack: recursion 5,000 deep would not fit in it.
        let usage = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || quota.rescan(&dir).unwrap())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(
            usage,
            DiskUsage {
                bytes: 5_000,
                entries: 10_000
            }
        );
        remove_deep(temp.path());
    }

    #[test]
    fn a_tree_too_bushy_to_walk_with_few_handles_counts_as_full() {
        let temp = tempfile::tempdir().unwrap();
        let dir = open(temp.path());
        // Each level: `z` leads on, `a` waits its turn, so every level's
        // handle stays open while the walk is below it.
        let mut current = dir.try_clone().unwrap();
        for _ in 0..MAX_OPEN_DIRS + 10 {
            current.create_dir("a").unwrap();
            current.create_dir("z").unwrap();
            current = current.open_dir("z").unwrap();
        }
        let quota = DiskQuota::new(limits(1 << 30, 100_000));
        let usage = quota.rescan(&dir).unwrap();
        assert_eq!(
            usage,
            DiskUsage {
                bytes: 1 << 30,
                entries: 100_000
            }
        );
        // A chain as deep needs one handle and counts exactly.
        let temp = tempfile::tempdir().unwrap();
        let dir = open(temp.path());
        let mut current = dir.try_clone().unwrap();
        for _ in 0..MAX_OPEN_DIRS + 10 {
            current.create_dir("z").unwrap();
            current = current.open_dir("z").unwrap();
        }
        let usage = quota.rescan(&dir).unwrap();
        assert_eq!(usage.entries, MAX_OPEN_DIRS as u64 + 10);
    }

    #[test]
    fn rescan_stops_past_twice_the_limits() {
        let temp = tempfile::tempdir().unwrap();
        let dir = open(temp.path());
        for i in 0..100 {
            dir.create_dir(format!("d{i}")).unwrap();
            for j in 0..10 {
                dir.write(format!("d{i}/f{j}"), b"").unwrap();
            }
        }
        let quota = DiskQuota::new(limits(1 << 30, 50));
        let usage = quota.rescan(&dir).unwrap();
        assert!(usage.entries > 100, "{usage:?}");
        assert!(usage.entries < 200, "walked everything: {usage:?}");
    }

    #[test]
    fn a_refusal_recounts_once_after_removals() {
        let temp = tempfile::tempdir().unwrap();
        let quota = DiskQuota::with_root(limits(100, 10), open(temp.path()));
        let dir = open(temp.path());
        dir.write("f", vec![0u8; 90]).unwrap();
        quota.reserve(90, 1).unwrap();
        // Removed behind the quota's back: the count stays high...
        dir.remove_file("f").unwrap();
        assert!(quota.reserve_or_recount(50, 1).is_err());
        // ...until someone says the tree shrank.
        quota.mark_stale();
        quota.reserve_or_recount(50, 1).unwrap();
        assert_eq!(
            quota.usage(),
            DiskUsage {
                bytes: 50,
                entries: 1
            }
        );
        // Rate-limited: a second recount within the interval does not happen.
        quota.mark_stale();
        assert!(quota.reserve_or_recount(60, 0).is_err());
    }

    /// `remove_dir_all` recurses; take the deep test tree apart from the
    /// top instead, lifting each level up to the root in turn.
    fn remove_deep(path: &std::path::Path) {
        let dir = open(path);
        while dir.exists("d") {
            let _ = dir.remove_file("d/f");
            if dir.exists("d/d") {
                dir.rename("d/d", &dir, "next").unwrap();
                dir.remove_dir("d").unwrap();
                dir.rename("next", &dir, "d").unwrap();
            } else {
                dir.remove_dir("d").unwrap();
            }
        }
    }
}
