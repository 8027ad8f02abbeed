//! QuickJS in its WASI sandbox: modern syntax, output, the std/os modules
//! and errors, as a user sees them.

mod common;

use common::{Run, TestRoot, assert_output};
use polyrun::engine::Status;

#[tokio::test]
async fn modern_syntax_works() {
    let code = r#"
class Counter {
  #count = 0;
  static #instances = 0;
  constructor() { Counter.#instances++; }
  increment() { return ++this.#count; }
  static get instances() { return Counter.#instances; }
}
const c = new Counter();
c.increment(); c.increment();
console.log(c.increment(), Counter.instances);

console.log((2n ** 100n).toString());

function* fib() { let [a, b] = [0, 1]; for (;;) { yield a; [a, b] = [b, a + b]; } }
const first = [];
for (const n of fib()) { if (first.length === 10) break; first.push(n); }
console.log(first.join(","));

const { x, y: [, second], ...rest } = { x: 1, y: [2, 3], z: 4, w: 5 };
console.log(x, second, JSON.stringify(rest));

const sleep = (ms) => new Promise((resolve) => os.setTimeout(resolve, ms));
async function main() {
  await sleep(5);
  const values = await Promise.all([1, 2, 3].map(async (n) => n * 2));
  console.log("async", values.join(" "), values?.at(-1) ?? "none");
}
main();
"#;
    let outcome = Run::new("javascript", code).go().await;
    assert_output(
        &outcome,
        "3 1\n1267650600228229401496703205376\n0,1,1,2,3,5,8,13,21,34\n1 3 {\"z\":4,\"w\":5}\nasync 2 4 6 6\n",
    );
}

#[tokio::test]
async fn std_and_os_modules_are_usable() {
    let code = r#"
import * as std from "qjs:std";
import * as os from "qjs:os";
const f = std.open("out.txt", "w");
f.puts("written by std");
f.close();
std.printf("%s|%d\n", std.loadFile("out.txt"), 7);
const [entries, err] = os.readdir(".");
console.log(err, entries.includes("out.txt"));
std.out.puts(std.in.readAsString().toUpperCase());
"#;
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    let outcome = Run::new("js", code)
        .stdin("from stdin\n")
        .in_sandbox(&sandbox)
        .await;
    assert_output(&outcome, "written by std|7\n0 true\nFROM STDIN\n");
    assert_eq!(
        sandbox.read_file("out.txt", 1 << 30).unwrap(),
        b"written by std"
    );
}

#[tokio::test]
async fn arguments_reach_script_args() {
    let outcome = Run::new("js", "console.log(JSON.stringify(scriptArgs.slice(1)));")
        .args(&["a", "b c"])
        .go()
        .await;
    assert_output(&outcome, "[\"a\",\"b c\"]\n");
}

#[tokio::test]
async fn uncaught_error_is_a_runtime_error_with_stack() {
    let code = "function inner() { throw new TypeError('nope'); }\nfunction outer() { inner(); }\nconsole.log('before');\nouter();\n";
    let outcome = Run::new("js", code).go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_ne!(outcome.exit_code, Some(0));
    assert_eq!(outcome.stdout_lossy(), "before\n");
    let stderr = outcome.stderr_lossy();
    assert!(stderr.contains("TypeError: nope"), "{stderr}");
    assert!(stderr.contains("at inner (main.js:1"), "{stderr}");
    assert!(stderr.contains("at outer (main.js:2"), "{stderr}");
}

#[tokio::test]
async fn unhandled_rejection_is_a_runtime_error() {
    let outcome = Run::new("js", "Promise.reject(new Error('rejected'));")
        .go()
        .await;
    assert_eq!(
        outcome.status,
        Status::RuntimeError,
        "{}",
        outcome.stderr_lossy()
    );
    assert!(outcome.stderr_lossy().contains("rejected"));
}
