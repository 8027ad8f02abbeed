//! The packages the package tests install (`tests/packages.rs`), fetched
//! by name with the registries' own clients: wheels with pip from the
//! pinned list in `tests/packages/requirements.txt`, every file checked
//! against its hash (`--require-hashes`), into `tests/packages/wheels`;
//! npm tarballs with `npm pack` from `tests/packages/npm.txt`, each
//! checked against its pinned integrity, into `tests/packages/npm`. The
//! tests serve them from an index and a registry of their own.

use std::process::Command;

use anyhow::Context as _;

/// The pip the fixtures are fetched with, in an environment of its own.
const PIP: &str = "pip==25.0.1";

pub fn fetch() -> anyhow::Result<()> {
    fetch_wheels()?;
    fetch_tarballs()
}

fn fetch_wheels() -> anyhow::Result<()> {
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

/// `npm pack NAME@VERSION` for each pinned tarball not there yet, its
/// integrity (as npm reports it) checked against the pin.
fn fetch_tarballs() -> anyhow::Result<()> {
    let root = super::workspace_root();
    let pins = std::fs::read_to_string(root.join("tests/packages/npm.txt"))
        .context("cannot read tests/packages/npm.txt")?;
    let dir = root.join("tests/packages/npm");
    std::fs::create_dir_all(&dir)?;
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    for line in pins
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (spec, integrity) = line
            .split_once(' ')
            .with_context(|| format!("not `name@version integrity`: {line}"))?;
        let file = dir.join(format!("{}.tgz", spec.replace('@', "-")));
        if file.exists() {
            continue;
        }
        let output = Command::new(npm)
            .current_dir(&dir)
            .args(["pack", spec, "--json", "--silent"])
            .output()
            .with_context(|| format!("cannot run npm pack {spec}"))?;
        anyhow::ensure!(output.status.success(), "npm pack {spec} failed");
        let packed: serde_json::Value = serde_json::from_slice(&output.stdout)
            .with_context(|| format!("npm pack {spec} printed no JSON"))?;
        let got = packed[0]["integrity"].as_str().unwrap_or_default();
        if got != integrity.trim() {
            let _ = std::fs::remove_file(&file);
            anyhow::bail!("{spec}: npm pack gave integrity {got}, pinned {integrity}");
        }
    }
    Ok(())
}
