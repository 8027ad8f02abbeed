//! Compiling C and C++ to wasm32-wasip1 with the clang module, inside the
//! user's sandbox.
//!
//! The compiler sees the sandbox read-only at `/` (so `#include "local.h"`
//! works), the sysroot read-only at `/usr`, and a `/tmp` of its own with a
//! disk quota of its own; nothing of the host. It links into that `/tmp`,
//! and the program is then copied into the sandbox with
//! [`Sandbox::write_file`], within the sandbox's quota, where the shell can
//! run it later. User flags pass an allowlist ([`flags`]). Common standard
//! headers come precompiled, and a program compiled before with the same
//! source and flags is reused from a cache keyed by content hash.

mod cache;
pub mod flags;
mod headers;
mod project;
pub(crate) mod support;

pub use project::{is_unit, unit_dialect};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use sha2::{Digest, Sha256};

use crate::clang::Toolchain;
use crate::engine::{CompileUnits, Engine, Limits, Mount, Outcome, ProgramTemplate, Status};
use crate::runtimes::RuntimeDir;
use crate::sandbox::{DiskLimits, DiskQuota, Sandbox, SandboxError};

/// Which front end, with the defaults a judge would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    C,
    Cxx,
}

impl Dialect {
    fn driver(self) -> &'static str {
        match self {
            Dialect::C => "clang",
            Dialect::Cxx => "clang++",
        }
    }

    fn default_flags(self) -> &'static [&'static str] {
        match self {
            Dialect::C => &["-O2", "-std=c17"],
            Dialect::Cxx => &["-O2", "-std=c++20"],
        }
    }
}

/// Compile flags we always add (beside [`support::PROGRAM_FLAGS`]): no
/// colour codes in diagnostics, and the sandbox's root searched for
/// headers after the system's (a project's `#include "gtest/gtest.h"` from
/// `src/gtest.cc`, as `-I.` gives natively; after, so no file of the user
/// can stand in for a standard header).
const COMPILE_FLAGS: [&str; 2] = ["-fno-color-diagnostics", "-idirafter/"];

/// Link flags we always add: the 8 MiB stack native programs expect
/// (wasm-ld's default is 64 KiB), the libraries behind `clock()` and
/// `signal()`, and `printf`/`scanf` of `long double` (`%Lf`), which
/// wasi-libc keeps apart: measured, a `printf("%f")` program grows from
/// 35.6 to 52.9 KB with it (libc's formatting of `long double` and the
/// soft-float routines it calls), which every `printf` user pays.
const LINK_FLAGS: [&str; 4] = [
    "-Wl,-z,stack-size=8388608",
    "-lwasi-emulated-process-clocks",
    "-lwasi-emulated-signal",
    "-lc-printscan-long-double",
];

/// The compiler's private `/tmp`: object files, the linked program and
/// clang's temporary files. Generous for one program, but bounded, so a
/// source that makes clang write without end cannot fill the host's disk.
const SCRATCH_LIMITS: DiskLimits = DiskLimits {
    max_bytes: 512 << 20,
    max_entries: 10_000,
};

/// Where the linker writes the program, inside the compiler's `/tmp`.
const SCRATCH_OUTPUT: &str = "program.wasm";

/// Compiled programs kept ready in memory.
const MEMORY_CACHE_ENTRIES: usize = 128;

pub struct CompileRequest<'a> {
    pub dialect: Dialect,
    pub sandbox: &'a Sandbox,
    /// Source path inside the sandbox.
    pub source: &'a str,
    /// More translation units compiled (each on its own, each cached) and
    /// linked with `source` (see [`project`]).
    pub units: &'a [String],
    /// Where the program goes inside the sandbox.
    pub output: &'a str,
    pub flags: &'a [String],
}

/// A program ready to run, with the compiler's warnings.
#[derive(Clone)]
pub struct Compiled {
    pub program: ProgramTemplate,
    pub diagnostics: String,
    /// Reused from the program cache rather than compiled now.
    pub cached: bool,
    /// The translation units built, and how many came from the cache.
    pub units: CompileUnits,
    /// Where the compile spent its time (see [`Outcome::compile_phases`]).
    pub phases: Vec<(&'static str, Duration)>,
}

/// Compiles C and C++ and keeps what it compiled.
pub struct Compiler {
    engine: Arc<Engine>,
    runtimes: RuntimeDir,
    limits: Limits,
    /// Compiled programs on disk, keyed by everything a compile read;
    /// `None` when the runtimes directory cannot hold it.
    programs: Option<Arc<cache::ProgramCache>>,
    /// Programs by the hash of their wasm, so that `./a.out` after `g++`
    /// does not translate the module a second time.
    binaries: Mutex<HashMap<String, ProgramTemplate>>,
    /// Compiles at once: each may take [`COMPILE_MEMORY_BYTES`] per step,
    /// and together they must fit the host.
    compiles: tokio::sync::Semaphore,
}

/// Wall time one compiler step may take unless `COMPILE_TIMEOUT` says
/// otherwise: a Catch2 test main at -O2 takes about a minute.
pub const DEFAULT_COMPILE_TIME: Duration = Duration::from_secs(120);

/// Linear memory one compiler step may use (a preprocessor bomb reaches it).
const COMPILE_MEMORY_BYTES: u64 = 2 << 30;
/// Compiler steps run side by side within one compile.
const PARALLEL_STEPS: usize = 2;

/// How many compiles may run at once so that their memory limits together
/// take at most half of the host's memory (at least one).
fn max_concurrent_compiles() -> usize {
    let per_compile = COMPILE_MEMORY_BYTES * PARALLEL_STEPS as u64;
    let total = host_memory_bytes().unwrap_or(8 << 30);
    usize::try_from((total / 2) / per_compile).map_or(1, |n| n.max(1))
}

/// The host's physical memory, where the platform tells it simply.
fn host_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Larger wasm files are not loaded as programs: translating one takes
/// host time that no fuel limit covers.
pub const MAX_BINARY_BYTES: u64 = 64 << 20;

/// Source files one program may be compiled from.
pub const MAX_UNITS: usize = 64;

/// A build of several files may take this many compile steps' time
/// (`COMPILE_TIMEOUT` each) in all, so that one request cannot hold a
/// compile slot for its 64 files' steps one after another.
const PROJECT_STEPS: u32 = 3;

/// Largest C or C++ source file compiled (the host reads it to choose a
/// precompiled header and to key the cache).
pub const MAX_SOURCE_BYTES: u64 = 8 << 20;

impl Compiler {
    pub fn new(engine: Arc<Engine>, runtimes: RuntimeDir) -> Self {
        let programs = open_program_cache(&runtimes);
        Self {
            engine,
            runtimes,
            limits: Limits {
                wall_time: DEFAULT_COMPILE_TIME,
                fuel: u64::MAX / 2,
                memory_bytes: COMPILE_MEMORY_BYTES,
                output_bytes: 256 * 1024,
            },
            programs,
            binaries: Mutex::new(HashMap::new()),
            compiles: tokio::sync::Semaphore::new(max_concurrent_compiles()),
        }
    }

    /// Gives each compiler step (one source's compile, the link) at most
    /// `limit` of wall time (`COMPILE_TIMEOUT`).
    pub fn set_time_limit(&mut self, limit: Duration) {
        self.limits.wall_time = limit;
    }

    /// Compiles and links `request.source` into `request.output`, returning
    /// the loaded program, or a `compile_error` outcome with the diagnostics.
    pub async fn compile(&self, request: CompileRequest<'_>) -> Result<Compiled, Box<Outcome>> {
        let started = Instant::now();
        let fail = |status: Status, compile_output: String, message: Option<String>| {
            let mut outcome = Outcome::failed(status, message.unwrap_or_default());
            outcome.message = outcome.message.filter(|m| !m.is_empty());
            outcome.compile_output = compile_output;
            outcome.duration = started.elapsed();
            Box::new(outcome)
        };
        let user_flags = flags::validate(request.flags)
            .map_err(|e| fail(Status::CompileError, e.to_string(), Some(e.to_string())))?;
        if request.units.len() >= MAX_UNITS {
            let message = format!("at most {MAX_UNITS} source files make one program");
            return Err(fail(
                Status::CompileError,
                format!("{message}\n"),
                Some(message),
            ));
        }
        if !request.units.is_empty() {
            let deadline = self.limits.wall_time * PROJECT_STEPS;
            let units = request.units.len() + 1;
            return match tokio::time::timeout(deadline, self.compile_project(request, &user_flags))
                .await
            {
                Ok(result) => result,
                Err(_) => {
                    let message = format!(
                        "the build of {units} source files took longer than {} s \
                         ({PROJECT_STEPS} x COMPILE_TIMEOUT)",
                        deadline.as_secs()
                    );
                    Err(Box::new(Outcome::failed(Status::CompileError, message)))
                }
            }
            .map_err(|mut outcome| {
                outcome.duration = started.elapsed();
                outcome
            });
        }
        // Before anything is read: a change to the sandbox from here on
        // keeps this compile out of the shared cache.
        let mut unchanged_mark = request.sandbox.quota().change_mark();
        let source = request
            .sandbox
            .read_file(request.source, MAX_SOURCE_BYTES)
            .map_err(|e| fail(Status::CompileError, e.to_string(), None))?;
        let source_text = String::from_utf8_lossy(&source);

        let source_path = format!("/{}", request.source.trim_start_matches('/'));
        let mut args = compile_flags(request.dialect, &user_flags, &source_text);
        args.push(source_path.clone());
        args.extend(link_inputs(request.dialect));
        args.extend(["-o".to_owned(), format!("/tmp/{SCRATCH_OUTPUT}")]);
        let manifest = self.manifest_key(request.dialect, &args, &source_path, &source);
        let mut place = |wasm: &[u8]| {
            request
                .sandbox
                .write_compiled(request.output, wasm, &mut unchanged_mark)
                .map_err(|error| {
                    let mut outcome = placing_failed(error);
                    outcome.duration = started.elapsed();
                    outcome
                })
        };
        if let Some(found) = self
            .cached(manifest.as_deref(), request.sandbox, &source_path)
            .await
        {
            place(&found.wasm)?;
            let program = self
                .load_binary(found.wasm)
                .await
                .map_err(|e| fail(Status::InternalError, String::new(), Some(format!("{e:#}"))))?;
            return Ok(Compiled {
                program,
                diagnostics: found.diagnostics,
                cached: true,
                units: CompileUnits {
                    total: 1,
                    cached: 1,
                },
                phases: Vec::new(),
            });
        }

        let _compile_slot = self.compiles.acquire().await.map_err(|_| {
            fail(
                Status::Cancelled,
                String::new(),
                Some("the server is shutting down".to_owned()),
            )
        })?;
        let internal =
            |e: std::io::Error| fail(Status::InternalError, String::new(), Some(e.to_string()));
        let scratch = Scratch::new(self, request.sandbox).map_err(internal)?;
        let toolchain = &scratch.toolchain;
        let planning = Instant::now();
        let steps = toolchain
            .plan(request.dialect.driver(), &args)
            .await
            .map_err(|e| fail(Status::CompileError, format!("{e:#}"), None))?;
        let mut phases = vec![("plan", planning.elapsed())];
        let outcomes = match toolchain.run_plan(&steps, PARALLEL_STEPS).await {
            Ok(outcomes) => outcomes,
            Err(failure) => {
                let (diagnostics, message) = stopped(failure.outcome, request.dialect, &user_flags);
                return Err(fail(Status::CompileError, diagnostics, message));
            }
        };
        let diagnostics: String = outcomes.iter().map(Outcome::stderr_lossy).collect();
        for (step, outcome) in steps.iter().zip(&outcomes) {
            let phase = match step.args.first().map(String::as_str) {
                Some("-cc1") => "clang -cc1",
                _ => "wasm-ld",
            };
            phases.push((phase, outcome.duration));
        }
        let wasm = read_bounded(&scratch.dir, SCRATCH_OUTPUT).map_err(internal)?;
        place(&wasm)?;
        let translating = Instant::now();
        let template = self
            .load_binary(wasm)
            .await
            .map_err(|e| fail(Status::InternalError, String::new(), Some(format!("{e:#}"))))?;
        phases.push(("translate", translating.elapsed()));
        tracing::debug!(elapsed = ?started.elapsed(), ?phases, "compiled");
        if let Some(manifest) = manifest
            && let Some(looked_up) = looked_up(&outcomes)
        {
            let wasm = template.wasm().map(<[u8]>::to_vec).unwrap_or_default();
            let output = format!("/{}", request.output.trim_start_matches('/'));
            if looked_up.contains(&output) {
                tracing::debug!("not cached: the compile read its own output path");
            } else {
                let inputs = CompileInputs {
                    source_path,
                    looked_up,
                    unchanged_mark,
                };
                self.remember(manifest, request.sandbox, inputs, wasm, diagnostics.clone())
                    .await;
            }
        }
        Ok(Compiled {
            program: template,
            diagnostics,
            cached: false,
            units: CompileUnits {
                total: 1,
                cached: 0,
            },
            phases,
        })
    }

    /// The cache key of a compile with these arguments and this source
    /// (see [`cache`]), the source named by its role when the server
    /// named it; `None` without a cache.
    fn manifest_key(
        &self,
        dialect: Dialect,
        args: &[String],
        source_path: &str,
        source: &[u8],
    ) -> Option<String> {
        let programs = self.programs.as_ref()?;
        let keyed: Vec<String> = args
            .iter()
            .map(|arg| {
                if arg == source_path {
                    key_name(arg)
                } else {
                    arg.clone()
                }
            })
            .collect();
        Some(programs.manifest_key(dialect, &keyed, source))
    }

    /// A program the cache holds for exactly these inputs. Reading and
    /// hashing them is file work, done off the async workers.
    async fn cached(
        &self,
        manifest: Option<&str>,
        sandbox: &Sandbox,
        source_path: &str,
    ) -> Option<cache::CachedProgram> {
        let (programs, manifest) = (self.programs.clone()?, manifest?.to_owned());
        let sandbox = sandbox.try_clone().ok()?;
        let source_path = source_path.to_owned();
        tokio::task::spawn_blocking(move || programs.lookup(&manifest, &sandbox, &source_path))
            .await
            .ok()
            .flatten()
    }

    /// Stores a compile in the cache, off the async workers.
    async fn remember(
        &self,
        manifest: String,
        sandbox: &Sandbox,
        inputs: CompileInputs,
        wasm: Vec<u8>,
        diagnostics: String,
    ) {
        let (Some(programs), Ok(sandbox)) = (self.programs.clone(), sandbox.try_clone()) else {
            return;
        };
        let stored = tokio::task::spawn_blocking(move || {
            // Checked after the inputs are read back (inside `store`): a
            // change while they are read must count too.
            let unchanged = || sandbox.quota().unchanged_since(inputs.unchanged_mark);
            programs.store(
                &manifest,
                &sandbox,
                &inputs.source_path,
                &inputs.looked_up,
                (&wasm, &diagnostics),
                unchanged,
            )
        })
        .await;
        if let Ok(Err(error)) = stored {
            tracing::warn!(%error, "cannot store a compiled program in the cache");
        }
    }

    /// Loads a wasm program (one this compiler wrote, or any wasm a user
    /// put in their sandbox), reusing the translation of identical bytes.
    pub async fn load_binary(&self, wasm: Vec<u8>) -> anyhow::Result<ProgramTemplate> {
        if wasm.len() as u64 > MAX_BINARY_BYTES {
            anyhow::bail!("cannot execute: larger than {MAX_BINARY_BYTES} bytes");
        }
        if !wasm.starts_with(b"\0asm") {
            anyhow::bail!(
                "cannot execute binary file: Exec format error (not a WebAssembly program)"
            );
        }
        let hash = hex::encode(Sha256::digest(&wasm));
        if let Some(program) = self
            .binaries
            .lock()
            .ok()
            .and_then(|b| b.get(&hash).cloned())
        {
            return Ok(program);
        }
        let engine = self.engine.clone();
        let program = tokio::task::spawn_blocking(move || engine.compile_program(wasm))
            .await
            .context("the wasm translation task failed")??;
        if let Ok(mut binaries) = self.binaries.lock() {
            if binaries.len() >= MEMORY_CACHE_ENTRIES {
                binaries.clear();
            }
            binaries.insert(hash, program.clone());
        }
        Ok(program)
    }
}

/// A note for a failed compile whose cause g++ users would not expect.
///
/// libc++ 22 in C++20 mode instantiates a container's members where
/// libstdc++ does not, so `std::vector<T>` of a `T` defined further down
/// fails here but compiles with g++; C++17 mode accepts it.
fn hint(dialect: Dialect, user_flags: &[String], diagnostics: &str) -> Option<&'static str> {
    let chose_standard = user_flags.iter().any(|f| f.starts_with("-std="));
    (dialect == Dialect::Cxx && !chose_standard && diagnostics.contains("incomplete type"))
        .then_some(INCOMPLETE_TYPE_HINT)
}

const INCOMPLETE_TYPE_HINT: &str = "polyrun: note: in C++20 mode (the default), libc++ needs a \
container's element type complete where the container's members are used (g++'s library is \
more lenient); define the type before that use, or compile with -std=c++17\n";

/// The arguments that compile a source of `dialect`: the defaults, the
/// user's flags, ours, and for C++ the exception flags and a precompiled
/// header chosen from the source's includes.
fn compile_flags(dialect: Dialect, user_flags: &[String], source: &str) -> Vec<String> {
    let mut args: Vec<String> = dialect
        .default_flags()
        .iter()
        .map(|f| f.to_string())
        .collect();
    args.extend(user_flags.iter().cloned());
    args.extend(
        COMPILE_FLAGS
            .iter()
            .chain(&support::PROGRAM_FLAGS)
            .map(|f| f.to_string()),
    );
    if dialect == Dialect::Cxx {
        args.extend(support::EXCEPTION_FLAGS.iter().map(|f| f.to_string()));
        if let Some(pch) = headers::choose_pch(source, user_flags) {
            args.extend(["-include-pch".to_owned(), pch.to_owned()]);
        }
    }
    args
}

/// What every program is linked with: our start-up and POSIX objects,
/// for C++ the exception runtime, and [`LINK_FLAGS`].
fn link_inputs(dialect: Dialect) -> Vec<String> {
    let mut args = vec![support::STARTUP_OBJECT.to_owned()];
    args.extend(support::POSIX_OBJECTS.iter().map(|o| o.to_string()));
    if dialect == Dialect::Cxx {
        args.extend(support::CXX_LINK_FLAGS.iter().map(|f| f.to_string()));
    }
    args.extend(LINK_FLAGS.iter().map(|f| f.to_string()));
    args
}

/// The outcome of a compiled program that could not be written into the
/// sandbox: a full quota is the user's compile error, anything else ours.
fn placing_failed(error: SandboxError) -> Box<Outcome> {
    let (status, output) = match &error {
        SandboxError::Quota { .. } => (Status::CompileError, format!("{error}\n")),
        _ => (Status::InternalError, String::new()),
    };
    let mut outcome = Outcome::failed(status, error.to_string());
    outcome.compile_output = output;
    Box::new(outcome)
}

/// A compile's private `/tmp` and the toolchain that sees it, with the
/// sandbox read-only at `/`.
struct Scratch {
    /// Removed when the compile is done.
    _dir: tempfile::TempDir,
    /// The same directory, read through cap-std: clang wrote in it.
    dir: Dir,
    toolchain: Toolchain,
}

impl Scratch {
    fn new(compiler: &Compiler, sandbox: &Sandbox) -> std::io::Result<Self> {
        let scratch = tempfile::tempdir()?;
        let dir = Dir::open_ambient_dir(scratch.path(), ambient_authority())?;
        let quota = DiskQuota::with_root(SCRATCH_LIMITS, dir.try_clone()?);
        let toolchain = Toolchain::new(
            compiler.engine.clone(),
            Mount::read_only(compiler.runtimes.sysroot(), "/usr"),
            scratch.path().to_path_buf(),
            // What the compile looked up in the sandbox keys its cache entry.
            vec![Mount::read_only(sandbox.host_path(), "/").recorded()],
            compiler.limits,
        )
        .with_disk(Arc::new(quota));
        Ok(Self {
            _dir: scratch,
            dir,
            toolchain,
        })
    }
}

/// The diagnostics and message of a compiler step that failed.
fn stopped(outcome: Outcome, dialect: Dialect, user_flags: &[String]) -> (String, Option<String>) {
    let message = match outcome.status {
        Status::RuntimeError => None,
        status => Some(format!(
            "the compiler stopped: {status}{}",
            outcome
                .message
                .as_ref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        )),
    };
    let mut diagnostics = outcome.stderr_lossy();
    if let Some(hint) = hint(dialect, user_flags, &diagnostics) {
        diagnostics.push_str(hint);
    }
    (diagnostics, message)
}

/// Reads a file the compiler wrote in its `/tmp` (a program or an
/// object), refusing one too large to load before reading it.
fn read_bounded(scratch: &Dir, name: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = scratch.open(name)?;
    let size = file.metadata()?.len();
    if size > MAX_BINARY_BYTES {
        return Err(std::io::Error::other(format!(
            "the compiled program is {size} bytes; programs may be at most {MAX_BINARY_BYTES} bytes"
        )));
    }
    let mut wasm = Vec::with_capacity(size as usize);
    file.take(MAX_BINARY_BYTES).read_to_end(&mut wasm)?;
    Ok(wasm)
}

/// Every name the compile's steps looked up in the sandbox, or `None`
/// when a step's record is missing or incomplete (then the compile is not
/// cached: nothing is known about what it depended on).
fn looked_up(outcomes: &[Outcome]) -> Option<Vec<String>> {
    let mut paths = std::collections::BTreeSet::new();
    for outcome in outcomes {
        let lookups = outcome.lookups.as_ref().filter(|l| l.complete)?;
        paths.extend(lookups.paths.iter().cloned());
    }
    Some(paths.into_iter().collect())
}

/// The source's name as the cache key sees it. The server names code sent
/// over HTTP `<millis>_code.<ext>`: that name is ours, not the user's, so
/// it is keyed without its time, and the same code sent twice is a hit.
/// Names users chose are kept in the key (they reach `__FILE__`).
fn key_name(source_path: &str) -> String {
    let name = source_path.trim_start_matches('/');
    match name.split_once("_code.") {
        Some((millis, _)) if !millis.is_empty() && millis.bytes().all(|b| b.is_ascii_digit()) => {
            format!("/<generated>{}", &name[millis.len()..])
        }
        _ => source_path.to_owned(),
    }
}

/// The program cache under the runtimes directory, keyed to the toolchain
/// that was provisioned there.
fn open_program_cache(runtimes: &RuntimeDir) -> Option<Arc<cache::ProgramCache>> {
    let installed = std::fs::read(runtimes.manifest()).ok()?;
    let toolchain = hex::encode(Sha256::digest(&installed));
    let dir = runtimes.root().join("cache").join("programs");
    match cache::ProgramCache::open(dir, toolchain, cache::DEFAULT_MAX_BYTES) {
        Ok(programs) => Some(Arc::new(programs)),
        Err(error) => {
            tracing::warn!(%error, "no program cache: cannot create its directory");
            None
        }
    }
}

/// What a compile read in its sandbox, for the cache.
struct CompileInputs {
    /// The source's guest path in this compile.
    source_path: String,
    /// Every name looked up in the sandbox.
    looked_up: Vec<String>,
    /// The sandbox's change mark when the compile began: the compile is
    /// cached only if nothing changed the sandbox since.
    unchanged_mark: u64,
}
