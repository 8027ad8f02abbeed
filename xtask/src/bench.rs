//! `cargo xtask bench`: latency of executions through the engine API, with
//! native process-spawn baselines measured in the same run for ratios.
//!
//! Machines are shared and noisy: read the medians and the ratios, not any
//! single number.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::ensure;
use polyrun::engine::{Engine, EngineOptions, Limits, Status, Stdin};
use polyrun::language::{Language, RunFile, Runner, Source};
use polyrun::runtimes::RuntimeDir;
use polyrun::sandbox::{Sandbox, SandboxRoot};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Measured runs per case (after a few warm-up runs).
    #[arg(long, default_value_t = 40)]
    iterations: usize,
    /// Requests per language in the HTTP section.
    #[arg(long, default_value_t = 400)]
    http_requests: usize,
    /// Run only these sections (all when none is named).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Section>,
}

/// The bench's parts, each with its own native baselines.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Section {
    /// Hellos, preloaded imports, a loop and C++ through the engine API.
    Engine,
    /// The release server over HTTP: one client, contexts, 8 clients, RSS.
    Http,
    /// Package installs and imports.
    Packages,
    /// The shell over Socket.IO.
    Shell,
}

impl BenchArgs {
    fn runs(&self, section: Section) -> bool {
        self.only.is_empty() || self.only.contains(&section)
    }
}

const PYTHON_HELLO: &str = "print('hello')\n";
const JS_HELLO: &str = "console.log('hello');\n";
const TS_HELLO: &str = "const greeting: string = 'hello';\nconsole.log(greeting);\n";
/// The preloaded packages' imports, which the snapshot has already done:
/// each should cost next to nothing over a hello.
const PYTHON_IMPORTS: [(&str, &str); 6] = [
    ("numpy, pandas", "import numpy, pandas"),
    (
        "scipy (+ optimize, stats, …)",
        "import scipy, scipy.optimize, scipy.stats, scipy.integrate, scipy.linalg, scipy.sparse",
    ),
    (
        "sklearn (+ linear_model, …)",
        "import sklearn\nfrom sklearn import linear_model, cluster, ensemble, model_selection, \
         preprocessing, metrics",
    ),
    ("statsmodels.api", "import statsmodels.api"),
    ("sympy", "import sympy"),
    ("networkx", "import networkx"),
];
/// A CPU-bound interpreter loop: the cost of running Python code itself.
const PYTHON_LOOP: &str =
    "total = 0\nfor i in range(3_000_000):\n    total += i % 7\nprint('hello' if total else '')\n";
const CPP_HELLO: &str =
    "#include <iostream>\nint main() { std::cout << \"hello\" << std::endl; }\n";

pub async fn run(dir: &RuntimeDir, args: BenchArgs) -> anyhow::Result<()> {
    let natives = Natives::find();
    natives.describe();
    let iterations = args.iterations.max(5);
    let temp = tempfile::tempdir()?;
    let native_python = natives.python.as_deref().and_then(|program| {
        native_latencies(program, "hello.py", PYTHON_HELLO, temp.path(), iterations)
    });
    let native_node = natives.node.as_deref().and_then(|program| {
        native_latencies(program, "hello.js", JS_HELLO, temp.path(), iterations)
    });
    let compile_runs = (iterations / 4).max(5);
    let native_cpp = gxx_latencies(CPP_HELLO, temp.path(), compile_runs);
    let median = |samples: &Option<Vec<Duration>>| samples.as_ref().map(|s| percentile(s, 0.5));
    let baselines = crate::http_bench::Baselines {
        cpp: median(&native_cpp),
        python: median(&native_python),
        node: median(&native_node),
    };
    if args.runs(Section::Engine) {
        let natives = EngineBaselines {
            python: native_python.as_deref(),
            node: native_node.as_deref(),
            cpp: native_cpp.as_deref(),
            python_program: natives.python.as_deref(),
        };
        engine_section(dir, &natives, iterations).await?;
    }
    if args.runs(Section::Http) {
        crate::http_bench::run(args.http_requests.max(CLIENTS_MIN), baselines).await?;
    }
    if args.runs(Section::Packages) {
        crate::package_bench::run(natives.python.as_deref()).await?;
    }
    if args.runs(Section::Shell) {
        crate::shell_bench::run(iterations).await?;
    }
    Ok(())
}

/// The native runs the engine section compares with.
struct EngineBaselines<'a> {
    python: Option<&'a [Duration]>,
    node: Option<&'a [Duration]>,
    cpp: Option<&'a [Duration]>,
    /// The system `python3`, for the loop's baseline.
    python_program: Option<&'a str>,
}

/// Hellos, the preloaded imports, an interpreter loop and C++ compiles
/// through the engine API, in the bench's own process.
async fn engine_section(
    dir: &RuntimeDir,
    natives: &EngineBaselines<'_>,
    iterations: usize,
) -> anyhow::Result<()> {
    let engine = Engine::load(dir, &EngineOptions::default())?;
    let runner = Runner::new(std::sync::Arc::new(engine), dir.clone())?;
    runner.learn_working_sets().await?;
    let temp = tempfile::tempdir()?;
    let root = SandboxRoot::open_or_create(temp.path().join("users"))?;
    println!(
        "polyrun bench: {iterations} runs per case, median / p90 (ratio = polyrun median / native median)\n"
    );
    println!(
        "{:<34} {:>10} {:>10} {:>12} {:>8}",
        "case", "median", "p90", "native med", "ratio"
    );

    // The native counterpart of TypeScript is node running the same
    // program as JavaScript.
    let cases = [
        (Language::Python, PYTHON_HELLO, natives.python),
        (Language::JavaScript, JS_HELLO, natives.node),
        (Language::TypeScript, TS_HELLO, natives.node),
    ];
    let mut python_hello = Duration::ZERO;
    for (language, code, native) in cases {
        let ours = engine_latencies(&runner, &root, language, code, iterations, false).await?;
        report(&format!("{language} hello (engine API)"), &ours, native);
        if language == Language::Python {
            python_hello = percentile(&ours, 0.5);
        }
    }

    println!("\nPython imports the snapshot already made (engine API; cost = median - hello's)");
    for (name, import) in PYTHON_IMPORTS {
        let code = format!("{import}\nprint('hello')\n");
        let ours =
            engine_latencies(&runner, &root, Language::Python, &code, iterations, false).await?;
        let median = percentile(&ours, 0.5);
        println!(
            "{:<34} {:>10} {:>10} {:>12}",
            format!("import {name}"),
            ms(median),
            ms(percentile(&ours, 0.9)),
            format!("+{}", ms(median.saturating_sub(python_hello)))
        );
    }
    println!();
    let loop_runs = (iterations / 8).max(5);
    let ours = engine_latencies(
        &runner,
        &root,
        Language::Python,
        PYTHON_LOOP,
        loop_runs,
        false,
    )
    .await?;
    let native = natives.python_program.and_then(|program| {
        native_latencies(program, "loop.py", PYTHON_LOOP, temp.path(), loop_runs)
    });
    report("python 3M-iteration loop", &ours, native.as_deref());

    // Compiles are slow: fewer runs. Each fresh compile gets a unique
    // comment so that the compile cache cannot answer it.
    let compile_runs = (iterations / 4).max(5);
    let fresh =
        engine_outcomes(&runner, &root, Language::Cpp, CPP_HELLO, compile_runs, true).await?;
    let fresh_latencies: Vec<Duration> = fresh.iter().map(|(elapsed, _)| *elapsed).collect();
    report(
        "c++ hello compile+run (fresh)",
        &fresh_latencies,
        natives.cpp,
    );
    report_phases(&fresh);
    let cached = engine_latencies(
        &runner,
        &root,
        Language::Cpp,
        CPP_HELLO,
        compile_runs,
        false,
    )
    .await?;
    report("c++ hello compile+run (cached)", &cached, natives.cpp);
    crate::cpp_bench::run(&runner, &root.create()?, (iterations / 16).clamp(1, 3)).await
}

/// At least one request per HTTP client.
const CLIENTS_MIN: usize = 16;

/// `g++ -O0 hello.cpp -o hello && ./hello`, when g++ is installed.
fn gxx_latencies(code: &str, dir: &Path, iterations: usize) -> Option<Vec<Duration>> {
    let source = dir.join("hello.cpp");
    let binary = dir.join("hello-native");
    std::fs::write(&source, code).ok()?;
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations + 1 {
        let started = Instant::now();
        let compiled = Command::new("g++")
            .arg("-O0")
            .arg(&source)
            .arg("-o")
            .arg(&binary)
            .status()
            .ok()?;
        let ran = Command::new(&binary).stdout(Stdio::null()).status().ok()?;
        let elapsed = started.elapsed();
        if !compiled.success() || !ran.success() {
            return None;
        }
        if i >= 1 {
            samples.push(elapsed);
        }
    }
    Some(samples)
}

async fn engine_latencies(
    runner: &Runner,
    root: &SandboxRoot,
    language: Language,
    code: &str,
    iterations: usize,
    defeat_cache: bool,
) -> anyhow::Result<Vec<Duration>> {
    let measured = engine_outcomes(runner, root, language, code, iterations, defeat_cache).await?;
    Ok(measured.into_iter().map(|(elapsed, _)| elapsed).collect())
}

/// Like [`engine_latencies`], keeping each run's outcome beside its time.
async fn engine_outcomes(
    runner: &Runner,
    root: &SandboxRoot,
    language: Language,
    code: &str,
    iterations: usize,
    defeat_cache: bool,
) -> anyhow::Result<Vec<(Duration, polyrun::engine::Outcome)>> {
    let sandbox = root.create()?;
    let script = format!("main.{}", language.info().extension);
    sandbox.write_file(&script, code.as_bytes())?;
    // The compile cache outlives the bench (it is on disk): each fresh
    // source is unique to this run too.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations + 3 {
        if defeat_cache {
            sandbox.write_file(&script, format!("{code}// run {nonce} {i}\n").as_bytes())?;
        }
        let started = Instant::now();
        let outcome = run_script(runner, language, &sandbox, &script, vec![]).await;
        let elapsed = started.elapsed();
        ensure!(
            outcome.status == Status::Ok && outcome.stdout == b"hello\n",
            "{language} hello failed: {:?} {}",
            outcome.status,
            outcome.stderr_lossy()
        );
        if i >= 3 {
            samples.push((elapsed, outcome));
        }
    }
    Ok(samples)
}

/// Runs `script` (and, for C and C++, the `units` beside it) in
/// `sandbox` with default limits, no input and no arguments.
pub(crate) async fn run_script(
    runner: &Runner,
    language: Language,
    sandbox: &Sandbox,
    script: &str,
    units: Vec<String>,
) -> polyrun::engine::Outcome {
    runner
        .run_file(RunFile {
            language,
            sandbox,
            source: Source::File(script.to_owned()),
            working_dir: "/".to_owned(),
            args: vec![],
            env: vec![],
            flags: vec![],
            units,
            stdin: Stdin::Empty,
            limits: Limits::default(),
            output: None,
            terminal: polyrun::engine::TerminalStreams::NONE,
        })
        .await
}

/// The median of each compile phase over fresh compiles, and of the run
/// that follows (instantiation included): where a C++ request's time goes.
fn report_phases(measured: &[(Duration, polyrun::engine::Outcome)]) {
    let mut names: Vec<&'static str> = Vec::new();
    for (_, outcome) in measured {
        for (name, _) in &outcome.compile_phases {
            if !names.contains(name) {
                names.push(name);
            }
        }
    }
    let phase = |name: &str| -> Vec<Duration> {
        measured
            .iter()
            .map(|(_, outcome)| {
                outcome
                    .compile_phases
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .map(|(_, d)| *d)
                    .sum()
            })
            .collect()
    };
    for name in names {
        println!("  {:<32} {:>10}", name, ms(percentile(&phase(name), 0.5)));
    }
    let runs: Vec<Duration> = measured
        .iter()
        .map(|(_, outcome)| outcome.duration - outcome.compile_duration.unwrap_or_default())
        .collect();
    println!(
        "  {:<32} {:>10}",
        "instantiate + run",
        ms(percentile(&runs, 0.5))
    );
}

/// The native interpreters the ratios are against.
struct Natives {
    python: Option<String>,
    node: Option<String>,
}

/// The system's own Python, as its package manager installs it (Debian's
/// is built with PGO and LTO); a version manager's build can be twice as
/// slow to start and to compute.
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

impl Natives {
    fn find() -> Self {
        let system_python = Command::new(SYSTEM_PYTHON)
            .args(["-c", "pass"])
            .status()
            .is_ok_and(|status| status.success());
        let python = if system_python {
            Some(SYSTEM_PYTHON.to_owned())
        } else {
            resolve_interpreter("python3")
        };
        Self {
            python,
            node: resolve_interpreter("node"),
        }
    }

    /// Says which interpreters were measured, and their versions.
    fn describe(&self) {
        for (name, program) in [("python3", &self.python), ("node", &self.node)] {
            let described = program
                .as_deref()
                .map_or("not found".to_owned(), |program| {
                    let version = Command::new(program)
                        .arg("--version")
                        .output()
                        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
                        .unwrap_or_default();
                    format!("{program} ({version})")
                });
            println!("native {name}: {described}");
        }
        println!();
    }
}

/// The interpreter's real executable: version managers (pyenv, asdf) put a
/// shell-script shim first on PATH, and timing the shim would flatter us.
pub(crate) fn resolve_interpreter(program: &str) -> Option<String> {
    let probe = match program {
        "python3" => "import sys; print(sys.executable)",
        "node" => "console.log(process.execPath)",
        _ => return Some(program.to_owned()),
    };
    let flag = if program == "node" { "-e" } else { "-c" };
    let output = Command::new(program).args([flag, probe]).output().ok()?;
    let path = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !path.is_empty()).then_some(path)
}

/// Spawn time of the native interpreter on the same program, or `None` when
/// it is not installed.
fn native_latencies(
    program: &str,
    file: &str,
    code: &str,
    dir: &Path,
    iterations: usize,
) -> Option<Vec<Duration>> {
    let path = dir.join(file);
    std::fs::write(&path, code).ok()?;
    spawn_latencies(program, &[path.as_os_str()], iterations)
}

/// Time to spawn `program args` and wait for it, after two warm-up runs;
/// `None` when it is missing or fails.
pub(crate) fn spawn_latencies(
    program: &str,
    args: &[&std::ffi::OsStr],
    iterations: usize,
) -> Option<Vec<Duration>> {
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations + 2 {
        let started = Instant::now();
        let output = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .ok()?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            return None;
        }
        if i >= 2 {
            samples.push(elapsed);
        }
    }
    Some(samples)
}

pub(crate) fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub(crate) fn report(case: &str, ours: &[Duration], native: Option<&[Duration]>) {
    let median = percentile(ours, 0.5);
    let (native_median, ratio) = match native {
        Some(native) => {
            let native_median = percentile(native, 0.5);
            let ratio = median.as_secs_f64() / native_median.as_secs_f64();
            (ms(native_median), format!("{ratio:.2}x"))
        }
        None => ("n/a".into(), "n/a".into()),
    };
    println!(
        "{case:<34} {:>10} {:>10} {native_median:>12} {ratio:>8}",
        ms(median),
        ms(percentile(ours, 0.9))
    );
}
