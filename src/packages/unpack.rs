//! Writing a package's files into a sandbox all or nothing: every write
//! goes through the [`Sandbox`] and its quota, and a [`Written`] dropped
//! before [`Written::keep`] removes what it wrote (files, then the
//! directories it made), so a failed install leaves no half of a package.

use std::path::Path;

use super::InstallError;
use crate::sandbox::{Sandbox, SandboxError};

/// Whether an archive entry's name (`/`-separated) stays inside the
/// directory it unpacks into: no absolute path, no `..`, no backslash, no
/// drive letter.
pub fn is_safe_entry(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains('\0')
        && !name.contains(':')
        && name.split('/').all(|part| part != ".." && part != ".")
}

/// What an unpacking wrote, removed again unless it is kept.
pub struct Written<'s> {
    sandbox: &'s Sandbox,
    files: Vec<String>,
    dirs: Vec<String>,
    kept: bool,
}

impl<'s> Written<'s> {
    pub fn new(sandbox: &'s Sandbox) -> Self {
        Self {
            sandbox,
            files: Vec::new(),
            dirs: Vec::new(),
            kept: false,
        }
    }

    pub fn write(&mut self, path: &str, contents: &[u8]) -> Result<(), InstallError> {
        let mut missing = Vec::new();
        let mut parent = Path::new(path).parent();
        while let Some(dir) = parent.filter(|dir| !dir.as_os_str().is_empty()) {
            let dir = dir.to_string_lossy().into_owned();
            if self.sandbox.exists(&dir) {
                break;
            }
            missing.push(dir);
            parent = Path::new(&missing[missing.len() - 1]).parent();
        }
        let existed = self.sandbox.exists(path);
        let result = self.sandbox.write_file(path, contents);
        self.dirs.extend(missing.into_iter().rev());
        result.map_err(|error| match error {
            SandboxError::Quota { .. } => InstallError::Limit(format!(
                "the sandbox's disk quota is full ({error}); nothing was installed"
            )),
            other => InstallError::Internal(other.to_string()),
        })?;
        if !existed {
            self.files.push(path.to_owned());
        }
        Ok(())
    }

    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Written<'_> {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for file in self.files.iter().rev() {
            let _ = self.sandbox.remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            if let Ok(relative) = crate::sandbox::relative_path(dir)
                && self.sandbox.dir().remove_dir(&relative).is_ok()
            {
                self.sandbox.quota().removed(0, 1);
            }
        }
    }
}
