//! `cargo xtask conformance`: schemathesis (PyPI) against the live server
//! and its own `/openapi.json`: generated requests to every operation, and
//! no response may be a 5xx, break its schema, or use an undocumented
//! status, content type or header.
//!
//! schemathesis is installed with pip into a virtual environment in the
//! user's cache (once per pinned version); the seed is fixed, so a failure
//! reproduces.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context as _;

use super::{soak, workspace_root};

/// The schemathesis release CI uses.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// What every response must satisfy.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,\
                      content_type_conformance,response_headers_conformance";
/// Generated cases per operation, and the seed they come from.
const EXAMPLES: &str = "60";
const SEED: &str = "20261127";

pub async fn run() -> anyhow::Result<()> {
    let schemathesis = install()?;
    let binary = super::e2e::build_server(&workspace_root())?;
    let users = tempfile::tempdir().context("no temporary directory")?;
    let server = soak::Server::start(&binary, users.path(), 8).await?;
    eprintln!("xtask: schemathesis against {}/openapi.json", server.base);
    let status = Command::new(&schemathesis)
        .args(["run", &format!("{}/openapi.json", server.base)])
        .args([
            "--checks",
            CHECKS,
            "--max-examples",
            EXAMPLES,
            "--seed",
            SEED,
        ])
        .args(["--request-timeout", "60"])
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .status()
        .context("cannot run schemathesis")?;
    server.stop();
    anyhow::ensure!(status.success(), "schemathesis found problems ({status})");
    Ok(())
}

/// The schemathesis command, installed first if need be.
fn install() -> anyhow::Result<PathBuf> {
    let version = SCHEMATHESIS.replace("==", "-");
    let venv = polyrun::runtimes::default_root()
        .parent()
        .map_or_else(|| PathBuf::from(".venvs"), |p| p.join("polyrun-tools"))
        .join(version);
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let command = bin.join(if cfg!(windows) {
        "schemathesis.exe"
    } else {
        "schemathesis"
    });
    if command.exists() {
        return Ok(command);
    }
    eprintln!(
        "xtask: installing {SCHEMATHESIS} (pip, in {})",
        venv.display()
    );
    let python = if cfg!(windows) { "python" } else { "python3" };
    let make_venv = || succeed(Command::new(python).args(["-m", "venv"]).arg(&venv));
    if make_venv().is_err() {
        // Debian's python3 comes without venv unless python3-venv is there.
        eprintln!("xtask: python3 -m venv failed; installing python3-venv (apt-get)");
        let _ = std::fs::remove_dir_all(&venv);
        super::e2e::apt_install(&["python3-venv"])?;
        make_venv().context("cannot make a Python virtual environment (python3 -m venv)")?;
    }
    let pip = bin.join(if cfg!(windows) { "pip.exe" } else { "pip" });
    succeed(Command::new(pip).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        SCHEMATHESIS,
    ]))
    .context("pip cannot install schemathesis")?;
    Ok(command)
}

fn succeed(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status()?;
    anyhow::ensure!(status.success(), "{command:?} failed ({status})");
    Ok(())
}
