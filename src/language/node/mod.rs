//! Node.js compatibility for JavaScript and TypeScript on QuickJS: the
//! prelude that defines Node's globals and built-in modules, and the ES
//! module wrappers that `import fs from 'node:fs'` resolves to. Both are
//! written once per process into a private directory, mounted read-only at
//! `/.node` for every JavaScript and TypeScript run.
//!
//! The prelude is evaluated once, at provisioning, into the QuickJS snapshot
//! every run starts from (see `polyrun_snapshot.c`); each run then calls its
//! `__polyrun_start` to read argv, environment and working directory.

use std::path::Path;

/// Where the support files appear to the guest.
pub const MOUNT: &str = "/.node";

/// The prelude's source, evaluated by the snapshot from `/.node/prelude.js`:
/// the web platform's globals (`web.js`), then Node's (`prelude.js`).
pub const PRELUDE_SOURCE: &str = concat!(include_str!("web.js"), include_str!("prelude.js"));

/// What `node` alone runs: the REPL defined by the prelude.
pub const REPL_ENTRY: &str = "globalThis.__polyrun_repl();";

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
    (
        "crypto",
        &[
            "createHash",
            "createHmac",
            "randomBytes",
            "randomInt",
            "randomUUID",
            "getRandomValues",
            "timingSafeEqual",
            "getHashes",
            "webcrypto",
        ],
    ),
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
    "stream",
];

/// The support files, in a directory that lives as long as the runner.
pub struct NodeSupport {
    dir: tempfile::TempDir,
}

impl NodeSupport {
    pub fn new() -> std::io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("polyrun-node-").tempdir()?;
        std::fs::write(dir.path().join("prelude.js"), PRELUDE_SOURCE)?;
        let esm = dir.path().join("esm");
        std::fs::create_dir(&esm)?;
        for (name, exports) in MODULES {
            std::fs::write(esm.join(wrapper_file(name)), wrapper(name, exports))?;
        }
        for name in UNAVAILABLE {
            std::fs::write(esm.join(wrapper_file(name)), wrapper(name, &[]))?;
        }
        Ok(Self { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
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
