//! The `polyrun` command line.

mod arenas;
mod languages;
mod provision;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::provision::check_ready;
use crate::runtimes::RuntimeDir;

#[derive(Debug, Parser)]
#[command(
    name = "polyrun",
    version,
    about = "Run untrusted code in WebAssembly sandboxes"
)]
pub struct Cli {
    /// Where provisioned runtimes live [default: the per-user data
    /// directory, e.g. ~/.local/share/polyrun].
    #[arg(long, global = true, env = "RUNTIMES_DIR")]
    runtimes_dir: Option<PathBuf>,

    /// Never fetch or build runtimes; fail if they are missing.
    #[arg(long, global = true)]
    offline: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default). Configuration comes from the
    /// environment and `.env`; see `.env.example`.
    Serve,
    /// Run a source file in a sandbox, streaming its output.
    Run(run::RunArgs),
    /// List the supported languages, their versions and aliases.
    Languages,
    /// Fetch, build and precompile the runtimes (what `cargo xtask
    /// fetch-runtimes` does).
    Provision(provision::ProvisionArgs),
    /// Internal: transpile TypeScript in a child process of the server
    /// (see `transpile::worker`).
    #[command(hide = true)]
    TranspileWorker(crate::transpile::worker::WorkerArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    arenas::limit();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::TranspileWorker(args) = command {
        return crate::transpile::worker::serve(args);
    }
    // TypeScript is transpiled in child processes of this executable.
    if let Ok(executable) = std::env::current_exe() {
        crate::transpile::worker::set_executable(executable);
    }
    if let Command::Serve = command {
        return serve(cli.offline);
    }
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("polyrun: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let dir = RuntimeDir::new(
        cli.runtimes_dir
            .unwrap_or_else(crate::runtimes::default_root),
    );
    let result = runtime.block_on(async {
        match command {
            Command::Serve | Command::TranspileWorker(_) => unreachable!("handled above"),
            Command::Run(args) => run::run(&dir, cli.offline, args).await,
            Command::Languages => languages::print(),
            Command::Provision(args) => provision::provision(&dir, args).await,
        }
    });
    match result {
        Ok(code) => {
            // Leave without waiting for tokio's blocking stdin reader, which
            // may sit in a read that will never complete.
            std::process::exit(code);
        }
        Err(error) => {
            eprintln!("polyrun: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `polyrun serve`: JSON logs on stdout at `LOG_LEVEL`.
fn serve(offline: bool) -> ExitCode {
    let config = match crate::config::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("polyrun: {error}");
            return ExitCode::FAILURE;
        }
    };
    let filter = tracing_subscriber::EnvFilter::new(format!(
        "{},wasmtime=warn,cranelift=warn",
        config.log_level
    ));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("polyrun: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(crate::server::serve(
        config,
        crate::server::ServeOptions { offline },
    ));
    // Guests still parked in the executor are abandoned, not awaited.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("polyrun: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOG_LEVEL")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Makes sure the runtimes are usable: provisions them on first use (with
/// progress on stderr) unless `offline`, and otherwise fails naming the
/// command that provisions them.
async fn ensure_runtimes(dir: &RuntimeDir, offline: bool) -> anyhow::Result<()> {
    let Err(reason) = check_ready(dir) else {
        return Ok(());
    };
    let fix = format!(
        "Provision them with `cargo xtask fetch-runtimes` (or `polyrun provision --runtimes-dir {}`).",
        dir.root().display()
    );
    if offline {
        anyhow::bail!("{reason}.\n{fix}");
    }
    eprintln!("{reason}; provisioning them now (once)");
    crate::provision::provision(
        dir,
        &Default::default(),
        &crate::provision::Progress::new(false),
    )
    .await
    .map_err(|error| anyhow::anyhow!("{error:#}\n{fix}"))
}
