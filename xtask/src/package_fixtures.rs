//! The wheels the package tests install (`tests/packages.rs`), fetched by
//! name with pip from the pinned list in `tests/packages/requirements.txt`,
//! every file checked against its hash (`--require-hashes`), into
//! `tests/packages/wheels`. The tests serve them from an index of their own.

use std::process::Command;

use anyhow::Context as _;

/// The pip the fixtures are fetched with, in an environment of its own.
const PIP: &str = "pip==25.0.1";

pub fn fetch() -> anyhow::Result<()> {
    let root = super::workspace_root();
    let requirements = root.join("tests/packages/requirements.txt");
    let wheels = root.join("tests/packages/wheels");
    let pip = super::python_tools::install("pip for the package fixtures", &[PIP], "pip")?;
    let status = Command::new(&pip)
        .args([
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--no-deps",
            "--require-hashes",
            "-r",
        ])
        .arg(&requirements)
        .arg("-d")
        .arg(&wheels)
        .status()
        .with_context(|| format!("cannot run {}", pip.display()))?;
    anyhow::ensure!(
        status.success(),
        "pip could not fetch the package fixtures ({status})"
    );
    Ok(())
}
