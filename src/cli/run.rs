//! `polyrun run <language> <file> [-- args…]`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::mpsc;

use super::ensure_runtimes;
use crate::engine::{Engine, EngineOptions, Limits, OutputChunk, Status, Stdin, StreamKind};
use crate::language::{Language, RunFile, Runner, Source};
use crate::runtimes::RuntimeDir;
use crate::sandbox::{DiskLimits, Sandbox};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Language name or alias (see `polyrun languages`).
    language: String,
    /// Source file to run.
    file: PathBuf,
    /// Run in this directory instead of a temporary one. It becomes the
    /// program's `/` and keeps whatever the program writes.
    #[arg(long)]
    sandbox: Option<PathBuf>,
    /// Wall-time limit, such as `2s` or `500ms`.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// Linear-memory limit, such as `512MiB`.
    #[arg(long, default_value = "512MiB")]
    memory: bytesize::ByteSize,
    /// Fuel (roughly, WebAssembly instructions) a compiled C/C++ program may
    /// use; Python and JavaScript are bounded by `--timeout` instead.
    #[arg(long)]
    fuel: Option<u64>,
    /// A compiler flag for C and C++, such as `--flag=-O0` (repeatable;
    /// checked against an allowlist).
    #[arg(long = "flag", allow_hyphen_values = true)]
    flags: Vec<String>,
    /// stdout and stderr together, such as `1MiB`.
    #[arg(long, default_value = "16MiB")]
    max_output: bytesize::ByteSize,
    /// Logical bytes the sandbox may hold, in MiB (what it holds already
    /// counts).
    #[arg(long, env = "SANDBOX_DISK_QUOTA_MB", default_value_t = 256)]
    disk_quota_mb: u64,
    /// Files, directories and symlinks the sandbox may hold.
    #[arg(long, env = "SANDBOX_MAX_FILES", default_value_t = 10_000)]
    max_files: u64,
    /// Arguments passed to the program.
    #[arg(last = true)]
    args: Vec<String>,
}

pub async fn run(dir: &RuntimeDir, offline: bool, args: RunArgs) -> anyhow::Result<i32> {
    let Some(language) = Language::from_name(&args.language) else {
        bail!(
            "unknown language '{}'; supported: {}",
            args.language,
            Language::all_names().join(", ")
        );
    };
    ensure_runtimes(dir, offline).await?;
    if args.fuel.is_some()
        && matches!(
            language,
            Language::Python | Language::JavaScript | Language::TypeScript
        )
    {
        eprintln!(
            "polyrun: note: --fuel counts only compiled C and C++; {language} is bounded by --timeout"
        );
    }
    let source = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;

    let disk = DiskLimits {
        max_bytes: args.disk_quota_mb.saturating_mul(1 << 20),
        max_entries: args.max_files,
    };
    let temporary;
    let sandbox = match &args.sandbox {
        Some(path) => Sandbox::open_dir_with(path, disk)?,
        None => {
            temporary = tempfile::Builder::new().prefix("polyrun-").tempdir()?;
            Sandbox::open_dir_with(temporary.path(), disk)?
        }
    };
    let script = place_source(&sandbox, &args.file, &source)?;

    let engine = Engine::load(
        dir,
        &EngineOptions {
            max_instances: 4,
            ..EngineOptions::default()
        },
    )?;
    let runner = Runner::new(std::sync::Arc::new(engine), dir.clone())?;
    let defaults = Limits::default();
    let limits = Limits {
        wall_time: args.timeout,
        fuel: args.fuel.unwrap_or(defaults.fuel),
        memory_bytes: args.memory.as_u64(),
        output_bytes: usize::try_from(args.max_output.as_u64()).unwrap_or(usize::MAX),
    };

    let (sender, receiver) = mpsc::unbounded_channel();
    let printer = tokio::spawn(print_output(receiver));
    let outcome = runner
        .run_file(RunFile {
            language,
            sandbox: &sandbox,
            source: Source::File(script),
            working_dir: "/".to_owned(),
            args: args.args,
            env: Vec::new(),
            flags: args.flags,
            units: Vec::new(),
            stdin: Stdin::Stream(Box::new(tokio::io::stdin())),
            limits,
            output: Some(sender),
            terminal: polyrun_terminal(),
        })
        .await;
    printer.await??;

    if !outcome.compile_output.is_empty() {
        eprint!("{}", outcome.compile_output);
    }
    match (&outcome.status, &outcome.message) {
        (Status::Ok, _) => {}
        (status, Some(message)) => eprintln!("polyrun: {status}: {message}"),
        (Status::CompileError, None) => eprintln!("polyrun: compile_error"),
        _ => {}
    }
    Ok(outcome.process_exit_code())
}

/// Puts the source where the program will find it: in place when it is
/// already inside the sandbox, else at the sandbox root under its own name.
fn place_source(sandbox: &Sandbox, file: &Path, source: &[u8]) -> anyhow::Result<String> {
    let inside = file
        .canonicalize()
        .ok()
        .and_then(|path| {
            path.strip_prefix(sandbox.host_path())
                .ok()
                .map(Path::to_path_buf)
        })
        .and_then(|relative| relative.to_str().map(|s| s.replace('\\', "/")));
    if let Some(relative) = inside {
        return Ok(relative);
    }
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .context("the source file name is not valid UTF-8")?;
    sandbox.write_file(name, source)?;
    Ok(name.to_owned())
}

async fn print_output(mut chunks: mpsc::UnboundedReceiver<OutputChunk>) -> std::io::Result<()> {
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    while let Some(chunk) = chunks.recv().await {
        match chunk.stream {
            StreamKind::Stdout => {
                stdout.write_all(&chunk.data).await?;
                stdout.flush().await?;
            }
            StreamKind::Stderr => {
                stderr.write_all(&chunk.data).await?;
                stderr.flush().await?;
            }
        }
    }
    Ok(())
}

/// Which of this process's output streams are terminals: the program
/// sees what `polyrun run` itself writes to.
fn polyrun_terminal() -> crate::engine::TerminalStreams {
    use std::io::IsTerminal as _;
    crate::engine::TerminalStreams {
        stdout: std::io::stdout().is_terminal(),
        stderr: std::io::stderr().is_terminal(),
    }
}
