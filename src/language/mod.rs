//! The languages polyrun runs, behind one enum.
//!
//! Each language lives in its own file and knows its names, its version, the
//! extension of its source files, and how to turn a source file that is
//! already in the sandbox into a [`RunSpec`] for the engine.

mod c;
mod context;
mod cpp;
mod javascript;
pub(crate) mod node;
pub(crate) mod python;
pub(crate) mod typescript;

pub use context::Cell;
pub use python::VERSION_LINE as PYTHON_VERSION_LINE;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;

use crate::compile::{CompileRequest, Compiled, Compiler, Dialect};
use crate::engine::{
    Engine, Entry, Limits, Mount, Outcome, OutputChunk, Program, RunSpec, Status, Stdin,
    TerminalStreams,
};
use crate::runtimes::RuntimeDir;
use crate::sandbox::Sandbox;

/// Static facts about a language, as `polyrun languages` and `/runtimes`
/// show them.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LanguageInfo {
    /// Canonical name, as used in `POST /run/{language}`.
    pub name: &'static str,
    #[schema(value_type = Vec<String>)]
    pub aliases: &'static [&'static str],
    /// What actually runs it.
    pub runtime: &'static str,
    pub version: &'static str,
    /// Source file extension, without the dot.
    pub extension: &'static str,
    pub notes: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Python,
    JavaScript,
    TypeScript,
    C,
    Cpp,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::C,
        Language::Cpp,
    ];

    pub fn info(self) -> &'static LanguageInfo {
        match self {
            Language::Python => &python::INFO,
            Language::JavaScript => &javascript::INFO,
            Language::TypeScript => &typescript::INFO,
            Language::C => &c::INFO,
            Language::Cpp => &cpp::INFO,
        }
    }

    /// The C-family dialect, for languages compiled by clang.
    pub fn dialect(self) -> Option<Dialect> {
        match self {
            Language::C => Some(Dialect::C),
            Language::Cpp => Some(Dialect::Cxx),
            Language::Python | Language::JavaScript | Language::TypeScript => None,
        }
    }

    /// Looks a language up by name or alias, ignoring case.
    pub fn from_name(name: &str) -> Option<Language> {
        Self::ALL.into_iter().find(|language| {
            let info = language.info();
            info.name.eq_ignore_ascii_case(name)
                || info.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// Every accepted name, for error messages.
    pub fn all_names() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .flat_map(|l| std::iter::once(l.info().name).chain(l.info().aliases.iter().copied()))
            .collect()
    }

    /// A program's environment: ours, then what the user exported (which
    /// may replace ours, except `PWD`: the program's start-up moves into it).
    fn env(self, working_dir: &str, exported: &[(String, String)]) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOME".to_owned(), "/".to_owned()),
            ("PWD".to_owned(), working_dir.to_owned()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
        ];
        if self == Language::Python {
            env.extend(
                python::ENV
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        }
        for (name, value) in exported.iter().filter(|(name, _)| name != "PWD") {
            env.retain(|(existing, _)| existing != name);
            env.push((name.clone(), value.clone()));
        }
        env
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().name)
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub enum Source {
    /// A source file inside the sandbox (a path relative to its root).
    File(String),
    /// Code given inline (`python3 -c`, `node -e`): Python and JavaScript.
    Code(String),
    /// A module run as the program (`python3 -m json.tool`): Python.
    Module(String),
    /// The interactive interpreter, fed by stdin (`python3` or `node` at
    /// a terminal): Python and JavaScript.
    Interactive,
}

/// A request to run code in a sandbox.
pub struct RunFile<'a> {
    pub language: Language,
    pub sandbox: &'a Sandbox,
    pub source: Source,
    /// The guest's working directory (`/` is the sandbox root): the shell's
    /// `cd` reaches the program through it.
    pub working_dir: String,
    pub args: Vec<String>,
    /// Variables the user exported (the shell's `export`, `NAME=value cmd`).
    pub env: Vec<(String, String)>,
    /// Compiler flags, for C and C++ (checked against an allowlist).
    pub flags: Vec<String>,
    /// More C or C++ sources in the sandbox compiled and linked with the
    /// source (see [`crate::compile::is_unit`]); empty for other languages.
    pub units: Vec<String>,
    pub stdin: Stdin,
    pub limits: Limits,
    pub output: Option<UnboundedSender<OutputChunk>>,
    /// Which output streams reach a terminal (see [`TerminalStreams`]).
    pub terminal: TerminalStreams,
}

/// A request to run a compiled program that is in a sandbox (`./a.out`).
pub struct RunBinary<'a> {
    pub sandbox: &'a Sandbox,
    /// Path of the wasm file inside the sandbox.
    pub path: String,
    /// The full argv, including argv[0] as the user typed it.
    pub argv: Vec<String>,
    /// `PWD` for the program (compiled programs do not chdir to it yet).
    pub working_dir: String,
    /// Variables the user exported.
    pub env: Vec<(String, String)>,
    pub stdin: Stdin,
    pub limits: Limits,
    pub output: Option<UnboundedSender<OutputChunk>>,
    /// Which output streams reach a terminal.
    pub terminal: TerminalStreams,
}

/// Runs source files: the engine, plus the compiler for C and C++.
pub struct Runner {
    engine: Arc<Engine>,
    /// Executions (runs, compiles) at once, whoever asks: the HTTP API,
    /// shell programs and `run` events share it (`MAX_CONCURRENT_EXECUTIONS`).
    admission: Semaphore,
    /// The most permits `admission` was given.
    capacity: usize,
    compiler: Compiler,
    node: node::NodeSupport,
    /// CPython's standard library and matplotlib's data.
    python: python::PythonFiles,
    /// Installs into sandboxes (`pip install`); off unless configured.
    packages: crate::packages::Packages,
    /// Names the Python build (its module's hash): bytecode is cached by it.
    python_id: String,
}

impl Runner {
    pub fn new(engine: Arc<Engine>, runtimes: RuntimeDir) -> anyhow::Result<Self> {
        let python = python::PythonFiles::new(&runtimes);
        let python_id =
            crate::provision::module_sha256(&runtimes, crate::runtimes::Runtime::Python)
                .unwrap_or_default();
        let compiler = Compiler::new(engine.clone(), runtimes);
        let node = node::NodeSupport::new()
            .map_err(|e| anyhow::anyhow!("cannot write the Node.js support files: {e}"))?;
        Ok(Self {
            engine,
            admission: Semaphore::new(Semaphore::MAX_PERMITS),
            capacity: Semaphore::MAX_PERMITS,
            compiler,
            node,
            python,
            packages: crate::packages::Packages::off(),
            python_id,
        })
    }

    /// Installs packages with `packages` (see [`crate::packages`]), which
    /// compiles installed wheels to bytecode with this runner's Python.
    pub fn with_packages(mut self, packages: crate::packages::Packages) -> Self {
        packages.compile_bytecode_with(Arc::new(python::bytecode::GuestCompiler::new(
            self.engine.clone(),
            self.python.clone(),
            self.python_id.clone(),
        )));
        self.packages = packages;
        self
    }

    /// The package service sandboxes install from.
    pub fn packages(&self) -> &crate::packages::Packages {
        &self.packages
    }

    /// Gives each step of a C or C++ compile at most `limit`
    /// (`COMPILE_TIMEOUT`).
    pub fn with_compile_timeout(mut self, limit: std::time::Duration) -> Self {
        self.compiler.set_time_limit(limit);
        self
    }

    /// Lets at most `executions` runs and compiles go at once; the others
    /// wait their turn.
    pub fn with_max_concurrent(mut self, executions: usize) -> Self {
        let executions = executions.clamp(1, Semaphore::MAX_PERMITS);
        self.admission = Semaphore::new(executions);
        self.capacity = executions;
        self
    }

    /// Runs a Python and a JavaScript hello once, as a `POST /run` of a
    /// script runs, so that the engine learns which pages of their
    /// snapshots such a run writes, faults them in ahead of every later run
    /// and keeps instances ready (see [`crate::engine::WorkingSet`]). A
    /// warm-up that takes another path (`-c`, another directory) writes
    /// other pages: measured, one that ran `python3 -c` left a script's
    /// run 55 page faults where one that ran a script leaves it 5. Call it
    /// before serving.
    pub async fn learn_working_sets(&self) -> anyhow::Result<()> {
        let root = tempfile::tempdir()?;
        let sandbox = Sandbox::open_dir(root.path())?;
        let warm_ups = [
            (Language::Python, "main.py", "print('hello')\n"),
            (Language::JavaScript, "main.js", "console.log('hello')\n"),
        ];
        for (language, script, code) in warm_ups {
            sandbox.write_file(script, code.as_bytes())?;
            let request = RunFile {
                language,
                sandbox: &sandbox,
                source: Source::File(script.to_owned()),
                working_dir: "/".to_owned(),
                args: Vec::new(),
                env: Vec::new(),
                flags: Vec::new(),
                units: Vec::new(),
                stdin: Stdin::Empty,
                limits: Limits::default(),
                output: None,
                terminal: TerminalStreams::NONE,
            };
            let prepared = self
                .prepare(&request)
                .await
                .map_err(|outcome| anyhow::anyhow!("{}", outcome.stderr_lossy()))?;
            let (spec, _report) = self.run_spec(request, prepared);
            self.learn(spec).await?;
        }
        Ok(())
    }

    /// Runs a hello of `runtime` for the engine to learn its working set.
    async fn learn(&self, spec: RunSpec) -> anyhow::Result<()> {
        let Program::Runtime(runtime) = spec.program else {
            anyhow::bail!("a warm-up runs a runtime's snapshot");
        };
        let outcome = self.engine.learn_working_set(spec).await;
        anyhow::ensure!(
            outcome.status == Status::Ok && outcome.stdout == b"hello\n",
            "the {} warm-up run failed: {:?} {}",
            runtime.name(),
            outcome.status,
            outcome.stderr_lossy()
        );
        if let Some(set) = self.engine.working_set(runtime) {
            tracing::debug!(
                runtime = runtime.name(),
                pages = set.pages(),
                ranges = set.written_ranges(),
                "learned a working set"
            );
        }
        Ok(())
    }

    /// Executions running now.
    pub fn running(&self) -> usize {
        self.capacity - self.admission.available_permits()
    }

    /// Waits for an execution slot.
    async fn admit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Box<Outcome>> {
        let waiting = Instant::now();
        let permit = self.admission.acquire().await.map_err(|_| {
            Box::new(Outcome::failed(
                Status::Cancelled,
                "the server is shutting down",
            ))
        });
        crate::metrics::record_phase("admission", waiting.elapsed());
        permit
    }

    /// Runs a source file in its sandbox, mounted as the guest's `/`,
    /// compiling or transpiling it first when the language needs it.
    pub async fn run_file(&self, request: RunFile<'_>) -> Outcome {
        let language = request.language;
        let outcome = self.run_source(request).await;
        crate::metrics::record_execution(language.info().name, &outcome);
        outcome
    }

    async fn run_source(&self, request: RunFile<'_>) -> Outcome {
        let _slot = match self.admit().await {
            Ok(slot) => slot,
            Err(outcome) => return *outcome,
        };
        let language = request.language;
        let preparing = Instant::now();
        let compiles = language.dialect().is_some() || language == Language::TypeScript;
        let prepared = match self.prepare(&request).await {
            Ok(prepared) => prepared,
            Err(outcome) => {
                let mut outcome = *outcome;
                outcome.compile_duration = compiles.then(|| preparing.elapsed());
                outcome.duration = preparing.elapsed();
                return outcome;
            }
        };
        let compile_duration = compiles.then(|| preparing.elapsed());
        let (spec, report) = self.run_spec(request, prepared);
        let mut outcome = self.engine.run(spec).await;
        outcome.compile_output = report.compile_output;
        outcome.compile_cached = report.compile_cached;
        outcome.compile_units = report.compile_units;
        outcome.compile_phases = report.compile_phases;
        if let Some(compiling) = compile_duration {
            outcome.compile_duration = Some(compiling);
            outcome.duration += compiling;
        }
        outcome
    }

    /// What the engine runs for a prepared request: the program with the
    /// sandbox (and the language's own files) mounted; and what the
    /// outcome says of its preparation, with files the run needs kept.
    fn run_spec(&self, request: RunFile<'_>, prepared: Prepared) -> (RunSpec, Preparation) {
        let language = request.language;
        let mut mounts = if language == Language::Python {
            self.python.mounts(request.sandbox.host_path())
        } else {
            vec![Mount::read_write(request.sandbox.host_path(), "/")]
        };
        mounts.extend(prepared.mounts);
        if matches!(language, Language::JavaScript | Language::TypeScript) {
            mounts.push(Mount::read_only(self.node.path(), node::MOUNT));
        }
        let spec = RunSpec {
            program: prepared.program,
            entry: prepared.entry,
            args: prepared.args,
            env: language.env(&request.working_dir, &request.env),
            mounts,
            stdin: request.stdin,
            limits: request.limits,
            output: request.output,
            disk: Some(request.sandbox.quota().clone()),
            // A REPL: the time limit applies to each evaluation.
            interactive: matches!(request.source, Source::Interactive),
            terminal: request.terminal,
        };
        let report = Preparation {
            compile_output: prepared.compile_output,
            compile_cached: prepared.compile_cached,
            compile_units: prepared.compile_units,
            compile_phases: prepared.compile_phases,
            _scratch: prepared.scratch,
        };
        (spec, report)
    }

    /// Compiles a C or C++ file in a sandbox into a program beside it.
    pub async fn compile(&self, request: CompileRequest<'_>) -> Result<Compiled, Box<Outcome>> {
        let _slot = self.admit().await?;
        self.compiler.compile(request).await
    }

    /// Runs a wasm program from a sandbox, such as one `g++` wrote there.
    pub async fn run_binary(&self, request: RunBinary<'_>) -> Outcome {
        let outcome = self.run_wasm(request).await;
        crate::metrics::record_execution("binary", &outcome);
        outcome
    }

    async fn run_wasm(&self, request: RunBinary<'_>) -> Outcome {
        let _slot = match self.admit().await {
            Ok(slot) => slot,
            Err(outcome) => return *outcome,
        };
        let wasm = match request
            .sandbox
            .read_file(&request.path, crate::compile::MAX_BINARY_BYTES)
        {
            Ok(wasm) => wasm,
            Err(error) => return Outcome::failed(Status::RuntimeError, error.to_string()),
        };
        let program = match self.compiler.load_binary(wasm).await {
            Ok(program) => program,
            Err(error) => return Outcome::failed(Status::RuntimeError, format!("{error:#}")),
        };
        self.engine
            .run(RunSpec {
                program: Program::Compiled(program),
                entry: Entry::Start,
                args: request.argv,
                env: Language::C.env(&request.working_dir, &request.env),
                mounts: vec![Mount::read_write(request.sandbox.host_path(), "/")],
                stdin: request.stdin,
                limits: request.limits,
                output: request.output,
                disk: Some(request.sandbox.quota().clone()),
                interactive: false,
                terminal: request.terminal,
            })
            .await
    }

    /// Turns the source into something the engine can run.
    async fn prepare(&self, request: &RunFile<'_>) -> Result<Prepared, Box<Outcome>> {
        let language = request.language;
        if language.dialect().is_none() && !request.flags.is_empty() {
            return Err(Box::new(Outcome::failed(
                Status::CompileError,
                format!("{language} takes no compiler flags; they apply to C and C++"),
            )));
        }
        if language == Language::Python {
            return Ok(prepare_python(request));
        }
        let script = match &request.source {
            Source::File(script) => script,
            Source::Code(code) => return self.prepare_inline(language, code, &request.args),
            Source::Interactive if language == Language::JavaScript => {
                return self.prepare_inline(language, node::REPL_ENTRY, &request.args);
            }
            Source::Module(_) | Source::Interactive => {
                return Err(Box::new(Outcome::failed(
                    Status::CompileError,
                    format!("{language} runs from files or inline code"),
                )));
            }
        };
        if language == Language::JavaScript {
            return Ok(javascript::command(script, &request.args));
        }
        if language == Language::TypeScript {
            let transpiled = crate::transpile::program::prepare(request.sandbox, script)
                .await
                .map_err(|diagnostics| {
                    let mut outcome =
                        Outcome::failed(Status::CompileError, "TypeScript did not compile");
                    outcome.compile_output = diagnostics;
                    Box::new(outcome)
                })?;
            let mut prepared = javascript::module_command(&transpiled.entry, &request.args);
            prepared.mounts.push(Mount::read_only(
                transpiled.dir.path(),
                crate::transpile::program::MOUNT,
            ));
            prepared.compile_cached = transpiled.cached;
            prepared.scratch = Some(transpiled.dir);
            return Ok(prepared);
        }
        let Some(dialect) = language.dialect() else {
            return Err(Box::new(Outcome::failed(
                Status::InternalError,
                "no way to run this language",
            )));
        };
        let output = binary_name(script);
        let compiled = self
            .compiler
            .compile(CompileRequest {
                dialect,
                sandbox: request.sandbox,
                source: script,
                units: &request.units,
                output: &output,
                flags: &request.flags,
            })
            .await?;
        let mut args = vec![format!("./{output}")];
        args.extend(request.args.iter().cloned());
        let mut prepared = Prepared::new(Program::Compiled(compiled.program), args);
        prepared.compile_output = compiled.diagnostics;
        prepared.compile_cached = compiled.cached;
        prepared.compile_units = Some(compiled.units);
        prepared.compile_phases = compiled.phases;
        Ok(prepared)
    }
}

/// Python runs its snapshot through `turn`; the request says what to run.
fn prepare_python(request: &RunFile<'_>) -> Prepared {
    let invocation = match &request.source {
        Source::File(script) => python::Invocation::File(python::script_path(script)),
        Source::Code(code) => python::Invocation::Code(code.clone()),
        Source::Module(module) => python::Invocation::Module(module.clone()),
        Source::Interactive => python::Invocation::Interactive,
    };
    let env = Language::Python.env(&request.working_dir, &request.env);
    let mut prepared = Prepared::new(
        Program::Runtime(crate::runtimes::Runtime::Python),
        vec!["python3".to_owned()],
    );
    prepared.entry = python::entry(&invocation, &request.args, &request.working_dir, &env);
    prepared
}

impl Runner {
    /// Inline JavaScript (`node -e`): a file in a private directory mounted
    /// read-only at `/.eval` (QuickJS's `-e` cannot run after the Node
    /// prelude).
    fn prepare_inline(
        &self,
        language: Language,
        code: &str,
        args: &[String],
    ) -> Result<Prepared, Box<Outcome>> {
        let fail = |message: String| Box::new(Outcome::failed(Status::InternalError, message));
        match language {
            Language::JavaScript => {
                let dir = tempfile::tempdir()
                    .map_err(|e| fail(format!("cannot create a directory: {e}")))?;
                std::fs::write(dir.path().join(INLINE_SCRIPT), code)
                    .map_err(|e| fail(format!("cannot write inline code: {e}")))?;
                let mut prepared =
                    javascript::command(&format!("{INLINE_MOUNT}/{INLINE_SCRIPT}"), args);
                prepared
                    .mounts
                    .push(Mount::read_only(dir.path(), INLINE_MOUNT));
                prepared.scratch = Some(dir);
                Ok(prepared)
            }
            _ => Err(Box::new(Outcome::failed(
                Status::CompileError,
                format!("{language} runs from files, not inline code"),
            ))),
        }
    }
}

/// Where inline JavaScript is mounted, and its file name there (what
/// stack traces show, as Node shows `[eval]`).
const INLINE_MOUNT: &str = "/.eval";
const INLINE_SCRIPT: &str = "eval.js";

/// A program ready for the engine, with what it needs mounted.
struct Prepared {
    program: Program,
    entry: Entry,
    args: Vec<String>,
    mounts: Vec<Mount>,
    compile_output: String,
    /// The program came from the compile cache.
    compile_cached: bool,
    compile_units: Option<crate::engine::CompileUnits>,
    /// Where the compile spent its time.
    compile_phases: Vec<(&'static str, std::time::Duration)>,
    /// Generated files that must outlive the run.
    scratch: Option<tempfile::TempDir>,
}

/// What a run's outcome reports of its preparation; holds the generated
/// files it mounted until the run is over.
struct Preparation {
    compile_output: String,
    compile_cached: bool,
    compile_units: Option<crate::engine::CompileUnits>,
    compile_phases: Vec<(&'static str, std::time::Duration)>,
    _scratch: Option<tempfile::TempDir>,
}

impl Prepared {
    fn new(program: Program, args: Vec<String>) -> Self {
        Self {
            program,
            entry: Entry::Start,
            args,
            mounts: Vec::new(),
            compile_output: String::new(),
            compile_cached: false,
            compile_units: None,
            compile_phases: Vec::new(),
            scratch: None,
        }
    }
}

/// Where a compiled program goes: the source's path without its extension,
/// as `cc main.c -o main` would have it.
fn binary_name(script: &str) -> String {
    match script.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() && !stem.ends_with('/') => stem.to_owned(),
        _ => format!("{script}.out"),
    }
}
