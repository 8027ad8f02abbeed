//! The C++ corpus (`tests/corpus/cpp`): 45 programs in the style of public
//! algorithm collections, each run as a new user would run it (default
//! flags, its `.in` as stdin) and compared with the stdout native
//! `g++ -std=c++20 -O2` produced (`.out`, made by `regenerate.sh`); and
//! projects of several files (`projects/`), a Catch2 test project among
//! them.

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

/// The projects of several files (`tests/corpus/cpp/projects`): each
/// directory's `main.cpp` compiled with its other sources, its `input.in`
/// as stdin, against what native `g++ -std=c++20 -O2 *.cpp` printed
/// (`expected.out`, made by `projects/regenerate.sh`). A project may name
/// test-framework headers in `frameworks.txt` (fetched by `cargo xtask
/// test` into `tests/cpp/frameworks`), sent beside its files as a user
/// sends them.
#[tokio::test]
async fn every_corpus_project_prints_what_native_gxx_printed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/cpp/projects");
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/corpus/cpp/projects")
        .map(|entry| entry.expect("project").path())
        .filter(|path| path.is_dir())
        .collect();
    projects.sort();
    assert!(projects.len() >= 3, "{} projects", projects.len());
    let mut failures = Vec::new();
    for project in projects {
        if let Err(failure) = check_project(&project).await {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Builds and runs one project; on a difference, says what it was.
async fn check_project(project: &Path) -> Result<(), String> {
    let name = project.file_name().unwrap_or_default().to_string_lossy();
    let read =
        |path: &Path| std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut files = Vec::new();
    let mut units = Vec::new();
    for entry in std::fs::read_dir(project).expect("project files") {
        let path = entry.expect("project file").path();
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        match file.as_str() {
            "main.cpp" | "expected.out" | "input.in" | "frameworks.txt" => continue,
            _ if file.ends_with(".cpp") => units.push(file.clone()),
            _ => {}
        }
        files.push((file, read(&path)));
    }
    let frameworks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cpp/frameworks");
    let listed = std::fs::read_to_string(project.join("frameworks.txt")).unwrap_or_default();
    for header in listed.lines().filter(|line| !line.trim().is_empty()) {
        let found = find(&frameworks, header)
            .unwrap_or_else(|| panic!("{header}: run `cargo xtask test` once to fetch it"));
        files.push((header.to_owned(), read(&found)));
    }
    units.sort();
    let code = String::from_utf8_lossy(&read(&project.join("main.cpp"))).into_owned();
    let stdin = std::fs::read_to_string(project.join("input.in")).unwrap_or_default();
    let expected = String::from_utf8_lossy(&read(&project.join("expected.out"))).into_owned();
    let outcome = Run::new("c++", &code)
        .project(files, units)
        .stdin(&stdin)
        .go()
        .await;
    if outcome.status == Status::Ok && outcome.stdout_lossy() == expected {
        return Ok(());
    }
    Err(format!(
        "{name}: {} (exit {:?})\n  got: {:?}\n  want: {expected:?}\n  compiler: {}",
        outcome.status,
        outcome.exit_code,
        outcome.stdout_lossy(),
        tail(&outcome.compile_output)
    ))
}

/// A file named `name` somewhere under `dir`.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|f| f == name) {
            return Some(path);
        }
    }
    None
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
