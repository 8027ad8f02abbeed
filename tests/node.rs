//! JavaScript that Node.js users write, running unchanged on QuickJS with
//! our compatibility layer. Expected outputs are what Node 20 prints.

mod common;

use common::{Run, TestRoot, assert_output};
use polyrun::engine::Status;

#[tokio::test]
async fn console_log_formats_like_node() {
    let code = r#"
class Point { constructor(x, y) { this.x = x; this.y = y; } }
console.log([1, 2, 3], { a: 1, b: 'x' }, new Map([['k', 1]]), new Set([1, 2]));
console.log({ nested: { deeper: { deepest: { gone: 1 } } }, list: [1, [2, [3, [4]]]] });
console.log(new Point(1, 2), [new Point(3, 4)], null, undefined, -0, 10n);
console.log('%s is %d years and %o', 'Ada', 36.5, { x: 1 });
console.log(Array.from({ length: 30 }, (_, i) => i * 3));
console.log({ f() {}, g: class Foo {}, h: () => 1, arr: [], 'odd-key': "it's" });
const circular = { name: 'loop' }; circular.self = circular;
console.log(circular);
console.table([{ a: 1, b: 'y' }, { a: 2 }]);
"#;
    let expected = "[ 1, 2, 3 ] { a: 1, b: 'x' } Map(1) { 'k' => 1 } Set(2) { 1, 2 }
{
  nested: { deeper: { deepest: [Object] } },
  list: [ 1, [ 2, [Array] ] ]
}
Point { x: 1, y: 2 } [ Point { x: 3, y: 4 } ] null undefined -0 10n
Ada is 36.5 years and { x: 1 }
[
   0,  3,  6,  9, 12, 15, 18, 21, 24,
  27, 30, 33, 36, 39, 42, 45, 48, 51,
  54, 57, 60, 63, 66, 69, 72, 75, 78,
  81, 84, 87
]
{
  f: [Function: f],
  g: [class Foo],
  h: [Function: h],
  arr: [],
  'odd-key': \"it's\"
}
<ref *1> { name: 'loop', self: [Circular *1] }
┌─────────┬───┬─────┐
│ (index) │ a │ b   │
├─────────┼───┼─────┤
│ 0       │ 1 │ 'y' │
│ 1       │ 2 │     │
└─────────┴───┴─────┘
";
    assert_output(&Run::new("js", code).go().await, expected);
}

#[tokio::test]
async fn stdin_through_readline_and_read_file_sync() {
    let with_readline = r#"
const readline = require('readline');
const rl = readline.createInterface({ input: process.stdin });
let total = 0;
rl.on('line', (line) => { total += Number(line); });
rl.on('close', () => console.log('sum', total));
"#;
    assert_output(
        &Run::new("js", with_readline).stdin("1\n2\n39\n").go().await,
        "sum 42\n",
    );

    let for_await = r#"
import * as readline from 'node:readline';
const lines = [];
for await (const line of readline.createInterface({ input: process.stdin })) lines.push(line.toUpperCase());
console.log(lines);
"#;
    assert_output(
        &Run::new("js", for_await).stdin("a\nb\n").go().await,
        "[ 'A', 'B' ]\n",
    );

    let read_all = "const fs = require('fs');\nconst data = fs.readFileSync(0, 'utf8');\nconst alt = fs.readFileSync('/dev/stdin', 'utf8');\nconsole.log(JSON.stringify(data.trim().split('\\n')), JSON.stringify(alt));\n";
    assert_output(
        &Run::new("js", read_all).stdin("x\ny\n").go().await,
        "[\"x\",\"y\"] \"\"\n",
    );
}

#[tokio::test]
async fn process_argv_env_and_exit() {
    let code = "console.log(process.argv.slice(2), process.argv[1], process.platform, typeof process.env.HOME);\nprocess.stdout.write('no newline');\nprocess.exit(3);\nconsole.log('unreachable');\n";
    let outcome = Run::new("js", code)
        .args(&["--flag", "two words"])
        .go()
        .await;
    assert_eq!(outcome.exit_code, Some(3));
    assert_eq!(
        outcome.stdout_lossy(),
        "[ '--flag', 'two words' ] /main.js linux string\nno newline"
    );
}

/// Every run starts from the same snapshot, yet behaves as a new process:
/// nothing an earlier run defined or patched is there, `Math.random` and
/// the clock start afresh, and argv, environment and working directory are
/// the run's own.
#[tokio::test]
async fn runs_start_fresh_from_the_snapshot() {
    let code = r#"
const fs = require('fs');
const clean = typeof globalThis.leaked === 'undefined' && !fs.polyrunLeak && JSON.stringify.name === 'stringify';
console.log(clean, Math.random(), performance.now() < 1000, process.uptime() < 1, process.argv[2], process.cwd());
globalThis.leaked = true;
fs.polyrunLeak = true;
JSON.stringify = () => 'patched';
"#;
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    let mut randoms = std::collections::HashSet::new();
    for run in 0..3 {
        let outcome = Run::new("js", code)
            .args(&[&format!("run{run}")])
            .in_sandbox(&sandbox)
            .await;
        assert_eq!(outcome.status, Status::Ok, "{}", outcome.stderr_lossy());
        let line = outcome.stdout_lossy();
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 6, "{line}");
        assert_eq!(
            fields[0], "true",
            "state leaked from an earlier run: {line}"
        );
        assert_eq!(
            fields[2..],
            ["true", "true", &format!("run{run}"), "/"],
            "{line}"
        );
        randoms.insert(fields[1].to_owned());
    }
    assert_eq!(
        randoms.len(),
        3,
        "Math.random repeated across runs: {randoms:?}"
    );
}

#[tokio::test]
async fn commonjs_modules_require_each_other() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    sandbox
        .write_file("lib/math.js", b"const { double } = require('./double');\nmodule.exports = { quadruple: (x) => double(double(x)), name: __filename };\n")
        .unwrap();
    sandbox
        .write_file("lib/double.js", b"exports.double = (x) => x * 2;\n")
        .unwrap();
    sandbox
        .write_file("data.json", br#"{ "answer": 42 }"#)
        .unwrap();
    let code = "const math = require('./lib/math');\nconst again = require('./lib/math.js');\nconsole.log(math.quadruple(5), math.name, math === again, require('./data.json').answer);\n";
    let outcome = Run::new("js", code).in_sandbox(&sandbox).await;
    assert_output(&outcome, "20 /lib/math.js true 42\n");
}

#[tokio::test]
async fn errors_in_required_files_name_those_files() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    sandbox
        .write_file(
            "thrower.js",
            b"\n\nmodule.exports = () => { throw new Error('from thrower'); };\n",
        )
        .unwrap();
    let outcome = Run::new("js", "require('./thrower')();\n")
        .in_sandbox(&sandbox)
        .await;
    assert_eq!(outcome.status, Status::RuntimeError);
    let stderr = outcome.stderr_lossy();
    assert!(
        stderr.contains("from thrower") && stderr.contains("/thrower.js:3"),
        "{stderr}"
    );
}

#[tokio::test]
async fn builtin_modules_by_require_and_import() {
    let code = r#"
import fs from 'node:fs';
import { join, basename } from 'path';
import { EventEmitter } from 'events';
import assert from 'assert';
import os from 'os';
import util from 'node:util';
const { readFile } = await import('fs/promises');
fs.mkdirSync('dir/sub', { recursive: true });
fs.writeFileSync(join('dir', 'sub', 'f.txt'), 'one');
fs.appendFileSync('dir/sub/f.txt', '+two');
console.log(await readFile('dir/sub/f.txt', 'utf8'), fs.readdirSync('dir'), fs.statSync('dir').isDirectory());
try { fs.readFileSync('missing.txt'); } catch (e) { console.log(e.code, e.message); }
fs.rmSync('dir', { recursive: true });
console.log(fs.existsSync('dir'), basename('/a/b.txt', '.txt'), os.EOL === '\n', os.cpus().length > 0);
const e = new EventEmitter();
e.once('ping', (n) => console.log('ping', n));
e.emit('ping', 1); e.emit('ping', 2);
assert.deepStrictEqual({ a: [1] }, { a: [1] });
try { assert.strictEqual(1, 2); } catch (err) { console.log(err.code); }
console.log(util.format('%s=%d', 'x', 42), util.inspect({ deep: { er: { est: {} } } }, { depth: 0 }));
const sleep = util.promisify((ms, cb) => setTimeout(() => cb(null, ms), ms));
console.log('slept', await sleep(5));
"#;
    let expected = "one+two [ 'sub' ] true
ENOENT ENOENT: no such file or directory, open 'missing.txt'
false b true true
ping 1
ERR_ASSERTION
x=42 { deep: [Object] }
slept 5
";
    assert_output(&Run::new("js", code).go().await, expected);
}

#[tokio::test]
async fn timers_run_in_nodes_order() {
    let code = r#"
setTimeout(() => console.log('timeout'), 0);
setImmediate(() => console.log('immediate'));
process.nextTick(() => console.log('tick'));
Promise.resolve().then(() => console.log('promise'));
queueMicrotask(() => console.log('microtask'));
const interval = setInterval(() => { console.log('interval'); clearInterval(interval); }, 1);
console.log('sync');
"#;
    assert_output(
        &Run::new("js", code).go().await,
        "sync\ntick\npromise\nmicrotask\ntimeout\nimmediate\ninterval\n",
    );
}

#[tokio::test]
async fn modules_that_cannot_exist_here_fail_naming_them() {
    for module in ["child_process", "node:net", "http", "worker_threads"] {
        let code = format!("require('{module}');\n");
        let outcome = Run::new("js", &code).go().await;
        assert_eq!(outcome.status, Status::RuntimeError);
        let name = module.trim_start_matches("node:");
        assert!(
            outcome
                .stderr_lossy()
                .contains(&format!("Cannot use module '{name}'")),
            "{}",
            outcome.stderr_lossy()
        );
    }
    let outcome = Run::new("js", "import { exec } from 'node:child_process';\n")
        .go()
        .await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert!(outcome.stderr_lossy().contains("child_process"));
}

#[tokio::test]
async fn fs_stays_inside_the_sandbox() {
    let code = "const fs = require('fs');\nfor (const p of ['/etc/passwd', '../../etc/passwd']) {\n  try { fs.readFileSync(p, 'utf8'); console.log('READ', p); } catch (e) { console.log(e.code); }\n}\n";
    // Climbing out is refused by WASI itself ("operation not permitted").
    assert_output(&Run::new("js", code).go().await, "ENOENT\nEPERM\n");
}

#[tokio::test]
async fn typescript_gets_node_apis_too() {
    let code = "import { join } from 'node:path';\nconst parts: string[] = ['a', 'b'];\nconsole.log(join(...parts), process.argv.length > 1);\n";
    assert_output(&Run::new("ts", code).go().await, "a/b true\n");
}

#[tokio::test]
async fn exit_code_and_exit_listeners() {
    let code = "process.on('exit', (code) => console.log('exiting with', code));\nprocess.exitCode = 4;\nsetTimeout(() => console.log('timer first'), 1);\n";
    let outcome = Run::new("js", code).go().await;
    assert_eq!(outcome.exit_code, Some(4));
    assert_eq!(outcome.stdout_lossy(), "timer first\nexiting with 4\n");
    let clean = Run::new("js", "process.on('exit', () => console.log('bye'));")
        .go()
        .await;
    assert_eq!(clean.status, Status::Ok);
    assert_eq!(clean.stdout_lossy(), "bye\n");
}

#[tokio::test]
async fn es_modules_import_relative_files() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    sandbox
        .write_file(
            "lib/greet.mjs",
            b"export const greet = (n) => `hi ${n}`;\nexport default 7;\n",
        )
        .unwrap();
    let code =
        "import seven, { greet } from './lib/greet.mjs';\nconsole.log(greet('esm'), seven);\n";
    assert_output(
        &Run::new("js", code).in_sandbox(&sandbox).await,
        "hi esm 7\n",
    );
}

/// Runs `code` with the real `node` on this machine.
fn native_node(code: &str) -> String {
    let output = std::process::Command::new("node")
        .arg("-e")
        .arg(code)
        .output()
        .expect("node runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Web platform globals and `require('crypto')`, each printed the way
/// Node prints it; random values are checked by their shape.
const WEB_GLOBALS: &str = r#"
const te = new TextEncoder();
console.log(te.encode("héllo €😀"), te.encoding, te.encodeInto("aé", new Uint8Array(2)));
const td = new TextDecoder();
console.log(td.decode(new Uint8Array([104, 195, 169, 0xff, 0xe2, 0x82, 0xac, 0xf0, 0x9f])), td.encoding);
console.log(new TextDecoder("latin1").decode(new Uint8Array([0x63, 0x61, 0x66, 0xe9])));
try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3])); } catch (e) { console.log(e.name); }
const original = { a: [1, { b: new Date(0) }], m: new Map([[1, new Set([2])]]), t: new Uint8Array([1, 2]), r: /x/gi };
original.self = original;
const copy = structuredClone(original);
console.log(copy, copy !== original, copy.self === copy, copy.a[1].b instanceof Date);
try { structuredClone({ f() {} }); } catch (e) { console.log(e.name, e instanceof DOMException); }
const u = new URL("../x/./y?q=a b&z=%41#frag", "https://User:pw@Example.COM:443/p/q/r");
console.log(u.href, u.origin, u.host, u.pathname, u.search, u.hash);
console.log(u.searchParams.get("q"), u.searchParams.get("z"), u.username, u.port === "");
const v = new URL("http://localhost:8080/a/b?x=1");
v.searchParams.append("y", "2 3");
v.hash = "top";
console.log(v.toString(), v.port, JSON.stringify({ v }), URL.canParse("nope"), URL.canParse("mailto:a@b.c"));
const p = new URLSearchParams({ a: "1 2", b: "é&" });
p.append("a", "3");
p.sort();
console.log(p.toString(), p.getAll("a"), [...p.keys()], p.has("b"), p.size);
const ac = new AbortController();
ac.signal.addEventListener("abort", () => console.log("aborted", ac.signal.reason.name, ac.signal.aborted));
ac.abort();
try { ac.signal.throwIfAborted(); } catch (e) { console.log(e.name); }
console.log(atob(btoa("hello")), typeof performance.now(), performance.now() >= 0);
console.log(crypto.randomUUID().length, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
const random = crypto.getRandomValues(new Uint32Array(8));
console.log(random.length, new Set(random).size > 1);
try { crypto.getRandomValues(new Uint8Array(70000)); } catch (e) { console.log(e.name); }
const c = require("crypto");
for (const alg of ["md5", "sha1", "sha256", "sha512"]) {
  console.log(alg, c.createHash(alg).update("hello ").update("world").digest("hex"));
}
console.log(c.createHash("sha256").update("").digest("base64"), c.createHash("sha1").update("x".repeat(1000)).digest("hex"));
console.log(c.createHmac("sha256", "key").update("msg").digest("base64"), c.createHmac("md5", "k".repeat(100)).update("m").digest("hex"));
console.log(c.randomBytes(8).length, c.randomInt(10) < 10, c.randomInt(5, 6), c.timingSafeEqual(Buffer.from("a"), Buffer.from("a")));
console.log(Buffer.from("héllo").toString("base64"), Buffer.from("aGVsbG8=", "base64").toString(), Buffer.from("ÿ", "latin1"));
console.log(Buffer.concat([Buffer.alloc(2), Buffer.from("a")]), Buffer.byteLength("é"), Buffer.from("hi").toString("latin1"));
console.log(Buffer.from([0xff, 0xfe]).toString("base64url"), Buffer.from("__8", "base64url"), Buffer.from("abc").toString("hex"));
"#;

#[tokio::test]
async fn web_globals_and_crypto_print_what_node_prints() {
    let expected = native_node(WEB_GLOBALS);
    assert_output(&Run::new("js", WEB_GLOBALS).go().await, &expected);
}

#[tokio::test]
async fn crypto_imports_as_an_es_module() {
    let code = "import { createHash } from 'node:crypto';\nimport crypto from 'crypto';\nconsole.log(createHash('sha1').update('abc').digest('hex'), typeof crypto.randomUUID());\n";
    assert_output(
        &Run::new("js", code).go().await,
        "a9993e364706816aba3e25717850c26c9cd0d89d string\n",
    );
}
