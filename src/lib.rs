//! polyrun: run untrusted Python, JavaScript, TypeScript, C and C++ in
//! WebAssembly sandboxes.
//!
//! - [`budget`]: the caps on everything a user can make the host hold
//!   (file descriptors, threads, sizes from input, sessions), granted in
//!   one place.
//! - [`runtimes`]: which runtime modules exist and where they live on disk.
//! - [`provision`]: fetching, building and precompiling those runtimes.
//! - [`engine`]: wasmtime with limits; runs one program per fresh `Store`,
//!   or keeps a live instance between turns.
//! - [`clang`]: the clang module, step by step (the driver cannot spawn).
//! - [`compile`]: C and C++ to wasm in the sandbox: flag allowlist,
//!   precompiled headers, exception runtime, cache.
//! - [`judge`]: test cases, output comparison and verdicts.
//! - [`sandbox`]: each user's cap-std directory, the only file system a
//!   guest sees.
//! - [`language`]: how each language turns source in a sandbox into a run.
//! - [`transpile`]: TypeScript to JavaScript with oxc, lines kept, in a
//!   worker process so that no program can crash the server.
//! - [`deep_stack`]: large-stack threads for work that recurses over user
//!   input (the TypeScript parser).
//! - [`shell`]: the session shell: a small sh over the sandbox and the runner.
//! - [`session`]: per-user sessions: sandbox, shell, resume, idle sweeping.
//! - [`packages`]: `pip install` into a sandbox: the operator's index,
//!   resolution, a shared verified cache, wheels unpacked through the
//!   sandbox.
//! - [`contexts`]: stateful, notebook-style contexts: live interpreters
//!   that keep their variables and files between runs.
//! - [`config`]: server settings from the environment and `.env`.
//! - [`metrics`]: Prometheus metrics (`GET /metrics`).
//! - [`server`]: the HTTP API (axum) and the Socket.IO shell (socketioxide).
//! - [`cluster`]: many nodes over Redis: the shared job queue, results,
//!   and which node holds which session.
//! - [`cli`]: the `polyrun` command line.

pub mod budget;
pub mod clang;
pub mod cli;
pub mod cluster;
pub mod compile;
pub mod config;
pub mod contexts;
pub mod deep_stack;
pub mod engine;
pub mod judge;
pub mod language;
pub mod metrics;
pub mod packages;
pub mod provision;
pub mod runtimes;
pub mod sandbox;
pub mod server;
pub mod session;
pub mod shell;
pub mod transpile;
