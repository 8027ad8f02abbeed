//! Shared by the integration tests: the real engine over the provisioned
//! runtimes, and sandboxes in temporary directories.
#![allow(dead_code)]

pub mod package_index;
pub mod server;
pub mod stalled;
pub mod terminal;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use polyrun::engine::{Engine, EngineOptions, Limits, Outcome, Stdin};
use polyrun::language::{Language, RunFile, Runner, Source};
use polyrun::provision::check_ready;
use polyrun::runtimes::RuntimeDir;
use polyrun::sandbox::{Sandbox, SandboxRoot};

pub fn runtime_dir() -> RuntimeDir {
    let root = std::env::var_os("RUNTIMES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(polyrun::runtimes::default_root);
    let dir = RuntimeDir::new(root);
    if let Err(reason) = check_ready(&dir) {
        panic!("{reason}: run `cargo xtask test` (or `cargo xtask fetch-runtimes` first)");
    }
    dir
}

/// One engine (and compiler cache) per test binary, as one per process in
/// the server.
pub fn runner() -> &'static Runner {
    static RUNNER: OnceLock<Runner> = OnceLock::new();
    RUNNER.get_or_init(|| {
        // TypeScript transpiles in worker processes, as in the server.
        polyrun::transpile::worker::set_executable(PathBuf::from(env!("CARGO_BIN_EXE_polyrun")));
        let engine = Engine::load(&runtime_dir(), &EngineOptions::default())
            .expect("the provisioned runtimes load");
        Runner::new(Arc::new(engine), runtime_dir()).expect("runner")
    })
}

/// A base directory of sandboxes that disappears with the test.
pub struct TestRoot {
    pub temp: tempfile::TempDir,
    pub root: SandboxRoot,
}

impl TestRoot {
    pub fn new() -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let root = SandboxRoot::open_or_create(temp.path().join("users")).expect("sandbox root");
        Self { temp, root }
    }

    /// A base directory whose sandboxes get these disk limits.
    pub fn with_limits(limits: polyrun::sandbox::DiskLimits) -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let root = SandboxRoot::open_or_create(temp.path().join("users"))
            .expect("sandbox root")
            .with_limits(limits);
        Self { temp, root }
    }

    pub fn sandbox(&self) -> Sandbox {
        self.root.create().expect("new sandbox")
    }
}

/// A run with everything but the code at its default.
pub struct Run {
    pub language: Language,
    pub code: String,
    pub stdin: Vec<u8>,
    pub args: Vec<String>,
    pub flags: Vec<String>,
    pub limits: Limits,
    /// Files written into the sandbox beside the code.
    pub files: Vec<(String, Vec<u8>)>,
    /// Sources among `files` compiled and linked with the code.
    pub units: Vec<String>,
}

impl Run {
    pub fn new(language: &str, code: &str) -> Self {
        Self {
            language: Language::from_name(language).expect("known language"),
            code: code.to_owned(),
            stdin: Vec::new(),
            args: Vec::new(),
            flags: Vec::new(),
            limits: Limits {
                wall_time: std::time::Duration::from_secs(20),
                ..Limits::default()
            },
            files: Vec::new(),
            units: Vec::new(),
        }
    }

    /// Writes `files` beside the code, and compiles the sources among them
    /// (`units`) with it.
    pub fn project(mut self, files: Vec<(String, Vec<u8>)>, units: Vec<String>) -> Self {
        self.files = files;
        self.units = units;
        self
    }

    pub fn stdin(mut self, stdin: &str) -> Self {
        self.stdin = stdin.as_bytes().to_vec();
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn flags(mut self, flags: &[&str]) -> Self {
        self.flags = flags.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Writes the code as `main.<ext>` into `sandbox` and runs it there.
    pub async fn in_sandbox(self, sandbox: &Sandbox) -> Outcome {
        let stdin = Stdin::Bytes(self.stdin.clone());
        self.execute(sandbox, stdin, None).await
    }

    /// Runs with a live stdin stream instead of fixed bytes.
    pub async fn with_stdin_stream(
        self,
        sandbox: &Sandbox,
        stdin: Box<dyn tokio::io::AsyncRead + Send + Sync + Unpin>,
        output: Option<tokio::sync::mpsc::UnboundedSender<polyrun::engine::OutputChunk>>,
    ) -> Outcome {
        self.execute(sandbox, Stdin::Stream(stdin), output).await
    }

    async fn execute(
        self,
        sandbox: &Sandbox,
        stdin: Stdin,
        output: Option<tokio::sync::mpsc::UnboundedSender<polyrun::engine::OutputChunk>>,
    ) -> Outcome {
        let script = format!("main.{}", self.language.info().extension);
        for (path, contents) in &self.files {
            sandbox.write_file(path, contents).expect("write file");
        }
        sandbox
            .write_file(&script, self.code.as_bytes())
            .expect("write source");
        runner()
            .run_file(RunFile {
                language: self.language,
                sandbox,
                source: Source::File(script),
                working_dir: "/".to_owned(),
                args: self.args,
                env: Vec::new(),
                flags: self.flags,
                units: self.units,
                stdin,
                limits: self.limits,
                output,
                terminal: polyrun::engine::TerminalStreams::NONE,
            })
            .await
    }

    /// Runs in a fresh sandbox of its own.
    pub async fn go(self) -> Outcome {
        let root = TestRoot::new();
        let sandbox = root.sandbox();
        self.in_sandbox(&sandbox).await
    }
}

/// Asserts a clean exit with exactly this stdout.
#[track_caller]
pub fn assert_output(outcome: &Outcome, expected: &str) {
    assert_eq!(
        outcome.status,
        polyrun::engine::Status::Ok,
        "stderr: {}\nmessage: {:?}",
        outcome.stderr_lossy(),
        outcome.message
    );
    assert_eq!(outcome.stdout_lossy(), expected);
}

/// Waits until `condition` holds, or fails after `limit`.
pub async fn eventually(
    limit: std::time::Duration,
    what: &str,
    mut condition: impl FnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + limit;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The sandboxes (`user_…` directories) under a base directory, sorted.
pub fn sandboxes(users: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(users)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("user_"))
        .collect();
    names.sort();
    names
}

/// Runs `tests/<dir>/<script>` with Node (its npm packages installed there
/// by `cargo xtask test`, `package` among them) and reads the one JSON
/// object it prints: what an official client saw.
pub async fn node_client_report(
    dir: &str,
    package: &str,
    script: &str,
    args: &[&str],
) -> serde_json::Value {
    let script_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    assert!(
        script_dir.join("node_modules").join(package).exists(),
        "{package} is not installed: run `cargo xtask test` (it runs npm ci in tests/{dir})"
    );
    let output = tokio::process::Command::new("node")
        .arg(script_dir.join(script))
        .args(args)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The value of the Prometheus sample `name{labels}` (labels as rendered,
/// sorted by name), or 0 when absent.
pub fn metric_sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A symbolic link made on the host (as no guest can make one leading
/// out), for tests of what follows such links.
#[cfg(unix)]
pub fn plant_link(target: &str, link: &std::path::Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(windows)]
pub fn plant_link(target: &str, link: &std::path::Path) {
    std::os::windows::fs::symlink_dir(target, link).unwrap();
}
