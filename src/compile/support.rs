//! Our additions to the clang sysroot, built once at provisioning with the
//! clang module: the start-up object that moves programs into their working
//! directory (and gives them glibc's `rand`), the wrapper that lets an
//! uncaught C++ exception end as on a native target, `bits/stdc++.h`, and
//! the precompiled headers. (The C++ exception runtime itself is built by
//! `provision::cxx_runtime`.)

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use super::headers::{
    COMMON_HEADER_PATH, COMMON_HEADERS, PRECOMPILED, STDCXX_HEADER_PATH, STDCXX_HEADERS,
    header_text,
};
use crate::clang::{Step, Toolchain};
use crate::engine::{Engine, Limits, Mount};
use crate::runtimes::RuntimeDir;

/// Linked into every C++ program: runs `main` so that an exception it lets
/// escape calls `std::terminate` (see `main_wrapper.cpp`).
pub const MAIN_WRAPPER_OBJECT: &str = "/usr/lib/polyrun/main_wrapper.o";
const MAIN_WRAPPER_SOURCE: &str = include_str!("main_wrapper.cpp");

/// Linked into every C and C++ program: starts it in `PWD`, and defines
/// glibc's `rand`/`srand`.
pub const STARTUP_OBJECT: &str = "/usr/lib/polyrun/startup.o";
const STARTUP_SOURCE: &str = include_str!("startup.c");

/// Linked into every C and C++ program: what wasi-libc leaves out of POSIX
/// and test frameworks call (`src/compile/posix/`): `sigaction`,
/// `sigaltstack` and the signal sets over its `signal`/`raise` emulation;
/// `dup`, `dup2`, `mkstemp`, `mkdtemp`. Each source's header says what its
/// functions do in a WebAssembly program.
pub const POSIX_OBJECTS: [&str; 2] = ["/usr/lib/polyrun/signal.o", "/usr/lib/polyrun/files.o"];
const POSIX_SOURCES: [(&str, &str); 2] = [
    ("signal.c", include_str!("posix/signal.c")),
    ("files.c", include_str!("posix/files.c")),
];

/// Declare what [`POSIX_OBJECTS`] define, each including the sysroot's
/// header of its name first, from a directory searched before the
/// sysroot's; and musl's `sigset_t` in place of wasi-libc's one-byte
/// placeholder, which cannot hold the signals.
const POSIX_INCLUDE_DIR: &str = "/usr/include/polyrun";
const POSIX_HEADERS: [(&str, &str); 4] = [
    ("signal.h", include_str!("posix/signal.h")),
    (
        "__typedef_sigset_t.h",
        include_str!("posix/__typedef_sigset_t.h"),
    ),
    ("unistd.h", include_str!("posix/unistd.h")),
    ("stdlib.h", include_str!("posix/stdlib.h")),
];

/// Wasm exception handling in the standard encoding (`try_table`,
/// `throw_ref`), the only one wasmtime accepts; clang 22 emits the legacy
/// one unless told. Every C++ object gets these: programs, precompiled
/// headers and the exception runtime.
pub const EXCEPTION_FLAGS: [&str; 3] = ["-fwasm-exceptions", "-mllvm", "-wasm-use-legacy-eh=false"];

/// Link flags of every C++ program: the exception runtime's archives come
/// before the sysroot's (built without exceptions), with libunwind, and
/// `main` runs inside [`MAIN_WRAPPER_OBJECT`].
pub const CXX_LINK_FLAGS: [&str; 4] = [
    "-L/usr/lib/polyrun/eh",
    "-lunwind",
    "-Wl,--wrap=__main_void",
    MAIN_WRAPPER_OBJECT,
];

/// Compile flags every C and C++ program gets, and the precompiled headers
/// too (a header is only valid for programs compiled with its flags):
/// automatic variables start zeroed, as g++ users see in practice (`int x;
/// cin >> x;` on empty input prints 0) and so no program can read stale
/// stack data; wasi-libc's emulated process clocks (`clock()`) and signals
/// (`signal`, `raise`), which it keeps behind these macros (and
/// `-lwasi-emulated-process-clocks`, `-lwasi-emulated-signal`); and our
/// POSIX additions ([`POSIX_OBJECTS`]), which test frameworks need;
/// `REQUIRE` in doctest, which turns exceptions off by itself for WASI (it
/// predates wasm exceptions) unless told to keep all its assertions; and
/// the execution policies of `<execution>` (`std::execution::par_unseq`),
/// which libc++ keeps behind its experimental switch, run by its serial
/// backend: the sysroot's choice, its `std::thread` backend, cannot start
/// a thread here.
pub const PROGRAM_FLAGS: [&str; 7] = [
    "-ftrivial-auto-var-init=zero",
    "-D_WASI_EMULATED_PROCESS_CLOCKS",
    "-D_WASI_EMULATED_SIGNAL",
    "-isystem/usr/include/polyrun",
    "-DDOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS",
    "-D_LIBCPP_ENABLE_EXPERIMENTAL",
    "-D_LIBCPP_PSTL_BACKEND_SERIAL",
];

/// Flags the support files are built with; precompiled headers are only
/// valid for programs compiled with the same ones (the C++ defaults, and
/// each header's own `-std`).
const BUILD_FLAGS: [&str; 13] = [
    "-O2",
    "-std=c++20",
    "-fno-color-diagnostics",
    PROGRAM_FLAGS[0],
    PROGRAM_FLAGS[1],
    PROGRAM_FLAGS[2],
    PROGRAM_FLAGS[3],
    PROGRAM_FLAGS[4],
    PROGRAM_FLAGS[5],
    PROGRAM_FLAGS[6],
    EXCEPTION_FLAGS[0],
    EXCEPTION_FLAGS[1],
    EXCEPTION_FLAGS[2],
];
/// Precompiled headers also hold the template instantiations their
/// headers need, so a program does not instantiate them again: an iostream
/// hello's -cc1 took 14% less (610 to 525 ms).
const PCH_FLAG: &str = "-fpch-instantiate-templates";

const C_BUILD_FLAGS: [&str; 4] = [
    "-O2",
    "-fno-color-diagnostics",
    PROGRAM_FLAGS[2],
    PROGRAM_FLAGS[3],
];

/// Hash of everything the support files are built from.
pub fn inputs_hash(clang_module_sha: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(MAIN_WRAPPER_SOURCE);
    hasher.update(STARTUP_SOURCE);
    for (name, text) in POSIX_SOURCES.iter().chain(&POSIX_HEADERS) {
        hasher.update(name);
        hasher.update(text);
    }
    for flag in C_BUILD_FLAGS {
        hasher.update(flag);
    }
    hasher.update(header_text(STDCXX_HEADERS));
    hasher.update(header_text(COMMON_HEADERS));
    for flag in BUILD_FLAGS.iter().chain([&PCH_FLAG]) {
        hasher.update(flag);
    }
    for pch in &PRECOMPILED {
        hasher.update(pch.standard);
        hasher.update(pch.path);
    }
    hasher.update(clang_module_sha);
    hex::encode(hasher.finalize())
}

/// The support files the compiler needs (guest paths under `/usr`).
pub fn required_files() -> impl Iterator<Item = &'static str> {
    [MAIN_WRAPPER_OBJECT, STARTUP_OBJECT]
        .into_iter()
        .chain(POSIX_OBJECTS)
        .chain(PRECOMPILED.iter().map(|pch| pch.path))
}

/// The support files the compiler needs exist.
pub fn present(dir: &RuntimeDir) -> bool {
    required_files().all(|guest| host_path(dir, guest).exists())
}

pub(crate) fn host_path(dir: &RuntimeDir, guest: &str) -> std::path::PathBuf {
    let relative = guest.trim_start_matches("/usr/");
    dir.sysroot().join(Path::new(relative))
}

/// Builds the support files into the sysroot.
pub async fn build(dir: &RuntimeDir, engine: Arc<Engine>) -> anyhow::Result<()> {
    for (guest, headers) in [
        (STDCXX_HEADER_PATH, STDCXX_HEADERS),
        (COMMON_HEADER_PATH, COMMON_HEADERS),
    ] {
        write(&host_path(dir, guest), header_text(headers).as_bytes())?;
    }
    for (name, text) in POSIX_HEADERS {
        write(
            &host_path(dir, &format!("{POSIX_INCLUDE_DIR}/{name}")),
            text.as_bytes(),
        )?;
    }
    std::fs::create_dir_all(host_path(dir, "/usr/lib/polyrun"))?;
    let scratch = tempfile::tempdir()?;
    std::fs::write(scratch.path().join("main_wrapper.cpp"), MAIN_WRAPPER_SOURCE)?;
    std::fs::write(scratch.path().join("startup.c"), STARTUP_SOURCE)?;
    for (name, text) in POSIX_SOURCES {
        std::fs::write(scratch.path().join(name), text)?;
    }
    let toolchain = Toolchain::new(
        engine,
        Mount::read_write(dir.sysroot(), "/usr"),
        scratch.path().to_path_buf(),
        vec![],
        Limits {
            wall_time: Duration::from_secs(300),
            fuel: u64::MAX / 2,
            memory_bytes: 2 << 30,
            output_bytes: 1 << 20,
        },
    );
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut jobs: Vec<(&str, Vec<String>)> = vec![
        (
            "clang++",
            strings(
                &[
                    &BUILD_FLAGS[..],
                    &["-c", "/tmp/main_wrapper.cpp", "-o", MAIN_WRAPPER_OBJECT],
                ]
                .concat(),
            ),
        ),
        (
            "clang",
            strings(
                &[
                    &C_BUILD_FLAGS[..],
                    &["-c", "/tmp/startup.c", "-o", STARTUP_OBJECT],
                ]
                .concat(),
            ),
        ),
    ];
    for ((name, _), object) in POSIX_SOURCES.iter().zip(POSIX_OBJECTS) {
        let source = format!("/tmp/{name}");
        jobs.push((
            "clang",
            strings(&[&C_BUILD_FLAGS[..], &["-c", source.as_str(), "-o", object]].concat()),
        ));
    }
    for pch in &PRECOMPILED {
        let standard = format!("-std={}", pch.standard);
        let mut args: Vec<String> = BUILD_FLAGS
            .iter()
            .map(|flag| {
                if flag.starts_with("-std=") {
                    standard.clone()
                } else {
                    flag.to_string()
                }
            })
            .collect();
        args.extend(strings(&[
            PCH_FLAG,
            "-x",
            "c++-header",
            pch.header,
            "-o",
            pch.path,
        ]));
        jobs.push(("clang++", args));
    }
    let mut steps: Vec<Step> = Vec::new();
    for (driver, args) in jobs {
        steps.extend(toolchain.plan(driver, &args).await?);
    }
    let parallelism = std::thread::available_parallelism().map_or(2, |n| n.get());
    if let Err(failure) = toolchain.run_plan(&steps, parallelism).await {
        bail!(
            "building the C++ support files failed ({}):\n{}",
            failure.outcome.status,
            failure.outcome.stderr_lossy().trim()
        );
    }
    Ok(())
}

fn write(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}
