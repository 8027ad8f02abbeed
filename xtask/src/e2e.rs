//! `cargo xtask e2e`: the browser terminal end to end, in a real headless
//! Chromium driven by playwright-core (`tests/e2e/terminal.test.js`).
//!
//! Installs what it needs on a fresh machine: Debian's `chromium` package
//! (with apt-get, when no Chromium is found) and playwright-core (npm ci,
//! pinned by `tests/e2e/package-lock.json`). The screenshot goes to
//! `target/e2e/terminal.png`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use super::{npm_ci, runtimes_dir, workspace_root};
use crate::package_index::StaticIndex;
use crate::server_process::{Profile, build_server};

/// Where Chromium usually is; `CHROMIUM` overrides.
const CHROMIUM_PATHS: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

pub fn run() -> anyhow::Result<()> {
    let root = workspace_root();
    let server = build_server(&root, Profile::Dev)?;
    let chromium = find_or_install_chromium()?;
    super::package_fixtures::fetch()?;
    let index = StaticIndex::start(&root.join("tests/packages/wheels"))?;
    let tests = root.join("tests/e2e");
    npm_ci(&tests, "playwright-core")?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    eprintln!("xtask: e2e with {}", chromium.display());
    let status = Command::new("node")
        .current_dir(&tests)
        .arg("terminal.test.js")
        .env("POLYRUN_BIN", &server)
        .env("RUNTIMES_DIR", runtimes_dir().root())
        .env("CHROMIUM", &chromium)
        .env("PACKAGE_INDEX_URL", &index.url)
        .env("E2E_ARTIFACTS", target.join("e2e"))
        .status()
        .context("cannot run node")?;
    anyhow::ensure!(
        status.success(),
        "the browser end-to-end test failed ({status})"
    );
    Ok(())
}

fn find_or_install_chromium() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    let [chromium] = find_or_install([("chromium", &CHROMIUM_PATHS[..])])
        .context("install Chromium yourself and set CHROMIUM")?;
    Ok(chromium)
}

/// Debian packages' programs, installed with apt-get (in one go) when
/// missing: (package, where its program may be).
pub(crate) fn find_or_install<const N: usize>(
    programs: [(&str, &[&str]); N],
) -> anyhow::Result<[PathBuf; N]> {
    let found = |paths: &[&str]| {
        paths
            .iter()
            .map(Path::new)
            .find(|p| p.exists())
            .map(Path::to_path_buf)
    };
    let missing: Vec<&str> = programs
        .iter()
        .filter(|(_, paths)| found(paths).is_none())
        .map(|(package, _)| *package)
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "xtask: installing Debian's {} (apt-get)",
            missing.join(", ")
        );
        apt_install(&missing).with_context(|| format!("cannot install {}", missing.join(", ")))?;
    }
    let mut paths = Vec::new();
    for (package, candidates) in programs {
        paths.push(
            found(candidates).with_context(|| {
                format!("{package} was installed but is not at {}", candidates[0])
            })?,
        );
    }
    paths
        .try_into()
        .map_err(|_| anyhow::anyhow!("expected {N} programs"))
}

/// Installs Debian packages with apt-get (through `sudo -n` unless root).
pub(crate) fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    apt_get(&["update", "-qq"], None)?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend_from_slice(packages);
    apt_get(&install, None)
}

/// Runs apt-get with `args` (through `sudo -n` unless root), in `dir`.
pub(crate) fn apt_get(args: &[&str], dir: Option<&Path>) -> anyhow::Result<()> {
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if as_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "apt-get"]);
        sudo
    };
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let status = command
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("cannot run apt-get")?;
    anyhow::ensure!(
        status.success(),
        "apt-get {} failed ({status})",
        args.join(" ")
    );
    Ok(())
}
