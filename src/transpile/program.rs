//! A TypeScript program: the entry file and every TypeScript file it
//! imports (relative imports, followed recursively), transpiled into a
//! private directory mounted read-only at [`MOUNT`], mirroring their
//! paths, so the user's sandbox gets no generated files. Imports between
//! TypeScript files are rewritten to the transpiled files; imports of
//! other files point back at the sandbox.
//!
//! [`prepare`] transpiles where no program can harm the server (a worker
//! process, see [`super::worker`]), and keeps what a self-contained entry
//! transpiled to ([`super::cache`]): the same program sent again is not
//! transpiled again.

use std::collections::{HashSet, VecDeque};
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use super::{cache, transpile, worker};
use crate::deep_stack;
use crate::sandbox::{Sandbox, relative_path};

/// Where the transpiled files appear to the guest.
pub const MOUNT: &str = "/.ts";

/// More TypeScript files than this in one program is refused.
const MAX_FILES: usize = 256;

/// Largest TypeScript file transpiled: oxc's arena takes several times
/// the source size, and its output is written to the host's disk.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// All the files of one program together, source and output alike.
const MAX_TOTAL_BYTES: u64 = 16 << 20;

/// Transpiled files, ready to mount.
pub struct Prepared {
    pub dir: tempfile::TempDir,
    /// The entry module's guest path.
    pub entry: String,
    /// It came from the cache, not the transpiler.
    pub cached: bool,
}

/// Transpiles `script` and the TypeScript files it imports. On failure,
/// returns diagnostics as `file:line:column: error: …`.
pub async fn prepare(sandbox: &Sandbox, script: &str) -> Result<Prepared, String> {
    let entry = relative_path(script).map_err(|e| format!("{e}\n"))?;
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a directory: {e}\n"))?;
    let target = dir.path().join(&entry);
    let source = sandbox.read_file(&slash_path(&entry), MAX_FILE_BYTES).ok();
    let kept = source
        .as_deref()
        .and_then(|source| cache::get(&cache::key(source)));
    let cached = kept.is_some();
    match kept {
        Some(code) => write_output(&target, &code)?,
        None => {
            let summary = transpile_elsewhere(sandbox, script, dir.path()).await?;
            if let Some(key) = summary.self_contained {
                cache::put(key, &target);
            }
        }
    }
    Ok(Prepared {
        dir,
        entry: format!("{MOUNT}/{}", slash_path(&entry)),
        cached,
    })
}

/// Transpiles in a worker process, or (where the library runs without
/// naming its executable) on a large-stack thread of this one.
async fn transpile_elsewhere(
    sandbox: &Sandbox,
    script: &str,
    out: &Path,
) -> Result<Summary, String> {
    match worker::executable() {
        Some(executable) => {
            let args = [
                OsStr::new("--sandbox"),
                sandbox.host_path().as_os_str(),
                OsStr::new("--script"),
                OsStr::new(script),
                OsStr::new("--out"),
                out.as_os_str(),
            ];
            let answer = worker::run(executable, &args, b"").await?;
            Ok(Summary::from_answer(&answer))
        }
        None => {
            let sandbox = sandbox.try_clone().map_err(|e| format!("{e}\n"))?;
            let (script, out) = (script.to_owned(), out.to_path_buf());
            deep_stack::run(move || transpile_into(&sandbox, &script, &out))
                .await
                .unwrap_or_else(|e| Err(format!("error: the TypeScript transpiler failed: {e}\n")))
        }
    }
}

/// Writes one transpiled file (into our own private directory).
fn write_output(target: &Path, code: &str) -> Result<(), String> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot write the program: {e}\n"))?;
    }
    std::fs::write(target, code).map_err(|e| format!("cannot write the program: {e}\n"))
}

/// `polyrun transpile-worker --sandbox … --script … --out …`: the program
/// in the sandbox directory at `sandbox`, transpiled into `out`.
pub fn transpile_program(sandbox: &Path, script: &str, out: &Path) -> Result<Summary, String> {
    let sandbox = Sandbox::open_for_reading(sandbox).map_err(|e| format!("{e}\n"))?;
    transpile_into(&sandbox, script, out)
}

/// What a program's transpile found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The entry imports nothing relative: its output depends on its
    /// source alone (not on which files the sandbox holds), so it may be
    /// cached by the digest of that source, as the transpiler read it
    /// (the file may have changed since the server read it: a digest of
    /// anything else could pair one source with another's output).
    pub self_contained: Option<cache::Key>,
}

impl Summary {
    /// How a worker says it: `self-contained <hex digest>`, or nothing.
    const SELF_CONTAINED: &'static str = "self-contained ";

    pub fn to_answer(self) -> Vec<u8> {
        match self.self_contained {
            Some(key) => format!("{}{}", Self::SELF_CONTAINED, hex::encode(key)).into_bytes(),
            None => Vec::new(),
        }
    }

    fn from_answer(answer: &[u8]) -> Self {
        let key = std::str::from_utf8(answer)
            .ok()
            .and_then(|answer| answer.strip_prefix(Self::SELF_CONTAINED))
            .and_then(|digest| hex::decode(digest).ok())
            .and_then(|digest| cache::Key::try_from(digest.as_slice()).ok());
        Self {
            self_contained: key,
        }
    }
}

/// Transpiles `script` and what it imports into `out`, mirroring paths.
fn transpile_into(sandbox: &Sandbox, script: &str, out: &Path) -> Result<Summary, String> {
    let entry = relative_path(script).map_err(|e| e.to_string())?;
    let mut queue = VecDeque::from([entry]);
    let mut seen = HashSet::new();
    let mut total: u64 = 0;
    let mut relative_imports = 0usize;
    let mut entry_key = None;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        if seen.len() > MAX_FILES {
            return Err(format!("more than {MAX_FILES} TypeScript files imported\n"));
        }
        let name = slash_path(&path);
        let bytes = sandbox
            .read_file(&name, MAX_FILE_BYTES)
            .map_err(|e| format!("{e}\n"))?;
        total += bytes.len() as u64;
        entry_key.get_or_insert_with(|| cache::key(&bytes));
        let source = String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text\n"))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut found = Vec::new();
        let transpiled = transpile(&source, &name, |specifier| {
            let (rewritten, typescript) = resolve(sandbox, &base, specifier)?;
            relative_imports += 1;
            found.extend(typescript);
            Some(rewritten)
        })?;
        queue.extend(found);
        total += transpiled.code.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(format!(
                "{name}: error: the program's TypeScript files come to more than {} MiB\n",
                MAX_TOTAL_BYTES >> 20
            ));
        }
        let target = out.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot write {name}: {e}\n"))?;
        }
        std::fs::write(&target, transpiled.code)
            .map_err(|e| format!("cannot write {name}: {e}\n"))?;
    }
    Ok(Summary {
        self_contained: entry_key.filter(|_| relative_imports == 0),
    })
}

/// Rewrites a relative import: to the transpiled file when it names a
/// TypeScript file in the sandbox (returned too, to be transpiled), else to
/// the file's absolute path in the sandbox. Other specifiers stay as written.
fn resolve(sandbox: &Sandbox, base: &Path, specifier: &str) -> Option<(String, Option<PathBuf>)> {
    if !(specifier.starts_with("./") || specifier.starts_with("../")) {
        return None;
    }
    let joined = normalize(&base.join(specifier))?;
    let joined_name = slash_path(&joined);
    let stem = joined_name
        .strip_suffix(".js")
        .or_else(|| joined_name.strip_suffix(".ts"))
        .unwrap_or(&joined_name);
    let candidates = [
        format!("{stem}.ts"),
        format!("{joined_name}.ts"),
        format!("{joined_name}/index.ts"),
    ];
    if let Some(typescript) = candidates.iter().find(|c| sandbox.exists(c)) {
        return Some((
            format!("{MOUNT}/{typescript}"),
            Some(PathBuf::from(typescript)),
        ));
    }
    let plain = [joined_name.clone(), format!("{joined_name}.js")]
        .into_iter()
        .find(|c| sandbox.exists(c))
        .unwrap_or(joined_name);
    Some((format!("/{plain}"), None))
}

/// Resolves `.` and `..` lexically, refusing to climb above the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect::<Vec<_>>()
        .join("/")
}
