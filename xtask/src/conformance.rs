//! `cargo xtask conformance`: schemathesis (PyPI) against the live server
//! and its own `/openapi.json`: generated requests to every operation, and
//! no response may be a 5xx, break its schema, or use an undocumented
//! status, content type or header.
//!
//! schemathesis is installed with pip into a virtual environment in the
//! user's data directory (once per pinned version, see `python_tools`); the
//! seed is fixed, so a failure reproduces.

use std::process::Command;

use anyhow::Context as _;

use super::{python_tools, soak, workspace_root};
use crate::server_process::{Profile, ServerProcess, build_server};

/// The schemathesis release CI uses.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// What every response must satisfy.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,\
                      content_type_conformance,response_headers_conformance";
/// Generated cases per operation, and the seed they come from.
const EXAMPLES: &str = "60";
const SEED: &str = "20261127";

pub async fn run() -> anyhow::Result<()> {
    let schemathesis = python_tools::install("schemathesis", &[SCHEMATHESIS], "schemathesis")?;
    let binary = build_server(&workspace_root(), Profile::Dev)?;
    let users = tempfile::tempdir().context("no temporary directory")?;
    let server = ServerProcess::start(&binary, users.path(), &soak::settings(8)).await?;
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
