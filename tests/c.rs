//! C compiled by the clang module inside the sandbox and run in wasmtime.

mod common;

use common::{Run, assert_output};
use polyrun::engine::Status;

#[tokio::test]
async fn scanf_printf_and_malloc() {
    let code = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int compare(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) return 1;
    int *values = malloc(n * sizeof *values);
    for (int i = 0; i < n; i++) scanf("%d", &values[i]);
    qsort(values, n, sizeof *values, compare);
    char *text = malloc(64);
    strcpy(text, "sorted:");
    printf("%s", text);
    for (int i = 0; i < n; i++) printf(" %d", values[i]);
    printf("\n%.3f\n", 22.0 / 7.0);
    free(values);
    free(text);
    return 0;
}
"#;
    let outcome = Run::new("c", code).stdin("5\n4 2 5 1 3\n").go().await;
    assert_output(&outcome, "sorted: 1 2 3 4 5\n3.143\n");
}

#[tokio::test]
async fn exit_codes_and_compile_errors() {
    let outcome = Run::new("c", "#include <stdlib.h>\nint main(void) { exit(7); }")
        .go()
        .await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_eq!(outcome.exit_code, Some(7));

    let outcome = Run::new("c", "int main(void) { return missing(); }")
        .go()
        .await;
    assert_eq!(outcome.status, Status::CompileError);
    assert!(
        outcome.compile_output.contains("main.c:1:25: error"),
        "{}",
        outcome.compile_output
    );
}

#[tokio::test]
async fn c_flags_are_checked_too() {
    let outcome = Run::new("c", "int main(void) { return 0; }")
        .flags(&["-std=c99", "-O3"])
        .go()
        .await;
    assert_eq!(outcome.status, Status::Ok);
    let outcome = Run::new("c", "int main(void) { return 0; }")
        .flags(&["-fplugin=x"])
        .go()
        .await;
    assert_eq!(outcome.status, Status::CompileError);
}

#[tokio::test]
async fn interpreted_languages_refuse_compiler_flags() {
    let outcome = Run::new("python", "print(1)").flags(&["-O2"]).go().await;
    assert_eq!(outcome.status, Status::CompileError);
    assert!(outcome.message.unwrap().contains("apply to C and C++"));
}

#[tokio::test]
async fn a_trap_is_named_once_in_the_message_and_in_stderr() {
    let code = "#include <stdio.h>\nint main(void) {\n  puts(\"before\");\n  fflush(stdout);\n  volatile int *p = (int *)0xFFFFFFF0;\n  return *p;\n}\n";
    let outcome = Run::new("c", code).go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_eq!(outcome.stdout_lossy(), "before\n");
    let message = outcome.message.clone().unwrap_or_default();
    assert_eq!(message, "wasm trap: out of bounds memory access");
    assert_eq!(outcome.stderr_lossy(), format!("{message}\n"));
    assert_eq!(
        outcome.exit_code,
        Some(134),
        "a crash ends as an abort does"
    );
}

/// `abort()` and a failed `assert` end with 134, as natively (SIGABRT),
/// with assert's own message on stderr and the trap named once.
#[tokio::test]
async fn abort_and_failed_asserts_exit_with_134() {
    let code = "#include <assert.h>\n#include <stdio.h>\nint main(void) {\n  int answer = 41;\n  assert(answer == 42);\n  puts(\"unreachable\");\n}\n";
    let outcome = Run::new("c", code).go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_eq!(outcome.exit_code, Some(134));
    let stderr = outcome.stderr_lossy();
    assert!(
        stderr.contains("Assertion failed: answer == 42"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("wasm trap").count(), 1, "{stderr}");
    let outcome = Run::new("c", "#include <stdlib.h>\nint main(void) { abort(); }")
        .go()
        .await;
    assert_eq!(outcome.exit_code, Some(134));
}

/// What judges' expected outputs assume of a Linux C library: glibc's
/// `rand` sequence (checked against native glibc), `clock()`, and locals
/// that start at zero.
#[tokio::test]
async fn rand_is_glibcs_clock_exists_and_locals_start_at_zero() {
    let code = r#"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int read_unset(void) { int x; if (scanf("%d", &x) != 1) {} return x; }
void three(void) { int a = rand(); int b = rand(); int c = rand(); printf("%d %d %d\n", a, b, c); }
int main(void) {
    three();
    srand(42); three();
    srand(0); printf("%d\n", rand());
    srand(4000000000u); three();
    clock_t start = clock();
    volatile double sum = 0; for (int i = 0; i < 1000000; i++) sum += i;
    printf("clock %s\n", clock() >= start && start >= 0 ? "ok" : "bad");
    printf("unset %d\n", read_unset());
    return 0;
}
"#;
    let outcome = Run::new("c", code).go().await;
    assert_output(
        &outcome,
        "1804289383 846930886 1681692777\n71876166 708592740 1483128881\n1804289383\n1111130805 1380198982 1306113867\nclock ok\nunset 0\n",
    );
}

/// `system` links and runs, and says on stderr why no command can start
/// here; the program goes on, as with a failed `fork`.
#[tokio::test]
async fn system_says_processes_cannot_start_here() {
    let code = "#include <errno.h>\n#include <stdio.h>\n#include <stdlib.h>\nint main(void) {\n  int status = system(\"ls -l\");\n  printf(\"%d %d %d\\n\", status, errno == ENOSYS, system(NULL));\n}\n";
    let outcome = Run::new("c", code).go().await;
    assert_eq!(outcome.status, Status::Ok, "{}", outcome.compile_output);
    assert_eq!(outcome.stdout_lossy(), "-1 1 0\n");
    assert_eq!(
        outcome.stderr_lossy(),
        "polyrun: system(\"ls -l\") is not available: a WebAssembly sandbox cannot start processes\n"
    );
}

/// A program may define functions of its own with the names polyrun
/// supplies (`rand`, `system`): its definitions win, as with a C library.
#[tokio::test]
async fn a_programs_own_rand_and_system_take_precedence() {
    let code = "#include <stdio.h>\nint rand(void) { return 4; }\nint system(const char *c) { (void)c; return 7; }\nint main(void) { printf(\"%d %d\\n\", rand(), system(\"x\")); }\n";
    let outcome = Run::new("c", code).go().await;
    assert_output(&outcome, "4 7\n");
}
