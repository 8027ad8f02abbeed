//! Snapshots of initialised interpreters, made once at provisioning with
//! `wasmtime-wizer` so that every run starts where start-up ended.
//!
//! The module is instrumented, instantiated with the mounts a run has, and
//! initialised by the caller's function (CPython runs a script through
//! `turn`; QuickJS calls its own `polyrun_initialize`); its memory and
//! globals are then written back as a new module.

use anyhow::Context as _;
use wasmtime::{Instance, Linker, Module, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wizer::{InstanceState, SnapshotVal, Wizer};

use crate::engine::{Mount, reactor};

/// A module being initialised: its instance, and what it printed so far.
pub struct Initialising<'a> {
    pub instance: Instance,
    pub store: &'a mut Store<WasiP1Ctx>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl Initialising<'_> {
    /// What the module wrote to stdout and stderr, for error messages.
    pub fn output(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.stdout.contents()),
            String::from_utf8_lossy(&self.stderr.contents())
        )
    }

    /// Calls an export that takes and returns nothing.
    pub async fn call(&mut self, name: &str) -> anyhow::Result<()> {
        let function = self
            .instance
            .get_typed_func::<(), ()>(&mut *self.store, name)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("the module exports no function {name}"))?;
        function
            .call_async(&mut *self.store, ())
            .await
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{name} failed:\n{}", self.output()))
    }
}

/// Snapshots `wasm` after `initialise` has run in it, with `mounts` (in
/// this order) preopened and `argv0` as its argv. The export named
/// `init_func`, if any, is dropped from the result, as is `_initialize`.
pub async fn make(
    wasm: &[u8],
    argv0: &str,
    mounts: &[Mount],
    init_func: Option<&str>,
    initialise: impl AsyncFnOnce(&mut Initialising<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<u8>> {
    let mut wizer = Wizer::new();
    if let Some(name) = init_func {
        wizer.init_func(name);
    }
    let (context, instrumented) = wizer
        .instrument(wasm)
        .map_err(anyhow::Error::from)
        .context("cannot instrument the module")?;
    let engine = wasmtime::Engine::new(&config()).map_err(anyhow::Error::from)?;
    let module = Module::new(&engine, &instrumented)
        .map_err(anyhow::Error::from)
        .context("cannot compile the instrumented module")?;

    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let wasi = wasi(argv0, mounts, &stdout, &stderr)?;
    let mut store = Store::new(&engine, wasi);
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |wasi: &mut WasiP1Ctx| wasi)
        .map_err(anyhow::Error::from)?;
    reactor::add_host_tools(&mut linker)?;
    let instance = linker
        .instantiate_async(&mut store, &module)
        .await
        .map_err(anyhow::Error::from)
        .context("cannot instantiate the module")?;
    let mut initialising = Initialising {
        instance,
        store: &mut store,
        stdout,
        stderr,
    };
    initialise(&mut initialising).await?;
    wizer
        .snapshot(
            &context,
            &mut Snapshotted {
                store: &mut store,
                instance,
            },
        )
        .await
        .map_err(anyhow::Error::from)
        .context("cannot snapshot the module")
}

/// The engine initialisation runs on: the features the runtimes need, and
/// a quick compile, since the instrumented module runs once.
fn config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config
        .wasm_exceptions(true)
        .collector(wasmtime::Collector::DeferredReferenceCounting)
        .max_wasm_stack(16 << 20)
        .async_stack_size(17 << 20)
        .cranelift_opt_level(wasmtime::OptLevel::None);
    config
}

fn wasi(
    argv0: &str,
    mounts: &[Mount],
    stdout: &MemoryOutputPipe,
    stderr: &MemoryOutputPipe,
) -> anyhow::Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&[argv0])
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    for Mount {
        host_path,
        guest_path,
        writable,
        ..
    } in mounts
    {
        let perms = if *writable {
            wasmtime_wasi::FsPerms::ReadWrite
        } else {
            wasmtime_wasi::FsPerms::ReadOnly
        };
        builder
            .preopened_dir(host_path, guest_path, perms)
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
