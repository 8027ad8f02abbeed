//! Python: CPython 3.12 built for WASI, standard library embedded.

use super::LanguageInfo;
use crate::engine::Program;
use crate::runtimes::Runtime;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "python",
    aliases: &["python3", "py"],
    runtime: "CPython (WASI)",
    version: "3.12.0",
    extension: "py",
    notes: "Standard library only; no ssl, ctypes, threads or subprocesses.",
};

/// Unbuffered output, so that a program's prints reach the user as they
/// happen rather than when it exits; no `__pycache__` litter in sandboxes.
pub const ENV: [(&str, &str); 3] = [
    ("PYTHONUNBUFFERED", "1"),
    ("PYTHONDONTWRITEBYTECODE", "1"),
    ("PYTHONIOENCODING", "utf-8"),
];

pub fn command(script: &str, args: &[String]) -> (Program, Vec<String>) {
    // An absolute guest path, so tracebacks say `/main.py` rather than the
    // `//main.py` CPython makes of a relative one under the root.
    let mut argv = vec![
        "python3".to_owned(),
        format!("/{}", script.trim_start_matches('/')),
    ];
    argv.extend(args.iter().cloned());
    (Program::Runtime(Runtime::Python), argv)
}

/// `python3 -c CODE args`.
pub fn inline_command(code: &str, args: &[String]) -> Vec<String> {
    let mut argv = vec!["python3".to_owned(), "-c".to_owned(), code.to_owned()];
    argv.extend(args.iter().cloned());
    argv
}

/// Where `sitecustomize.py` is mounted for runs outside the sandbox root.
pub const SITE_MOUNT: &str = "/.python";

/// CPython has no way to start in a directory other than the process's, and
/// a WASI process starts at `/`: `site` imports this on start-up instead.
const SITECUSTOMIZE: &str = "\
# polyrun: start in the shell's working directory, as a real shell would.
import os
try:
    os.chdir(os.environ.get('PWD') or '/')
except OSError:
    pass
del os
";

/// Writes `sitecustomize.py` into a directory that lives with the runner.
pub fn site_dir() -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("polyrun-python-")
        .tempdir()?;
    std::fs::write(dir.path().join("sitecustomize.py"), SITECUSTOMIZE)?;
    Ok(dir)
}
