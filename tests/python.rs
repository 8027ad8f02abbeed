//! CPython in its WASI sandbox: the standard library, stdin, argv, files
//! and errors, as a user sees them.

mod common;

use common::{Run, TestRoot, assert_output};
use polyrun::engine::Status;

#[tokio::test]
async fn standard_library_modules_work() {
    let code = r#"
import json, re, collections, sqlite3, zlib, decimal, dataclasses

@dataclasses.dataclass
class Point:
    x: int
    y: int

print(json.dumps({"b": [1, 2], "a": None}, sort_keys=True))
print(re.findall(r"\d+", "a1b22c333"))
print(collections.Counter("abracadabra").most_common(2))
db = sqlite3.connect(":memory:")
db.execute("create table t (n integer)")
db.executemany("insert into t values (?)", [(i,) for i in range(10)])
print(db.execute("select sum(n) from t").fetchone()[0])
print(len(zlib.compress(b"a" * 10000)) < 100, zlib.decompress(zlib.compress(b"xyz")))
decimal.getcontext().prec = 30
print(decimal.Decimal(1) / decimal.Decimal(7))
print(Point(1, 2))
"#;
    let outcome = Run::new("python", code).go().await;
    assert_output(
        &outcome,
        "{\"a\": null, \"b\": [1, 2]}\n\
         ['1', '22', '333']\n\
         [('a', 5), ('b', 2)]\n\
         45\n\
         True b'xyz'\n\
         0.142857142857142857142857142857\n\
         Point(x=1, y=2)\n",
    );
}

#[tokio::test]
async fn input_reads_stdin_and_argv_carries_arguments() {
    let code = "import sys\nname = input()\nage = int(input())\nprint(f'{name} is {age + 1}', sys.argv[1:])\n";
    let outcome = Run::new("python", code)
        .stdin("Ada\n36\n")
        .args(&["--flag", "two words"])
        .go()
        .await;
    assert_output(&outcome, "Ada is 37 ['--flag', 'two words']\n");
}

#[tokio::test]
async fn files_persist_between_runs_in_one_sandbox() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    let write =
        "import os\nos.makedirs('data', exist_ok=True)\nopen('data/note.txt', 'w').write('kept')\n";
    assert_output(&Run::new("python", write).in_sandbox(&sandbox).await, "");
    let read = "print(open('data/note.txt').read(), open('/data/note.txt').read())";
    assert_output(
        &Run::new("python", read).in_sandbox(&sandbox).await,
        "kept kept\n",
    );
    assert_eq!(
        sandbox.read_file("data/note.txt", 1 << 30).unwrap(),
        b"kept"
    );
}

#[tokio::test]
async fn uncaught_exception_is_a_runtime_error_with_traceback() {
    let code = "def f():\n    raise ValueError('bad value')\nprint('before')\nf()\n";
    let outcome = Run::new("python", code).go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_eq!(outcome.exit_code, Some(1));
    assert_eq!(outcome.stdout_lossy(), "before\n");
    let stderr = outcome.stderr_lossy();
    assert!(
        stderr.contains("Traceback (most recent call last)"),
        "{stderr}"
    );
    assert!(stderr.contains("line 2, in f"), "{stderr}");
    assert!(stderr.contains("ValueError: bad value"), "{stderr}");
}

#[tokio::test]
async fn sys_exit_code_is_reported() {
    let outcome = Run::new("python", "import sys\nprint('x')\nsys.exit(3)")
        .go()
        .await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_eq!(outcome.exit_code, Some(3));
    let outcome = Run::new("python", "import sys\nsys.exit(0)").go().await;
    assert_eq!(outcome.status, Status::Ok);
}

#[tokio::test]
async fn syntax_error_is_reported_on_stderr() {
    let outcome = Run::new("python", "print('unclosed'\n").go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert!(
        outcome.stderr_lossy().contains("SyntaxError"),
        "{}",
        outcome.stderr_lossy()
    );
}
