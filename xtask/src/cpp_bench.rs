//! The bench's Catch2 section: a test project as users lay it out (a main
//! file that only instantiates Catch2's runner, and a file of test cases,
//! both including `catch.hpp`), built three ways: everything compiled, only
//! the test file changed (the main's object comes from the cache), and
//! nothing changed; against native `g++ -O2` of the same two files.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polyrun::language::{Language, Runner};
use polyrun::sandbox::Sandbox;

use crate::bench::{ms, report};

const MAIN: &str = "#define CATCH_CONFIG_MAIN\n#include \"catch.hpp\"\n";

/// The test cases of `tests/cpp/catch2_v2_test.cpp`, without its main.
fn tests_source(root: &Path) -> anyhow::Result<String> {
    let source = std::fs::read_to_string(root.join("tests/cpp/catch2_v2_test.cpp"))?;
    Ok(source.replace("#define CATCH_CONFIG_MAIN\n", ""))
}

pub async fn run(runner: &Runner, sandbox: &Sandbox, runs: usize) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    crate::cpp_fixtures::fetch()?;
    let header =
        std::fs::read(root.join("tests/cpp/frameworks/catch2/usr/include/catch2/catch.hpp"))?;
    sandbox.write_file("catch.hpp", &header)?;
    let tests = tests_source(&root)?;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    println!("\nCatch2 v2 test project (catch_main.cpp + tests.cpp, -O2, engine API)");
    let native = native_build(sandbox.host_path(), &tests, runs.min(3));
    let (mut fresh, mut changed, mut cached) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        sandbox.write_file(
            "catch_main.cpp",
            format!("// {nonce} {i}\n{MAIN}").as_bytes(),
        )?;
        sandbox.write_file("tests.cpp", format!("// {nonce} {i}\n{tests}").as_bytes())?;
        fresh.push(build_and_run(runner, sandbox).await?);
        sandbox.write_file(
            "tests.cpp",
            format!("// {nonce} {i} again\n{tests}").as_bytes(),
        )?;
        changed.push(build_and_run(runner, sandbox).await?);
        cached.push(build_and_run(runner, sandbox).await?);
    }
    report(
        "catch2 build+run (both compiled)",
        &fresh,
        native.as_deref(),
    );
    report("catch2 tests.cpp changed", &changed, native.as_deref());
    report("catch2 nothing changed", &cached, native.as_deref());
    if let Some(native) = &native {
        println!(
            "{:<34} {:>10}",
            "native g++ -O2 both files",
            ms(crate::bench::percentile(native, 0.5))
        );
    }
    Ok(())
}

/// Builds the project and runs its tests (one fails on purpose).
async fn build_and_run(runner: &Runner, sandbox: &Sandbox) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let outcome = crate::bench::run_script(
        runner,
        Language::Cpp,
        sandbox,
        "catch_main.cpp",
        vec!["tests.cpp".to_owned()],
    )
    .await;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    anyhow::ensure!(
        stdout.contains("test cases:  3 |  2 passed | 1 failed"),
        "the Catch2 project did not report its tests: {:?} {}{}",
        outcome.status,
        outcome.compile_output,
        outcome.stderr_lossy()
    );
    Ok(elapsed)
}

/// `g++ -O2 catch_main.cpp tests.cpp && ./a.out`, when g++ is installed.
fn native_build(dir: &Path, tests: &str, runs: usize) -> Option<Vec<Duration>> {
    let scratch = tempfile::tempdir().ok()?;
    std::fs::copy(dir.join("catch.hpp"), scratch.path().join("catch.hpp")).ok()?;
    std::fs::write(scratch.path().join("catch_main.cpp"), MAIN).ok()?;
    std::fs::write(scratch.path().join("tests.cpp"), tests).ok()?;
    let mut samples = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let built = Command::new("g++")
            .current_dir(scratch.path())
            .args(["-O2", "catch_main.cpp", "tests.cpp", "-o", "tests"])
            .status()
            .ok()?;
        let ran = Command::new(scratch.path().join("tests"))
            .stdout(Stdio::null())
            .status()
            .ok()?;
        if !built.success() || ran.code() != Some(1) {
            return None;
        }
        samples.push(started.elapsed());
    }
    Some(samples)
}
