//! Wheels: which ones this interpreter can use (pure Python only), their
//! core metadata, and unpacking one into a sandbox's site-packages.
//!
//! A wheel is a zip made by anyone who can upload to the index, so every
//! entry's name is checked before anything is written (no absolute paths,
//! no `..`, no backslashes), the sizes it declares are not trusted, and
//! every write goes through the [`Sandbox`](crate::sandbox::Sandbox) and its quota. A failed
//! install removes what it wrote: no half-installed package is left.

use std::io::Read as _;
use std::str::FromStr as _;

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement};

use crate::budget::installs::InstallBytes;
use crate::packages::InstallError;
use crate::packages::unpack::{Written, is_safe_entry};

/// The largest METADATA file read.
const MAX_METADATA_BYTES: u64 = 4 << 20;

/// Entries one wheel may have.
const MAX_ENTRIES: usize = 50_000;

/// The newest minor version of Python 3 this interpreter is.
const PYTHON_MINOR: u32 = 15;

/// A wheel's file name, taken apart (PEP 427).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelName {
    pub name: PackageName,
    pub version: Version,
    python: String,
    abi: String,
    platform: String,
}

impl WheelName {
    /// `None` for anything but a well-formed `.whl` name.
    pub fn parse(filename: &str) -> Option<Self> {
        let stem = filename.strip_suffix(".whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        if !(5..=6).contains(&parts.len()) {
            return None;
        }
        let [python, abi, platform] = [
            parts[parts.len() - 3],
            parts[parts.len() - 2],
            parts[parts.len() - 1],
        ];
        Some(Self {
            name: PackageName::from_str(parts[0]).ok()?,
            version: Version::from_str(parts[1]).ok()?,
            python: python.to_owned(),
            abi: abi.to_owned(),
            platform: platform.to_owned(),
        })
    }

    /// Whether this interpreter (CPython 3.15 on WASI) can import it:
    /// pure Python, for Python 3.
    pub fn is_pure(&self) -> bool {
        let any = |tags: &str, wanted: &dyn Fn(&str) -> bool| tags.split('.').any(wanted);
        any(&self.abi, &|tag| tag == "none")
            && any(&self.platform, &|tag| tag == "any")
            && any(&self.python, &|tag| {
                tag == "py3"
                    || ["py3", "cp3"].iter().any(|prefix| {
                        tag.strip_prefix(prefix)
                            .and_then(|minor| minor.parse::<u32>().ok())
                            .is_some_and(|minor| minor <= PYTHON_MINOR)
                    })
            })
    }
}

/// The core metadata resolution needs (PEP 566).
#[derive(Debug, Clone)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub requires_dist: Vec<Requirement>,
    pub requires_python: Option<String>,
}

impl Metadata {
    /// Parses a METADATA file. Requirements that do not parse are
    /// skipped, as pip warns and goes on.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let (headers, _) =
            mailparse::parse_headers(bytes).map_err(|e| format!("unreadable METADATA: {e}"))?;
        let mut metadata = Self {
            name: String::new(),
            version: String::new(),
            requires_dist: Vec::new(),
            requires_python: None,
        };
        for header in headers {
            let value = header.get_value();
            match header.get_key_ref().to_ascii_lowercase().as_str() {
                "name" => metadata.name = value.trim().to_owned(),
                "version" => metadata.version = value.trim().to_owned(),
                "requires-python" => metadata.requires_python = Some(value.trim().to_owned()),
                "requires-dist" => {
                    if let Ok(requirement) = Requirement::from_str(value.trim()) {
                        metadata.requires_dist.push(requirement);
                    }
                }
                _ => {}
            }
        }
        if metadata.name.is_empty() || metadata.version.is_empty() {
            return Err("METADATA without Name or Version".into());
        }
        Ok(metadata)
    }
}

/// Reads `{name}-{version}.dist-info/METADATA` from a wheel.
pub fn read_metadata(
    file: std::fs::File,
    wheel: &WheelName,
    filename: &str,
) -> Result<Metadata, InstallError> {
    let refused = |why: String| InstallError::Refused(format!("{filename}: {why}"));
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| refused(format!("not a zip file ({e})")))?;
    let names = entry_names(&archive).map_err(refused)?;
    let dist_info = dist_info_dir(&names, wheel)
        .ok_or_else(|| refused("has no .dist-info directory".into()))?;
    let mut entry = archive
        .by_name(&format!("{dist_info}/METADATA"))
        .map_err(|_| refused(format!("has no {dist_info}/METADATA")))?;
    let mut bytes = Vec::new();
    (&mut entry)
        .take(MAX_METADATA_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| refused(format!("unreadable METADATA ({e})")))?;
    Metadata::parse(&bytes).map_err(refused)
}

/// The wheel's `.dist-info` directory: named for its distribution, in
/// whatever spelling of the name its builder used.
fn dist_info_dir(names: &[String], wheel: &WheelName) -> Option<String> {
    names.iter().find_map(|entry| {
        let top = entry.split('/').next()?;
        let stem = top.strip_suffix(".dist-info")?;
        let (name, _) = stem.rsplit_once('-')?;
        (PackageName::from_str(name).ok()? == wheel.name).then(|| top.to_owned())
    })
}

/// Where an entry of the wheel goes, relative to site-packages; `None`
/// for the parts of `.data` that are not importable code (scripts,
/// headers, data files), which are left out.
fn destination(entry: &str, data_dir: &str) -> Option<String> {
    match entry.strip_prefix(data_dir) {
        None => Some(entry.to_owned()),
        Some(rest) => ["/purelib/", "/platlib/"]
            .iter()
            .find_map(|scheme| rest.strip_prefix(scheme))
            .filter(|inner| !inner.is_empty())
            .map(str::to_owned),
    }
}

/// The names of a wheel's entries; one that is not text refuses the wheel.
fn entry_names<R: std::io::Read + std::io::Seek>(
    archive: &zip::ZipArchive<R>,
) -> Result<Vec<String>, String> {
    archive
        .file_names()
        .map(|name| name.map(|name| name.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("has an entry whose name cannot be read ({e})"))
}

/// Unpacks a wheel into `site` (a sandbox path) through `written`, within
/// the sandbox's quota and the install's bytes; returns its modules (`.py`
/// files, relative to `site`). What it wrote goes again unless the caller
/// keeps `written`.
pub fn unpack(
    file: std::fs::File,
    wheel: &WheelName,
    filename: &str,
    written: &mut Written<'_>,
    site: &str,
    requested: bool,
    bytes: &InstallBytes,
) -> Result<Vec<String>, InstallError> {
    let refused = |why: String| InstallError::Refused(format!("{filename}: {why}"));
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| refused(format!("not a zip file ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(refused(format!("has more than {MAX_ENTRIES} entries")));
    }
    let names = entry_names(&archive).map_err(refused)?;
    let dist_info = dist_info_dir(&names, wheel)
        .ok_or_else(|| refused("has no .dist-info directory".into()))?;
    let data_dir = format!("{}.data", dist_info.trim_end_matches(".dist-info"));
    if let Some(bad) = names.iter().find(|name| !is_safe_entry(name)) {
        return Err(refused(format!(
            "has an entry that would be written outside site-packages ({bad:?}): refused"
        )));
    }
    let mut modules = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| refused(format!("unreadable entry ({e})")))?;
        if entry.is_dir() {
            continue;
        }
        let Some(target) = destination(name, &data_dir) else {
            continue;
        };
        let mut contents = Vec::new();
        let declared = entry.size();
        bytes
            .take(declared)
            .map_err(|refusal| InstallError::Limit(refusal.to_string()))?;
        (&mut entry)
            .take(declared.saturating_add(1))
            .read_to_end(&mut contents)
            .map_err(|e| refused(format!("unreadable entry {name} ({e})")))?;
        if contents.len() as u64 > declared {
            return Err(refused(format!("entry {name} is larger than it says")));
        }
        written.write(&format!("{site}/{target}"), &contents)?;
        if target.ends_with(".py") {
            modules.push(target);
        }
    }
    let dist_info_path = format!("{site}/{dist_info}");
    written.write(&format!("{dist_info_path}/INSTALLER"), b"polyrun\n")?;
    if requested {
        written.write(&format!("{dist_info_path}/REQUESTED"), b"")?;
    }
    Ok(modules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pure_python_3_wheels_are_usable() {
        let pure = [
            "rich-13.9.4-py3-none-any.whl",
            "six-1.16.0-py2.py3-none-any.whl",
            "x-1.0-1build-py38-none-any.whl",
        ];
        for name in pure {
            assert!(WheelName::parse(name).unwrap().is_pure(), "{name}");
        }
        let not = [
            "numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            "old-1.0-py2-none-any.whl",
            "future-1.0-py399-none-any.whl",
            "x-1.0-cp312-abi3-any.whl",
        ];
        for name in not {
            assert!(!WheelName::parse(name).unwrap().is_pure(), "{name}");
        }
        assert!(WheelName::parse("rich-13.9.4.tar.gz").is_none());
        assert!(WheelName::parse("bad.whl").is_none());
    }

    #[test]
    fn entries_that_leave_site_packages_are_unsafe() {
        for bad in [
            "../evil.py",
            "/etc/passwd",
            "a/../../b",
            "a\\..\\b",
            "C:/x",
            "./x",
            "",
        ] {
            assert!(!is_safe_entry(bad), "{bad:?}");
        }
        assert!(is_safe_entry("rich/console.py"));
        assert!(is_safe_entry("rich-13.9.4.dist-info/RECORD"));
    }

    #[test]
    fn data_directories_keep_only_importable_code() {
        let data = "x-1.0.data";
        assert_eq!(
            destination("x/__init__.py", data).as_deref(),
            Some("x/__init__.py")
        );
        assert_eq!(
            destination("x-1.0.data/purelib/y.py", data).as_deref(),
            Some("y.py")
        );
        assert_eq!(destination("x-1.0.data/scripts/tool", data), None);
    }

    #[test]
    fn metadata_gives_requirements() {
        let metadata = Metadata::parse(
            b"Metadata-Version: 2.1\nName: rich\nVersion: 13.9.4\nRequires-Python: >=3.8.0\n\
              Requires-Dist: markdown-it-py (>=2.2.0)\nRequires-Dist: pygments<3.0.0,>=2.13.0\n\
              Requires-Dist: ipywidgets (>=7.5.1,<9) ; extra == \"jupyter\"\n\nA description\n",
        )
        .unwrap();
        assert_eq!(
            (metadata.name.as_str(), metadata.version.as_str()),
            ("rich", "13.9.4")
        );
        assert_eq!(metadata.requires_dist.len(), 3);
        assert_eq!(metadata.requires_python.as_deref(), Some(">=3.8.0"));
    }
}
