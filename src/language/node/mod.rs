//! Node.js compatibility for JavaScript and TypeScript on QuickJS: the
//! prelude that defines Node's globals and built-in modules, and the ES
//! module wrappers that `import fs from 'node:fs'` resolves to. Both are
//! written once per process into a private directory, mounted read-only at
//! `/.node` for every JavaScript and TypeScript run.
//!
//! Parsing the prelude costs more than a hello-world program itself, so on
//! first use it is compiled once to QuickJS bytecode (by `qjs` itself, so
//! the bytecode always matches the interpreter), and each run loads that.

use std::path::Path;

use crate::engine::{Engine, Entry, Limits, Mount, Program, RunSpec, Status, Stdin};
use crate::runtimes::Runtime;

/// Where the support files appear to the guest.
pub const MOUNT: &str = "/.node";

/// The prelude, evaluated before the program with `qjs -I`.
pub const PRELUDE: &str = "/.node/prelude.js";

const PRELUDE_SOURCE: &str = include_str!("prelude.js");

/// What `qjs -I` loads: the prelude's bytecode when it exists, else its
/// source.
const LOADER: &str = r#"(function () {
  const code = std.loadFile("/.node/prelude.qbc", { binary: true });
  if (code !== null) {
    const buffer = code instanceof ArrayBuffer ? code : code.buffer.slice(code.byteOffset, code.byteOffset + code.byteLength);
    __polyrun_eval_function(bjson.read(buffer, 0, buffer.byteLength, bjson.READ_OBJ_BYTECODE));
  } else {
    __polyrun_compile(std.loadFile("/.node/prelude-source.js"), "/.node/prelude.js");
  }
})();
"#;

/// Run once with the directory writable: compiles the prelude to bytecode.
const COMPILER: &str = r#"const compiled = __polyrun_compile_only(std.loadFile("/.node/prelude-source.js"), "/.node/prelude.js");
const bytes = bjson.write(compiled, bjson.WRITE_OBJ_BYTECODE);
const file = std.open("/.node/prelude.qbc.tmp", "wb");
file.write(bytes, 0, bytes.byteLength);
file.close();
if (os.rename("/.node/prelude.qbc.tmp", "/.node/prelude.qbc") !== 0) throw new Error("rename failed");
"#;

/// Built-in modules with the names each exports, for the ES module
/// wrappers (ES exports must be named statically). Modules not listed are
/// unavailable; importing them fails with a message naming them.
const MODULES: &[(&str, &[&str])] = &[
    (
        "fs",
        &[
            "readFileSync",
            "writeFileSync",
            "appendFileSync",
            "existsSync",
            "readdirSync",
            "mkdirSync",
            "unlinkSync",
            "statSync",
            "lstatSync",
            "rmSync",
            "rmdirSync",
            "renameSync",
            "copyFileSync",
            "realpathSync",
            "accessSync",
            "readFile",
            "writeFile",
            "appendFile",
            "readdir",
            "mkdir",
            "unlink",
            "stat",
            "rm",
            "rename",
            "promises",
            "constants",
        ],
    ),
    (
        "fs/promises",
        &[
            "readFile",
            "writeFile",
            "appendFile",
            "readdir",
            "mkdir",
            "unlink",
            "stat",
            "lstat",
            "rm",
            "rmdir",
            "rename",
            "copyFile",
            "realpath",
            "access",
        ],
    ),
    (
        "path",
        &[
            "sep",
            "delimiter",
            "normalize",
            "join",
            "resolve",
            "isAbsolute",
            "dirname",
            "basename",
            "extname",
            "relative",
            "parse",
            "format",
            "posix",
        ],
    ),
    (
        "util",
        &[
            "inspect",
            "format",
            "promisify",
            "callbackify",
            "isDeepStrictEqual",
            "inherits",
            "deprecate",
            "types",
        ],
    ),
    (
        "os",
        &[
            "EOL",
            "platform",
            "type",
            "arch",
            "release",
            "hostname",
            "homedir",
            "tmpdir",
            "endianness",
            "uptime",
            "cpus",
            "availableParallelism",
            "totalmem",
            "freemem",
            "loadavg",
            "userInfo",
        ],
    ),
    ("events", &["EventEmitter", "once"]),
    ("readline", &["createInterface", "Interface", "promises"]),
    (
        "assert",
        &[
            "ok",
            "equal",
            "notEqual",
            "strictEqual",
            "notStrictEqual",
            "deepEqual",
            "deepStrictEqual",
            "notDeepStrictEqual",
            "throws",
            "doesNotThrow",
            "rejects",
            "fail",
            "match",
            "AssertionError",
            "strict",
        ],
    ),
    (
        "process",
        &[
            "argv", "env", "exit", "stdout", "stderr", "stdin", "nextTick", "hrtime", "platform",
            "cwd",
        ],
    ),
    ("buffer", &["Buffer"]),
    (
        "timers",
        &[
            "setTimeout",
            "setInterval",
            "clearTimeout",
            "clearInterval",
            "setImmediate",
            "clearImmediate",
        ],
    ),
    ("url", &["URL", "URLSearchParams"]),
];

/// Must match the list in `polyrun_node.c`: every name `import` maps to a
/// wrapper file.
const UNAVAILABLE: &[&str] = &[
    "child_process",
    "net",
    "http",
    "https",
    "worker_threads",
    "cluster",
    "dgram",
    "dns",
    "tls",
    "vm",
    "v8",
    "zlib",
    "crypto",
    "stream",
];

/// The support files, in a directory that lives as long as the runner.
pub struct NodeSupport {
    dir: tempfile::TempDir,
    bytecode: tokio::sync::OnceCell<()>,
}

impl NodeSupport {
    pub fn new() -> std::io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("polyrun-node-").tempdir()?;
        std::fs::write(dir.path().join("prelude-source.js"), PRELUDE_SOURCE)?;
        std::fs::write(dir.path().join("prelude.js"), LOADER)?;
        std::fs::write(dir.path().join("compile-prelude.js"), COMPILER)?;
        let esm = dir.path().join("esm");
        std::fs::create_dir(&esm)?;
        for (name, exports) in MODULES {
            std::fs::write(esm.join(wrapper_file(name)), wrapper(name, exports))?;
        }
        for name in UNAVAILABLE {
            std::fs::write(esm.join(wrapper_file(name)), wrapper(name, &[]))?;
        }
        Ok(Self {
            dir,
            bytecode: tokio::sync::OnceCell::new(),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Compiles the prelude to bytecode, once. On failure, runs keep using
    /// the source (slower, same behaviour).
    pub async fn prepare(&self, engine: &Engine) {
        self.bytecode
            .get_or_init(|| async {
                let outcome = engine
                    .run(RunSpec {
                        program: Program::Runtime(Runtime::QuickJs),
                        entry: Entry::Start,
                        args: vec![
                            "qjs".into(),
                            "--std".into(),
                            "/.node/compile-prelude.js".into(),
                        ],
                        env: vec![],
                        mounts: vec![Mount::read_write(self.dir.path(), MOUNT)],
                        stdin: Stdin::Empty,
                        limits: Limits::default(),
                        output: None,
                        disk: None,
                    })
                    .await;
                if outcome.status != Status::Ok {
                    tracing::warn!(
                        status = outcome.status.as_str(),
                        stderr = outcome.stderr_lossy(),
                        "cannot compile the Node.js prelude to bytecode; using its source"
                    );
                }
            })
            .await;
    }
}

fn wrapper_file(name: &str) -> String {
    format!("{}.js", name.replace('/', "_"))
}

/// An ES module re-exporting a CommonJS built-in from the prelude.
fn wrapper(name: &str, exports: &[&str]) -> String {
    let mut text = format!("const m = globalThis.require({name:?});\nexport default m;\n");
    if !exports.is_empty() {
        text.push_str(&format!("export const {{ {} }} = m;\n", exports.join(", ")));
    }
    text
}
