//! Project tasks: `cargo xtask <task>`.
//!
//! - `fetch-runtimes [--force]`: fetch, build and precompile the runtimes.
//! - `test [-- cargo test args]`: provision, install the JavaScript test
//!   clients and fetch the package tests' wheels (pip), run the whole test suite, then the browser end-to-end test,
//!   the OpenAPI conformance run, the Helm chart check and the cluster
//!   test.
//! - `e2e`: the browser terminal in headless Chromium.
//! - `conformance`: schemathesis against the live server's OpenAPI document.
//! - `chart`: lint, render and validate the Helm chart (deploy/helm/polyrun).
//! - `bench`: medians and ratios against native baselines.
//! - `fuzz --seconds N`: mutated inputs against every parser of user data.
//! - `soak --sessions N --minutes M`: a long mixed load on the real server.
//! - `cluster [--throughput]`: two nodes over Redis behind haproxy.

mod bench;
mod chart;
mod cluster;
mod conformance;
mod cpp_bench;
mod cpp_fixtures;
mod e2e;
mod fuzz;
mod http_bench;
mod package_bench;
mod package_fixtures;
mod package_index;
mod python_tools;
mod server_process;
mod shell_bench;
mod soak;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

/// Counts the heap, so that the fuzzer can cap it (see `fuzz::guard`);
/// without the fuzzer, it only counts.
#[global_allocator]
static ALLOCATOR: fuzz::guard::CappedAllocator = fuzz::guard::CappedAllocator;
use polyrun::runtimes::RuntimeDir;

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Fetch the pinned runtime packages, build QuickJS with the clang
    /// module, and precompile every module. A no-op when all is in place.
    FetchRuntimes {
        /// Refetch and rebuild everything.
        #[arg(long)]
        force: bool,
    },
    /// Provision the runtimes, run `cargo test` with the given arguments,
    /// then (without arguments) the browser end-to-end test.
    Test {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        cargo_args: Vec<String>,
    },
    /// The browser terminal end to end in headless Chromium (installed
    /// with apt-get when missing).
    E2e,
    /// schemathesis (installed with pip) against the server and its
    /// `/openapi.json`.
    Conformance,
    /// Lint and render the Helm chart (helm's own code, from PyPI) and
    /// validate the manifests against Kubernetes' schemas.
    Chart,
    /// Benchmark executions against native baselines measured in the same run.
    Bench(bench::BenchArgs),
    /// Fuzz the shell parser, paths, flags, TypeScript, HTTP bodies and
    /// Socket.IO payloads.
    Fuzz(fuzz::FuzzArgs),
    /// Many sessions and HTTP clients on the real server for minutes:
    /// errors, latency and memory over time.
    Soak(soak::SoakArgs),
    /// Two nodes over a real Redis behind a real haproxy (both installed
    /// with apt-get when missing): queue, sessions, node death, draining.
    Cluster(cluster::ClusterArgs),
}

fn main() -> ExitCode {
    let xtask = Xtask::parse();
    let runtime = tokio::runtime::Runtime::new().expect("cannot start tokio");
    let result = runtime.block_on(async {
        match xtask.task {
            Task::FetchRuntimes { force } => fetch_runtimes(force).await,
            Task::Test { cargo_args } => {
                fetch_runtimes(false).await?;
                npm_ci(&workspace_root().join("tests/socketio"), "socket.io-client")?;
                npm_ci(
                    &workspace_root().join("tests/mcp"),
                    "@modelcontextprotocol/sdk",
                )?;
                npm_ci(&workspace_root().join("tests/piston"), "piston-client")?;
                let judge0 = python_tools::install("the Judge0 SDK", JUDGE0_SDK, "python")?;
                package_fixtures::fetch()?;
                cpp_fixtures::fetch()?;
                cargo_test(
                    &cargo_args,
                    &[("POLYRUN_JUDGE0_PYTHON", judge0.as_os_str())],
                )?;
                if cargo_args.is_empty() {
                    fuzz::run(fuzz::FuzzArgs::short()).await?;
                    soak::run(soak::SoakArgs::short()).await?;
                    e2e::run()?;
                    conformance::run().await?;
                    chart::run()?;
                    cluster::run(cluster::ClusterArgs { throughput: false }).await?;
                }
                Ok(())
            }
            Task::E2e => {
                fetch_runtimes(false).await?;
                e2e::run()
            }
            Task::Conformance => {
                fetch_runtimes(false).await?;
                conformance::run().await
            }
            Task::Chart => chart::run(),
            Task::Fuzz(args) => {
                fetch_runtimes(false).await?;
                fuzz::run(args).await
            }
            Task::Soak(args) => {
                fetch_runtimes(false).await?;
                soak::run(args).await
            }
            Task::Cluster(args) => {
                fetch_runtimes(false).await?;
                cluster::run(args).await
            }
            Task::Bench(args) => {
                fetch_runtimes(false).await?;
                bench::run(&runtimes_dir(), args).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The per-user runtimes directory polyrun itself uses, unless
/// `RUNTIMES_DIR` says otherwise.
fn runtimes_dir() -> RuntimeDir {
    let dir = std::env::var_os("RUNTIMES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(polyrun::runtimes::default_root);
    RuntimeDir::new(dir)
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

async fn fetch_runtimes(force: bool) -> anyhow::Result<()> {
    polyrun::provision::fetch_runtimes(&runtimes_dir(), force).await
}

/// Installs a directory's pinned npm packages (its package-lock.json),
/// unless `package` is already there.
fn npm_ci(dir: &std::path::Path, package: &str) -> anyhow::Result<()> {
    if dir
        .join("node_modules")
        .join(package)
        .join("package.json")
        .exists()
    {
        return Ok(());
    }
    eprintln!("xtask: installing {package} in {} (npm ci)", dir.display());
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .current_dir(dir)
        .args(["ci", "--no-audit", "--no-fund"])
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run npm (Node.js is needed for the tests): {e}"))?;
    anyhow::ensure!(
        status.success(),
        "npm ci in {} failed ({status})",
        dir.display()
    );
    Ok(())
}

/// The official Judge0 Python SDK and what it needs, pinned, for
/// tests/judge0.rs.
const JUDGE0_SDK: &[&str] = &[
    "judge0==0.0.8",
    "httpx==0.29.0",
    "httpcore==1.0.9",
    "h11==0.16.0",
    "anyio==4.16.0",
    "idna==3.21",
    "certifi==2026.10.19.post1",
    "pydantic==2.14.4",
    "pydantic_core==2.50.5",
    "annotated-types==0.8.0",
    "typing-inspection==0.4.5",
    "typing_extensions==4.16.0",
];

fn cargo_test(args: &[String], env: &[(&str, &std::ffi::OsStr)]) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .envs(env.iter().copied())
        .env("RUNTIMES_DIR", runtimes_dir().root())
        .arg("test")
        .arg("--workspace")
        .args(args)
        .status()?;
    anyhow::ensure!(status.success(), "cargo test failed ({status})");
    Ok(())
}
