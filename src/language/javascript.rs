//! JavaScript: QuickJS-ng's `qjs`, built to wasm by our own clang module.

use super::{LanguageInfo, Prepared};
use crate::engine::{Entry, Program};
use crate::runtimes::Runtime;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "javascript",
    aliases: &["js", "node"],
    runtime: "QuickJS-ng (WASI)",
    version: "0.16.2",
    extension: "js",
    notes: "ES2023 on QuickJS with Node's common APIs: console, process, require/import of fs, path, util, os, events, readline, assert; timers.",
};

/// What the snapshot's `polyrun_run` reads: `qjs [--module] script
/// args...` (the prelude, with Node's globals and modules, is already
/// evaluated in the snapshot).
fn qjs_argv(mode: Option<&str>, script: &str, args: &[String]) -> Vec<String> {
    let mut argv = vec!["qjs".to_owned()];
    argv.extend(mode.map(str::to_owned));
    argv.push(script.to_owned());
    argv.extend(args.iter().cloned());
    argv
}

/// The snapshot's export that runs the program named in argv.
const RUN_EXPORT: &str = "polyrun_run";

pub(super) fn command(script: &str, args: &[String]) -> Prepared {
    snapshot_run(qjs_argv(None, script, args))
}

/// Runs `module` as an ES module whatever its extension.
pub(super) fn module_command(module: &str, args: &[String]) -> Prepared {
    snapshot_run(qjs_argv(Some("--module"), module, args))
}

fn snapshot_run(argv: Vec<String>) -> Prepared {
    let mut prepared = Prepared::new(Program::Runtime(Runtime::QuickJs), argv);
    prepared.entry = Entry::Call(RUN_EXPORT);
    prepared
}

/// The snapshot's exports for contexts (see `polyrun_snapshot.c`).
pub(super) const CONTEXT_START_EXPORT: &str = "polyrun_context_start";
pub(super) const CONTEXT_TURN_EXPORT: &str = "polyrun_turn";

/// A context's glue, evaluated by its first turn (see `context.js`).
pub(super) const CONTEXT_GLUE: &str = include_str!("node/context.js");

/// A context's turn that runs one cell of code.
pub(super) fn context_run(code: &str) -> Vec<u8> {
    let code = serde_json::to_string(code).unwrap_or_default();
    format!("__polyrun_context.run({code})").into_bytes()
}

/// A context's turn that writes the last cell's status and value text to
/// stdout, as JSON.
pub(super) const CONTEXT_VALUE: &str = "__polyrun_context.value()";
