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

#[tokio::test]
async fn runs_start_fresh_from_the_snapshot_with_new_random_values() {
    let code = r#"
import json, os, random, secrets, uuid
import numpy as np
clean = 'leaked' not in globals() and not hasattr(json, 'polyrun_leak')
print(clean, random.random(), np.random.rand(), uuid.uuid4(), os.urandom(8).hex(), secrets.token_hex(8))
leaked = True
json.polyrun_leak = True
random.seed(1)
"#;
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
        assert_eq!(outcome.status, Status::Ok, "{}", outcome.stderr_lossy());
        let line = outcome.stdout_lossy();
        let fields: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        assert_eq!(fields.len(), 6, "{line}");
        assert_eq!(
            fields[0], "True",
            "state leaked from an earlier run: {line}"
        );
        seen.push(fields);
    }
    for column in 1..6 {
        let values: std::collections::HashSet<&String> = seen.iter().map(|f| &f[column]).collect();
        assert_eq!(
            values.len(),
            3,
            "column {column} repeated across runs: {seen:?}"
        );
    }
}

#[tokio::test]
async fn a_run_looks_like_python3_main_py() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    sandbox.write_file("helper.py", b"VALUE = 42\n").unwrap();
    let code = r#"
import os, sys, helper
print(__name__, __file__, sys.argv, os.getcwd(), os.environ['PWD'], helper.VALUE)
print(sys.version_info[:2], sys.platform)
import atexit
atexit.register(lambda: print('at exit'))
"#;
    let outcome = Run::new("python", code)
        .args(&["one"])
        .in_sandbox(&sandbox)
        .await;
    assert_output(
        &outcome,
        "__main__ /main.py ['/main.py', 'one'] / / 42\n(3, 15) wasi\nat exit\n",
    );
}

#[tokio::test]
async fn exit_statuses_and_messages_are_those_of_cpython() {
    let outcome = Run::new("python", "import sys\nsys.exit('bye')").go().await;
    assert_eq!(outcome.exit_code, Some(1));
    assert_eq!(outcome.stderr_lossy(), "bye\n");
    let outcome = Run::new("python", "raise SystemExit(7)").go().await;
    assert_eq!(outcome.exit_code, Some(7));
    assert_eq!(outcome.stderr_lossy(), "");
    let outcome = Run::new("python", "def f():\n    1 / 0\nf()\n").go().await;
    let stderr = outcome.stderr_lossy();
    assert!(
        stderr.starts_with(
            "Traceback (most recent call last):\n  File \"/main.py\", line 3, in <module>"
        ),
        "the traceback must start at the user's file: {stderr}"
    );
    assert!(
        stderr.contains("ZeroDivisionError: division by zero"),
        "{stderr}"
    );
}

#[tokio::test]
async fn recursion_through_c_code_reaches_native_depth() {
    let code = r#"
import functools, sys
@functools.lru_cache(maxsize=None)
def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)
print(depth(400))

class Node:
    def __init__(self, child):
        self.child = child
    def __repr__(self):
        return f"N({self.child!r})"
node = None
for _ in range(300):
    node = Node(node)
print(len(repr(node)))

def nested(n):
    return n if n == 0 else sorted([n], key=lambda v: nested(v - 1))[0]
print(nested(300))
"#;
    let outcome = Run::new("python", code).go().await;
    assert_output(&outcome, "400\n904\n300\n");
}

#[tokio::test]
async fn runaway_recursion_is_a_recursion_error_with_its_traceback() {
    let code = "import functools\n@functools.lru_cache(maxsize=None)\ndef f(n):\n    return f(n + 1)\nf(0)\n";
    let outcome = Run::new("python", code).go().await;
    assert_eq!(
        outcome.status,
        Status::RuntimeError,
        "{:?}",
        outcome.message
    );
    assert_eq!(outcome.exit_code, Some(1));
    let stderr = outcome.stderr_lossy();
    assert!(
        stderr.contains("Traceback (most recent call last)"),
        "{stderr}"
    );
    assert!(stderr.contains("RecursionError: "), "{stderr}");
}

#[tokio::test]
async fn asyncio_runs_tasks_sleeps_queues_and_timeouts() {
    let code = r#"
import asyncio, time

async def square(n):
    await asyncio.sleep(0.05 * n)
    return n * n

async def main():
    started = time.monotonic()
    results = await asyncio.gather(*(square(n) for n in range(1, 4)))
    queue = asyncio.Queue()
    await queue.put('queued')
    print(await queue.get())
    try:
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.05)
    except TimeoutError:
        print('timed out')
    elapsed = time.monotonic() - started
    print(results, 0.1 < elapsed < 2)

asyncio.run(main())
"#;
    let outcome = Run::new("python", code).go().await;
    assert_output(&outcome, "queued\ntimed out\n[1, 4, 9] True\n");
}

#[tokio::test]
async fn what_the_sandbox_lacks_fails_with_a_message_naming_it() {
    let cases = [
        (
            "import threading\nthreading.Thread(target=print).start()",
            "threading.Thread.start",
        ),
        ("import subprocess\nsubprocess.run(['ls'])", "subprocess"),
        ("import os\nos.system('ls')", "os.system"),
        (
            "import multiprocessing\nmultiprocessing.Process(target=print).start()",
            "multiprocessing",
        ),
        ("import socket\nsocket.socket()", "socket.socket"),
        (
            "import urllib.request\nurllib.request.urlopen('http://example.com')",
            "not available",
        ),
    ];
    for (code, named) in cases {
        let outcome = Run::new("python", code).go().await;
        assert_eq!(outcome.status, Status::RuntimeError, "{code}");
        let stderr = outcome.stderr_lossy();
        assert!(
            stderr.contains(named) && stderr.contains("not available in polyrun's sandbox"),
            "{code}: {stderr}"
        );
    }
}
