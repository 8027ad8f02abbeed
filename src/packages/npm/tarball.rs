//! npm tarballs (`.tgz`, every entry under one top directory, usually
//! `package/`) unpacked into a sandbox: regular files only (links are
//! left out, as they could point anywhere), every path checked before
//! anything is written, sizes counted as read, all or nothing.

use std::io::Read as _;

use crate::budget::installs::InstallBytes;
use crate::packages::InstallError;
use crate::packages::unpack::{Written, is_safe_entry};
use crate::sandbox::Sandbox;

/// Entries one tarball may have.
const MAX_ENTRIES: usize = 100_000;

/// Unpacks `file` into `dir` (a sandbox path).
pub fn unpack(
    file: std::fs::File,
    what: &str,
    sandbox: &Sandbox,
    dir: &str,
    bytes: &InstallBytes,
) -> Result<(), InstallError> {
    let refused = |why: String| InstallError::Refused(format!("npm error {what}: {why}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut written = Written::new(sandbox);
    let entries = archive
        .entries()
        .map_err(|e| refused(format!("not a gzipped tarball ({e})")))?;
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(refused(format!("has more than {MAX_ENTRIES} entries")));
        }
        let mut entry = entry.map_err(|e| refused(format!("unreadable tarball ({e})")))?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            continue;
        }
        let raw = entry.path_bytes();
        let name = std::str::from_utf8(&raw)
            .map_err(|_| refused("has an entry whose name is not UTF-8".into()))?
            .to_owned();
        let Some((_, inner)) = name.split_once('/') else {
            continue;
        };
        if !is_safe_entry(inner) {
            return Err(refused(format!(
                "has an entry that would be written outside its package ({name:?}): refused"
            )));
        }
        let declared = entry.size();
        bytes
            .take(declared)
            .map_err(|refusal| InstallError::Limit(refusal.to_string()))?;
        let mut contents = Vec::new();
        (&mut entry)
            .take(declared.saturating_add(1))
            .read_to_end(&mut contents)
            .map_err(|e| refused(format!("unreadable entry {name} ({e})")))?;
        written.write(&format!("{dir}/{inner}"), &contents)?;
    }
    written.keep();
    Ok(())
}
