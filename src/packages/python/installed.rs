//! What is installed: the runtime's own distributions (in its standard
//! library zip) and those `pip install` put in a sandbox's user site, read
//! from their `.dist-info` directories; and removing one again.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr as _;

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement};

use super::wheel::Metadata;
use crate::packages::InstallError;
use crate::sandbox::Sandbox;

/// The largest RECORD or METADATA read from a sandbox (the user may have
/// written anything there).
const MAX_RECORD_BYTES: u64 = 8 << 20;

/// Distributions a sandbox's site may list before `pip list` stops.
const MAX_LISTED: usize = 10_000;

/// The runtime's own distributions, by name.
#[derive(Debug, Clone, Default)]
pub struct Preinstalled {
    pub versions: BTreeMap<PackageName, Version>,
}

impl Preinstalled {
    /// Reads the `*.dist-info` directories at the top of the standard
    /// library zip (where the wheel keeps its site-packages).
    pub fn from_zip(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let archive = zip::ZipArchive::new(file)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut versions = BTreeMap::new();
        for entry in archive.file_names().filter_map(Result::ok) {
            let Some(top) = entry.split('/').next() else {
                continue;
            };
            if let Some((name, version)) = dist_info_name(top) {
                versions.insert(name, version);
            }
        }
        Ok(Self { versions })
    }
}

/// The name and version a `{name}-{version}.dist-info` directory is for.
pub fn dist_info_name(dir: &str) -> Option<(PackageName, Version)> {
    let stem = dir.strip_suffix(".dist-info")?;
    let (name, version) = stem.rsplit_once('-')?;
    Some((
        PackageName::from_str(name).ok()?,
        Version::from_str(version).ok()?,
    ))
}

/// A distribution in a sandbox's site.
#[derive(Debug, Clone)]
pub struct Installed {
    pub name: PackageName,
    pub version: Version,
    /// The `.dist-info` directory's path in the sandbox.
    pub dist_info: String,
    pub requires: Vec<Requirement>,
}

/// The distributions in `site`, by name. Unreadable ones are skipped, as
/// pip skips a broken `.dist-info`.
pub fn scan(sandbox: &Sandbox, site: &str) -> BTreeMap<PackageName, Installed> {
    let mut found = BTreeMap::new();
    let Ok(relative) = crate::sandbox::relative_path(site) else {
        return found;
    };
    let Ok(entries) = sandbox.dir().read_dir(&relative) else {
        return found;
    };
    for entry in entries.filter_map(Result::ok).take(MAX_LISTED) {
        let Ok(dir) = entry.file_name().into_string() else {
            continue;
        };
        if dist_info_name(&dir).is_none() {
            continue;
        }
        let dist_info = format!("{site}/{dir}");
        let Ok(bytes) = sandbox.read_file(&format!("{dist_info}/METADATA"), MAX_RECORD_BYTES)
        else {
            continue;
        };
        let Ok(metadata) = Metadata::parse(&bytes) else {
            continue;
        };
        let (Ok(name), Ok(version)) = (
            PackageName::from_str(&metadata.name),
            Version::from_str(&metadata.version),
        ) else {
            continue;
        };
        found.insert(
            name.clone(),
            Installed {
                name,
                version,
                dist_info,
                requires: metadata.requires_dist,
            },
        );
    }
    found
}

/// Removes an installed distribution: the files its RECORD lists (only
/// inside `site`), then its `.dist-info` and the directories left empty.
pub fn remove(sandbox: &Sandbox, site: &str, installed: &Installed) -> Result<(), InstallError> {
    let record = sandbox
        .read_file(&format!("{}/RECORD", installed.dist_info), MAX_RECORD_BYTES)
        .unwrap_or_default();
    let mut dirs = std::collections::BTreeSet::new();
    for line in String::from_utf8_lossy(&record).lines() {
        let Some(entry) = record_path(line) else {
            continue;
        };
        let path = format!("{site}/{entry}");
        if crate::sandbox::relative_path(&path).is_err() {
            continue;
        }
        let _ = sandbox.remove_file(&path);
        let mut parent = Path::new(&entry).parent();
        while let Some(dir) = parent.filter(|dir| !dir.as_os_str().is_empty()) {
            dirs.insert(format!("{site}/{}", dir.to_string_lossy()));
            parent = dir.parent();
        }
    }
    dirs.insert(installed.dist_info.clone());
    for file in ["INSTALLER", "REQUESTED", "METADATA", "RECORD", "WHEEL"] {
        let _ = sandbox.remove_file(&format!("{}/{file}", installed.dist_info));
    }
    // Deepest first: a directory goes once it is empty.
    let mut dirs: Vec<String> = dirs.into_iter().collect();
    dirs.sort_by_key(|dir| std::cmp::Reverse(dir.matches('/').count()));
    for dir in dirs {
        remove_pycache(sandbox, &dir);
        if let Ok(relative) = crate::sandbox::relative_path(&dir)
            && sandbox.dir().remove_dir(&relative).is_ok()
        {
            sandbox.quota().removed(0, 1);
        }
    }
    let dist_info = crate::sandbox::relative_path(&installed.dist_info)
        .map_err(|e| InstallError::Internal(e.to_string()))?;
    if sandbox.dir().symlink_metadata(&dist_info).is_ok() {
        crate::sandbox::remove_tree(sandbox.dir(), &dist_info).map_err(|e| {
            InstallError::Internal(format!("cannot remove {}: {e}", installed.dist_info))
        })?;
        sandbox.quota().mark_stale();
    }
    Ok(())
}

/// The bytecode Python wrote beside a package's modules.
fn remove_pycache(sandbox: &Sandbox, dir: &str) {
    let cache = format!("{dir}/__pycache__");
    if let Ok(relative) = crate::sandbox::relative_path(&cache)
        && sandbox
            .dir()
            .symlink_metadata(&relative)
            .is_ok_and(|m| m.is_dir())
        && crate::sandbox::remove_tree(sandbox.dir(), &relative).is_ok()
    {
        sandbox.quota().mark_stale();
    }
}

/// The path of a RECORD line (`path,hash,size`, the path CSV-quoted when
/// it holds a comma).
fn record_path(line: &str) -> Option<String> {
    let line = line.trim_end_matches('\r');
    let path = if let Some(quoted) = line.strip_prefix('"') {
        let end = quoted.find("\",")?;
        quoted[..end].replace("\"\"", "\"")
    } else {
        line.split(',').next()?.to_owned()
    };
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_give_paths() {
        assert_eq!(
            record_path("rich/console.py,sha256=x,10").as_deref(),
            Some("rich/console.py")
        );
        assert_eq!(
            record_path("\"odd,name.py\",sha256=x,1").as_deref(),
            Some("odd,name.py")
        );
        assert_eq!(record_path(""), None);
    }

    #[test]
    fn dist_info_names_give_name_and_version() {
        let (name, version) = dist_info_name("markdown_it_py-3.0.0.dist-info").unwrap();
        assert_eq!(
            (name.to_string(), version.to_string()),
            ("markdown-it-py".into(), "3.0.0".into())
        );
        assert!(dist_info_name("rich").is_none());
    }
}
