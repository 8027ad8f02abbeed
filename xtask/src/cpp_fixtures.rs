//! The C++ test frameworks the framework tests compile
//! (`tests/cpp_frameworks.rs`): Debian's packages of Catch2 v2 (its single
//! header), doctest and GoogleTest (its sources), fetched by name and
//! version with apt-get, each checked against the SHA-256 pinned in
//! `tests/cpp/frameworks.txt`, and unpacked with dpkg-deb into
//! `tests/cpp/frameworks/<package>` (not committed).

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;
use sha2::Digest as _;

pub fn fetch() -> anyhow::Result<()> {
    let root = super::workspace_root();
    let pins = std::fs::read_to_string(root.join("tests/cpp/frameworks.txt"))
        .context("cannot read tests/cpp/frameworks.txt")?;
    let dir = root.join("tests/cpp/frameworks");
    let mut updated = false;
    for line in pins
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (spec, sha256) = line
            .split_once(' ')
            .with_context(|| format!("not `package=version sha256`: {line}"))?;
        let (package, _) = spec
            .split_once('=')
            .with_context(|| format!("not `package=version`: {spec}"))?;
        let unpacked = dir.join(package);
        if unpacked.join(".pinned").exists()
            && std::fs::read_to_string(unpacked.join(".pinned"))? == line
        {
            continue;
        }
        if !updated {
            super::e2e::apt_get(&["update", "-qq"], None)?;
            updated = true;
        }
        fetch_one(&dir, spec, sha256.trim(), &unpacked)?;
        std::fs::write(unpacked.join(".pinned"), line)?;
    }
    Ok(())
}

/// Downloads `package=version`, checks it and unpacks it into `unpacked`.
fn fetch_one(dir: &Path, spec: &str, sha256: &str, unpacked: &Path) -> anyhow::Result<()> {
    let downloads = dir.join("debs");
    let _ = std::fs::remove_dir_all(&downloads);
    std::fs::create_dir_all(&downloads)?;
    eprintln!("xtask: fetching Debian's {spec} (apt-get download)");
    super::e2e::apt_get(&["download", "-qq", spec], Some(&downloads))?;
    let deb = std::fs::read_dir(&downloads)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "deb"))
        .with_context(|| format!("apt-get download {spec} left no .deb"))?;
    let got = hex::encode(sha2::Sha256::digest(std::fs::read(&deb)?));
    anyhow::ensure!(got == sha256, "{spec}: SHA-256 {got}, pinned {sha256}");
    let _ = std::fs::remove_dir_all(unpacked);
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(unpacked)
        .status()
        .context("cannot run dpkg-deb")?;
    anyhow::ensure!(status.success(), "dpkg-deb -x {} failed", deb.display());
    std::fs::remove_dir_all(&downloads)?;
    Ok(())
}
