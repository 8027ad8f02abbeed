//! Building QuickJS-ng's `qjs` to a WASI reactor with the clang module
//! itself, inside wasmtime: no native C compiler is involved, so the build is
//! the same on every host. Then the snapshot every JavaScript run starts
//! from: the reactor after `polyrun_initialize` evaluated the Node.js prelude.
//!
//! `qjs.c` gets our Node.js support (`src/language/node/polyrun_node.c`:
//! built-in module names for `import`, CommonJS modules evaluated under
//! their own file names) and the snapshot's entry points
//! (`polyrun_snapshot.c`, appended so it can use `qjs.c`'s own helpers).

use std::time::Duration;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use super::Progress;
use super::sources::{Replacement, hash_files, read_patched};
use crate::clang::Toolchain;
use crate::engine::{Limits, Mount};
use crate::language::node;
use crate::runtimes::{Runtime, RuntimeDir};

/// The `qjs` command with its `std`/`os` modules and REPL, patched.
const SOURCES: [&str; 9] = [
    "qjs-polyrun.c",
    "polyrun_node.c",
    "quickjs-polyrun.c",
    "quickjs-libc.c",
    "libregexp.c",
    "libunicode.c",
    "dtoa.c",
    "gen/repl.c",
    "gen/standalone.c",
];

const FLAGS: [&str; 9] = [
    "-O2",
    "-mexec-model=reactor",
    "-D_GNU_SOURCE",
    "-DQJS_BUILD_LIBC",
    "-D_WASI_EMULATED_PROCESS_CLOCKS",
    "-D_WASI_EMULATED_SIGNAL",
    "-lwasi-emulated-process-clocks",
    "-lwasi-emulated-signal",
    "-lm",
];

/// Native programs expect about 8 MiB of stack; wasm-ld's default is 64 KiB.
const STACK_FLAG: &str = "-Wl,-z,stack-size=8388608";

const NODE_SUPPORT: &str = include_str!("../language/node/polyrun_node.c");

/// Appended to `qjs.c`: the snapshot's `polyrun_initialize` and
/// `polyrun_run` (its `main` stays, unused by a reactor).
const SNAPSHOT_ENTRY: &str = include_str!("../language/node/polyrun_snapshot.c");

/// Exact replacements in `qjs.c`; each must match once, so a changed
/// upstream file fails loudly instead of building something else.
const PATCHES: [Replacement; 1] = [(
    "    js_init_module_bjson(ctx, \"qjs:bjson\");\n",
    "    js_init_module_bjson(ctx, \"qjs:bjson\");\n    polyrun_init_context(ctx);\n",
)];

/// QuickJS turns its stack check off under WASI. Our build has an 8 MiB
/// stack in linear memory, so the check works: runaway recursion becomes a
/// catchable `RangeError` instead of a wasm trap. `performance.timeOrigin`
/// becomes configurable, so each run can set its own.
const ENGINE_PATCHES: [Replacement; 3] = [
    (
        "    rt->stack_size = JS_DEFAULT_STACK_SIZE;\n#ifdef __wasi__\n    rt->stack_size = 0;\n#endif\n",
        "    rt->stack_size = JS_DEFAULT_STACK_SIZE;\n",
    ),
    (
        "static void update_stack_limit(JSRuntime *rt)\n{\n#if defined(__wasi__)\n    rt->stack_limit = 0; /* no limit */\n#else\n",
        "static void update_stack_limit(JSRuntime *rt)\n{\n#if 0\n    rt->stack_limit = 0; /* no limit */\n#else\n",
    ),
    (
        "                           js_float64(ctx->time_origin),\n                           JS_PROP_ENUMERABLE);\n",
        "                           js_float64(ctx->time_origin),\n                           JS_PROP_ENUMERABLE | JS_PROP_CONFIGURABLE);\n",
    ),
];

/// Appended to `quickjs.c`: what a context restored from the snapshot needs
/// to be a new process's, and only `quickjs.c` can reach. The string-hash
/// seed stays the snapshot's.
const ENGINE_APPENDIX: &str = r#"
/* polyrun: a context restored from a snapshot starts a new process's
   Math.random sequence and performance.now() clock. */
void polyrun_restart_context(JSContext *ctx, uint64_t seed)
{
    ctx->random_state = seed ? seed : 1;
    ctx->time_origin = js__now_ms();
    JSValue performance = JS_GetPropertyStr(ctx, ctx->global_obj, "performance");
    if (JS_IsObject(performance))
        JS_DefinePropertyValueStr(ctx, performance, "timeOrigin",
                                  js_float64(ctx->time_origin),
                                  JS_PROP_ENUMERABLE | JS_PROP_CONFIGURABLE);
    JS_FreeValue(ctx, performance);
}
"#;

const DECLARATIONS: &str = "#include <unistd.h>\n#include \"quickjs.h\"\n\
char *polyrun_module_normalize(JSContext *ctx, const char *base, const char *name, void *opaque);\n\
JSModuleDef *polyrun_module_loader(JSContext *ctx, const char *name, void *opaque, JSValueConst attributes);\n\
void polyrun_init_context(JSContext *ctx);\n\
void polyrun_before_exit(JSContext *ctx);\n";

/// Writes the patched `qjs-polyrun.c`, `quickjs-polyrun.c` and
/// `polyrun_node.c` beside the upstream sources.
fn write_patched_sources(src: &std::path::Path) -> anyhow::Result<()> {
    let mut qjs = read_patched(&src.join("qjs.c"), &PATCHES)?;
    qjs.insert_str(0, DECLARATIONS);
    qjs.push_str(SNAPSHOT_ENTRY);
    std::fs::write(src.join("qjs-polyrun.c"), qjs)?;
    let mut engine = read_patched(&src.join("quickjs.c"), &ENGINE_PATCHES)?;
    engine.push_str(ENGINE_APPENDIX);
    std::fs::write(src.join("quickjs-polyrun.c"), engine)?;
    std::fs::write(src.join("polyrun_node.c"), NODE_SUPPORT)?;
    Ok(())
}

/// Builds `reactor.wasm` unless `recorded` already names the current inputs.
/// Returns whether it built.
/// `clang_sha`: the clang module's hash, as the manifest records it.
pub async fn build_if_needed(
    dir: &RuntimeDir,
    clang_sha: &str,
    recorded: &mut String,
    progress: &Progress,
) -> anyhow::Result<bool> {
    let quickjs = dir.root().join("quickjs");
    write_patched_sources(&quickjs.join("src"))?;
    let inputs = inputs_hash(dir, clang_sha)?;
    if *recorded == inputs && dir.quickjs_reactor().exists() {
        return Ok(false);
    }
    progress.note(format!(
        "      compiling {} sources at -O2 (about a minute on 2 cores)…",
        SOURCES.len()
    ));
    let scratch = dir.work_dir().join("quickjs-tmp");
    std::fs::create_dir_all(&scratch)?;
    let engine = super::clang_engine(dir)?;
    let toolchain = Toolchain::new(
        std::sync::Arc::new(engine),
        Mount::read_only(dir.sysroot(), "/usr"),
        scratch.clone(),
        vec![Mount::read_write(&quickjs, "/quickjs")],
        build_limits(),
    );
    let mut args: Vec<String> = SOURCES
        .iter()
        .map(|s| format!("/quickjs/src/{s}"))
        .collect();
    args.extend(FLAGS.iter().map(|f| f.to_string()));
    args.extend([
        STACK_FLAG.to_owned(),
        "-o".into(),
        "/quickjs/reactor.wasm".into(),
    ]);
    let steps = toolchain.plan("clang", &args).await?;
    let parallelism = std::thread::available_parallelism().map_or(2, |n| n.get());
    if let Err(failure) = toolchain.run_plan(&steps, parallelism).await {
        let outcome = failure.outcome;
        bail!(
            "building QuickJS failed ({}{}):\n{}",
            outcome.status,
            outcome
                .message
                .as_ref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default(),
            outcome.stderr_lossy().trim()
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    *recorded = inputs;
    Ok(true)
}

fn build_limits() -> Limits {
    Limits {
        wall_time: Duration::from_secs(15 * 60),
        fuel: u64::MAX / 2,
        memory_bytes: 2 << 30,
        output_bytes: 4 << 20,
    }
}

/// Hash of what this binary adds to the build (patches, our C files,
/// flags): cheap to compute, so readiness checks can tell that the reactor
/// was built by an older recipe.
pub fn recipe_hash() -> String {
    let mut hasher = Sha256::new();
    for (from, to) in PATCHES.iter().chain(&ENGINE_PATCHES) {
        hasher.update(from);
        hasher.update(to);
    }
    hasher.update(DECLARATIONS);
    hasher.update(NODE_SUPPORT);
    hasher.update(SNAPSHOT_ENTRY);
    hasher.update(ENGINE_APPENDIX);
    for item in SOURCES.iter().chain(FLAGS.iter()).chain([&STACK_FLAG]) {
        hasher.update(item);
    }
    hex::encode(hasher.finalize())
}

/// Hash of everything the build depends on: sources, flags, compiler.
fn inputs_hash(dir: &RuntimeDir, clang_sha: &str) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    hash_files(
        &mut hasher,
        &dir.root().join("quickjs").join("src"),
        SOURCES,
    )?;
    for flag in FLAGS.iter().chain([&STACK_FLAG]) {
        hasher.update(flag.as_bytes());
    }
    hasher.update(clang_sha.as_bytes());
    Ok(hex::encode(hasher.finalize()))
}

/// Hash of what the snapshot is made from: the reactor's recipe and the
/// prelude it evaluates.
pub fn snapshot_recipe() -> String {
    let mut hasher = Sha256::new();
    hasher.update(recipe_hash());
    hasher.update(node::PRELUDE_SOURCE);
    hex::encode(hasher.finalize())
}

/// Makes `quickjs/qjs.wasm`: the reactor after `polyrun_initialize`, with
/// the Node.js support files where runs see them.
pub async fn make_snapshot(dir: &RuntimeDir) -> anyhow::Result<()> {
    let reactor_path = dir.quickjs_reactor();
    let reactor = std::fs::read(&reactor_path)
        .with_context(|| format!("cannot read {}", reactor_path.display()))?;
    let support = node::NodeSupport::new().context("cannot write the Node.js support files")?;
    let scratch = tempfile::tempdir().context("cannot create a scratch root")?;
    let mounts = [
        Mount::read_write(scratch.path(), "/"),
        Mount::read_only(support.path(), node::MOUNT),
    ];
    let snapshot = super::snapshot::make(&reactor, "qjs", &mounts, Some(INITIALIZE), async |qjs| {
        qjs.call("_initialize").await?;
        qjs.call(INITIALIZE).await
    })
    .await
    .context("cannot snapshot QuickJS")?;
    super::write_atomically(&dir.module(Runtime::QuickJs), &snapshot)
}

/// The reactor's export that evaluates the prelude (see
/// `polyrun_snapshot.c`); the snapshot drops it.
const INITIALIZE: &str = "polyrun_initialize";
