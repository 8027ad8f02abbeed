//! Every limit, each met by a hostile program.

mod common;

use std::time::Duration;

use common::{Run, TestRoot};
use polyrun::engine::{Limits, Status};

fn limits(wall_ms: u64) -> Limits {
    Limits {
        wall_time: Duration::from_millis(wall_ms),
        ..Limits::default()
    }
}

#[track_caller]
fn assert_timed_out(outcome: &polyrun::engine::Outcome, limit: Duration) {
    assert_eq!(
        outcome.status,
        Status::Timeout,
        "{}",
        outcome.stderr_lossy()
    );
    assert!(
        outcome.duration < limit + Duration::from_millis(250),
        "stopped after {:?}, limit {limit:?}",
        outcome.duration
    );
    assert!(
        outcome.duration >= limit,
        "stopped early: {:?}",
        outcome.duration
    );
}

#[tokio::test]
async fn python_infinite_loop_times_out() {
    let outcome = Run::new("python", "print('start')\nwhile True: pass")
        .limits(limits(1000))
        .go()
        .await;
    assert_timed_out(&outcome, Duration::from_millis(1000));
    assert_eq!(outcome.stdout_lossy(), "start\n");
}

#[tokio::test]
async fn javascript_infinite_loop_times_out() {
    let outcome = Run::new("js", "for(;;){}").limits(limits(1000)).go().await;
    assert_timed_out(&outcome, Duration::from_millis(1000));
}

#[tokio::test]
async fn program_blocked_on_stdin_times_out() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    // The writer stays open, so the guest waits inside a host call where
    // epochs cannot reach it.
    let (_writer, reader) = tokio::io::duplex(64);
    let outcome = Run::new("python", "print(input())")
        .limits(limits(800))
        .with_stdin_stream(&sandbox, Box::new(reader), None)
        .await;
    assert_timed_out(&outcome, Duration::from_millis(800));
}

/// Peak resident memory of this test process, in bytes.
#[cfg(target_os = "linux")]
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn allocating_4_gib_hits_the_memory_limit_and_host_memory_stays_bounded() {
    let limits = Limits {
        memory_bytes: 128 << 20,
        ..limits(20_000)
    };
    let programs = [
        // wasm32 objects stop short of 2 GiB, so 4 GiB comes in 1 GiB pieces.
        (
            "python",
            "x = [bytearray(1024**3) for _ in range(4)]\nprint('allocated')",
        ),
        (
            "python",
            "chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))",
        ),
        (
            "js",
            "const b = [1, 2, 3, 4].map(() => new ArrayBuffer(1024 ** 3)); console.log('allocated');",
        ),
        (
            "js",
            "const chunks = []; for (;;) chunks.push(new Uint8Array(1e7).fill(1));",
        ),
    ];
    for (language, code) in programs {
        let outcome = Run::new(language, code).limits(limits).go().await;
        assert_eq!(
            outcome.status,
            Status::MemoryLimit,
            "{language}: {code}\n{}",
            outcome.stderr_lossy()
        );
        assert!(!outcome.stdout_lossy().contains("allocated"));
        assert!(outcome.peak_memory_bytes <= limits.memory_bytes);
        assert!(
            outcome
                .message
                .as_deref()
                .unwrap_or("")
                .contains("memory limit")
        );
    }
    #[cfg(target_os = "linux")]
    assert!(
        peak_rss() < 1 << 30,
        "host peak RSS grew to {} MiB",
        peak_rss() >> 20
    );
}

/// A limit below what a program starts with (Python's snapshot, a C
/// program's static array) is refused before it runs, saying how much it
/// needs, rather than as an unexplained memory limit on `print(1)`.
#[tokio::test]
async fn a_limit_below_the_starting_memory_says_what_the_program_needs() {
    let small = Limits {
        memory_bytes: 32 << 20,
        ..Limits::default()
    };
    let python = Run::new("python", "print(1)").limits(small).go().await;
    assert_eq!(python.status, Status::MemoryLimit);
    let message = python.message.unwrap_or_default();
    assert!(
        message.starts_with("memory limit of 32.0 MiB exceeded: this program starts with "),
        "{message}"
    );
    let c = Run::new(
        "c",
        "static char big[48 << 20];\nint main(int argc, char **argv) { (void)argv; big[argc] = 1; return big[1] - 1; }",
    )
        .limits(small)
        .go()
        .await;
    assert_eq!(c.status, Status::MemoryLimit);
    assert!(
        c.message
            .unwrap_or_default()
            .contains("this program starts with 56")
    );
}

#[tokio::test]
async fn small_fuel_budget_is_exhausted_by_compiled_code() {
    let hello = Run::new(
        "c",
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); }\n",
    )
    .go()
    .await;
    assert_eq!(hello.status, Status::Ok, "{}", hello.stderr_lossy());
    let used = hello.fuel_consumed.expect("compiled code counts fuel");
    assert!(used > 0);
    // Twice what hello needs: enough to start, not enough to loop forever.
    let budget = Limits {
        fuel: used * 2,
        ..limits(20_000)
    };
    let spin = "#include <stdio.h>\nint main(void) { puts(\"started\"); fflush(stdout);\n  for (volatile unsigned i = 0;; i++) {}\n}\n";
    let outcome = Run::new("c", spin).limits(budget).go().await;
    assert_eq!(
        outcome.status,
        Status::FuelExhausted,
        "{}",
        outcome.stderr_lossy()
    );
    assert_eq!(outcome.stdout_lossy(), "started\n");
    assert_eq!(outcome.fuel_consumed, Some(budget.fuel));
}

/// The interpreters count no fuel (it would cost them half their speed):
/// a fuel budget does not stop them, the wall-time limit does.
#[tokio::test]
async fn interpreters_run_on_wall_time_not_fuel() {
    let tiny_fuel = Limits {
        fuel: 1_000,
        ..limits(20_000)
    };
    for (language, code) in [("python", "print('hi')"), ("js", "console.log('hi')")] {
        let outcome = Run::new(language, code).limits(tiny_fuel).go().await;
        assert_eq!(outcome.status, Status::Ok, "{language}");
        assert_eq!(outcome.fuel_consumed, None, "{language}");
    }
    let outcome = Run::new("python", "while True: pass")
        .limits(limits(500))
        .go()
        .await;
    assert_eq!(outcome.status, Status::Timeout);
}

#[tokio::test]
async fn printing_forever_hits_the_output_limit_keeping_the_first_bytes() {
    let limits = Limits {
        output_bytes: 10_000,
        ..limits(20_000)
    };
    for (language, code) in [
        (
            "python",
            "i = 0\nwhile True:\n    print(f'line {i}')\n    i += 1",
        ),
        ("js", "for (let i = 0; ; i++) console.log(`line ${i}`);"),
    ] {
        let outcome = Run::new(language, code).limits(limits).go().await;
        assert_eq!(outcome.status, Status::OutputLimit, "{language}");
        assert!(outcome.truncated);
        let stdout = outcome.stdout_lossy();
        assert_eq!(stdout.len() + outcome.stderr.len(), 10_000, "{language}");
        assert!(stdout.starts_with("line 0\nline 1\nline 2\n"), "{language}");
    }
}

#[tokio::test]
async fn unbounded_recursion_is_a_runtime_error() {
    let programs = [
        (
            "python",
            "def f(n): return f(n + 1)\nf(0)",
            "RecursionError",
        ),
        (
            "python",
            "import json\njson.loads('[' * 200000 + ']' * 200000)",
            "RecursionError",
        ),
        // Our QuickJS build keeps its stack check under WASI.
        (
            "js",
            "function f(n) { return f(n + 1) + 1; }\nf(0);",
            "RangeError: Maximum call stack size exceeded",
        ),
        (
            "js",
            "JSON.parse('['.repeat(1e6) + ']'.repeat(1e6));",
            "RangeError",
        ),
    ];
    for (language, code, expected) in programs {
        let outcome = Run::new(language, code).go().await;
        assert_eq!(
            outcome.status,
            Status::RuntimeError,
            "{language}: {code}: {}",
            outcome.stderr_lossy()
        );
        let report = format!(
            "{}{}",
            outcome.stderr_lossy(),
            outcome.message.unwrap_or_default()
        );
        assert!(report.contains(expected), "{report}");
    }
    // In JavaScript it is catchable, as in Node.
    let catchable = "let depth = 0;\nfunction f() { depth++; f(); }\ntry { f(); } catch (e) { console.log(e instanceof RangeError, depth > 1000); }";
    common::assert_output(&Run::new("js", catchable).go().await, "true true\n");
    // The engine is still healthy afterwards.
    common::assert_output(&Run::new("python", "print(1)").go().await, "1\n");
}
