//! The C++ corpus (`tests/corpus/cpp`): 45 programs in the style of public
//! algorithm collections, each run as a new user would run it (default
//! flags, its `.in` as stdin) and compared with the stdout native
//! `g++ -std=c++20 -O2` produced (`.out`, made by `regenerate.sh`).

mod common;

use std::path::{Path, PathBuf};

use common::Run;
use futures_util::StreamExt as _;
use polyrun::engine::Status;

/// Programs compiled and run at once (each compile has two steps).
const AT_ONCE: usize = 2;

#[tokio::test]
async fn every_corpus_program_prints_what_native_gxx_printed() {
    let programs = corpus_programs();
    assert!(
        programs.len() >= 40,
        "the corpus has {} programs",
        programs.len()
    );
    let failures: Vec<String> = futures_util::stream::iter(programs)
        .map(|source| async move { check(&source).await.err() })
        .buffer_unordered(AT_ONCE)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} corpus programs differ from g++:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn corpus_programs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/cpp");
    let mut programs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/corpus/cpp")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "cpp"))
        .collect();
    programs.sort();
    programs
}

/// Runs one program; on a difference, says what it was.
async fn check(source: &Path) -> Result<(), String> {
    let name = source.file_stem().unwrap_or_default().to_string_lossy();
    let code = std::fs::read_to_string(source).expect("corpus source");
    let expected = std::fs::read_to_string(source.with_extension("out")).expect("corpus .out");
    let stdin = std::fs::read_to_string(source.with_extension("in")).unwrap_or_default();
    let outcome = Run::new("c++", &code).stdin(&stdin).go().await;
    if outcome.status == Status::Ok && outcome.stdout_lossy() == expected {
        return Ok(());
    }
    let stdout = outcome.stdout_lossy();
    let first_difference = stdout
        .lines()
        .zip(expected.lines())
        .position(|(got, want)| got != want)
        .unwrap_or_else(|| stdout.lines().count().min(expected.lines().count()));
    Err(format!(
        "{name}: {status} (exit {exit:?}) after {ms} ms; first difference at line {line}:\n  \
         got:  {got:?}\n  want: {want:?}\n  stderr: {stderr}\n  compiler: {compiler}",
        status = outcome.status,
        exit = outcome.exit_code,
        ms = outcome.duration.as_millis(),
        line = first_difference + 1,
        got = stdout.lines().nth(first_difference).unwrap_or("<end>"),
        want = expected.lines().nth(first_difference).unwrap_or("<end>"),
        stderr = tail(&outcome.stderr_lossy()),
        compiler = tail(&outcome.compile_output),
    ))
}

/// The end of a long text, enough to see why.
fn tail(text: &str) -> String {
    let chars: Vec<char> = text.trim().chars().collect();
    let start = chars.len().saturating_sub(600);
    chars[start..].iter().collect()
}
