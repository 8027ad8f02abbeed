//! JavaScript: QuickJS-ng's `qjs`, built to wasm by our own clang module.

use super::LanguageInfo;
use crate::engine::Program;
use crate::runtimes::Runtime;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "javascript",
    aliases: &["js", "node"],
    runtime: "QuickJS-ng (WASI)",
    version: "0.16.2",
    extension: "js",
    notes: "ES2023 with QuickJS's std and os modules (also as globals).",
};

pub fn command(script: &str, args: &[String]) -> (Program, Vec<String>) {
    // `--std` makes the std and os modules available without an import,
    // the closest QuickJS gets to Node's ambient globals.
    let mut argv = vec!["qjs".to_owned(), "--std".to_owned(), script.to_owned()];
    argv.extend(args.iter().cloned());
    (Program::Runtime(Runtime::QuickJs), argv)
}

/// Runs `module` as an ES module whatever its extension.
pub fn module_command(module: &str, args: &[String]) -> (Program, Vec<String>) {
    let mut argv = vec![
        "qjs".to_owned(),
        "--std".to_owned(),
        "--module".to_owned(),
        module.to_owned(),
    ];
    argv.extend(args.iter().cloned());
    (Program::Runtime(Runtime::QuickJs), argv)
}
