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
