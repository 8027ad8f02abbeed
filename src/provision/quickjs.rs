//! Building QuickJS-ng's `qjs` command to `qjs.wasm` with the clang module
//! itself, inside wasmtime: no native C compiler is involved, so the build is
//! the same on every host.
//!
//! `qjs.c` gets two small patches that hook in our Node.js support
//! (`src/language/node/polyrun_node.c`): built-in module names for `import`,
//! and a way to evaluate CommonJS modules under their own file names.

use std::time::Duration;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use super::Progress;
use crate::clang::Toolchain;
use crate::engine::{Limits, Mount};
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

const FLAGS: [&str; 8] = [
    "-O2",
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

/// Exact replacements in `qjs.c`; each must match once, so a changed
/// upstream file fails loudly instead of building something else.
const PATCHES: [(&str, &str); 3] = [
    (
        "    JS_SetModuleLoaderFunc2(rt, NULL, js_module_loader, js_module_check_attributes, NULL);",
        "    JS_SetModuleLoaderFunc2(rt, polyrun_module_normalize, js_module_loader, js_module_check_attributes, NULL);",
    ),
    (
        "    js_init_module_bjson(ctx, \"qjs:bjson\");\n",
        "    js_init_module_bjson(ctx, \"qjs:bjson\");\n    polyrun_init_context(ctx);\n",
    ),
    (
        "        if (r) {\n            js_std_dump_error(ctx);\n            goto fail;\n        }\n    }\n",
        "        if (r) {\n            js_std_dump_error(ctx);\n            goto fail;\n        }\n        polyrun_before_exit(ctx);\n    }\n",
    ),
];

/// QuickJS turns its stack check off under WASI. Our build has an 8 MiB
/// stack in linear memory, so the check works: runaway recursion becomes a
/// catchable `RangeError` instead of a wasm trap.
const ENGINE_PATCHES: [(&str, &str); 2] = [
    (
        "    rt->stack_size = JS_DEFAULT_STACK_SIZE;\n#ifdef __wasi__\n    rt->stack_size = 0;\n#endif\n",
        "    rt->stack_size = JS_DEFAULT_STACK_SIZE;\n",
    ),
    (
        "static void update_stack_limit(JSRuntime *rt)\n{\n#if defined(__wasi__)\n    rt->stack_limit = 0; /* no limit */\n#else\n",
        "static void update_stack_limit(JSRuntime *rt)\n{\n#if 0\n    rt->stack_limit = 0; /* no limit */\n#else\n",
    ),
];

const DECLARATIONS: &str = "#include \"quickjs.h\"\n\
char *polyrun_module_normalize(JSContext *ctx, const char *base, const char *name, void *opaque);\n\
void polyrun_init_context(JSContext *ctx);\n\
void polyrun_before_exit(JSContext *ctx);\n";

/// Writes the patched `qjs-polyrun.c`, `quickjs-polyrun.c` and
/// `polyrun_node.c` beside the upstream sources.
fn write_patched_sources(src: &std::path::Path) -> anyhow::Result<()> {
    let mut qjs = patched(src, "qjs.c", &PATCHES)?;
    qjs.insert_str(0, DECLARATIONS);
    std::fs::write(src.join("qjs-polyrun.c"), qjs)?;
    std::fs::write(
        src.join("quickjs-polyrun.c"),
        patched(src, "quickjs.c", &ENGINE_PATCHES)?,
    )?;
    std::fs::write(src.join("polyrun_node.c"), NODE_SUPPORT)?;
    Ok(())
}

fn patched(src: &std::path::Path, file: &str, patches: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut text =
        std::fs::read_to_string(src.join(file)).with_context(|| format!("cannot read {file}"))?;
    for (from, to) in patches {
        anyhow::ensure!(
            text.matches(from).count() == 1,
            "{file} no longer matches polyrun's patch (looking for {from:?})"
        );
        text = text.replacen(from, to, 1);
    }
    Ok(text)
}

/// Builds `qjs.wasm` unless `recorded` already names the current inputs.
/// Returns whether it built.
pub async fn build_if_needed(
    dir: &RuntimeDir,
    recorded: &mut String,
    progress: &Progress,
) -> anyhow::Result<bool> {
    let quickjs = dir.root().join("quickjs");
    write_patched_sources(&quickjs.join("src"))?;
    let inputs = inputs_hash(dir)?;
    if *recorded == inputs && dir.module(Runtime::QuickJs).exists() {
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
        "/quickjs/qjs.wasm".into(),
    ]);
    let steps = toolchain.plan("clang", &args).await?;
    let parallelism = std::thread::available_parallelism().map_or(2, |n| n.get());
    if let Err(failure) = toolchain.run_plan(&steps, parallelism).await {
        let outcome = failure.outcome;
        bail!(
            "building qjs.wasm failed ({}{}):\n{}",
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

/// Hash of what this binary adds to the build (patches, our C file,
/// flags): cheap to compute, so readiness checks can tell that `qjs.wasm`
/// was built by an older recipe.
pub fn recipe_hash() -> String {
    let mut hasher = Sha256::new();
    for (from, to) in PATCHES.iter().chain(&ENGINE_PATCHES) {
        hasher.update(from);
        hasher.update(to);
    }
    hasher.update(DECLARATIONS);
    hasher.update(NODE_SUPPORT);
    for item in SOURCES.iter().chain(FLAGS.iter()).chain([&STACK_FLAG]) {
        hasher.update(item);
    }
    hex::encode(hasher.finalize())
}

/// Hash of everything the build depends on: sources, flags, compiler.
fn inputs_hash(dir: &RuntimeDir) -> anyhow::Result<String> {
    let src = dir.root().join("quickjs").join("src");
    let mut hasher = Sha256::new();
    for source in SOURCES {
        let path = src.join(source);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        hasher.update(source.as_bytes());
        hasher.update(Sha256::digest(&bytes));
    }
    for flag in FLAGS.iter().chain([&STACK_FLAG]) {
        hasher.update(flag.as_bytes());
    }
    hasher.update(super::fetch::sha256_file(&dir.module(Runtime::Clang))?.as_bytes());
    Ok(hex::encode(hasher.finalize()))
}
