//! The C++ exception runtime: libc++, libc++abi and libunwind built with
//! wasm exception handling, by the clang module itself at provisioning.
//!
//! The clang sysroot's libc++ and libc++abi are built without exceptions
//! (every `throw` aborts, even inside `stoi`) and it has no libunwind. Their
//! LLVM 22.1.8 sources come from the pinned `ziglang` wheel (see
//! `runtimes.lock`) and build against the sysroot's 22.1 headers. Every
//! object uses the standard wasm exception encoding (`try_table`), the only
//! one wasmtime accepts; C programs never link these archives.
//!
//! The archives go to `/usr/lib/polyrun/eh`, which C++ links search first
//! ([`crate::compile::support::CXX_LINK_FLAGS`]).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use super::Progress;
use super::sources::{Replacement, hash_files, is_patched, patch_in_place, read_patched};
use crate::clang::{Step, Toolchain};
use crate::compile::support::EXCEPTION_FLAGS;
use crate::engine::{Limits, Mount};
use crate::runtimes::RuntimeDir;

/// Where the lock extracts the sources, under the runtimes directory.
const SOURCES_DIR: &str = "cxx-runtime";
/// Where the toolchain sees them.
const SOURCES_MOUNT: &str = "/src";
/// Where the archives go inside the sysroot (mounted at `/usr`).
pub const ARCHIVE_DIR: &str = "/usr/lib/polyrun/eh";

/// One archive: its sources (relative to [`SOURCES_DIR`]) and own flags.
struct Library {
    archive: &'static str,
    /// `clang` for C sources, `clang++` for C++.
    driver: &'static str,
    flags: &'static [&'static str],
    sources: &'static [&'static str],
}

/// The wasm exception tag C++ throws with. libunwind's `Unwind-wasm.c`
/// throws to it but does not define it, and the compiler-rt object that
/// should is empty in this sysroot.
const EXCEPTION_TAG: &str = "libunwind/src/polyrun-cpp-exception-tag.s";
const EXCEPTION_TAG_SOURCE: &str =
    ".globl __cpp_exception\n.tagtype __cpp_exception i32\n__cpp_exception:\n";

const LIBUNWIND: Library = Library {
    archive: "libunwind.a",
    driver: "clang",
    flags: &[
        "-std=c11",
        "-mexception-handling",
        "-D_LIBUNWIND_HIDE_SYMBOLS",
        "-D_LIBUNWIND_IS_NATIVE_ONLY",
        "-I/src/libunwind/include",
    ],
    sources: &["libunwind/src/Unwind-wasm.c", EXCEPTION_TAG],
};

const LIBCXXABI: Library = Library {
    archive: "libc++abi.a",
    driver: "clang++",
    flags: &[
        "-std=c++23",
        "-D_LIBCXXABI_BUILDING_LIBRARY",
        "-D_LIBCPP_BUILDING_LIBRARY",
        "-I/src/libcxxabi/include",
        "-I/src/libcxxabi/src",
        "-I/src/libcxx/src",
    ],
    sources: &[
        "libcxxabi/src/abort_message-polyrun.cpp",
        "libcxxabi/src/cxa_aux_runtime.cpp",
        "libcxxabi/src/cxa_default_handlers-polyrun.cpp",
        "libcxxabi/src/cxa_demangle.cpp",
        "libcxxabi/src/cxa_exception-polyrun.cpp",
        "libcxxabi/src/cxa_exception_storage.cpp",
        "libcxxabi/src/cxa_guard.cpp",
        "libcxxabi/src/cxa_handlers.cpp",
        "libcxxabi/src/cxa_personality.cpp",
        "libcxxabi/src/cxa_vector.cpp",
        "libcxxabi/src/cxa_virtual.cpp",
        "libcxxabi/src/fallback_malloc.cpp",
        "libcxxabi/src/private_typeinfo.cpp",
        "libcxxabi/src/stdlib_exception.cpp",
        "libcxxabi/src/stdlib_new_delete.cpp",
        "libcxxabi/src/stdlib_stdexcept.cpp",
        "libcxxabi/src/stdlib_typeinfo.cpp",
    ],
};

/// The same members as the sysroot's own `libc++.a`.
const LIBCXX: Library = Library {
    archive: "libc++.a",
    driver: "clang++",
    flags: &[
        "-std=c++23",
        "-D_LIBCPP_BUILDING_LIBRARY",
        "-DLIBCXX_BUILDING_LIBCXXABI",
        "-fvisibility-inlines-hidden",
        "-I/src/libcxx/src",
        "-I/src/libcxxabi/include",
        "-I/src/libcxx/libc",
        "-I/src/libcxx/libc/include",
    ],
    sources: &[
        "libcxx/src/algorithm.cpp",
        "libcxx/src/any.cpp",
        "libcxx/src/atomic.cpp",
        "libcxx/src/barrier.cpp",
        "libcxx/src/bind.cpp",
        "libcxx/src/call_once.cpp",
        "libcxx/src/charconv.cpp",
        "libcxx/src/chrono.cpp",
        "libcxx/src/condition_variable.cpp",
        "libcxx/src/condition_variable_destructor.cpp",
        "libcxx/src/error_category.cpp",
        "libcxx/src/exception.cpp",
        "libcxx/src/expected.cpp",
        "libcxx/src/filesystem/directory_entry.cpp",
        "libcxx/src/filesystem/directory_iterator.cpp",
        "libcxx/src/filesystem/filesystem_clock.cpp",
        "libcxx/src/filesystem/filesystem_error.cpp",
        "libcxx/src/filesystem/int128_builtins.cpp",
        "libcxx/src/filesystem/operations-polyrun.cpp",
        "libcxx/src/filesystem/path.cpp",
        "libcxx/src/fstream.cpp",
        "libcxx/src/functional.cpp",
        "libcxx/src/future.cpp",
        "libcxx/src/hash.cpp",
        "libcxx/src/ios.cpp",
        "libcxx/src/ios.instantiations.cpp",
        "libcxx/src/iostream.cpp",
        "libcxx/src/locale.cpp",
        "libcxx/src/memory.cpp",
        "libcxx/src/memory_resource.cpp",
        "libcxx/src/mutex.cpp",
        "libcxx/src/mutex_destructor.cpp",
        "libcxx/src/new_handler.cpp",
        "libcxx/src/new_helpers.cpp",
        "libcxx/src/optional.cpp",
        "libcxx/src/ostream.cpp",
        "libcxx/src/print.cpp",
        "libcxx/src/random.cpp",
        "libcxx/src/random_shuffle.cpp",
        "libcxx/src/regex.cpp",
        "libcxx/src/ryu/d2fixed.cpp",
        "libcxx/src/ryu/d2s.cpp",
        "libcxx/src/ryu/f2s.cpp",
        "libcxx/src/shared_mutex.cpp",
        "libcxx/src/stdexcept.cpp",
        "libcxx/src/string.cpp",
        "libcxx/src/strstream.cpp",
        "libcxx/src/system_error.cpp",
        "libcxx/src/thread.cpp",
        "libcxx/src/typeinfo.cpp",
        "libcxx/src/valarray.cpp",
        "libcxx/src/variant.cpp",
        "libcxx/src/vector.cpp",
        "libcxx/src/verbose_abort.cpp",
    ],
};

const LIBRARIES: [&Library; 3] = [&LIBUNWIND, &LIBCXXABI, &LIBCXX];

/// Flags of every object in the runtime.
const COMMON_FLAGS: [&str; 3] = ["-O2", "-DNDEBUG", "-fno-color-diagnostics"];

/// A source file we build from a patched copy: `(original, copy, [(from,
/// to)])`. Each `from` must match exactly once, so that a changed upstream
/// file fails loudly instead of building something else.
type Patch = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const PATCHES: [Patch; 4] = [
    // WASI has no copy_file_range; wasi-libc is musl, which would enable it.
    (
        "libcxx/src/filesystem/operations.cpp",
        "libcxx/src/filesystem/operations-polyrun.cpp",
        &[(
            "#if _LIBCPP_GLIBC_PREREQ(2, 27) || _LIBCPP_HAS_MUSL_LIBC || defined(__FreeBSD__)\n",
            "#if (_LIBCPP_GLIBC_PREREQ(2, 27) || _LIBCPP_HAS_MUSL_LIBC || defined(__FreeBSD__)) && !defined(__wasi__)\n",
        )],
    ),
    // In wasm, the terminate pad of a `noexcept` function calls
    // std::terminate without catching the exception first, so the handler
    // would not know it: __cxa_throw records the exception it raises.
    (
        "libcxxabi/src/cxa_exception.cpp",
        "libcxxabi/src/cxa_exception-polyrun.cpp",
        &[
            (
                "namespace __cxxabiv1 {\n\n//  Utility routines\n",
                "namespace __cxxabiv1 {\n\n__cxa_exception* polyrun_in_flight = nullptr;\n\n//  Utility routines\n",
            ),
            (
                "  exception_header->referenceCount = 1; // This is a newly allocated exception, no need for thread safety.\n",
                "  exception_header->referenceCount = 1; // This is a newly allocated exception, no need for thread safety.\n  polyrun_in_flight = exception_header;\n",
            ),
        ],
    ),
    // std::terminate prints what g++'s verbose handler prints, which
    // programs' users and judges know, also for an exception that is
    // still in flight (see above).
    (
        "libcxxabi/src/cxa_default_handlers.cpp",
        "libcxxabi/src/cxa_default_handlers-polyrun.cpp",
        &[
            (
                "#if !defined(LIBCXXABI_SILENT_TERMINATE)\n",
                concat!(
                    "namespace __cxxabiv1 { extern __cxa_exception* polyrun_in_flight; }\n\n",
                    "// polyrun: a type's name as g++ prints it, without libc++'s ABI\n",
                    "// namespace (std::__2::system_error is std::system_error).\n",
                    "static const char* polyrun_plain_name(const char* name) {\n",
                    "    static char plain[512];\n",
                    "    size_t out = 0;\n",
                    "    for (const char* p = name; *p && out + 1 < sizeof plain;) {\n",
                    "        if (p != name && p[-1] == ':' && p[0] == '_' && p[1] == '_' && p[2] == '2' && p[3] == ':' && p[4] == ':') {\n",
                    "            p += 5;\n",
                    "            continue;\n",
                    "        }\n",
                    "        plain[out++] = *p++;\n",
                    "    }\n",
                    "    plain[out] = '\\0';\n",
                    "    return plain;\n",
                    "}\n\n",
                    "#if !defined(LIBCXXABI_SILENT_TERMINATE)\n",
                ),
            ),
            (
                "    if (!globals)\n        __abort_message(\"terminating\");\n",
                "    if (!globals)\n        __abort_message(\"terminate called without an active exception\");\n",
            ),
            (
                "    if (!exception_header)\n        __abort_message(\"terminating\");\n",
                "    if (!exception_header && globals->uncaughtExceptions > 0)\n        exception_header = polyrun_in_flight;\n    if (!exception_header)\n        __abort_message(\"terminate called without an active exception\");\n",
            ),
            (
                "__abort_message(\"terminating due to %s exception of type %s: %s\", cause, name, e->what());",
                "(void)cause;\n        __abort_message(\"terminate called after throwing an instance of '%s'\\n  what():  %s\", polyrun_plain_name(name), e->what());",
            ),
            (
                "__abort_message(\"terminating due to %s exception of type %s\", cause, name);",
                "__abort_message(\"terminate called after throwing an instance of '%s'\", polyrun_plain_name(name));",
            ),
        ],
    ),
    // No "libc++abi: " prefix (g++ has none), and what the program printed
    // before is not lost in stdout's buffer.
    (
        "libcxxabi/src/abort_message.cpp",
        "libcxxabi/src/abort_message-polyrun.cpp",
        &[(
            "        fprintf(stderr, \"libc++abi: \");\n",
            "        fflush(stdout);\n",
        )],
    ),
];

/// Fixes to the sysroot's libc++ 22.1.0 headers, made in place: `(header
/// under `include/c++/v1`, [(from, to)])`.
type HeaderPatch = (&'static str, &'static [Replacement]);

pub(super) const HEADER_PATCHES: [HeaderPatch; 1] = [
    // The sysroot's libc++ uses ABI version 2, whose `std::function` keeps a
    // plain function pointer, and these three places reset it to null
    // instead of to the function that throws `bad_function_call`: calling
    // a function after `f = nullptr` (or a moved-from one) was a wasm trap,
    // and at -O2 undefined behaviour that deleted the code around it.
    (
        "__functional/function.h",
        &[
            (
                "    __policy_           = __policy::__create_empty();\n    __func_             = {};\n",
                "    __policy_           = __policy::__create_empty();\n    __func_             = __empty_func;\n",
            ),
            (
                "      __f.__policy_ = __policy::__create_empty();\n      __f.__func_   = {};\n",
                "      __f.__policy_ = __policy::__create_empty();\n      __f.__func_   = __empty_func;\n",
            ),
            (
                "    __f.__policy_ = __policy::__create_empty();\n    __f.__func_   = {};\n",
                "    __f.__policy_ = __policy::__create_empty();\n    __f.__func_   = __empty_func;\n",
            ),
        ],
    ),
];

fn libcxx_headers(dir: &RuntimeDir) -> std::path::PathBuf {
    dir.sysroot().join("include").join("c++").join("v1")
}

/// Applies [`HEADER_PATCHES`] to the sysroot (again harmlessly).
pub fn patch_headers(dir: &RuntimeDir) -> anyhow::Result<()> {
    for (header, patches) in HEADER_PATCHES {
        patch_in_place(&libcxx_headers(dir).join(Path::new(header)), patches)?;
    }
    Ok(())
}

/// Whether every header patch is in place (a cheap readiness check).
pub fn headers_patched(dir: &RuntimeDir) -> bool {
    HEADER_PATCHES
        .iter()
        .all(|(header, patches)| is_patched(&libcxx_headers(dir).join(Path::new(header)), patches))
}

/// The archives exist.
pub fn present(dir: &RuntimeDir) -> bool {
    LIBRARIES
        .iter()
        .all(|library| archive_path(dir, library.archive).is_file())
}

fn archive_path(dir: &RuntimeDir, archive: &str) -> std::path::PathBuf {
    let relative = ARCHIVE_DIR.trim_start_matches("/usr/");
    dir.sysroot().join(Path::new(relative)).join(archive)
}

/// Builds the archives unless `recorded` already names the current inputs.
/// Returns whether it built.
/// `clang_sha`: the clang module's hash, as the manifest records it.
pub async fn build_if_needed(
    dir: &RuntimeDir,
    clang_sha: &str,
    recorded: &mut String,
    progress: &Progress,
) -> anyhow::Result<bool> {
    patch_headers(dir)?;
    let sources = dir.root().join(SOURCES_DIR);
    write_patched_sources(&sources)?;
    let inputs = inputs_hash(dir, clang_sha)?;
    if *recorded == inputs && present(dir) {
        return Ok(false);
    }
    let count: usize = LIBRARIES.iter().map(|l| l.sources.len()).sum();
    progress.note(format!(
        "      compiling {count} sources at -O2 (about 3 minutes on 2 cores)…"
    ));
    build(dir, &sources).await?;
    *recorded = inputs;
    Ok(true)
}

async fn build(dir: &RuntimeDir, sources: &Path) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    std::fs::create_dir_all(archive_path(dir, "")).context("cannot create the archive folder")?;
    let toolchain = Toolchain::new(
        Arc::new(super::clang_engine(dir)?),
        Mount::read_write(dir.sysroot(), "/usr"),
        scratch.path().to_path_buf(),
        vec![Mount::read_only(sources, SOURCES_MOUNT)],
        Limits {
            wall_time: Duration::from_secs(10 * 60),
            fuel: u64::MAX / 2,
            memory_bytes: 2 << 30,
            output_bytes: 4 << 20,
        },
    );
    let mut steps = Vec::new();
    let mut archives = Vec::new();
    for library in LIBRARIES {
        let (compiles, objects) = plan_library(&toolchain, library).await?;
        steps.extend(compiles);
        archives.push(archive_step(library, objects));
    }
    let parallelism = std::thread::available_parallelism().map_or(2, |n| n.get());
    steps.extend(archives);
    if let Err(failure) = toolchain.run_plan(&steps, parallelism).await {
        let outcome = failure.outcome;
        bail!(
            "building the C++ exception runtime failed ({}):\n{}",
            outcome.status,
            outcome.stderr_lossy().trim()
        );
    }
    Ok(())
}

/// The compile steps of one library, each writing its own object in
/// `/tmp/<archive>/`, and those objects.
async fn plan_library(
    toolchain: &Toolchain,
    library: &Library,
) -> anyhow::Result<(Vec<Step>, Vec<String>)> {
    let mut args: Vec<String> = COMMON_FLAGS
        .iter()
        .chain(&EXCEPTION_FLAGS)
        .chain(library.flags)
        .map(|f| f.to_string())
        .collect();
    args.push("-c".into());
    args.extend(
        library
            .sources
            .iter()
            .map(|s| format!("{SOURCES_MOUNT}/{s}")),
    );
    let mut steps = toolchain.plan(library.driver, &args).await?;
    let mut objects = Vec::new();
    for (index, step) in steps.iter_mut().enumerate() {
        let output = step
            .args
            .iter()
            .position(|a| a == "-o")
            .and_then(|at| step.args.get_mut(at + 1))
            .with_context(|| format!("a compile step of {} has no output", library.archive))?;
        let object = format!("/tmp/{}-{index}.o", library.archive);
        *output = object.clone();
        objects.push(object);
    }
    Ok((steps, objects))
}

fn archive_step(library: &Library, objects: Vec<String>) -> Step {
    let mut args = vec![
        "rcs".to_owned(),
        format!("{ARCHIVE_DIR}/{}", library.archive),
    ];
    args.extend(objects);
    Step {
        tool: "llvm-ar".into(),
        args,
    }
}

/// Writes each patched copy beside its original (so that its relative
/// includes resolve), and the exception tag's assembly.
fn write_patched_sources(sources: &Path) -> anyhow::Result<()> {
    for (original, copy, patches) in PATCHES {
        let text = read_patched(&sources.join(Path::new(original)), patches)?;
        std::fs::write(sources.join(Path::new(copy)), text)
            .with_context(|| format!("cannot write {copy}"))?;
    }
    std::fs::write(sources.join(Path::new(EXCEPTION_TAG)), EXCEPTION_TAG_SOURCE)
        .context("cannot write the exception tag")?;
    Ok(())
}

/// Hash of everything the archives are built from: sources (patched),
/// flags, and the compiler.
fn inputs_hash(dir: &RuntimeDir, clang_sha: &str) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(recipe_hash());
    let sources = LIBRARIES
        .iter()
        .flat_map(|library| library.sources.iter().copied());
    hash_files(&mut hasher, &dir.root().join(SOURCES_DIR), sources)?;
    hasher.update(clang_sha.as_bytes());
    Ok(hex::encode(hasher.finalize()))
}

/// Hash of what this binary adds to the build: flags, source lists and
/// patches. Cheap, so readiness checks can tell an older recipe's archives.
pub fn recipe_hash() -> String {
    let mut hasher = Sha256::new();
    for flag in COMMON_FLAGS.iter().chain(&EXCEPTION_FLAGS) {
        hasher.update(flag);
    }
    for library in LIBRARIES {
        hasher.update(library.archive);
        hasher.update(library.driver);
        for item in library.flags.iter().chain(library.sources) {
            hasher.update(item);
        }
    }
    for (original, copy, patches) in PATCHES {
        hasher.update(original);
        hasher.update(copy);
        for (from, to) in patches {
            hasher.update(from);
            hasher.update(to);
        }
    }
    hasher.update(EXCEPTION_TAG_SOURCE);
    for (header, patches) in HEADER_PATCHES {
        hasher.update(header);
        for (from, to) in patches {
            hasher.update(from);
            hasher.update(to);
        }
    }
    hex::encode(hasher.finalize())
}
