//! TypeScript is transpiled in a child process: this same binary, run as
//! `polyrun transpile-worker`.
//!
//! oxc recurses once per level of the syntax tree, and a stack overflow
//! is not a panic: it aborts the whole process. The nesting check
//! ([`super::nesting`]) refuses deep input with a clear message, but it
//! reads tokens without the parser's context (whether a `/` starts a
//! regular expression or divides depends on what came before), so a
//! crafted program can hide nesting from it. The check is a courtesy; the
//! process boundary is the wall. Whatever a program does to the worker,
//! the server goes on, and the user gets a `compile_error`.
//!
//! The server and the CLI name their own executable at start-up
//! ([`set_executable`]). Code that embeds the library without doing so
//! (benchmarks, in-process test servers) transpiles on a large-stack
//! thread in its own process instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::sync::Semaphore;

/// The `polyrun` executable that serves `transpile-worker`.
static EXECUTABLE: OnceLock<PathBuf> = OnceLock::new();

/// Workers running at once; the others wait their turn.
static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new(cores.max(2))
});

/// A worker that takes longer than `TRANSPILE_TIMEOUT` is killed: real
/// programs transpile in milliseconds, and a slow one holds one of the
/// few worker places every user's TypeScript waits for.
fn worker_timeout() -> Duration {
    crate::budget::settings().transpile_timeout
}

/// The largest answer read from a worker (transpiled JavaScript for `tsc`,
/// or diagnostics).
const MAX_ANSWER_BYTES: usize = 32 << 20;

/// Transpiles in child processes of `executable` from now on.
pub fn set_executable(executable: PathBuf) {
    let _ = EXECUTABLE.set(executable);
}

/// The executable that serves `transpile-worker`, when one was named.
pub fn executable() -> Option<&'static Path> {
    EXECUTABLE.get().map(PathBuf::as_path)
}

/// The arguments of `polyrun transpile-worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Transpile a program from this sandbox directory…
    #[arg(long)]
    pub sandbox: Option<PathBuf>,
    /// …starting at this file (a path inside the sandbox)…
    #[arg(long)]
    pub script: Option<String>,
    /// …into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Or transpile standard input, named this in diagnostics, to stdout.
    #[arg(long)]
    pub file_name: Option<String>,
}

/// Runs a worker with `args`, feeding it `stdin`. Its standard output is
/// the answer when it succeeds (exit 0); on exit 1 it is the diagnostics;
/// anything else (a crash, a timeout) is reported as such.
pub async fn run(
    executable: &Path,
    args: &[&std::ffi::OsStr],
    stdin: &[u8],
) -> Result<Vec<u8>, String> {
    let _permit = PERMITS
        .acquire()
        .await
        .map_err(|_| "the TypeScript transpiler is shutting down\n".to_owned())?;
    let mut child = tokio::process::Command::new(executable)
        .arg("transpile-worker")
        .args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("error: cannot start the TypeScript transpiler: {e}\n"))?;
    if let Some(mut input) = child.stdin.take() {
        // A worker that dies early closes its stdin; its exit says why.
        let _ = input.write_all(stdin).await;
    }
    let output = match tokio::time::timeout(worker_timeout(), child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => {
            return Err(format!(
                "error: the TypeScript transpiler failed: {error}\n"
            ));
        }
        Err(_) => {
            return Err(format!(
                "error: this program took too long to transpile (more than {} ms, TRANSPILE_TIMEOUT)\n",
                worker_timeout().as_millis()
            ));
        }
    };
    let mut answer = output.stdout;
    answer.truncate(MAX_ANSWER_BYTES);
    match output.status.code() {
        Some(0) => Ok(answer),
        Some(1) => Err(String::from_utf8_lossy(&answer).into_owned()),
        _ => Err(
            "error: the TypeScript transpiler crashed on this program (it probably nests too deeply)\n"
                .to_owned(),
        ),
    }
}

/// `polyrun transpile-worker`: does the job on a large stack; exit 0 with
/// the answer on stdout, or exit 1 with diagnostics on stdout.
pub fn serve(args: WorkerArgs) -> std::process::ExitCode {
    let work = move || -> Result<Vec<u8>, String> {
        match (args.sandbox, args.script, args.out, args.file_name) {
            (Some(sandbox), Some(script), Some(out), None) => {
                super::program::transpile_program(&sandbox, &script, &out)
                    .map(super::program::Summary::to_answer)
            }
            (None, None, None, Some(name)) => {
                use std::io::Read as _;
                let mut source = String::new();
                std::io::stdin()
                    .take(super::program::MAX_FILE_BYTES + 1)
                    .read_to_string(&mut source)
                    .map_err(|e| format!("{name}: error: cannot read the source: {e}\n"))?;
                super::transpile(&source, &name, |_| None).map(|t| t.code.into_bytes())
            }
            _ => Err(
                "error: transpile-worker takes --sandbox, --script and --out, or --file-name\n"
                    .to_owned(),
            ),
        }
    };
    let result = std::thread::Builder::new()
        .stack_size(crate::deep_stack::STACK_BYTES)
        .spawn(work)
        .map_err(|e| format!("error: cannot start a thread: {e}\n"))
        .and_then(|worker| {
            worker
                .join()
                .map_err(|_| "error: the TypeScript transpiler failed on this file\n".to_owned())
        })
        .and_then(|result| result);
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(answer) => {
            let _ = stdout.write_all(&answer);
            std::process::ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            let _ = stdout.write_all(diagnostics.as_bytes());
            std::process::ExitCode::from(1)
        }
    }
}
