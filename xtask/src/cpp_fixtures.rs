//! The C++ test frameworks the framework tests compile
//! (`tests/cpp_frameworks.rs`): Debian's packages of Catch2 v2 (its single
//! header), doctest and GoogleTest (its sources), fetched by name and
//! version with apt-get, each checked against the SHA-256 pinned in
//! `tests/cpp/frameworks.txt`, and unpacked with dpkg-deb into
//! `tests/cpp/frameworks/<package>` (not committed). Catch2 v3's
//! amalgamated files are only in its source tarball, and only a newer
//! Debian release has v3: such a pin (`source SUITE PACKAGE=VERSION FILE
//! SHA256`) is fetched with `apt-get source` from that suite's source
//! index, at the address this machine's own apt sources give, and the
//! tarball is unpacked into `tests/cpp/frameworks/<package>-source`.

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
        if let Some(source) = line.strip_prefix("source ") {
            let unpacked = fetch_source_pin(&dir, source, line)?;
            std::fs::write(unpacked.join(".pinned"), line)?;
            continue;
        }
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

/// A `source SUITE PACKAGE=VERSION FILE SHA256` pin: unless it is there
/// already, fetches the source package's FILE from SUITE, checks it, and
/// unpacks it (a tarball). Returns where.
fn fetch_source_pin(dir: &Path, pin: &str, line: &str) -> anyhow::Result<std::path::PathBuf> {
    let fields: Vec<&str> = pin.split_whitespace().collect();
    let [suite, spec, file, sha256] = fields[..] else {
        anyhow::bail!("not `source SUITE PACKAGE=VERSION FILE SHA256`: {line}");
    };
    let package = spec.split('=').next().unwrap_or(spec);
    let unpacked = dir.join(format!("{package}-source"));
    if std::fs::read_to_string(unpacked.join(".pinned")).is_ok_and(|pinned| pinned == line) {
        return Ok(unpacked);
    }
    let apt = tempfile::tempdir()?;
    let parts = apt.path().join("sources");
    let lists = apt.path().join("lists");
    std::fs::create_dir_all(&parts)?;
    std::fs::create_dir_all(lists.join("partial"))?;
    std::fs::write(
        parts.join(format!("{suite}-src.sources")),
        source_entry(suite)?,
    )?;
    let options = [
        "-o".to_owned(),
        "Dir::Etc::SourceList=/dev/null".to_owned(),
        "-o".to_owned(),
        format!("Dir::Etc::SourceParts={}", parts.display()),
        "-o".to_owned(),
        format!("Dir::State::Lists={}", lists.display()),
    ];
    let with = |args: &[&str]| -> Vec<String> {
        options
            .iter()
            .cloned()
            .chain(args.iter().map(|a| a.to_string()))
            .collect()
    };
    eprintln!("xtask: fetching Debian's {spec} sources from {suite} (apt-get source)");
    let update = with(&["update", "-qq"]);
    super::e2e::apt_get(&update.iter().map(String::as_str).collect::<Vec<_>>(), None)?;
    let downloads = apt.path().join("downloads");
    std::fs::create_dir_all(&downloads)?;
    let source = with(&["source", "--download-only", "-qq", spec]);
    super::e2e::apt_get(
        &source.iter().map(String::as_str).collect::<Vec<_>>(),
        Some(&downloads),
    )?;
    let tarball = downloads.join(file);
    let got = hex::encode(sha2::Sha256::digest(std::fs::read(&tarball)?));
    anyhow::ensure!(got == sha256, "{file}: SHA-256 {got}, pinned {sha256}");
    let _ = std::fs::remove_dir_all(&unpacked);
    std::fs::create_dir_all(&unpacked)?;
    let status = Command::new("tar")
        .arg("xf")
        .arg(&tarball)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .context("cannot run tar")?;
    anyhow::ensure!(status.success(), "tar could not unpack {file}");
    Ok(unpacked)
}

/// A deb822 source-index entry for `suite`, at the address (and with the
/// key) of this machine's first Debian archive entry.
fn source_entry(suite: &str) -> anyhow::Result<String> {
    let mut uri = None;
    let mut signed_by = None;
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "sources"))
        {
            let text = std::fs::read_to_string(path)?;
            let stanza = text.split("\n\n").next().unwrap_or_default();
            for line in stanza.lines() {
                if let Some(value) = line.strip_prefix("URIs:") {
                    uri = value.split_whitespace().next().map(str::to_owned);
                } else if let Some(value) = line.strip_prefix("Signed-By:") {
                    signed_by = Some(value.trim().to_owned());
                }
            }
            if uri.is_some() {
                break;
            }
        }
    }
    if uri.is_none() {
        let list = std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
        uri = list
            .lines()
            .filter(|l| l.starts_with("deb "))
            .flat_map(|l| l.split_whitespace().skip(1))
            .find(|word| word.contains("://"))
            .map(str::to_owned);
    }
    let uri = uri.context("no Debian archive in this machine's apt sources")?;
    let mut entry = format!("Types: deb-src\nURIs: {uri}\nSuites: {suite}\nComponents: main\n");
    if let Some(key) = signed_by {
        entry.push_str(&format!("Signed-By: {key}\n"));
    }
    Ok(entry)
}
