//! The provisioned runtimes: which modules exist and where their files live.
//!
//! Layout of the runtimes directory (git-ignored, made by `provision`):
//!
//! ```text
//! runtimes/
//!   runtimes.lock          pinned inputs (committed)
//!   installed.json         what was provisioned, from which lock, for which engine
//!   python/python.wasm     CPython 3.12 (WASI command) and its precompiled .cwasm
//!   quickjs/qjs.wasm       QuickJS-ng `qjs`, built here by the clang module
//!   clang/clang.wasm       clang/lld multicall module
//!   clang/sysroot/         headers and libraries, mounted read-only at /usr
//! ```

use std::path::{Path, PathBuf};

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

    fn stem(self) -> &'static str {
        match self {
            Runtime::Python => "python",
            Runtime::QuickJs => "qjs",
            Runtime::Clang => "clang",
        }
    }
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
pub const WEB_ASSETS: [(&str, &str); 4] = [
    ("xterm.js", "text/javascript; charset=utf-8"),
    ("xterm.css", "text/css; charset=utf-8"),
    ("addon-fit.js", "text/javascript; charset=utf-8"),
    ("socket.io.min.js", "text/javascript; charset=utf-8"),
];
