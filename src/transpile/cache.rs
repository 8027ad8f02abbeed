//! What self-contained TypeScript programs transpiled to, keyed by a
//! digest of their source: a program sent again (the usual case for a
//! judge or a classroom) is not transpiled again, and an expensive one
//! costs its sender once, not every time.
//!
//! Only an entry that imports nothing relative is kept (see
//! [`super::program::Summary`]): its output depends on its source alone.
//! The cache is small and bounded in entries and bytes, least recently
//! used first out.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use lru::LruCache;
use sha2::{Digest as _, Sha256};

/// Programs kept.
const MAX_ENTRIES: usize = 256;

/// Their transpiled code together.
const MAX_BYTES: usize = 32 << 20;

/// One program's output is kept only up to this size.
const MAX_ENTRY_BYTES: u64 = 4 << 20;

/// A program's key: the digest of its entry's source.
pub type Key = [u8; 32];

struct Cache {
    entries: LruCache<Key, Arc<str>>,
    bytes: usize,
}

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| {
        Mutex::new(Cache {
            entries: LruCache::new(NonZeroUsize::new(MAX_ENTRIES).unwrap_or(NonZeroUsize::MIN)),
            bytes: 0,
        })
    });
    CACHE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The key of a program whose entry's source is `source`.
pub fn key(source: &[u8]) -> Key {
    Sha256::digest(source).into()
}

/// What the program with `key` transpiled to before, if it is kept.
pub fn get(key: &Key) -> Option<Arc<str>> {
    cache().entries.get(key).cloned()
}

/// Keeps the transpiled file at `output` (in our own private directory)
/// as what the program with `key` transpiles to.
pub fn put(key: Key, output: &Path) {
    let Ok(file) = std::fs::File::open(output) else {
        return;
    };
    let mut code = String::new();
    let read = std::io::Read::read_to_string(
        &mut std::io::Read::take(file, MAX_ENTRY_BYTES + 1),
        &mut code,
    );
    if read.is_err() || code.len() as u64 > MAX_ENTRY_BYTES {
        return;
    }
    let mut cache = cache();
    cache.bytes += code.len();
    if let Some((_, old)) = cache.entries.push(key, Arc::from(code)) {
        cache.bytes -= old.len();
    }
    while cache.bytes > MAX_BYTES {
        match cache.entries.pop_lru() {
            Some((_, old)) => cache.bytes -= old.len(),
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_kept_is_found_by_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("main.js");
        std::fs::write(&output, "console.log(1);\n").unwrap();
        let source = key(b"const x: number = 1; console.log(x); // cache test");
        assert!(get(&source).is_none());
        put(source, &output);
        assert_eq!(get(&source).as_deref(), Some("console.log(1);\n"));
        assert!(get(&key(b"another program")).is_none());
    }
}
