//! The execution engine: wasmtime engines per process (one counting fuel,
//! one not: see [`Metering`]), a pre-linked instance template per module,
//! and a fresh `Store` per execution with fuel, memory, wall-time and output
//! limits.
//!
//! Guests run on tokio as async calls. A CPU-bound guest yields back to the
//! executor on every epoch tick (10 ms), so a busy program never starves the
//! server, and the same tick enforces the wall-time deadline. A guest blocked
//! inside a host call (reading stdin) cannot see epochs, so the whole call is
//! also wrapped in a tokio timeout.

mod config;
mod deadline;
mod disk;
mod function_cache;
mod hooks;
pub mod limits;
mod live;
mod lookups;
pub mod outcome;
pub mod output;
mod prepared;
pub(crate) mod reactor;
mod working_set;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::AsyncRead;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{InstancePre, Linker, Module, Store, Trap, UpdateDeadline};
use wasmtime_wasi::cli::AsyncStdinStream;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

pub use crate::runtimes::Metering;
pub use config::{EngineOptions, SlotMemory, wasmtime_config};
pub use limits::{Limits, MemoryPool};
pub use live::{LiveInstance, LiveSpec, TurnResult};
pub use lookups::Lookups;
pub use outcome::{CompileUnits, Outcome, Status};
pub use output::{OutputChunk, StreamKind};
pub use working_set::WorkingSet;

use crate::budget::files::OpenFiles;
use crate::runtimes::{Runtime, RuntimeDir};
use crate::sandbox::DiskQuota;
use limits::MemoryLimiter;
use output::{OUTPUT_LIMIT_TRAP, OutputCapture};

/// How often the epoch advances: the granularity of wall-time limits and of
/// the yields that keep busy guests from monopolising a worker thread.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// State of one execution's `Store`.
pub(crate) struct StoreState {
    wasi: WasiP1Ctx,
    limiter: MemoryLimiter,
    /// What the guest's writes count against (`None`: nothing).
    disk: Option<disk::GuestDisk>,
    /// What the guest looked up in mounts marked [`Mount::recorded`].
    lookups: Option<lookups::LookupLog>,
    /// The files it opened and has not closed, within `MAX_OPEN_FILES`.
    files: OpenFiles,
    /// When its time is up.
    deadline: Arc<deadline::Deadline>,
}

/// A module ready to instantiate: linked once, instantiated per execution.
#[derive(Clone)]
pub struct ProgramTemplate {
    pre: Arc<InstancePre<StoreState>>,
    /// Whether its code counts fuel (which wasmtime engine compiled it).
    metering: Metering,
    /// The wasm it was compiled from, for programs compiled from user code.
    wasm: Option<Arc<[u8]>>,
    /// The linear memory it starts with (a snapshot's whole image, a C
    /// program's static data and stack).
    initial_memory_bytes: u64,
    /// The pages of that memory a run writes, once a warm-up run has
    /// shown them (see [`Engine::learn_working_set`]).
    working_set: Arc<OnceLock<WorkingSet>>,
    /// Instances made ahead of runs (only with a working set).
    stash: Arc<prepared::Stash>,
}

impl ProgramTemplate {
    /// The wasm bytes of a program compiled from user code.
    pub fn wasm(&self) -> Option<&[u8]> {
        self.wasm.as_deref()
    }
}

/// What to run.
#[derive(Clone)]
pub enum Program {
    /// One of the provisioned runtimes (CPython, QuickJS, clang).
    Runtime(Runtime),
    /// A module compiled from user code.
    Compiled(ProgramTemplate),
}

/// How an execution enters its module.
#[derive(Debug, Clone, Default)]
pub enum Entry {
    /// A WASI command: `_start`.
    #[default]
    Start,
    /// A reactor that runs code buffers (CPython's `turn`): the bytes are
    /// copied into a buffer from its `host_alloc` export and `turn(ptr, len)`
    /// returns the exit status.
    Turn(Vec<u8>),
    /// A reactor's export that takes and returns nothing and ends with
    /// `proc_exit` (the QuickJS snapshot's `polyrun_run`, which reads argv).
    Call(&'static str),
}

/// A directory the guest can see.
#[derive(Debug, Clone)]
pub struct Mount {
    pub host_path: PathBuf,
    pub guest_path: String,
    pub writable: bool,
    /// Every name the guest looks up in it is recorded (see [`Lookups`]).
    pub recorded: bool,
}

impl Mount {
    pub fn read_write(host_path: impl Into<PathBuf>, guest_path: impl Into<String>) -> Self {
        Self {
            host_path: host_path.into(),
            guest_path: guest_path.into(),
            writable: true,
            recorded: false,
        }
    }

    pub fn read_only(host_path: impl Into<PathBuf>, guest_path: impl Into<String>) -> Self {
        Self {
            writable: false,
            ..Self::read_write(host_path, guest_path)
        }
    }

    /// Records the names the guest looks up in this mount, for
    /// [`Outcome::lookups`].
    pub fn recorded(self) -> Self {
        Self {
            recorded: true,
            ..self
        }
    }
}

/// Where a guest's stdin comes from.
#[derive(Default)]
pub enum Stdin {
    /// Immediately at end of file.
    #[default]
    Empty,
    /// Fixed bytes, then end of file.
    Bytes(Vec<u8>),
    /// A live stream; end of file when the writer side closes.
    Stream(Box<dyn AsyncRead + Send + Sync + Unpin>),
    /// What each turn of a live instance is given.
    Turns(live::TurnInput),
}

/// One execution: a program, its argv and environment, what it can see, and
/// its limits.
pub struct RunSpec {
    pub program: Program,
    pub entry: Entry,
    /// The full argv, including argv[0].
    pub args: Vec<String>,
    /// The whole environment: guests inherit nothing from the host.
    pub env: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    pub stdin: Stdin,
    pub limits: Limits,
    /// Receives output as the guest writes it.
    pub output: Option<UnboundedSender<OutputChunk>>,
    /// The disk quota the guest's writes count against, in every writable
    /// mount; `None` for host-owned runs (provisioning, our own helpers).
    pub disk: Option<Arc<DiskQuota>>,
    /// A REPL at a terminal: the wall-time limit applies to each
    /// evaluation, and waiting for input does not count (see
    /// [`deadline`]).
    pub interactive: bool,
    /// Which of its output streams reach a terminal: the guest's `isatty`
    /// says so, as a native program's would (colours, progress bars).
    pub terminal: TerminalStreams,
}

/// Which output streams of a run go straight to a terminal (not to a
/// pipe, a file or an API response).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalStreams {
    pub stdout: bool,
    pub stderr: bool,
}

impl TerminalStreams {
    /// Neither: output is captured.
    pub const NONE: Self = Self {
        stdout: false,
        stderr: false,
    };
}

/// A wasmtime engine and its WASI linker, for one [`Metering`] and one
/// [`SlotMemory`].
struct Flavor {
    wasmtime: wasmtime::Engine,
    linker: Linker<StoreState>,
    metering: Metering,
}

impl Flavor {
    fn new(
        options: &EngineOptions,
        metering: Metering,
        slot_memory: SlotMemory,
    ) -> anyhow::Result<Self> {
        let mut config = wasmtime_config(options, metering, slot_memory);
        if metering == Metering::Fuel {
            // Programs compiled from user code share library functions.
            config
                .enable_incremental_compilation(Arc::new(function_cache::FunctionCache::default()))
                .map_err(anyhow::Error::from)?;
        }
        let wasmtime = wasmtime::Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("cannot create the wasmtime engine")?;
        let mut linker = Linker::new(&wasmtime);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |state: &mut StoreState| {
            &mut state.wasi
        })
        .map_err(anyhow::Error::from)?;
        disk::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot add the disk quota to WASI")?;
        lookups::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot add lookup recording to WASI")?;
        deadline::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot add the interactive deadline to WASI")?;
        reactor::add_host_tools(&mut linker)?;
        Ok(Self {
            wasmtime,
            linker,
            metering,
        })
    }
}

/// The process-wide engine: one wasmtime engine that counts fuel (compiled
/// C/C++) and two that do not (the runtimes, see [`Metering`]): one whose
/// idle slots keep the pages their last instance wrote, for QuickJS's
/// small image, and one whose slots keep nothing, for Python's and
/// clang's large ones (see [`SlotMemory`]). They share the instance
/// slots, the epoch and the executor.
pub struct Engine {
    metered: Flavor,
    unmetered: Flavor,
    unmetered_kept: Flavor,
    runtimes: HashMap<Runtime, ProgramTemplate>,
    /// Slots of the instance pool for runs: each is held until the run's
    /// instance is torn down, which may be after its outcome is reported.
    slots: Arc<Semaphore>,
    /// Slots of the instance pool kept for live instances.
    live_slots: Arc<Semaphore>,
    ticker_stop: Arc<AtomicBool>,
    /// Guests run on a runtime of their own, so that busy guests never delay
    /// the caller's I/O (the HTTP server, sockets) and so that its driver is
    /// polled between every 10 ms guest slice.
    executor: Option<tokio::runtime::Runtime>,
}

impl Engine {
    /// Creates an engine with no runtimes loaded.
    pub fn new(options: &EngineOptions) -> anyhow::Result<Self> {
        let engine = Self {
            metered: Flavor::new(options, Metering::Fuel, SlotMemory::Released)?,
            unmetered: Flavor::new(options, Metering::WallTime, SlotMemory::Released)?,
            unmetered_kept: Flavor::new(options, Metering::WallTime, SlotMemory::Kept)?,
            runtimes: HashMap::new(),
            slots: Arc::new(Semaphore::new(options.max_instances.max(1) as usize)),
            live_slots: Arc::new(Semaphore::new(options.max_live_instances as usize)),
            ticker_stop: Arc::new(AtomicBool::new(false)),
            executor: Some(guest_executor()?),
        };
        engine.start_epoch_ticker();
        Ok(engine)
    }

    /// The linear memory `runtime` starts with (its snapshot's image), if
    /// it is loaded: no limit below it lets it start.
    pub fn initial_memory_bytes(&self, runtime: Runtime) -> Option<u64> {
        self.runtimes
            .get(&runtime)
            .map(|template| template.initial_memory_bytes)
    }

    /// Creates an engine with every provisioned runtime loaded.
    pub fn load(runtimes: &RuntimeDir, options: &EngineOptions) -> anyhow::Result<Self> {
        let mut engine = Self::new(options)?;
        for runtime in Runtime::ALL {
            engine.add_runtime(runtime, &runtimes.artifact(runtime))?;
        }
        Ok(engine)
    }

    /// Loads one runtime's precompiled artifact.
    pub fn add_runtime(&mut self, runtime: Runtime, artifact: &Path) -> anyhow::Result<()> {
        let template = self
            .load_artifact(artifact, runtime)
            .with_context(|| format!("cannot load the {} runtime", runtime.name()))?;
        self.runtimes.insert(runtime, template);
        Ok(())
    }

    /// Loads a runtime's module, precompiled for this engine's
    /// configuration with its metering.
    fn load_artifact(&self, path: &Path, runtime: Runtime) -> anyhow::Result<ProgramTemplate> {
        let flavor = self.runtime_flavor(runtime);
        // SAFETY: the artifact was produced by `Engine::precompile_module` with
        // this configuration during provisioning, and is not modified while
        // mapped; wasmtime checks the header and the compatibility hash
        // before trusting it.
        let module = unsafe { Module::deserialize_file(&flavor.wasmtime, path) }
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot load {}", path.display()))?;
        self.template(&module, flavor)
    }

    /// Compiles (and links) a program's wasm, counting fuel. Costs a full
    /// Cranelift compile, so call it off the async threads.
    pub fn compile_program(&self, wasm: Vec<u8>) -> anyhow::Result<ProgramTemplate> {
        let module = Module::new(&self.metered.wasmtime, &wasm)
            .map_err(anyhow::Error::from)
            .context("the compiled program is not a valid module")?;
        let mut template = self.template(&module, &self.metered)?;
        template.wasm = Some(wasm.into());
        Ok(template)
    }

    /// The engine a runtime's instances are made in. Fuel-counted code
    /// (programs compiled from C and C++) keeps nothing in idle slots.
    fn runtime_flavor(&self, runtime: Runtime) -> &Flavor {
        match (runtime.metering(), runtime.slot_memory()) {
            (Metering::Fuel, _) => &self.metered,
            (Metering::WallTime, SlotMemory::Kept) => &self.unmetered_kept,
            (Metering::WallTime, SlotMemory::Released) => &self.unmetered,
        }
    }

    fn template(&self, module: &Module, flavor: &Flavor) -> anyhow::Result<ProgramTemplate> {
        let pre = flavor
            .linker
            .instantiate_pre(module)
            .map_err(anyhow::Error::from)
            .context("module imports something outside WASI preview 1")?;
        Ok(ProgramTemplate {
            pre: Arc::new(pre),
            metering: flavor.metering,
            wasm: None,
            initial_memory_bytes: initial_memory_bytes(module),
            working_set: Arc::default(),
            stash: Arc::new(prepared::Stash::new(self.slots.clone())),
        })
    }

    fn start_epoch_ticker(&self) {
        let engines = [
            self.metered.wasmtime.clone(),
            self.unmetered.wasmtime.clone(),
            self.unmetered_kept.wasmtime.clone(),
        ];
        let stop = self.ticker_stop.clone();
        std::thread::Builder::new()
            .name("polyrun-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    for engine in &engines {
                        engine.increment_epoch();
                    }
                }
            })
            .expect("cannot spawn the epoch thread");
    }

    /// Runs one program to completion. Never fails: problems on our side are
    /// reported as [`Status::InternalError`]. Dropping the returned future
    /// stops the guest within one epoch tick.
    pub async fn run(&self, spec: RunSpec) -> Outcome {
        self.run_learning(spec, false).await
    }

    /// Runs one program, then remembers the pages of its runtime's memory
    /// it wrote: later runs of that runtime have them faulted in before
    /// they start (see [`WorkingSet`]). Meant for a typical small run (a
    /// hello) made once, before users' runs; what an earlier call learned
    /// stays.
    pub async fn learn_working_set(&self, spec: RunSpec) -> Outcome {
        self.run_learning(spec, true).await
    }

    /// The working set learned for `runtime`.
    pub fn working_set(&self, runtime: Runtime) -> Option<&WorkingSet> {
        self.runtimes.get(&runtime)?.working_set.get()
    }

    async fn run_learning(&self, spec: RunSpec, learn: bool) -> Outcome {
        let template = match &spec.program {
            Program::Runtime(runtime) => match self.runtimes.get(runtime) {
                Some(template) => template.clone(),
                None => {
                    let message = format!("runtime {} is not loaded", runtime.name());
                    return Outcome::failed(Status::InternalError, message);
                }
            },
            Program::Compiled(template) => template.clone(),
        };
        // A prepared instance comes with its slot.
        let start = match template.stash.take() {
            Some(prepared) => Start::Prepared(prepared),
            None => match self.slots.clone().acquire_owned().await {
                Ok(slot) => Start::Fresh(slot),
                Err(_) => return Outcome::failed(Status::InternalError, "engine is shutting down"),
            },
        };
        let Some(executor) = &self.executor else {
            return Outcome::failed(Status::InternalError, "engine is shutting down");
        };
        let started = Instant::now();
        let task = AbortOnDrop(executor.spawn(execute(template, spec, started, start, learn)));
        let mut outcome = match task.join().await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => Outcome::failed(Status::InternalError, format!("{error:#}")),
            Err(join_error) => Outcome::failed(
                Status::InternalError,
                format!("execution task failed: {join_error}"),
            ),
        };
        outcome.duration = started.elapsed();
        outcome
    }
}

/// What a run starts from: an instance prepared ahead, or a slot to make
/// its own in.
enum Start {
    Prepared(prepared::Prepared),
    Fresh(OwnedSemaphorePermit),
}

/// Aborts the guest's task when the caller stops waiting for it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn guest_executor() -> anyhow::Result<tokio::runtime::Runtime> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("polyrun-guest")
        // Poll timers and I/O after every task slice: guest slices are
        // 10 ms of CPU each, so the default of 61 slices would delay a
        // stdin timeout by over half a second under load.
        .event_interval(1)
        .enable_all()
        .build()
        .context("cannot start the guest executor")
}

/// The largest initial size of the memories a module exports.
fn initial_memory_bytes(module: &Module) -> u64 {
    module
        .exports()
        .filter_map(|export| export.ty().memory().cloned())
        .map(|memory| memory.minimum().saturating_mul(memory.page_size()))
        .max()
        .unwrap_or(0)
}

async fn execute(
    template: ProgramTemplate,
    spec: RunSpec,
    started: Instant,
    start: Start,
    learn: bool,
) -> anyhow::Result<Outcome> {
    if template.initial_memory_bytes > spec.limits.memory_bytes {
        // Instantiating would only be refused; say why it cannot start.
        let outcome = Outcome::failed(
            Status::MemoryLimit,
            format!(
                "{}: this program starts with {}",
                memory_limit_message(&spec.limits),
                bytesize::ByteSize::b(template.initial_memory_bytes)
                    .display()
                    .iec()
            ),
        );
        return Ok(outcome);
    }
    let deadline = deadline::Deadline::new(started, spec.limits.wall_time, spec.interactive);
    let capture = OutputCapture::new(spec.limits.output_bytes, spec.output).at(spec.terminal);
    let wasi = build_wasi(&spec.args, &spec.env, &spec.mounts, spec.stdin, &capture)?;
    let state = StoreState {
        wasi,
        limiter: MemoryLimiter::new(spec.limits.memory_bytes),
        disk: spec.disk.map(disk::GuestDisk::new),
        lookups: lookup_log(&spec.mounts),
        files: OpenFiles::for_execution(),
        deadline: deadline.clone(),
    };
    let (mut store, instance, slot) = match start {
        Start::Prepared(prepared) => {
            let mut store = prepared.store;
            // The instance's memory is already there: the limiter goes on
            // from what instantiating it took.
            let limiter = state.limiter.continuing(&store.data().limiter);
            *store.data_mut() = StoreState { limiter, ..state };
            (store, Some(prepared.instance), prepared.slot)
        }
        Start::Fresh(slot) => {
            let mut store = Store::new(template.pre.module().engine(), state);
            store.limiter(|state| &mut state.limiter);
            (store, None, slot)
        }
    };
    let metered = template.metering == Metering::Fuel;
    if metered {
        store
            .set_fuel(spec.limits.fuel)
            .map_err(anyhow::Error::from)?;
    }
    store.set_epoch_deadline(1);
    let ticking = deadline.clone();
    store.epoch_deadline_callback(move |_| {
        if ticking.expired() {
            Ok(UpdateDeadline::Interrupt)
        } else {
            Ok(UpdateDeadline::Yield(1))
        }
    });

    // The epoch deadline stops running code; this stops a guest that
    // waits in a host call. The slack lets the epoch report it first.
    let guest = enter(&template, &spec.entry, &mut store, instance, learn);
    let ended = tokio::select! {
        result = guest => Ok(result),
        () = deadline.elapsed(EPOCH_TICK * 5) => Err(()),
    };

    let fuel_consumed = metered.then(|| {
        let fuel_left = store.get_fuel().unwrap_or(0);
        spec.limits.fuel.saturating_sub(fuel_left)
    });
    let lookups = store
        .data_mut()
        .lookups
        .take()
        .map(lookups::LookupLog::finish);
    let limiter = &store.data().limiter;
    let (memory_refused, peak_memory_bytes) = (limiter.refused(), limiter.peak_bytes());
    let output = capture.finish();
    let (status, exit_code, message) = match ended {
        Err(()) => (
            Status::Timeout,
            None,
            Some(time_limit_message(&spec.limits)),
        ),
        Ok(result) => classify(result, output.limit_exceeded, memory_refused, &spec.limits),
    };
    tear_down_later(store, slot, template);
    let mut stderr = output.stderr;
    if let (Status::RuntimeError, Some(reason)) = (status, &message) {
        // A trap ends the guest without a word of its own: say why where
        // the program's errors go, as a crashing process's shell would.
        stderr.extend_from_slice(format!("{reason}\n").as_bytes());
    }
    Ok(Outcome {
        status,
        exit_code,
        message,
        stdout: output.stdout,
        stderr,
        compile_output: String::new(),
        truncated: output.limit_exceeded,
        duration: started.elapsed(),
        compile_duration: None,
        compile_phases: Vec::new(),
        compile_cached: false,
        compile_units: None,
        fuel_consumed,
        peak_memory_bytes,
        lookups,
    })
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
        self.slots.close();
        self.live_slots.close();
        // Dropping a runtime blocks, which is not allowed inside another
        // runtime's context; stop it without waiting instead.
        if let Some(executor) = self.executor.take() {
            executor.shutdown_background();
        }
    }
}

/// Runs the program to its end in `instance`, or in one made now (with
/// its working set faulted in); with `learn`, then records the pages it
/// wrote as its runtime's working set. An exit status other than 0 is an
/// [`I32Exit`] error, as `proc_exit` reports it.
async fn enter(
    template: &ProgramTemplate,
    entry: &Entry,
    store: &mut Store<StoreState>,
    instance: Option<wasmtime::Instance>,
    learn: bool,
) -> wasmtime::Result<()> {
    let faults_before = working_set::minor_faults();
    let instance = match instance {
        Some(instance) => instance,
        None => {
            let instantiating = Instant::now();
            let instance = template.pre.instantiate_async(&mut *store).await?;
            crate::metrics::record_phase("instantiate", instantiating.elapsed());
            let prefaulting = Instant::now();
            if prefault_working_set(template, &instance, store, Prefault::Written) {
                crate::metrics::record_phase("prefault", prefaulting.elapsed());
            }
            instance
        }
    };
    let running = Instant::now();
    let result = call_entry(&instance, entry, store).await;
    crate::metrics::record_phase("guest", running.elapsed());
    if let (Some(before), Some(after)) = (faults_before, working_set::minor_faults()) {
        crate::metrics::record_page_faults(after.saturating_sub(before));
    }
    if learn
        && exited_cleanly(&result)
        && let Some(memory) = instance.get_memory(&mut *store, "memory")
        && let Some(learned) = WorkingSet::observe(memory.data(&*store))
    {
        let _ = template.working_set.set(learned);
    }
    result
}

/// Whether a guest ended with status 0: by returning, or (as QuickJS's
/// `main` does) by calling `proc_exit(0)`.
fn exited_cleanly(result: &wasmtime::Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(error) => error
            .downcast_ref::<I32Exit>()
            .is_some_and(|exit| exit.0 == 0),
    }
}

/// Which pages of a working set an instance gets faulted in ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefault {
    /// The pages a run writes: for an instance a request waits for.
    Written,
    /// Those it only reads too: for an instance made ahead of its request.
    WrittenAndRead,
}

/// Faults in the template's working set in `instance`; whether it had one.
fn prefault_working_set<T: 'static>(
    template: &ProgramTemplate,
    instance: &wasmtime::Instance,
    store: &mut Store<T>,
    pages: Prefault,
) -> bool {
    let (Some(working_set), Some(memory)) = (
        template.working_set.get(),
        instance.get_memory(&mut *store, "memory"),
    ) else {
        return false;
    };
    let (data, len) = (memory.data_ptr(&*store), memory.data_size(&*store));
    working_set.prefault(data, len);
    if pages == Prefault::WrittenAndRead {
        working_set.prefault_reads(data, len);
    }
    true
}

async fn call_entry(
    instance: &wasmtime::Instance,
    entry: &Entry,
    store: &mut Store<StoreState>,
) -> wasmtime::Result<()> {
    match entry {
        Entry::Start => {
            let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
            start.call_async(&mut *store, ()).await
        }
        Entry::Call(name) => {
            let function = instance.get_typed_func::<(), ()>(&mut *store, name)?;
            function.call_async(&mut *store, ()).await
        }
        Entry::Turn(code) => match reactor::turn(instance, store, "turn", code).await? {
            0 => Ok(()),
            status => Err(I32Exit(status).into()),
        },
    }
}

/// Returns the instance's pool slot after the outcome is on its way: the
/// reset of its memory (copying back what the run wrote, unmapping the
/// rest) is half a millisecond no caller needs to wait for. The guest's
/// files and descriptors are closed now, though, so that its sandbox can
/// be removed at once (on Windows an open handle would keep it).
fn tear_down_later(
    mut store: Store<StoreState>,
    slot: OwnedSemaphorePermit,
    template: ProgramTemplate,
) {
    let state = store.data_mut();
    drop(std::mem::replace(
        &mut state.wasi,
        WasiCtxBuilder::new().build_p1(),
    ));
    state.files = OpenFiles::for_execution();
    tokio::spawn(async move {
        let tearing_down = Instant::now();
        drop(store);
        drop(slot);
        crate::metrics::record_phase("teardown", tearing_down.elapsed());
        prepared::Stash::refill(&template).await;
    });
}

fn build_wasi(
    args: &[String],
    env: &[(String, String)],
    mounts: &[Mount],
    stdin: Stdin,
    capture: &OutputCapture,
) -> anyhow::Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    // File system calls run on the guest's own thread instead of being
    // handed to tokio's blocking pool one by one: clang makes thousands of
    // small reads and stats per compile, and the thread handoffs were over
    // half its time. They are local-disk calls inside a mount, and guests
    // have an executor of their own, so nothing else waits on them.
    builder
        .allow_blocking_current_thread(true)
        .args(args)
        .envs(env)
        .stdout(capture.stream(StreamKind::Stdout))
        .stderr(capture.stream(StreamKind::Stderr));
    match stdin {
        Stdin::Empty => {}
        Stdin::Bytes(bytes) => {
            builder.stdin(MemoryInputPipe::new(bytes));
        }
        Stdin::Stream(reader) => {
            builder.stdin(AsyncStdinStream::new(reader));
        }
        Stdin::Turns(input) => {
            builder.stdin(input);
        }
    }
    for mount in mounts {
        let perms = if mount.writable {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        builder
            .preopened_dir(&mount.host_path, &mount.guest_path, perms)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot mount {}", mount.host_path.display()))?;
    }
    Ok(builder.build_p1())
}

/// The record of lookups for the mounts marked [`Mount::recorded`], if
/// any. WASI numbers preopens from 3, in the order they were added.
fn lookup_log(mounts: &[Mount]) -> Option<lookups::LookupLog> {
    let recorded: Vec<(u32, String)> = (FIRST_PREOPEN..)
        .zip(mounts)
        .filter(|(_, mount)| mount.recorded)
        .map(|(fd, mount)| (fd, mount.guest_path.clone()))
        .collect();
    (!recorded.is_empty()).then(|| lookups::LookupLog::new(recorded))
}

/// The descriptor of the first preopened directory (after stdio).
const FIRST_PREOPEN: u32 = 3;

/// Turns how the guest call ended into a status, exit code and message.
fn classify(
    result: wasmtime::Result<()>,
    output_exceeded: bool,
    memory_refused: bool,
    limits: &Limits,
) -> (Status, Option<i32>, Option<String>) {
    let error = match result {
        Ok(()) => return (Status::Ok, Some(0), None),
        Err(error) => error,
    };
    if !error.is::<I32Exit>() {
        // With its wasm backtrace, for whoever debugs a crash.
        tracing::debug!(error = ?error, "the guest ended with an error");
    }
    if output_exceeded {
        let message = format!("output limit of {} bytes exceeded", limits.output_bytes);
        return (Status::OutputLimit, None, Some(message));
    }
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return match exit.0 {
            0 => (Status::Ok, Some(0), None),
            code if memory_refused => (
                Status::MemoryLimit,
                Some(code),
                Some(memory_limit_message(limits)),
            ),
            code => (Status::RuntimeError, Some(code), None),
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => (
            Status::FuelExhausted,
            None,
            Some(format!("fuel limit of {} exhausted", limits.fuel)),
        ),
        Some(Trap::Interrupt) => (Status::Timeout, None, Some(time_limit_message(limits))),
        _ if memory_refused => (
            Status::MemoryLimit,
            None,
            Some(memory_limit_message(limits)),
        ),
        // An exception nothing caught: C++ programs catch those from
        // `main` themselves (std::terminate prints the type), so this one
        // came from a static initializer or destructor.
        None if error.is::<wasmtime::ThrownException>() => (
            Status::RuntimeError,
            Some(ABORTED),
            Some(UNCAUGHT_EXCEPTION.to_owned()),
        ),
        // wasmtime words it "wasm trap: …" itself.
        Some(trap) => (Status::RuntimeError, Some(ABORTED), Some(trap.to_string())),
        None if format!("{error:#}").contains(OUTPUT_LIMIT_TRAP) => (
            Status::OutputLimit,
            None,
            Some(format!(
                "output limit of {} bytes exceeded",
                limits.output_bytes
            )),
        ),
        None => (
            Status::RuntimeError,
            Some(ABORTED),
            Some(format!("{error:#}")),
        ),
    }
}

const UNCAUGHT_EXCEPTION: &str = "terminate called after throwing an exception outside main (in a static initializer or destructor)";

/// The exit code of a guest that crashed (a trap: `abort()`, a failed
/// `assert`, an invalid memory access): what a shell reports for a process
/// killed by SIGABRT (128 + 6), as such programs end natively.
const ABORTED: i32 = 134;

fn time_limit_message(limits: &Limits) -> String {
    format!("time limit of {} ms exceeded", limits.wall_time.as_millis())
}

fn memory_limit_message(limits: &Limits) -> String {
    format!(
        "memory limit of {} exceeded",
        bytesize::ByteSize::b(limits.memory_bytes).display().iec()
    )
}
