//! Cranelift's incremental cache, kept in memory: compiled functions keyed
//! by a hash of their IR. Programs compiled from user code are mostly libc++
//! (iostream and locale machinery), identical from one program to the next,
//! so after the first compile most functions come from here instead of
//! Cranelift.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

/// Enough for the library code of many programs; past it, the cache starts
/// over rather than grow without bound.
const MAX_BYTES: usize = 256 << 20;

#[derive(Debug, Default)]
pub(crate) struct FunctionCache {
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Vec<u8>, Vec<u8>>,
    bytes: usize,
}

impl wasmtime::CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let entries = self.entries.lock().ok()?;
        entries.map.get(key).map(|value| Cow::Owned(value.clone()))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        let size = key.len() + value.len();
        if entries.bytes + size > MAX_BYTES {
            entries.map.clear();
            entries.bytes = 0;
        }
        entries.bytes += size;
        entries.map.insert(key.to_vec(), value);
        true
    }
}
