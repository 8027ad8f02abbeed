//! C and C++ as test frameworks and POSIX code use them: Catch2 v2,
//! doctest and GoogleTest test files compile unchanged (their headers and
//! sources sent in `files`, as a user sends them) and count what native
//! g++ counts; the signal API
//! they need behaves as documented; `long double` formats and scans.
//!
//! The frameworks are Debian's packages, fetched by `cargo xtask test`
//! (see `tests/cpp/frameworks.txt`); the expected summaries were printed
//! by native g++ (see `tests/cpp/README.md`).

mod common;

use std::path::{Path, PathBuf};

use common::server::Server;
use serde_json::{Value, json};

fn cpp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cpp")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `cargo xtask test` once to fetch the frameworks)",
            path.display()
        )
    })
}

/// The lines of `output` a framework prints as its summary, timings and
/// colours left out (Catch2 v3 colours its output on WASI even into a pipe:
/// it asks `isatty` only on Linux and macOS).
fn summary(output: &str, prefixes: &[&str]) -> String {
    without_colours(output)
        .lines()
        .filter(|line| prefixes.iter().any(|p| line.starts_with(p)))
        .map(|line| {
            let timing = line
                .rfind(" (")
                .filter(|_| line.ends_with(" ms)") || line.ends_with(" ms total)"));
            timing.map_or(line, |at| &line[..at]).to_owned() + "\n"
        })
        .collect()
}

/// What native g++'s build of a test printed and how it exited.
struct Native<'a> {
    /// The file of `tests/cpp/expected` with its summary lines.
    summary: &'a str,
    /// Which lines are the summary.
    prefixes: &'a [&'a str],
    /// Its exit code: every program fails one check on purpose.
    exit_code: i64,
}

/// `text` without ANSI colour sequences (`ESC [ … m`).
fn without_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for next in chars.by_ref() {
                if next == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// Compiles and runs `test` (a file of `tests/cpp`) with `headers` beside
/// it, and checks its summary and exit code against native g++'s.
async fn framework_matches_native(
    server: &Server,
    test: &str,
    headers: &[(&str, PathBuf)],
    native: Native<'_>,
) -> Value {
    let files: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, path)| (name.to_string(), Value::String(read(path))))
        .collect();
    let result = server
        .run_wait(
            "cpp",
            json!({"code": read(&cpp_dir().join(test)), "files": files}),
        )
        .await;
    let stdout = result["stdout"].as_str().unwrap_or_default();
    assert_eq!(
        summary(stdout, native.prefixes),
        read(&cpp_dir().join("expected").join(native.summary)),
        "{test}: {result}"
    );
    assert_eq!(
        result["exitCode"], native.exit_code,
        "one test fails on purpose: {result}"
    );
    result
}

#[tokio::test]
async fn catch2_and_doctest_count_what_native_g_plus_plus_counts() {
    let server = Server::start(&[]).await;
    let frameworks = cpp_dir().join("frameworks");
    let catch2 = framework_matches_native(
        &server,
        "catch2_v2_test.cpp",
        &[(
            "catch.hpp",
            frameworks.join("catch2/usr/include/catch2/catch.hpp"),
        )],
        Native {
            summary: "catch2_v2.txt",
            prefixes: CATCH2_SUMMARY,
            exit_code: 1,
        },
    )
    .await;
    assert!(
        catch2["stdout"]
            .as_str()
            .unwrap_or_default()
            .contains("CHECK( factorial(4) == 25 )"),
        "Catch2 shows the failing expression: {catch2}"
    );
    framework_matches_native(
        &server,
        "doctest_test.cpp",
        &[(
            "doctest.h",
            frameworks.join("doctest-dev/usr/include/doctest/doctest.h"),
        )],
        Native {
            summary: "doctest.txt",
            prefixes: &[
                "[doctest] test cases",
                "[doctest] assertions",
                "[doctest] Status",
            ],
            exit_code: 1,
        },
    )
    .await;
}

/// Catch2's summary lines.
const CATCH2_SUMMARY: &[&str] = &["test cases:", "assertions:", "All tests passed"];

/// Catch2 v3 as its amalgamated build: `catch_amalgamated.hpp` and
/// `catch_amalgamated.cpp` (its own main) beside the test file, compiled as
/// two units. v3 exits with 42 when a test fails.
#[tokio::test]
async fn catch2_v3_amalgamated_counts_what_native_g_plus_plus_counts() {
    let server = Server::start(&[]).await;
    let extras = cpp_dir().join("frameworks/catch2-source/Catch2-3.7.1/extras");
    let result = framework_matches_native(
        &server,
        "catch2_v3_test.cpp",
        &[
            (
                "catch_amalgamated.hpp",
                extras.join("catch_amalgamated.hpp"),
            ),
            (
                "catch_amalgamated.cpp",
                extras.join("catch_amalgamated.cpp"),
            ),
        ],
        Native {
            summary: "catch2_v3.txt",
            prefixes: CATCH2_SUMMARY,
            exit_code: 42,
        },
    )
    .await;
    assert_eq!(result["compileUnits"]["total"], 2, "{result}");
}

/// GoogleTest built from its sources, as a user sends them: its headers
/// under `gtest/`, its sources under `src/` (each compiled on its own,
/// `gtest_main.cc` giving `main`), beside the test file.
#[tokio::test]
async fn googletest_from_its_sources_counts_what_native_g_plus_plus_counts() {
    let server = Server::start(&[]).await;
    let root = cpp_dir().join("frameworks/googletest/usr/src/googletest/googletest");
    let mut files = Vec::new();
    collect(&root.join("include"), &root.join("include"), &mut files);
    collect(&root.join("src"), &root, &mut files);
    files.retain(|(name, _)| name != "src/gtest-all.cc");
    assert!(files.len() > 30, "googletest's sources: {}", files.len());
    let result = framework_matches_native(
        &server,
        "gtest_test.cpp",
        &files
            .iter()
            .map(|(n, p)| (n.as_str(), p.clone()))
            .collect::<Vec<_>>(),
        Native {
            summary: "gtest.txt",
            prefixes: &["[==========]", "[  PASSED  ]", "[  FAILED  ]"],
            exit_code: 1,
        },
    )
    .await;
    assert_eq!(result["compileUnits"]["total"], 11, "{result}");
}

/// Every file under `dir`, named relative to `base`.
fn collect(dir: &Path, base: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, base, files);
        } else {
            let name = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            files.push((name, path));
        }
    }
}

#[tokio::test]
async fn signal_handlers_run_when_the_program_raises_their_signal() {
    let server = Server::start(&[]).await;
    let code = r#"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int seen = 0;
static void on_usr1(int sig) { seen = sig; }
static void on_info(int sig, siginfo_t *info, void *context) {
    printf("siginfo %d %d %d\n", sig, info->si_signo, context == NULL);
}

int main(void) {
    struct sigaction action, old;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK | SA_RESETHAND;
    printf("sigaction %d\n", sigaction(SIGUSR1, &action, &old));
    printf("old default %d\n", old.sa_handler == SIG_DFL);
    raise(SIGUSR1);
    printf("handled %d\n", seen);
    sigaction(SIGUSR1, NULL, &old);
    printf("reset after one %d\n", old.sa_handler == SIG_DFL);

    action.sa_sigaction = on_info;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &action, NULL);
    raise(SIGUSR2);

    printf("SIGKILL refused %d\n", sigaction(SIGKILL, &action, NULL));

    sigset_t set, current;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigprocmask(SIG_SETMASK, NULL, &current);
    printf("blocked %d %d\n", sigismember(&current, SIGINT), sigismember(&current, SIGTERM));

    stack_t stack = {.ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ, .ss_flags = 0}, was;
    printf("sigaltstack %d\n", sigaltstack(&stack, &was));
    printf("was disabled %d\n", was.ss_flags == SS_DISABLE);

    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("ignored\n");
    return 0;
}
"#;
    let result = server.run_wait("c", json!({"code": code})).await;
    assert_eq!(result["status"], "ok", "{result}");
    assert_eq!(
        result["stdout"],
        "sigaction 0\nold default 1\nhandled 10\nreset after one 1\nsiginfo 12 12 1\n\
         SIGKILL refused -1\nblocked 1 0\nsigaltstack 0\nwas disabled 1\nignored\n",
        "{result}"
    );
}

#[tokio::test]
async fn long_double_is_printed_and_scanned() {
    let server = Server::start(&[]).await;
    let code = r#"
#include <stdio.h>
int main(void) {
    long double x = 0;
    if (scanf("%Lf", &x) != 1) return 2;
    printf("%Lf %.3Le %Lg\n", x, x * 1000, x / 3);
    return 0;
}
"#;
    let result = server
        .run_wait("c", json!({"code": code, "stdin": "2.5\n"}))
        .await;
    assert_eq!(result["status"], "ok", "{result}");
    assert_eq!(
        result["stdout"], "2.500000 2.500e+03 0.833333\n",
        "as glibc prints it: {result}"
    );
}
