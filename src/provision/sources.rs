//! Third-party sources polyrun builds with the clang module (QuickJS, the
//! C++ exception runtime): exact-text patches that fail loudly when
//! upstream changes, and the hash of what a build reads.

use std::path::Path;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

/// `(from, to)`: `from` must occur exactly once.
pub type Replacement = (&'static str, &'static str);

/// `text` of `file` with every replacement made. Each `from` must match
/// exactly once, so that a changed upstream file fails loudly instead of
/// building something else.
pub fn patched(file: &str, mut text: String, patches: &[Replacement]) -> anyhow::Result<String> {
    for (from, to) in patches {
        anyhow::ensure!(
            text.matches(from).count() == 1,
            "{file} no longer matches polyrun's patch (looking for {from:?})"
        );
        text = text.replacen(from, to, 1);
    }
    Ok(text)
}

/// Reads `path` and returns it patched (see [`patched`]).
pub fn read_patched(path: &Path, patches: &[Replacement]) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    patched(&path.display().to_string(), text, patches)
}

/// Patches `path` where it is, for files that are used in place: a
/// replacement already made is left as it is, so running again changes
/// nothing; a file that matches neither form fails loudly.
pub fn patch_in_place(path: &Path, patches: &[Replacement]) -> anyhow::Result<()> {
    let mut text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut changed = false;
    for (from, to) in patches {
        match (text.matches(from).count(), text.matches(to).count()) {
            (1, _) => {
                text = text.replacen(from, to, 1);
                changed = true;
            }
            (0, 1) => {}
            _ => bail!(
                "{} no longer matches polyrun's patch (looking for {from:?})",
                path.display()
            ),
        }
    }
    if changed {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Whether every replacement has been made in `path`.
pub fn is_patched(path: &Path, patches: &[Replacement]) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| patches.iter().all(|(_, to)| text.contains(to)))
}

/// Feeds each source's name and content hash into `hasher`.
pub fn hash_files<'a>(
    hasher: &mut Sha256,
    root: &Path,
    files: impl IntoIterator<Item = &'a str>,
) -> anyhow::Result<()> {
    for file in files {
        let path = root.join(Path::new(file));
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        hasher.update(file.as_bytes());
        hasher.update(Sha256::digest(&bytes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: [Replacement; 1] = [("a = 1;\n", "a = 2;\n")];

    #[test]
    fn a_patch_must_match_exactly_once() {
        assert_eq!(
            patched("f.c", "x;\na = 1;\n".into(), &PATCH).unwrap(),
            "x;\na = 2;\n"
        );
        assert!(patched("f.c", "nothing here\n".into(), &PATCH).is_err());
        assert!(patched("f.c", "a = 1;\na = 1;\n".into(), &PATCH).is_err());
    }

    #[test]
    fn patching_in_place_twice_changes_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.h");
        std::fs::write(&file, "a = 1;\n").unwrap();
        assert!(!is_patched(&file, &PATCH));
        patch_in_place(&file, &PATCH).unwrap();
        patch_in_place(&file, &PATCH).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "a = 2;\n");
        assert!(is_patched(&file, &PATCH));
        std::fs::write(&file, "upstream changed\n").unwrap();
        assert!(patch_in_place(&file, &PATCH).is_err());
    }
}
