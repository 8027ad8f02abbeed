//! The `polyrun` binary, driven as a user drives it from a shell.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn polyrun() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_polyrun"));
    command
        .arg("--runtimes-dir")
        .arg(common::runtime_dir().root());
    command
}

fn run_with_stdin(command: &mut Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn write(dir: &Path, name: &str, code: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, code).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn languages_lists_names_versions_and_aliases() {
    let output = polyrun().arg("languages").output().unwrap();
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    let python = stdout.lines().find(|l| l.starts_with("python")).unwrap();
    assert!(python.contains("3.15") && python.contains("python3") && python.contains("py"));
    let js = stdout
        .lines()
        .find(|l| l.starts_with("javascript"))
        .unwrap();
    assert!(js.contains("js") && js.contains("node"), "{js}");
}

/// With no `--runtimes-dir` and no `RUNTIMES_DIR`, `polyrun run` finds the
/// runtimes in the per-user directory from any working directory, and runs
/// without provisioning again.
#[test]
fn run_works_from_an_unrelated_directory_without_provisioning() {
    let runtimes = common::runtime_dir();
    if runtimes.root() != polyrun::runtimes::default_root() {
        eprintln!("skipped: RUNTIMES_DIR points away from the per-user directory");
        return;
    }
    let elsewhere = tempfile::tempdir().unwrap();
    write(
        elsewhere.path(),
        "hello.py",
        "print('hello from', __file__)\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_polyrun"))
        .current_dir(elsewhere.path())
        .env_remove("RUNTIMES_DIR")
        .args(["--offline", "run", "python", "hello.py"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "hello from /hello.py\n");
    let left: Vec<_> = std::fs::read_dir(elsewhere.path())
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(
        left,
        ["hello.py"],
        "nothing is provisioned or left beside the program"
    );
}

#[test]
fn provision_status_says_where_the_runtimes_are_and_their_sizes() {
    let output = polyrun().args(["provision", "--status"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let root = common::runtime_dir().root().display().to_string();
    assert!(
        stdout.contains(&format!("runtimes directory: {root}")),
        "{stdout}"
    );
    assert!(stdout.contains("state: ready"), "{stdout}");
    for entry in ["python", "clang", "quickjs", "total"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(entry)),
            "{entry}: {stdout}"
        );
    }
    let missing = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_polyrun"))
        .args(["--runtimes-dir"])
        .arg(missing.path())
        .args(["provision", "--status"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("state: not ready"));
}

#[test]
fn run_passes_stdin_and_arguments_and_streams_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "greet.py",
        "import sys\nprint('args', sys.argv[1:])\nfor line in sys.stdin:\n    print('got', line.strip())\nprint('to stderr', file=sys.stderr)\n",
    );
    let output = run_with_stdin(
        polyrun()
            .args(["run", "python"])
            .arg(&file)
            .args(["--", "-x", "y z"]),
        "one\ntwo\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "args ['-x', 'y z']\ngot one\ngot two\n"
    );
    assert_eq!(text(&output.stderr), "to stderr\n");
}

#[test]
fn exit_codes_follow_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let exits = write(dir.path(), "exit.py", "import sys\nsys.exit(3)");
    let output = polyrun().args(["run", "py"]).arg(&exits).output().unwrap();
    assert_eq!(output.status.code(), Some(3));

    let throws = write(dir.path(), "throw.js", "throw new Error('bad')");
    let output = polyrun()
        .args(["run", "node"])
        .arg(&throws)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("Error: bad"));
}

#[test]
fn timeout_exits_124_like_timeout_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "spin.js", "for (;;) {}");
    let output = polyrun()
        .args(["run", "javascript", "--timeout", "300ms"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(124));
    assert!(text(&output.stderr).contains("timeout: time limit of 300 ms exceeded"));
}

#[test]
fn memory_and_fuel_flags_apply() {
    let dir = tempfile::tempdir().unwrap();
    let hog = write(dir.path(), "hog.py", "x = bytearray(200 * 1024 * 1024)");
    let output = polyrun()
        .args(["run", "python", "--memory", "128MiB"])
        .arg(&hog)
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(
        text(&output.stderr).contains("memory_limit"),
        "{}",
        text(&output.stderr)
    );

    let spin = write(
        dir.path(),
        "spin.c",
        "int main(void) { for (volatile unsigned i = 0;; i++) {} }\n",
    );
    let output = polyrun()
        .args(["run", "c", "--fuel", "1000000"])
        .arg(&spin)
        .output()
        .unwrap();
    assert!(
        text(&output.stderr).contains("fuel_exhausted"),
        "{}",
        text(&output.stderr)
    );

    // The interpreters count no fuel: the flag says so, the timeout bounds them.
    let loop_py = write(dir.path(), "spin.py", "while True: pass");
    let output = polyrun()
        .args(["run", "python", "--fuel", "1000000", "--timeout", "500ms"])
        .arg(&loop_py)
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--fuel counts only compiled C and C++"),
        "{stderr}"
    );
    assert!(stderr.contains("timeout"), "{stderr}");
}

#[test]
fn output_is_streamed_before_the_program_ends() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "slow.py",
        "import time\nprint('first')\ntime.sleep(2)\nprint('second')\n",
    );
    let mut child = polyrun()
        .args(["run", "python"])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "first\n");
    assert!(child.try_wait().unwrap().is_none(), "printed only at exit");
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "second\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn sandbox_flag_keeps_files_between_runs() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = dir.path().join("box");
    let writer = write(dir.path(), "w.py", "open('state.txt', 'w').write('42')");
    let reader = write(dir.path(), "r.js", "console.log(std.loadFile('state.txt'))");
    let output = polyrun()
        .args(["run", "python", "--sandbox"])
        .arg(&sandbox)
        .arg(&writer)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read_to_string(sandbox.join("state.txt")).unwrap(),
        "42"
    );
    let output = polyrun()
        .args(["run", "js", "--sandbox"])
        .arg(&sandbox)
        .arg(&reader)
        .output()
        .unwrap();
    assert_eq!(text(&output.stdout), "42\n");
}

#[test]
fn unknown_language_lists_the_supported_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "x.rb", "puts 1");
    let output = polyrun().args(["run", "ruby"]).arg(&file).output().unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("unknown language 'ruby'") && stderr.contains("python"),
        "{stderr}"
    );
}

#[test]
fn missing_runtimes_name_the_command_that_provisions_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "x.py", "print(1)");
    let output = Command::new(env!("CARGO_BIN_EXE_polyrun"))
        .arg("--runtimes-dir")
        .arg(dir.path().join("none"))
        .args(["--offline", "run", "python"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cargo xtask fetch-runtimes"), "{stderr}");
}

#[test]
fn provisioning_again_only_verifies() {
    let dir = common::runtime_dir();
    let artifact = dir.artifact(polyrun::runtimes::Runtime::Python);
    let modified = std::fs::metadata(&artifact).unwrap().modified().unwrap();
    let output = polyrun().arg("provision").output().unwrap();
    assert!(output.status.success());
    assert!(
        text(&output.stderr).contains("up to date"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        std::fs::metadata(&artifact).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn compiled_languages_report_compile_errors_and_take_flags() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "main.cpp",
        "#include <cstdio>\nint main() { std::printf(\"%d\\n\", N); }\n",
    );
    let output = polyrun()
        .args(["run", "c++", "--flag=-DN=7", "--flag=-O0"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "7\n");

    let refused = polyrun()
        .args(["run", "c++", "--flag=-fplugin=evil.so"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("is not allowed"),
        "{}",
        text(&refused.stderr)
    );

    let bad = write(
        dir.path(),
        "bad.c",
        "int main(void) { return undefined; }\n",
    );
    let output = polyrun().args(["run", "c"]).arg(&bad).output().unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("bad.c:1:25: error") && stderr.contains("compile_error"),
        "{stderr}"
    );
}
