//! Compiled programs kept on disk, keyed by everything the compiler read.
//!
//! A compile's output depends on its flags, its source, and every file the
//! preprocessor pulled in: local headers, `#embed`ded data, a header named
//! by a macro. Keying by the source alone would hand one user a program
//! built with another user's files. So the cache works in two steps, as
//! ccache's "direct mode" does:
//!
//! 1. A *manifest* is found by the toolchain, the dialect, the flags and
//!    the source's bytes. It lists the compiles made from those, each with
//!    every name that compile looked up in the sandbox (recorded by the
//!    engine, see [`Lookups`](crate::engine::Lookups)) and what it found
//!    there: a file's content hash, a directory, or nothing.
//! 2. A compile matches when every name it looked up finds the same thing
//!    in the sandbox asking: the same files with the same content, and
//!    still nothing where it found nothing (a header that appears later on
//!    the search path, an `__has_include` that would now be true). Its
//!    program is then reused.
//!
//! The source is listed among the inputs by its role, not its name, and
//! the names the server gives code sent over HTTP are keyed without their
//! time, so the same program sent twice is a hit. Names a user chose stay
//! in the key: they reach `__FILE__` and the diagnostics, and one user's
//! file names must not appear in another's program. The sysroot (`/usr`)
//! is fixed for one toolchain, whose identity is part of the key, so its
//! headers are not hashed one by one.
//!
//! Entries live under `<runtimes>/cache/programs` and survive restarts (the
//! CLI uses them too). The directory is capped in bytes; the entries used
//! least recently are evicted first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Dialect, MAX_BINARY_BYTES, MAX_SOURCE_BYTES};
use crate::sandbox::{Sandbox, relative_path};

/// Changes whenever what a manifest's inputs mean changes, so that no
/// entry is read by rules it was not written for (2: inputs are every
/// name looked up, found or not, where they were the dependency file's).
const FORMAT: &str = "polyrun-program-cache-2";

/// Bytes the cache directory may hold.
pub const DEFAULT_MAX_BYTES: u64 = 512 << 20;

/// Compiles listed per manifest, at most (the newest are kept).
const MAX_VARIANTS: usize = 16;

/// Manifests kept, at most (the least recently written are deleted): each
/// distinct source adds one, and they are small but not free.
const MAX_MANIFESTS: usize = 20_000;

/// A program found in the cache.
pub struct CachedProgram {
    pub wasm: Vec<u8>,
    /// The compiler's warnings, with the source's path as the asker named it.
    pub diagnostics: String,
}

/// One compile recorded in a manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Variant {
    /// Guest path of each name the compile looked up (outside `/usr`),
    /// with what it found (see [`fingerprint`]).
    inputs: BTreeMap<String, String>,
    /// Names the program file and its diagnostics.
    object: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    variants: Vec<Variant>,
}

/// Manifests and diagnostics are text of at most this size.
const MAX_TEXT_BYTES: u64 = 4 << 20;

/// The place in the diagnostics where the source's path was.
const SOURCE_MARK: &str = "\u{0}source\u{0}";

pub struct ProgramCache {
    dir: PathBuf,
    max_bytes: u64,
    /// Identifies the toolchain (sysroot, support objects, flags we add).
    toolchain: String,
    /// Serialises writers: manifests are read, changed and written whole.
    writing: Mutex<()>,
}

impl ProgramCache {
    /// Opens (creating) a cache directory. `toolchain` names everything
    /// outside the sandbox that a compile depends on.
    pub fn open(dir: PathBuf, toolchain: String, max_bytes: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.join("manifests"))?;
        std::fs::create_dir_all(dir.join("objects"))?;
        Ok(Self {
            dir,
            max_bytes,
            toolchain,
            writing: Mutex::new(()),
        })
    }

    /// The manifest key of a compile: toolchain, dialect, flags, and the
    /// source's bytes; not its name.
    pub fn manifest_key(&self, dialect: Dialect, flags: &[String], source: &[u8]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(FORMAT.as_bytes());
        hasher.update(self.toolchain.as_bytes());
        hasher.update(format!("\0{dialect:?}\0"));
        for flag in flags {
            hasher.update(flag.as_bytes());
            hasher.update(b"\0");
        }
        hasher.update(Sha256::digest(source));
        hex::encode(hasher.finalize())
    }

    /// A program compiled before from exactly the inputs `sandbox` holds
    /// now, if any. `source_path` is the source's guest path in this
    /// compile, put back into the diagnostics.
    pub fn lookup(
        &self,
        manifest_key: &str,
        sandbox: &Sandbox,
        source_path: &str,
    ) -> Option<CachedProgram> {
        let manifest = self.read_manifest(manifest_key);
        // Variants share most inputs: each file is read and hashed once.
        let mut fingerprints = BTreeMap::new();
        let variant = manifest.variants.iter().find(|variant| {
            inputs_match(&variant.inputs, sandbox, source_path, &mut fingerprints)
        })?;
        let object = self.dir.join("objects").join(&variant.object);
        let wasm = read_bounded(&object.with_extension("wasm"), MAX_BINARY_BYTES)?;
        let diagnostics = read_bounded(&object.with_extension("txt"), MAX_TEXT_BYTES)?;
        let diagnostics = String::from_utf8_lossy(&diagnostics);
        touch(&object.with_extension("wasm"));
        Some(CachedProgram {
            wasm,
            diagnostics: diagnostics.replace(SOURCE_MARK, source_path),
        })
    }

    /// Records a compile: what each name it looked up in `sandbox` is now
    /// (see [`fingerprint`]), its program and diagnostics. A name that
    /// cannot be described makes the compile uncacheable, and so does a
    /// sandbox that may have changed while the compile read it (`unchanged`,
    /// asked once those names have been read back): the names would then
    /// describe other files than the ones compiled, and the program would
    /// go to every user who has those.
    pub fn store(
        &self,
        manifest_key: &str,
        sandbox: &Sandbox,
        source_path: &str,
        looked_up: &[String],
        (wasm, diagnostics): (&[u8], &str),
        unchanged: impl Fn() -> bool,
    ) -> std::io::Result<()> {
        let Some(inputs) = fingerprint_inputs(looked_up, sandbox, source_path) else {
            return Ok(());
        };
        if !unchanged() {
            tracing::debug!("not cached: the sandbox changed during the compile");
            return Ok(());
        }
        let object_key = {
            let mut hasher = Sha256::new();
            hasher.update(manifest_key.as_bytes());
            for (path, hash) in &inputs {
                hasher.update(format!("\0{path}\0{hash}"));
            }
            hex::encode(hasher.finalize())
        };
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let object = self.dir.join("objects").join(&object_key);
        write_atomically(&object.with_extension("wasm"), wasm)?;
        let diagnostics = diagnostics.replace(source_path, SOURCE_MARK);
        write_atomically(&object.with_extension("txt"), diagnostics.as_bytes())?;
        let mut manifest = self.read_manifest(manifest_key);
        manifest.variants.retain(|v| v.object != object_key);
        manifest.variants.insert(
            0,
            Variant {
                inputs,
                object: object_key,
            },
        );
        manifest.variants.truncate(MAX_VARIANTS);
        let text = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
        write_atomically(&self.manifest_path(manifest_key), &text)?;
        self.evict_over_cap();
        Ok(())
    }

    fn manifest_path(&self, key: &str) -> PathBuf {
        self.dir.join("manifests").join(format!("{key}.json"))
    }

    fn read_manifest(&self, key: &str) -> Manifest {
        read_bounded(&self.manifest_path(key), MAX_TEXT_BYTES)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Deletes the least recently used programs until the directory is
    /// within its cap, and the oldest manifests beyond [`MAX_MANIFESTS`].
    /// Manifests naming a deleted program simply miss.
    fn evict_over_cap(&self) {
        self.evict_manifests();
        let Ok(entries) = std::fs::read_dir(self.dir.join("objects")) else {
            return;
        };
        let mut objects: Vec<(SystemTime, u64, PathBuf)> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let meta = entry.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), entry.path()))
            })
            .collect();
        let mut total: u64 = objects.iter().map(|(_, size, _)| size).sum();
        if total <= self.max_bytes {
            return;
        }
        objects.sort();
        for (_, size, path) in objects {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(size);
            }
        }
    }
}

impl ProgramCache {
    fn evict_manifests(&self) {
        let Ok(entries) = std::fs::read_dir(self.dir.join("manifests")) else {
            return;
        };
        let mut manifests: Vec<(SystemTime, PathBuf)> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                Some((entry.metadata().ok()?.modified().ok()?, entry.path()))
            })
            .collect();
        if manifests.len() <= MAX_MANIFESTS {
            return;
        }
        manifests.sort();
        let excess = manifests.len() - MAX_MANIFESTS;
        for (_, path) in manifests.into_iter().take(excess) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Whether a path is part of the fixed toolchain rather than the sandbox.
fn is_toolchain_path(path: &str) -> bool {
    path.starts_with("/usr/")
}

/// How the source file itself is listed among the inputs: by its role,
/// not its name (which the manifest key already accounts for).
const SOURCE_INPUT: &str = "<source>";

/// What each name the compile looked up is in the sandbox now, or `None`
/// if one cannot be described (or lies outside the sandbox and the
/// toolchain).
fn fingerprint_inputs(
    looked_up: &[String],
    sandbox: &Sandbox,
    source_path: &str,
) -> Option<BTreeMap<String, String>> {
    let mut inputs = BTreeMap::new();
    for path in looked_up.iter().filter(|p| !is_toolchain_path(p)) {
        if !path.starts_with('/') || path.starts_with("/tmp/") {
            return None;
        }
        let name = if path == source_path {
            SOURCE_INPUT.to_owned()
        } else {
            path.clone()
        };
        inputs.insert(name, fingerprint(sandbox, path)?);
    }
    Some(inputs)
}

/// What is at `path` in the sandbox, as a string that changes whenever
/// the compile could see a difference: the SHA-256 of a file's content,
/// [`ABSENT`] or [`DIRECTORY`]. `None` for anything else (a file too large
/// to be a source, a path that is not a plain sandbox path).
fn fingerprint(sandbox: &Sandbox, path: &str) -> Option<String> {
    use std::io::ErrorKind;
    let relative = relative_path(path).ok()?;
    match sandbox.dir().metadata(&relative) {
        Ok(meta) if meta.is_dir() => Some(DIRECTORY.to_owned()),
        Ok(meta) if meta.is_file() => {
            let bytes = sandbox.read_file(path, MAX_SOURCE_BYTES).ok()?;
            Some(hex::encode(Sha256::digest(&bytes)))
        }
        Ok(_) => None,
        Err(error) if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            Some(ABSENT.to_owned())
        }
        Err(_) => None,
    }
}

/// Fingerprints of names that were looked up and not found, and of
/// directories (whose entries are looked up one by one, and recorded so).
const ABSENT: &str = "absent";
const DIRECTORY: &str = "directory";

fn inputs_match(
    inputs: &BTreeMap<String, String>,
    sandbox: &Sandbox,
    source_path: &str,
    fingerprints: &mut BTreeMap<String, Option<String>>,
) -> bool {
    inputs.iter().all(|(path, expected)| {
        let path = if path == SOURCE_INPUT {
            source_path
        } else {
            path
        };
        let found = fingerprints
            .entry(path.to_owned())
            .or_insert_with(|| fingerprint(sandbox, path));
        found.as_ref() == Some(expected)
    })
}

/// Reads one of the cache's own files, refusing one larger than `limit`
/// (the cache writes none that large; a bigger one is not ours).
fn read_bounded(path: &Path, limit: u64) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > limit {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Writes a file whole or not at all (a crash leaves no half entry).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

/// Marks an entry as just used, for eviction order.
fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}
