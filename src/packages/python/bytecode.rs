//! Bytecode for installed wheels: compiled once per wheel by the host's
//! own guest, kept in the shared cache, unpacked beside the modules.
//!
//! A module imported from source is compiled on every import until a
//! `.pyc` sits beside it, and a one-off run (`packages` on `POST /run`)
//! always starts from source: `import rich.console` costs three times
//! what it costs from bytecode. So once a wheel has been installed, the
//! server compiles it in the background, in a guest of its own (CPython's
//! `compileall` over a scratch directory that holds only that wheel's
//! files, never a user's sandbox), and stores the `__pycache__` files it
//! wrote as one zip in the cache, named by a digest of the wheel's hash
//! and the runtime's. Every later install of that wheel unpacks them
//! beside its modules.
//!
//! The `.pyc` files are checked-hash (PEP 552): the interpreter checks
//! them against the hash of the source beside them, not its time, so they
//! stay valid whenever the install wrote the sources, and a module a user
//! edits is compiled again. Nothing a user's run wrote reaches the cache,
//! and a bundle's entries land only beside the modules of its own wheel.

use std::collections::HashSet;
use std::future::Future;
use std::io::{Read as _, Write as _};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::Digest as _;

use super::USER_SITE;
use super::wheel::{self, WheelName};
use crate::budget::installs::InstallBytes;
use crate::packages::unpack::{Written, is_safe_entry};
use crate::packages::{InstallError, Packages};
use crate::sandbox::{DiskLimits, Sandbox};

/// The interpreter's `sys.implementation.cache_tag`: `.pyc` names carry it.
pub const CACHE_TAG: &str = "cpython-315";

/// Wheels waiting to be compiled at most; more are compiled on a later
/// install of theirs.
const MAX_PENDING: usize = 64;

/// The largest `.pyc` taken from a compile, and the largest bundle entry
/// unpacked.
const MAX_PYC_BYTES: u64 = 16 << 20;

/// Compiles every module under a directory to checked-hash bytecode, in a
/// guest: the language side of the server implements it (see
/// `language::python::bytecode`).
pub trait CompileBytecode: Send + Sync {
    /// Identifies the interpreter: bytecode from another build is never
    /// unpacked.
    fn runtime_id(&self) -> &str;

    /// Compiles the modules under `dir` (a guest path) in an instance
    /// whose `/` is `sandbox`, writing `__pycache__` beside them.
    fn compile<'a>(
        &'a self,
        sandbox: &'a Sandbox,
        dir: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// Compiled wheels: which are being compiled, and who compiles them.
#[derive(Default)]
pub struct Bytecode {
    compiler: OnceLock<Arc<dyn CompileBytecode>>,
    /// Wheels (by SHA-256) queued or being compiled.
    pending: Mutex<HashSet<String>>,
    /// One compile at a time: it is background work.
    turn: tokio::sync::Mutex<()>,
}

impl Bytecode {
    /// Compiles wheels with `compiler` from now on; a second call is ignored.
    pub fn set_compiler(&self, compiler: Arc<dyn CompileBytecode>) {
        let _ = self.compiler.set(compiler);
    }

    /// The cache key of a wheel's bytecode, if wheels are compiled.
    pub fn bundle_key(&self, wheel_sha256: &str) -> Option<String> {
        let compiler = self.compiler.get()?;
        let mut digest = sha2::Sha256::new();
        digest.update(b"polyrun bytecode 1\0");
        digest.update(compiler.runtime_id().as_bytes());
        digest.update(b"\0");
        digest.update(wheel_sha256.as_bytes());
        Some(hex::encode(digest.finalize()))
    }

    /// Compiles the wheel with this SHA-256 in the background, unless it
    /// is compiled, being compiled, or too many wait.
    pub fn schedule(&self, packages: &Packages, wheel_sha256: &str, filename: &str) {
        let Some(key) = self.bundle_key(wheel_sha256) else {
            return;
        };
        if packages.cache().contains(&key) {
            return;
        }
        {
            let Ok(mut pending) = self.pending.lock() else {
                return;
            };
            if pending.len() >= MAX_PENDING || !pending.insert(wheel_sha256.to_owned()) {
                return;
            }
        }
        let packages = packages.clone();
        let sha256 = wheel_sha256.to_owned();
        let filename = filename.to_owned();
        tokio::spawn(async move {
            let bytecode = packages.bytecode();
            let result = {
                let _turn = bytecode.turn.lock().await;
                compile_wheel(&packages, &sha256, &filename, &key).await
            };
            match result {
                Ok(modules) => tracing::debug!(%filename, modules, "compiled a wheel's bytecode"),
                Err(error) => {
                    tracing::warn!(%filename, "cannot compile the wheel's bytecode: {error}")
                }
            }
            if let Ok(mut pending) = bytecode.pending.lock() {
                pending.remove(&sha256);
            }
        });
    }
}

/// Unpacks the wheel into a scratch directory, compiles it there in a
/// guest and stores the bytecode in the cache under `key`. Returns how
/// many modules got bytecode.
async fn compile_wheel(
    packages: &Packages,
    sha256: &str,
    filename: &str,
    key: &str,
) -> Result<usize, String> {
    let compiler = packages
        .bytecode()
        .compiler
        .get()
        .cloned()
        .ok_or("no compiler")?;
    let opened = packages.cache().open_file(sha256).ok_or("not cached")?;
    let wheel_name = WheelName::parse(filename).ok_or("not a wheel name")?;
    let scratch = packages
        .cache()
        .scratch_dir()
        .map_err(|e| format!("{e:#}"))?;
    let limits = packages.settings().max_install_bytes;
    let sandbox = Sandbox::open_dir_with(
        scratch.path(),
        DiskLimits {
            max_bytes: limits.saturating_mul(3),
            max_entries: 200_000,
        },
    )
    .map_err(|e| e.to_string())?;
    let unpacked = {
        let sandbox = sandbox.try_clone().map_err(|e| e.to_string())?;
        let filename = filename.to_owned();
        crate::packages::blocking(move || {
            let bytes = InstallBytes::new(limits);
            let mut written = Written::new(&sandbox);
            let modules = wheel::unpack(
                opened,
                &wheel_name,
                &filename,
                &mut written,
                USER_SITE,
                false,
                &bytes,
            )?;
            written.keep();
            Ok(modules)
        })
        .await
        .map_err(|e| e.to_string())?
    };
    compiler.compile(&sandbox, &format!("/{USER_SITE}")).await?;
    let cache = packages.clone();
    let key = key.to_owned();
    crate::packages::blocking(move || {
        let bundle = collect(&sandbox, USER_SITE, &unpacked)?;
        let mut partial = cache.cache().partial().map_err(internal)?;
        partial.write_all(&bundle.zip).map_err(internal)?;
        cache.cache().store(partial, &key).map_err(internal)?;
        Ok(bundle.modules)
    })
    .await
    .map_err(|e| e.to_string())
}

fn internal(error: impl std::fmt::Display) -> InstallError {
    InstallError::Internal(format!("{error:#}"))
}

/// Bytecode read back from a compile, as a zip of `.pyc` files named
/// relative to site-packages.
struct Bundle {
    zip: Vec<u8>,
    modules: usize,
}

/// The `.pyc` a module (a path relative to site-packages) compiles to.
pub fn pyc_path(module: &str) -> Option<String> {
    let stem = module.strip_suffix(".py")?;
    let (dir, name) = match stem.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), stem),
    };
    (!name.is_empty()).then(|| format!("{dir}__pycache__/{name}.{CACHE_TAG}.pyc"))
}

/// Zips the `.pyc` the compile wrote for `modules` under `site`.
fn collect(sandbox: &Sandbox, site: &str, modules: &[String]) -> Result<Bundle, InstallError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut count = 0;
    for pyc in modules.iter().filter_map(|module| pyc_path(module)) {
        let Ok(bytes) = sandbox.read_file(&format!("{site}/{pyc}"), MAX_PYC_BYTES) else {
            continue; // a module that does not compile (Python 2 syntax)
        };
        zip.start_file(pyc.as_str(), options).map_err(internal)?;
        zip.write_all(&bytes).map_err(internal)?;
        count += 1;
    }
    let zip = zip.finish().map_err(internal)?.into_inner();
    Ok(Bundle {
        zip,
        modules: count,
    })
}

/// Unpacks a wheel's bytecode bundle beside its `modules` (paths relative
/// to `site`); an entry that is not the `.pyc` of one of them is skipped.
pub fn unpack_bundle(
    bundle: std::fs::File,
    modules: &[String],
    written: &mut Written<'_>,
    site: &str,
    bytes: &InstallBytes,
) -> Result<(), InstallError> {
    let expected: HashSet<String> = modules.iter().filter_map(|m| pyc_path(m)).collect();
    let mut archive = zip::ZipArchive::new(bundle).map_err(internal)?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(internal)?;
        let Ok(name) = entry.name().map(|name| name.into_owned()) else {
            continue;
        };
        if !is_safe_entry(&name) || !expected.contains(&name) || entry.size() > MAX_PYC_BYTES {
            continue;
        }
        let declared = entry.size();
        bytes
            .take(declared)
            .map_err(|refusal| InstallError::Limit(refusal.to_string()))?;
        let mut contents = Vec::with_capacity(declared as usize);
        (&mut entry)
            .take(declared)
            .read_to_end(&mut contents)
            .map_err(internal)?;
        written.write(&format!("{site}/{name}"), &contents)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_goes_to_pycache_beside_its_module() {
        assert_eq!(
            pyc_path("rich/console.py").as_deref(),
            Some("rich/__pycache__/console.cpython-315.pyc")
        );
        assert_eq!(
            pyc_path("six.py").as_deref(),
            Some("__pycache__/six.cpython-315.pyc")
        );
        assert_eq!(pyc_path("rich/py.typed"), None);
        assert_eq!(pyc_path("rich/.py"), None);
    }

    #[test]
    fn a_bundle_unpacks_only_its_own_modules_bytecode() {
        let root = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::open_dir(root.path()).unwrap();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for name in [
            "pkg/__pycache__/mod.cpython-315.pyc",
            "pkg/__pycache__/other.cpython-315.pyc",
            "../evil/__pycache__/mod.cpython-315.pyc",
            "pkg/mod.py",
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(b"pyc").unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        use std::io::Seek as _;
        file.rewind().unwrap();
        sandbox.write_file("site/pkg/mod.py", b"x = 1\n").unwrap();
        let mut written = Written::new(&sandbox);
        let budget = InstallBytes::new(1 << 20);
        unpack_bundle(
            file,
            &["pkg/mod.py".to_owned()],
            &mut written,
            "site",
            &budget,
        )
        .unwrap();
        written.keep();
        assert!(sandbox.exists("site/pkg/__pycache__/mod.cpython-315.pyc"));
        assert!(!sandbox.exists("site/pkg/__pycache__/other.cpython-315.pyc"));
        assert_eq!(
            sandbox.read_file("site/pkg/mod.py", 100).unwrap(),
            b"x = 1\n"
        );
    }
}
