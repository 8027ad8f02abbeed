//! JavaScript: QuickJS-ng's `qjs`, built to wasm by our own clang module.

use super::{LanguageInfo, node};
use crate::engine::Program;
use crate::runtimes::Runtime;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "javascript",
    aliases: &["js", "node"],
    runtime: "QuickJS-ng (WASI)",
    version: "0.16.2",
    extension: "js",
    notes: "ES2023 on QuickJS with Node's common APIs: console, process, require/import of fs, path, util, os, events, readline, assert; timers.",
};

/// `--std` makes QuickJS's std and os modules globals; the prelude builds
/// Node's globals and modules on top of them.
fn qjs_argv(mode: Option<&str>, script: &str, args: &[String]) -> Vec<String> {
    let mut argv = vec![
        "qjs".to_owned(),
        "--std".to_owned(),
        "-I".to_owned(),
        node::PRELUDE.to_owned(),
    ];
    argv.extend(mode.map(str::to_owned));
    argv.push(script.to_owned());
    argv.extend(args.iter().cloned());
    argv
}

pub fn command(script: &str, args: &[String]) -> (Program, Vec<String>) {
    (
        Program::Runtime(Runtime::QuickJs),
        qjs_argv(None, script, args),
    )
}

/// Runs `module` as an ES module whatever its extension.
pub fn module_command(module: &str, args: &[String]) -> (Program, Vec<String>) {
    (
        Program::Runtime(Runtime::QuickJs),
        qjs_argv(Some("--module"), module, args),
    )
}
