//! Per-user directories, opened with cap-std.
//!
//! A sandbox directory is the only file system a guest sees (preopened at `/`).
//! Host code that reads or writes inside one goes through [`Sandbox`], never
//! plain `std::fs`: cap-std resolves every path beneath the directory handle
//! and refuses `..`, absolute paths and symlinks that lead outside, so a
//! symlink a guest planted cannot redirect the host.
//!
//! Each sandbox has a [`DiskQuota`] ([`quota`]) shared by everything that
//! writes into it.

pub mod quota;

mod remove;

pub use remove::remove_tree;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use rand::distr::{Alphanumeric, SampleString};

pub use quota::{DiskLimits, DiskQuota, DiskUsage, QuotaExceeded};

/// Prefix of every sandbox directory name under the base directory.
pub const SANDBOX_PREFIX: &str = "user_";

/// A fresh, unguessable sandbox name.
pub fn new_sandbox_name() -> String {
    format!(
        "{SANDBOX_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 16)
    )
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid path '{0}': paths must be relative and stay inside the sandbox")]
    InvalidPath(String),
    #[error("invalid sandbox name '{0}'")]
    InvalidName(String),
    /// The write would take the sandbox past its disk quota.
    #[error("cannot write '{path}': {source}")]
    Quota {
        path: String,
        #[source]
        source: QuotaExceeded,
    },
    /// The file system under the base directory is nearly full: no new
    /// sandbox until space is freed (`MIN_FREE_DISK_MB`).
    #[error(
        "the server is low on disk space ({} MiB free, {} MiB required); try again later",
        .available >> 20,
        .required >> 20
    )]
    DiskFull { available: u64, required: u64 },
    /// A piece of an upload that does not start where the file ends.
    #[error(
        "a piece at byte {offset} does not follow the file's {size} bytes; send pieces in order"
    )]
    OutOfOrder { offset: u64, size: u64 },
    #[error("'{path}' is {size} bytes; files read here may be at most {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{action} '{path}': {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl SandboxError {
    fn io(action: &'static str, path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// The base directory that holds every user's sandbox (`USER_BASE_DIR`).
pub struct SandboxRoot {
    path: PathBuf,
    dir: Dir,
    /// The quota each sandbox gets.
    limits: DiskLimits,
    /// Free space below which no sandbox is created.
    min_free_bytes: u64,
    /// Sandboxes whose removal failed, to be tried again.
    unremoved: Mutex<BTreeSet<String>>,
}

impl SandboxRoot {
    /// Opens the base directory, creating it if needed. The path comes from
    /// the operator's configuration, not from a user.
    pub fn open_or_create(path: impl Into<PathBuf>) -> Result<Self, SandboxError> {
        let path = path.into();
        std::fs::create_dir_all(&path)
            .map_err(|e| SandboxError::io("cannot create directory", &path, e))?;
        let path = path
            .canonicalize()
            .map_err(|e| SandboxError::io("cannot resolve", &path, e))?;
        let dir = Dir::open_ambient_dir(&path, ambient_authority())
            .map_err(|e| SandboxError::io("cannot open", &path, e))?;
        Ok(Self {
            path,
            dir,
            limits: DiskLimits::default(),
            min_free_bytes: 0,
            unremoved: Mutex::new(BTreeSet::new()),
        })
    }

    /// Gives every sandbox opened from now on these disk limits.
    pub fn with_limits(mut self, limits: DiskLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Refuses to create sandboxes while the file system under the base
    /// directory has less than `bytes` available (`MIN_FREE_DISK_MB`): a
    /// quota per sandbox does not stop many sandboxes filling the disk.
    pub fn with_min_free_bytes(mut self, bytes: u64) -> Self {
        self.min_free_bytes = bytes;
        self
    }

    pub fn limits(&self) -> DiskLimits {
        self.limits
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a new sandbox with an unguessable name, unless the disk is
    /// nearly full ([`SandboxError::DiskFull`]).
    pub fn create(&self) -> Result<Sandbox, SandboxError> {
        self.create_named(&new_sandbox_name())
    }

    /// Creates a new sandbox with a name chosen beforehand (with
    /// [`new_sandbox_name`]): a cluster promises the name to the client
    /// before the node that runs the code creates it.
    pub fn create_named(&self, name: &str) -> Result<Sandbox, SandboxError> {
        check_sandbox_name(name)?;
        self.check_free_space()?;
        let name = name.to_owned();
        self.dir
            .create_dir(&name)
            .map_err(|e| SandboxError::io("cannot create sandbox", &name, e))?;
        // Empty: nothing to count.
        self.open_counted(&name, false)
    }

    /// Opens an existing sandbox by name, counting what it holds. Each
    /// call gets a quota of its own: share the [`Sandbox`], not the name.
    pub fn open(&self, name: &str) -> Result<Sandbox, SandboxError> {
        self.open_counted(name, true)
    }

    fn open_counted(&self, name: &str, rescan: bool) -> Result<Sandbox, SandboxError> {
        check_sandbox_name(name)?;
        let dir = self
            .dir
            .open_dir(name)
            .map_err(|e| SandboxError::io("cannot open sandbox", name, e))?;
        let quota = Sandbox::quota_for(&dir, self.limits, rescan)
            .map_err(|e| SandboxError::io("cannot count sandbox", name, e))?;
        Ok(Sandbox {
            name: name.to_owned(),
            host_path: self.path.join(name),
            dir,
            quota,
        })
    }

    /// Fails with [`SandboxError::DiskFull`] when the file system holding
    /// the base directory has less than the configured space available.
    fn check_free_space(&self) -> Result<(), SandboxError> {
        if self.min_free_bytes == 0 {
            return Ok(());
        }
        let available = fs4::available_space(&self.path)
            .map_err(|e| SandboxError::io("cannot read the free space of", &self.path, e))?;
        if available < self.min_free_bytes {
            return Err(SandboxError::DiskFull {
                available,
                required: self.min_free_bytes,
            });
        }
        Ok(())
    }

    /// Names of all sandboxes present, including ones left by earlier runs.
    pub fn list(&self) -> Result<Vec<String>, SandboxError> {
        let entries = self
            .dir
            .entries()
            .map_err(|e| SandboxError::io("cannot list", &self.path, e))?;
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| check_sandbox_name(name).is_ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Removes a sandbox and everything in it, however deep (see
    /// [`remove`]). Symlinks inside are removed, not followed. A sandbox
    /// that cannot be removed is remembered and tried again by
    /// [`Self::retry_removals`].
    pub fn remove(&self, name: &str) -> Result<(), SandboxError> {
        check_sandbox_name(name)?;
        let removed = remove::remove_tree(&self.dir, Path::new(name));
        let mut unremoved = self.unremoved.lock().unwrap_or_else(|p| p.into_inner());
        match removed {
            Ok(()) => {
                unremoved.remove(name);
                Ok(())
            }
            Err(error) => {
                unremoved.insert(name.to_owned());
                Err(SandboxError::io("cannot remove sandbox", name, error))
            }
        }
    }

    /// Tries again to remove the sandboxes whose removal failed, logging
    /// each failure; returns how many are still there.
    pub fn retry_removals(&self) -> usize {
        let pending: Vec<String> = self
            .unremoved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        let mut left = 0;
        for name in pending {
            if let Err(error) = self.remove(&name) {
                tracing::warn!(sandbox = name, %error, "removing a sandbox failed again; will retry");
                left += 1;
            }
        }
        left
    }
}

fn check_sandbox_name(name: &str) -> Result<(), SandboxError> {
    let valid = name
        .strip_prefix(SANDBOX_PREFIX)
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()));
    if valid {
        Ok(())
    } else {
        Err(SandboxError::InvalidName(name.to_owned()))
    }
}

/// One user's directory.
pub struct Sandbox {
    name: String,
    host_path: PathBuf,
    dir: Dir,
    quota: Arc<DiskQuota>,
}

impl Sandbox {
    /// Uses an operator-chosen directory as a sandbox (`polyrun run --sandbox`)
    /// with the default disk limits.
    pub fn open_dir(path: impl AsRef<Path>) -> Result<Self, SandboxError> {
        Self::open_dir_with(path, DiskLimits::default())
    }

    /// Uses an operator-chosen directory as a sandbox with these disk
    /// limits. What the directory already holds counts (bounded: a count
    /// stops at twice the limits).
    pub fn open_dir_with(path: impl AsRef<Path>, limits: DiskLimits) -> Result<Self, SandboxError> {
        let path = path.as_ref();
        std::fs::create_dir_all(path)
            .map_err(|e| SandboxError::io("cannot create directory", path, e))?;
        let host_path = path
            .canonicalize()
            .map_err(|e| SandboxError::io("cannot resolve", path, e))?;
        let dir = Dir::open_ambient_dir(&host_path, ambient_authority())
            .map_err(|e| SandboxError::io("cannot open", &host_path, e))?;
        let name = host_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let quota = Self::quota_for(&dir, limits, true)
            .map_err(|e| SandboxError::io("cannot count", &host_path, e))?;
        Ok(Self {
            name,
            host_path,
            dir,
            quota,
        })
    }

    /// Opens an existing sandbox directory to read from it, in a process
    /// that writes nothing there (the TypeScript worker): no quota, no
    /// count of what it holds.
    pub fn open_for_reading(path: &Path) -> Result<Self, SandboxError> {
        let dir = Dir::open_ambient_dir(path, ambient_authority())
            .map_err(|e| SandboxError::io("cannot open", path, e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self {
            name,
            host_path: path.to_path_buf(),
            dir,
            quota: Arc::new(DiskQuota::unlimited()),
        })
    }

    /// A quota over `dir`, counted from the disk when it may hold files.
    fn quota_for(dir: &Dir, limits: DiskLimits, rescan: bool) -> std::io::Result<Arc<DiskQuota>> {
        let quota = DiskQuota::with_root(limits, dir.try_clone()?);
        if rescan {
            quota.rescan(dir)?;
        }
        Ok(Arc::new(quota))
    }

    /// The disk quota every writer into this sandbox shares.
    pub fn quota(&self) -> &Arc<DiskQuota> {
        &self.quota
    }

    /// The directory name (`user_…` for server sandboxes).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the directory is on the host, for preopening it in a guest.
    pub fn host_path(&self) -> &Path {
        &self.host_path
    }

    /// Writes a file, creating parent directories as needed, within the
    /// disk quota ([`SandboxError::Quota`] when it does not fit).
    pub fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), SandboxError> {
        let _changing = self.quota.changing();
        self.write_within_quota(path, contents)
    }

    /// [`Sandbox::write_file`] for a compiler's output: the compile's
    /// change mark (see `DiskQuota::changing`) moves past this write, so
    /// the compile may still be cached, while any other change still
    /// keeps it out.
    pub fn write_compiled(
        &self,
        path: &str,
        contents: &[u8],
        mark: &mut u64,
    ) -> Result<(), SandboxError> {
        let _changing = self.quota.changing_as_marked(mark);
        self.write_within_quota(path, contents)
    }

    fn write_within_quota(&self, path: &str, contents: &[u8]) -> Result<(), SandboxError> {
        let relative = relative_path(path)?;
        let growth = quota::WriteGrowth::measure(&self.dir, &relative, contents.len() as u64);
        growth
            .reserve(&self.quota)
            .map_err(|source| SandboxError::Quota {
                path: relative.display().to_string(),
                source,
            })?;
        let written = self.write_unchecked(&relative, contents);
        growth.settle(&self.quota, written.is_ok());
        written
    }

    /// Removes a file (never a directory, never following a symlink),
    /// giving its bytes back to the quota.
    pub fn remove_file(&self, path: &str) -> Result<(), SandboxError> {
        let _changing = self.quota.changing();
        let relative = relative_path(path)?;
        // The link itself, not what a symlink points to.
        let size = self
            .dir
            .symlink_metadata(&relative)
            .map_or(0, |metadata| metadata.len());
        self.dir
            .remove_file(&relative)
            .map_err(|e| SandboxError::io("cannot remove", &relative, e))?;
        self.quota.removed(size, 1);
        Ok(())
    }

    fn write_unchecked(&self, relative: &Path, contents: &[u8]) -> Result<(), SandboxError> {
        if let Some(parent) = relative.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.dir
                .create_dir_all(parent)
                .map_err(|e| SandboxError::io("cannot create directory", parent, e))?;
        }
        self.dir
            .write(relative, contents)
            .map_err(|e| SandboxError::io("cannot write", relative, e))
    }

    /// Reads a whole file of at most `limit` bytes. The size is checked
    /// before reading, so a huge (or sparse) file costs no memory; a file
    /// that grows meanwhile is cut at the limit.
    pub fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, SandboxError> {
        use std::io::Read as _;
        let relative = relative_path(path)?;
        let file = self
            .dir
            .open(&relative)
            .map_err(|e| SandboxError::io("cannot read", &relative, e))?;
        let size = file
            .metadata()
            .map_err(|e| SandboxError::io("cannot read", &relative, e))?
            .len();
        if size > limit {
            return Err(SandboxError::TooLarge {
                path: path.to_owned(),
                size,
                limit,
            });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| SandboxError::io("cannot read", &relative, e))?;
        Ok(bytes)
    }

    /// Writes one piece of a file that arrives in order (an upload). The
    /// first piece (`offset` 0) creates or truncates the file; each next
    /// one must start where the file ends. Within the disk quota: a piece
    /// that does not fit removes the partial file. Returns the file's size.
    pub fn write_piece(
        &self,
        relative: &Path,
        offset: u64,
        piece: &[u8],
    ) -> Result<u64, SandboxError> {
        use std::io::Write as _;
        let _changing = self.quota.changing();
        let fail = |e| self.write_error(relative, e);
        let mut file = if offset == 0 {
            self.open_for_writing(relative, false).map_err(fail)?
        } else {
            let file = self
                .dir
                .open_with(relative, cap_std::fs::OpenOptions::new().append(true))
                .map_err(fail)?;
            let size = file.metadata().map_err(fail)?.len();
            if size != offset {
                return Err(SandboxError::OutOfOrder { offset, size });
            }
            file
        };
        let written = self
            .quota
            .charge(piece.len() as u64, 0, || file.write_all(piece));
        match written {
            Ok(()) => Ok(offset + piece.len() as u64),
            Err(error) => {
                drop(file);
                let _ = self.remove_file(&relative.to_string_lossy());
                Err(fail(error))
            }
        }
    }

    /// A failed write as the caller should see it: the quota's refusal as
    /// [`SandboxError::Quota`].
    fn write_error(&self, relative: &Path, error: std::io::Error) -> SandboxError {
        if error.kind() == std::io::ErrorKind::StorageFull {
            SandboxError::Quota {
                path: relative.display().to_string(),
                source: self.quota.exceeded(),
            }
        } else {
            SandboxError::io("cannot write", relative, error)
        }
    }

    /// Opens `relative` for writing (created if missing, truncated unless
    /// `append`) within the disk quota: a new file counts one entry, and a
    /// truncated one gives its bytes back. What is then written is charged
    /// by the caller as it streams (`tee`, uploads).
    pub fn open_for_writing(
        &self,
        relative: &Path,
        append: bool,
    ) -> std::io::Result<cap_std::fs::File> {
        let _changing = self.quota.changing();
        let existed = quota::file_len(&self.dir, relative);
        let file = self.quota.charge(0, u64::from(existed.is_none()), || {
            self.dir.open_with(relative, &write_options(append))
        })?;
        if let (Some(old), false) = (existed, append) {
            self.quota.removed(old, 0);
        }
        Ok(file)
    }

    /// Reads at most `max` bytes of a regular file from `offset` (a
    /// download's piece), with the file's size.
    pub fn read_piece(
        &self,
        relative: &Path,
        offset: u64,
        max: usize,
    ) -> Result<(Vec<u8>, u64), SandboxError> {
        use std::io::{Read as _, Seek as _, SeekFrom};
        let fail = |e| SandboxError::io("cannot read", relative, e);
        let mut file = self.dir.open(relative).map_err(fail)?;
        let metadata = file.metadata().map_err(fail)?;
        if !metadata.is_file() {
            return Err(fail(std::io::Error::from(std::io::ErrorKind::IsADirectory)));
        }
        file.seek(SeekFrom::Start(offset)).map_err(fail)?;
        let mut piece = Vec::with_capacity(max.min(metadata.len().saturating_sub(offset) as usize));
        file.take(max as u64)
            .read_to_end(&mut piece)
            .map_err(fail)?;
        Ok((piece, metadata.len()))
    }

    /// A second handle on the same directory, for work on another thread.
    pub fn try_clone(&self) -> Result<Self, SandboxError> {
        let dir = self
            .dir
            .try_clone()
            .map_err(|e| SandboxError::io("cannot open", &self.host_path, e))?;
        Ok(Self {
            name: self.name.clone(),
            host_path: self.host_path.clone(),
            dir,
            // The same directory: the same quota.
            quota: self.quota.clone(),
        })
    }

    pub fn exists(&self, path: &str) -> bool {
        relative_path(path).is_ok_and(|relative| self.dir.exists(relative))
    }

    /// The cap-std handle, for callers that need more than the helpers here.
    pub fn dir(&self) -> &Dir {
        &self.dir
    }
}

/// How a file is opened for writing: created if missing, then appended to
/// or truncated.
pub fn write_options(append: bool) -> cap_std::fs::OpenOptions {
    let mut options = cap_std::fs::OpenOptions::new();
    options.write(true).create(true);
    if append {
        options.append(true);
    } else {
        options.truncate(true);
    }
    options
}

/// Turns a user-supplied path into a plain relative path, refusing anything
/// that could name a place outside the sandbox before cap-std even sees it.
/// A leading `/` is read as the sandbox root, since that is where guests see it.
pub fn relative_path(path: &str) -> Result<PathBuf, SandboxError> {
    let invalid = || SandboxError::InvalidPath(path.to_owned());
    if path.is_empty() || path.contains('\0') {
        return Err(invalid());
    }
    let mut relative = PathBuf::new();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(invalid());
            }
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(invalid());
    }
    Ok(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_refuses_escapes() {
        for bad in ["", "..", "../x", "a/../../x", "a/..", "x\0y"] {
            assert!(relative_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(relative_path("/a/./b").unwrap(), Path::new("a/b"));
        assert_eq!(
            relative_path("dir/file.py").unwrap(),
            Path::new("dir/file.py")
        );
    }

    #[test]
    fn sandbox_names_are_checked() {
        let temp = tempfile::tempdir().unwrap();
        let root = SandboxRoot::open_or_create(temp.path()).unwrap();
        for bad in ["..", "user_", "user_../x", "other", "user_a/b", "/etc"] {
            assert!(root.open(bad).is_err(), "{bad:?} opened");
            assert!(root.remove(bad).is_err(), "{bad:?} removed");
        }
    }

    #[test]
    fn create_list_write_read_remove() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir(temp.path().join("not_a_sandbox")).unwrap();
        let root = SandboxRoot::open_or_create(temp.path()).unwrap();
        let a = root.create().unwrap();
        let b = root.create().unwrap();
        assert_ne!(a.name(), b.name());
        assert!(a.name().starts_with(SANDBOX_PREFIX) && a.name().len() == 21);
        let mut expected = vec![a.name().to_owned(), b.name().to_owned()];
        expected.sort();
        assert_eq!(root.list().unwrap(), expected);

        a.write_file("deep/dir/f.txt", b"hi").unwrap();
        assert_eq!(a.read_file("deep/dir/f.txt", 2).unwrap(), b"hi");
        assert!(matches!(
            a.read_file("deep/dir/f.txt", 1),
            Err(SandboxError::TooLarge { size: 2, .. })
        ));
        assert!(!b.exists("deep/dir/f.txt"));
        assert!(matches!(
            a.write_file("../x", b""),
            Err(SandboxError::InvalidPath(_))
        ));

        root.remove(a.name()).unwrap();
        assert_eq!(root.list().unwrap(), vec![b.name().to_owned()]);
        assert!(temp.path().join("not_a_sandbox").exists());
    }
}
