//! `cargo xtask chart`: the Helm chart in deploy/helm/polyrun, checked
//! without a cluster and without a `helm` binary. `deploy/check_chart.py`
//! lints and renders it with several sets of values through Helm's own Go
//! code (helm-python-sdk), parses the manifests (no duplicate keys),
//! validates them with `kubernetes-validate --strict` against Kubernetes
//! 1.30's schemas, asserts what users rely on (probes, shutdown, Redis,
//! security context, autoscaling, ingress affinity) and makes sure a
//! termination grace period too short for the shutdown refuses to render.
//!
//! The three packages are pinned and installed with pip into a virtual
//! environment of their own (see `python_tools`).

use std::process::Command;

use anyhow::Context as _;

use super::{python_tools, workspace_root};

/// What `deploy/check_chart.py` imports and runs, pinned.
const REQUIREMENTS: &[&str] = &[
    "helm-python-sdk==0.2.2",
    "kubernetes-validate==1.37.0",
    "PyYAML==6.0.4",
];
const SCRIPT: &str = "deploy/check_chart.py";
const CHART: &str = "deploy/helm/polyrun";

pub fn run() -> anyhow::Result<()> {
    let python = python_tools::install("the Helm chart checks", REQUIREMENTS, "python")?;
    eprintln!("xtask: checking the Helm chart in {CHART}");
    // The script finds kubernetes-validate beside this Python.
    let status = Command::new(&python)
        .current_dir(workspace_root())
        .args([SCRIPT, CHART])
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    anyhow::ensure!(status.success(), "the Helm chart check failed ({status})");
    Ok(())
}
