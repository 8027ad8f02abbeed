//! The shared file cache: package files by the SHA-256 the index gave for
//! them, least recently used evicted past the cap (`PACKAGE_CACHE_MB`).
//!
//! Every file in it is a public file from the operator's index, verified
//! against its hash before it is stored, so one user's install can serve
//! another's: only which files are cached, never who asked, is shared.
//! Names are hex digests the host checked, never a user's path.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use lru::LruCache;

/// Files a cache directory may hold before the oldest go, whatever their
/// size: the scan at start-up and the LRU stay bounded.
const MAX_FILES: usize = 100_000;

/// The cache of verified package files.
pub struct FileCache {
    dir: Option<PathBuf>,
    cap_bytes: u64,
    recency: Mutex<Recency>,
}

struct Recency {
    files: LruCache<String, u64>,
    total: u64,
}

impl FileCache {
    /// The cache in `dir` (made if missing), with what it holds from
    /// earlier runs, oldest first by modification time.
    pub fn open(dir: &Path, cap_bytes: u64) -> anyhow::Result<Self> {
        let files = dir.join("files");
        std::fs::create_dir_all(&files)
            .with_context(|| format!("cannot create the package cache {}", files.display()))?;
        std::fs::create_dir_all(dir.join("partial"))
            .with_context(|| format!("cannot create the package cache {}", dir.display()))?;
        let cache = Self {
            dir: Some(dir.to_owned()),
            cap_bytes,
            recency: Mutex::new(Recency {
                files: LruCache::unbounded(),
                total: 0,
            }),
        };
        cache.load(&files);
        Ok(cache)
    }

    /// A cache that holds nothing (installs are off).
    pub fn disabled() -> Self {
        Self {
            dir: None,
            cap_bytes: 0,
            recency: Mutex::new(Recency {
                files: LruCache::unbounded(),
                total: 0,
            }),
        }
    }

    fn load(&self, files: &Path) {
        let Ok(entries) = std::fs::read_dir(files) else {
            return;
        };
        let mut found: Vec<(std::time::SystemTime, String, u64)> = entries
            .filter_map(Result::ok)
            .take(MAX_FILES)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let metadata = entry.metadata().ok()?;
                let modified = metadata.modified().ok()?;
                (is_digest(&name) && metadata.is_file()).then_some((modified, name, metadata.len()))
            })
            .collect();
        found.sort();
        for (_, name, size) in found {
            self.remember(name, size);
        }
    }

    /// The cached file with this SHA-256, opened, if there is one.
    pub fn open_file(&self, sha256: &str) -> Option<File> {
        let path = self.path(sha256)?;
        let file = File::open(&path).ok()?;
        if let Ok(mut recency) = self.recency.lock() {
            recency.files.get(sha256);
        }
        Some(file)
    }

    /// Whether the cache holds a file under this name.
    pub fn contains(&self, name: &str) -> bool {
        self.recency
            .lock()
            .is_ok_and(|recency| recency.files.contains(name))
    }

    /// A scratch directory beside the cache, removed when dropped.
    pub fn scratch_dir(&self) -> anyhow::Result<tempfile::TempDir> {
        let dir = self
            .dir
            .as_ref()
            .context("the package cache is not configured")?;
        tempfile::tempdir_in(dir.join("partial"))
            .context("cannot create a directory in the package cache")
    }

    /// A new file to download into, beside the cache.
    pub fn partial(&self) -> anyhow::Result<tempfile::NamedTempFile> {
        let dir = self
            .dir
            .as_ref()
            .context("the package cache is not configured")?;
        tempfile::NamedTempFile::new_in(dir.join("partial"))
            .context("cannot create a file in the package cache")
    }

    /// Stores a downloaded file whose SHA-256 was checked, evicting the
    /// least recently used past the cap; returns it opened.
    pub fn store(&self, partial: tempfile::NamedTempFile, sha256: &str) -> anyhow::Result<File> {
        let path = self.path(sha256).context("not a SHA-256 digest")?;
        let size = partial.as_file().metadata().map_or(0, |m| m.len());
        partial
            .persist(&path)
            .with_context(|| format!("cannot store {}", path.display()))?;
        self.remember(sha256.to_owned(), size);
        File::open(&path).with_context(|| format!("cannot open {}", path.display()))
    }

    fn remember(&self, sha256: String, size: u64) {
        let Ok(mut recency) = self.recency.lock() else {
            return;
        };
        if let Some(old) = recency.files.put(sha256, size) {
            recency.total = recency.total.saturating_sub(old);
        }
        recency.total = recency.total.saturating_add(size);
        while recency.total > self.cap_bytes || recency.files.len() > MAX_FILES {
            let Some((evicted, size)) = recency.files.pop_lru() else {
                break;
            };
            recency.total = recency.total.saturating_sub(size);
            if let Some(path) = self.path(&evicted) {
                // A file being read stays readable where removal of an
                // open file is allowed; elsewhere it goes on a later store.
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// The bytes the cache holds.
    pub fn size(&self) -> u64 {
        self.recency.lock().map_or(0, |recency| recency.total)
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        is_digest(sha256).then(|| dir.join("files").join(sha256))
    }
}

/// Whether `name` is a lowercase hex SHA-256 or SHA-512 digest.
pub fn is_digest(name: &str) -> bool {
    matches!(name.len(), 64 | 128) && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn digest(n: u8) -> String {
        format!("{:064x}", n)
    }

    fn put(cache: &FileCache, sha256: &str, bytes: usize) {
        let mut partial = cache.partial().unwrap();
        partial.write_all(&vec![7; bytes]).unwrap();
        cache.store(partial, sha256).unwrap();
    }

    #[test]
    fn the_least_recently_used_go_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path(), 250).unwrap();
        put(&cache, &digest(1), 100);
        put(&cache, &digest(2), 100);
        assert!(cache.open_file(&digest(1)).is_some());
        put(&cache, &digest(3), 100);
        assert!(cache.open_file(&digest(2)).is_none(), "oldest kept");
        assert!(cache.open_file(&digest(1)).is_some());
        assert!(cache.open_file(&digest(3)).is_some());
        assert_eq!(cache.size(), 200);
        let reopened = FileCache::open(dir.path(), 250).unwrap();
        assert_eq!(reopened.size(), 200);
    }

    #[test]
    fn only_digests_name_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path(), 1 << 20).unwrap();
        assert!(cache.open_file("../../etc/passwd").is_none());
        assert!(cache.store(cache.partial().unwrap(), "x").is_err());
    }
}
