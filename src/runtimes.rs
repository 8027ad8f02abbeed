//! The provisioned runtimes: which modules exist and where their files live.
//!
//! The runtimes live in one directory per user, shared by the server, the
//! CLI, the tests and CI (see [`default_root`]); `RUNTIMES_DIR` or
//! `--runtimes-dir` names another. The pinned inputs, `runtimes.lock`, are
//! committed in the repository's `runtimes/` and compiled into the binary.
//!
//! Layout of the runtimes directory (made by `provision`):
//!
//! ```text
//! <runtimes>/
//!   installed.json         what was provisioned, from which lock, for which engine
//!   python/base.wasm       CPython 3.15 (WASI reactor) as the wheel ships it
//!   python/lib/            its standard library zip, mounted at /usr/local/lib
//!   python/mpl-data/       matplotlib's data, unpacked from the zip
//!   python/python.wasm     our snapshot of base.wasm, and its precompiled .cwasm
//!   quickjs/reactor.wasm   QuickJS-ng `qjs` as a reactor, built here by the clang module
//!   quickjs/qjs.wasm       our snapshot of it with the Node.js prelude evaluated
//!   clang/clang.wasm       clang/lld multicall module
//!   clang/sysroot/         headers and libraries, mounted read-only at /usr
//! ```

use std::path::{Path, PathBuf};

use crate::engine::SlotMemory;

/// Whether a module's code counts fuel.
///
/// Fuel makes a run deterministic and bounds the work of code that never
/// waits, but the counting is compiled into every block: it costs an
/// interpreter's dispatch loop about half its speed (CPython's loop: 1.42 s
/// with fuel, 0.93 s without), and clang a sixth of its. So the
/// interpreters (CPython, QuickJS) and clang run without it, bounded by the
/// wall-time deadline (epochs), memory and output; programs compiled from
/// C/C++ count fuel as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metering {
    Fuel,
    WallTime,
}

/// A WebAssembly module polyrun ships as a runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    Python,
    QuickJs,
    Clang,
}

impl Runtime {
    pub const ALL: [Runtime; 3] = [Runtime::Python, Runtime::QuickJs, Runtime::Clang];

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Python => "python",
            Runtime::QuickJs => "quickjs",
            Runtime::Clang => "clang",
        }
    }

    /// Whether its code counts fuel: none of the runtimes do (see
    /// [`Metering`]). The interpreters would lose half their speed; clang
    /// about a sixth, for a budget it was never given (its compiles are
    /// bounded by wall time and memory). Programs compiled from C and C++
    /// count fuel.
    pub fn metering(self) -> Metering {
        match self {
            Runtime::Python | Runtime::QuickJs | Runtime::Clang => Metering::WallTime,
        }
    }

    /// What an idle instance slot of its keeps between runs (see
    /// [`SlotMemory`]): QuickJS's image is small and made most often;
    /// Python's and clang's pages kept in every idle slot would count in
    /// the server's RSS once per slot.
    pub fn slot_memory(self) -> SlotMemory {
        match self {
            Runtime::QuickJs => SlotMemory::Kept,
            Runtime::Python | Runtime::Clang => SlotMemory::Released,
        }
    }

    fn stem(self) -> &'static str {
        match self {
            Runtime::Python => "python",
            Runtime::QuickJs => "qjs",
            Runtime::Clang => "clang",
        }
    }
}

/// Where the runtimes live unless configured otherwise: the platform's
/// per-user data directory (`$XDG_DATA_HOME/polyrun` or
/// `~/.local/share/polyrun` on Linux, `~/Library/Application Support/polyrun`
/// on macOS, `%LOCALAPPDATA%\polyrun\data` on Windows), so that `polyrun`
/// finds them from any working directory. Without a home directory:
/// `runtimes` under the current one.
pub fn default_root() -> PathBuf {
    directories::ProjectDirs::from("", "", "polyrun")
        .map(|dirs| dirs.data_local_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("runtimes"))
}

/// The directory holding provisioned runtimes.
#[derive(Debug, Clone)]
pub struct RuntimeDir {
    root: PathBuf,
}

impl RuntimeDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The module as fetched or built.
    pub fn module(&self, runtime: Runtime) -> PathBuf {
        self.root
            .join(runtime.name())
            .join(format!("{}.wasm", runtime.stem()))
    }

    /// The module precompiled for this build's engine configuration.
    pub fn artifact(&self, runtime: Runtime) -> PathBuf {
        self.root
            .join(runtime.name())
            .join(format!("{}.cwasm", runtime.stem()))
    }

    /// The CPython reactor as fetched: what the snapshot is made from.
    pub fn python_base(&self) -> PathBuf {
        self.root.join("python").join("base.wasm")
    }

    /// QuickJS as built: what its snapshot is made from.
    pub fn quickjs_reactor(&self) -> PathBuf {
        self.root.join("quickjs").join("reactor.wasm")
    }

    /// The directory holding CPython's standard library zip.
    pub fn python_stdlib(&self) -> PathBuf {
        self.root.join("python").join("lib")
    }

    /// matplotlib's data files, unpacked from the standard library zip.
    pub fn python_mpl_data(&self) -> PathBuf {
        self.root.join("python").join("mpl-data")
    }

    /// Headers and libraries for the clang module, mounted at guest `/usr`.
    pub fn sysroot(&self) -> PathBuf {
        self.root.join("clang").join("sysroot")
    }

    /// Record of the last successful provisioning.
    pub fn manifest(&self) -> PathBuf {
        self.root.join("installed.json")
    }

    /// Scratch space for downloads and builds.
    pub fn work_dir(&self) -> PathBuf {
        self.root.join("work")
    }

    /// The browser terminal's third-party files (see [`WEB_ASSETS`]).
    pub fn web(&self) -> PathBuf {
        self.root.join("web")
    }
}

/// Files of the npm packages the browser terminal loads (pinned in
/// `runtimes.lock`), by name under [`RuntimeDir::web`], with their types.
pub const WEB_ASSETS: [(&str, &str); 27] = [
    ("xterm.js", "text/javascript; charset=utf-8"),
    ("xterm.css", "text/css; charset=utf-8"),
    ("addon-fit.js", "text/javascript; charset=utf-8"),
    ("addon-image.js", "text/javascript; charset=utf-8"),
    ("socket.io.min.js", "text/javascript; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui.css", "text/css; charset=utf-8"),
    (
        "codemirror-autocomplete.js",
        "text/javascript; charset=utf-8",
    ),
    ("codemirror-commands.js", "text/javascript; charset=utf-8"),
    ("codemirror-lang-cpp.js", "text/javascript; charset=utf-8"),
    (
        "codemirror-lang-javascript.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "codemirror-lang-python.js",
        "text/javascript; charset=utf-8",
    ),
    ("codemirror-language.js", "text/javascript; charset=utf-8"),
    ("codemirror-state.js", "text/javascript; charset=utf-8"),
    (
        "codemirror-streamparser.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "codemirror-theme-one-dark.js",
        "text/javascript; charset=utf-8",
    ),
    ("codemirror-view.js", "text/javascript; charset=utf-8"),
    ("lezer-common.js", "text/javascript; charset=utf-8"),
    ("lezer-cpp.js", "text/javascript; charset=utf-8"),
    ("lezer-highlight.js", "text/javascript; charset=utf-8"),
    ("lezer-javascript.js", "text/javascript; charset=utf-8"),
    ("lezer-lr.js", "text/javascript; charset=utf-8"),
    ("lezer-python.js", "text/javascript; charset=utf-8"),
    (
        "marijn-find-cluster-break.js",
        "text/javascript; charset=utf-8",
    ),
    ("crelt.js", "text/javascript; charset=utf-8"),
    ("style-mod.js", "text/javascript; charset=utf-8"),
    ("w3c-keyname.js", "text/javascript; charset=utf-8"),
];
