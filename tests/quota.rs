//! The per-sandbox disk quota, each part met by a hostile program: real
//! runtimes, real compiles, a real server.

mod common;

use common::server::Server;
use common::terminal::Terminal;
use common::{Run, TestRoot};
use polyrun::engine::Status;
use polyrun::sandbox::{DiskLimits, DiskQuota, Sandbox, SandboxError};
use serde_json::json;

fn limits(max_bytes: u64, max_entries: u64) -> DiskLimits {
    DiskLimits {
        max_bytes,
        max_entries,
    }
}

/// The quota's running count matches what a fresh walk of the sandbox
/// finds, and stays within the limits.
#[track_caller]
fn assert_counted(sandbox: &Sandbox) {
    let quota = sandbox.quota();
    let on_disk = DiskQuota::new(quota.limits())
        .rescan(sandbox.dir())
        .expect("rescan");
    assert_eq!(quota.usage(), on_disk, "the count drifted from the disk");
    assert!(
        on_disk.bytes <= quota.limits().max_bytes && on_disk.entries <= quota.limits().max_entries,
        "over the quota: {on_disk:?}"
    );
}

#[track_caller]
fn assert_ok(outcome: &polyrun::engine::Outcome) {
    assert_eq!(
        outcome.status,
        Status::Ok,
        "stdout: {}\nstderr: {}\ncompile: {}\nmessage: {:?}",
        outcome.stdout_lossy(),
        outcome.stderr_lossy(),
        outcome.compile_output,
        outcome.message
    );
}

#[tokio::test]
async fn python_writing_forever_gets_enospc_catches_it_and_goes_on() {
    let root = TestRoot::with_limits(limits(1 << 20, 100));
    let sandbox = root.sandbox();
    let code = r#"
import errno, os
try:
    with open('big.bin', 'wb') as f:
        while True:
            f.write(b'x' * 65536)
except OSError as e:
    print('caught', e.errno == errno.ENOSPC, e.strerror)
size = os.path.getsize('big.bin')
print('within', size <= 1 << 20, size > (1 << 20) - 200000)
os.remove('big.bin')
with open('again.bin', 'wb') as f:
    f.write(b'y' * 500000)
print('wrote again', os.path.getsize('again.bin'))
"#;
    let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    assert_eq!(
        outcome.stdout_lossy(),
        "caught True No space left on device\nwithin True True\nwrote again 500000\n"
    );
    assert_counted(&sandbox);
}

#[tokio::test]
async fn c_fwrite_loop_and_sparse_ftruncate_are_refused() {
    let root = TestRoot::with_limits(limits(1 << 20, 100));
    let sandbox = root.sandbox();
    let code = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    static char block[4096];
    memset(block, 'c', sizeof block);
    FILE *f = fopen("out.bin", "wb");
    if (!f) { perror("fopen"); return 1; }
    for (;;) {
        if (fwrite(block, 1, sizeof block, f) < sizeof block) {
            printf("fwrite: %s\n", strerror(errno));
            break;
        }
    }
    fclose(f);
    struct stat st;
    stat("out.bin", &st);
    printf("within quota: %d\n", st.st_size <= (1L << 20));
    remove("out.bin");

    int fd = open("sparse.bin", O_WRONLY | O_CREAT, 0644);
    if (ftruncate(fd, 1L << 30) != 0) printf("ftruncate: %s\n", strerror(errno));
    if (lseek(fd, 1L << 30, SEEK_SET) < 0) perror("lseek");
    if (write(fd, "x", 1) < 0) printf("write far: %s\n", strerror(errno));
    if (ftruncate(fd, 4096) == 0) printf("small ftruncate ok\n");
    close(fd);
    stat("sparse.bin", &st);
    printf("size %ld\n", (long)st.st_size);
    return 0;
}
"#;
    let outcome = Run::new("c", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    assert_eq!(
        outcome.stdout_lossy(),
        "fwrite: No space left on device\nwithin quota: 1\n\
         ftruncate: No space left on device\nwrite far: No space left on device\n\
         small ftruncate ok\nsize 4096\n"
    );
    assert_counted(&sandbox);
}

#[tokio::test]
async fn python_sparse_seek_and_truncate_to_a_gib_are_refused() {
    let root = TestRoot::with_limits(limits(1 << 20, 100));
    let sandbox = root.sandbox();
    let code = r#"
import errno, os
f = open('sparse.bin', 'wb', buffering=0)
for what, act in [
    ('seek+write', lambda: (f.seek(1 << 30), f.write(b'x'))),
    ('truncate', lambda: f.truncate(1 << 30)),
    ('os.ftruncate', lambda: os.ftruncate(f.fileno(), 1 << 30)),
]:
    try:
        act()
        print(what, 'allowed')
    except OSError as e:
        print(what, 'refused', e.errno == errno.ENOSPC)
f.truncate(1000)
f.close()
print(os.path.getsize('sparse.bin'))
"#;
    let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    assert_eq!(
        outcome.stdout_lossy(),
        "seek+write refused True\ntruncate refused True\nos.ftruncate refused True\n1000\n"
    );
    assert_counted(&sandbox);
}

#[tokio::test]
async fn twenty_thousand_files_or_directories_stop_at_the_entry_limit() {
    let root = TestRoot::with_limits(limits(1 << 20, 300));
    let sandbox = root.sandbox();
    let code = r#"
import errno, os
n = 0
try:
    for i in range(20000):
        open(f'f{i}', 'w').close()
        n += 1
except OSError as e:
    print('files stopped', e.errno == errno.ENOSPC)
print('files', n)
for i in range(n):
    os.remove(f'f{i}')
m = 0
try:
    for i in range(20000):
        os.mkdir(f'd{i}')
        m += 1
except OSError as e:
    print('dirs stopped', e.errno == errno.ENOSPC)
print('dirs', m)
"#;
    let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    // main.py is one of the 300 entries.
    assert_eq!(
        outcome.stdout_lossy(),
        "files stopped True\nfiles 299\ndirs stopped True\ndirs 299\n"
    );
    assert_counted(&sandbox);
}

#[tokio::test]
async fn c_mkdir_loop_stops_at_the_entry_limit() {
    let root = TestRoot::with_limits(limits(8 << 20, 200));
    let sandbox = root.sandbox();
    let code = r#"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(void) {
    char name[32];
    int made = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "d%d", i);
        if (mkdir(name, 0755) != 0) {
            printf("mkdir: %s\n", strerror(errno));
            break;
        }
        made++;
    }
    printf("made %d\n", made);
    return 0;
}
"#;
    let outcome = Run::new("c", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    // main.c and the program `main` are two of the 200 entries.
    assert_eq!(
        outcome.stdout_lossy(),
        "mkdir: No space left on device\nmade 198\n"
    );
    assert_counted(&sandbox);
}

#[tokio::test]
async fn renames_symlinks_and_hard_links_are_counted() {
    let code = r#"
import errno, os
open('a', 'wb').write(b'x' * 1000)
os.link('a', 'b')
try:
    os.link('a', 'e')
    print('third link allowed')
except OSError as e:
    print('third link refused', e.errno == errno.ENOSPC)
os.symlink('a', 'c')
os.rename('b', 'a')
open('d', 'wb').write(b'y' * 10)
os.rename('d', 'b')
os.link('a', 'e')
print('linked after the rename freed room')
"#;
    // Room for main.py, two copies of `a` and a little: not for a third.
    let max_bytes = code.len() as u64 + 2000 + 500;
    let root = TestRoot::with_limits(limits(max_bytes, 100));
    let sandbox = root.sandbox();
    let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    assert_eq!(
        outcome.stdout_lossy(),
        "third link refused True\nlinked after the rename freed room\n"
    );
    let usage = sandbox.quota().usage();
    // main.py, a, e (links of one file, each counted) and b; c is a symlink.
    assert_eq!(usage.bytes, code.len() as u64 + 1000 + 1000 + 10);
    assert_eq!(usage.entries, 5);
    assert_counted(&sandbox);
}

#[tokio::test]
async fn two_concurrent_runs_share_one_quota() {
    let root = TestRoot::with_limits(limits(2 << 20, 100));
    let sandbox = root.sandbox();
    let code = r#"
import errno, sys
try:
    with open(sys.argv[1], 'wb', buffering=0) as f:
        while True:
            f.write(b'z' * 16384)
except OSError as e:
    print('full', e.errno == errno.ENOSPC)
"#;
    let (first, second) = tokio::join!(
        Run::new("python", code).args(&["one"]).in_sandbox(&sandbox),
        Run::new("python", code).args(&["two"]).in_sandbox(&sandbox),
    );
    for outcome in [&first, &second] {
        assert_ok(outcome);
        assert_eq!(outcome.stdout_lossy(), "full True\n");
    }
    let size = |name: &str| sandbox.dir().metadata(name).unwrap().len();
    let total = size("one") + size("two");
    assert!(total <= 2 << 20, "{total}");
    assert!(total > (2 << 20) - 3 * 16384, "stopped early: {total}");
    assert_counted(&sandbox);
}

#[tokio::test]
async fn host_writes_are_within_the_quota_and_shrinking_frees_room() {
    let root = TestRoot::with_limits(limits(10_000, 4));
    let sandbox = root.sandbox();
    sandbox.write_file("dir/sub/a.txt", &[1; 6000]).unwrap();
    assert_eq!(sandbox.quota().usage().entries, 3);
    let error = sandbox.write_file("b.txt", &[2; 6000]).unwrap_err();
    assert!(matches!(error, SandboxError::Quota { .. }), "{error}");
    assert!(
        error.to_string().contains("No space left on device"),
        "{error}"
    );
    assert!(!sandbox.exists("b.txt"));
    // Too many entries, though the bytes would fit.
    assert!(matches!(
        sandbox.write_file("x/y.txt", b"z"),
        Err(SandboxError::Quota { .. })
    ));
    // Overwriting with less frees the difference.
    sandbox.write_file("dir/sub/a.txt", &[1; 1000]).unwrap();
    sandbox.write_file("b.txt", &[2; 6000]).unwrap();
    assert_counted(&sandbox);
}

#[tokio::test]
async fn cpp_compiles_within_the_quota_and_a_full_sandbox_is_a_compile_error() {
    let code = "#include <iostream>\nint main() { std::cout << \"hi\\n\"; }\n";
    let root = TestRoot::with_limits(limits(16 << 20, 100));
    let sandbox = root.sandbox();
    let outcome = Run::new("cpp", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    assert_eq!(outcome.stdout_lossy(), "hi\n");
    let program = sandbox.dir().metadata("main").expect("the program").len();
    assert_eq!(sandbox.quota().usage().bytes, program + code.len() as u64);
    assert_counted(&sandbox);

    // Room for the source, not for the program.
    let root = TestRoot::with_limits(limits(4096, 100));
    let sandbox = root.sandbox();
    let outcome = Run::new("cpp", code).in_sandbox(&sandbox).await;
    assert_eq!(outcome.status, Status::CompileError, "{outcome:?}");
    let message = outcome.message.clone().unwrap_or_default();
    assert!(
        message.contains("No space left on device") && outcome.compile_output.contains(&message),
        "{outcome:?}"
    );
    assert!(!sandbox.exists("main"));
    assert_counted(&sandbox);
}

#[tokio::test]
async fn http_files_over_the_quota_get_a_clear_error_and_stats_show_usage() {
    let server =
        Server::start(&[("SANDBOX_DISK_QUOTA_MB", "1"), ("SANDBOX_MAX_FILES", "50")]).await;
    let big = "x".repeat(1_500_000);
    let (status, body) = server
        .run(
            "python",
            json!({"code": "print(1)", "files": {"big.txt": big}, "wait": true}),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "disk_quota_exceeded", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("No space left on device") && message.contains("1 MiB"),
        "{message}"
    );

    // Still serving; a program that fills its sandbox is stopped by ENOSPC.
    let result = server
        .run_wait(
            "python",
            json!({"code": "try:\n    open('f', 'wb').write(b'x' * 3000000)\nexcept OSError as e:\n    print(e.strerror)"}),
        )
        .await;
    assert_eq!(result["stdout"], "No space left on device\n", "{result}");

    // A session's usage shows in /stats.
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    let transcript = terminal
        .run("python3 -c \"open('f', 'wb').write(b'x' * 5000)\"")
        .await;
    assert_eq!(transcript.code(), 0, "{transcript:?}");
    let stats = server.get("/stats").await.1;
    let session = stats["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["userDirectory"] == terminal.user_directory().as_str())
        .cloned()
        .unwrap();
    assert_eq!(session["diskBytes"], 5000, "{session}");
    assert_eq!(session["diskEntries"], 1, "{session}");
    terminal.disconnect().await;
}

#[tokio::test]
async fn a_nearly_full_server_disk_answers_507() {
    let server = Server::start(&[("MIN_FREE_DISK_MB", "1000000000")]).await;
    let (status, body) = server
        .run("python", json!({"code": "print(1)", "wait": true}))
        .await;
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"]["code"], "disk_full", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("low on disk space"), "{message}");
    assert_eq!(server.get("/health").await.0, 200);
}

#[tokio::test]
async fn a_removed_file_still_open_keeps_its_bytes_until_closed() {
    let root = TestRoot::with_limits(limits(1 << 20, 100));
    let sandbox = root.sandbox();
    let code = r#"
import errno, os
def attempt(what, act):
    try:
        act()
        print(what, 'allowed')
    except OSError as e:
        print(what, 'refused', e.errno == errno.ENOSPC)
f = open('a', 'wb', buffering=0)
f.write(b'x' * 600000)
os.remove('a')
attempt('another file', lambda: open('b', 'wb').write(b'y' * 600000))
attempt('growing the removed one', lambda: f.write(b'x' * 600000))
f.close()
attempt('after closing it', lambda: open('b', 'wb').write(b'y' * 600000))
"#;
    let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
    assert_ok(&outcome);
    assert_eq!(
        outcome.stdout_lossy(),
        "another file refused True\ngrowing the removed one refused True\n\
         after closing it allowed\n"
    );
    assert_counted(&sandbox);
}

#[tokio::test]
async fn shell_writes_count_and_a_full_server_disk_refuses_sessions() {
    let server =
        Server::start(&[("SANDBOX_DISK_QUOTA_MB", "1"), ("SANDBOX_MAX_FILES", "20")]).await;
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    let made = terminal
        .run("python3 -c \"open('a', 'wb').write(b'x' * 600000)\"")
        .await;
    assert_eq!(made.code(), 0, "{made:?}");
    for line in ["cp a b", "cat a a > c", "cat a >> a"] {
        let refused = terminal.run(line).await;
        assert_eq!(refused.code(), 1, "{line}: {refused:?}");
        assert!(
            refused.stderr.contains("No space left on device"),
            "{line}: {refused:?}"
        );
    }
    let made = terminal
        .run("mkdir -p d1/d2/d3 && touch t && echo hi > e")
        .await;
    assert_eq!(made.code(), 0, "{made:?}");
    let many = terminal
        .run("mkdir m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 m14 m15 m16")
        .await;
    assert!(many.stderr.contains("No space left on device"), "{many:?}");
    // Removing frees room at once.
    let removed = terminal
        .run("rm -r d1 m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 m14 && mkdir n1 n2 n3")
        .await;
    assert_eq!(removed.code(), 0, "{removed:?}");
    let rewritten = terminal
        .run("rm a && python3 -c \"open('b', 'wb').write(b'y' * 900000)\" && wc -c b")
        .await;
    assert_eq!(rewritten.code(), 0, "{rewritten:?}");
    assert!(rewritten.stdout.contains("900000"), "{rewritten:?}");
    terminal.disconnect().await;

    let full = Server::start(&[("MIN_FREE_DISK_MB", "1000000000")]).await;
    let refused = Terminal::connect(&full.base, None)
        .await
        .err()
        .unwrap_or_default();
    assert!(refused.contains("low on disk space"), "{refused}");
}

/// Not a check: prints what the quota costs per `write`, to stdout and to
/// a file, with and without a quota. `cargo test --release --test quota
/// measure_write_cost -- --ignored --nocapture`
#[tokio::test]
#[ignore]
async fn measure_write_cost() {
    use polyrun::compile::{CompileRequest, Dialect};
    use polyrun::engine::{Engine, EngineOptions, Entry, Limits, Mount, Program, RunSpec, Stdin};

    const WRITES: usize = 100_000;
    let code = format!(
        r#"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {{
    int fd = strcmp(argv[1], "file") == 0 ? open("out.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644) : 1;
    for (int i = 0; i < {WRITES}; i++) write(fd, "x", 1);
    return 0;
}}
"#
    );
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    sandbox.write_file("bench.c", code.as_bytes()).unwrap();
    let compiled = common::runner()
        .compile(CompileRequest {
            dialect: Dialect::C,
            sandbox: &sandbox,
            source: "bench.c",
            units: &[],
            output: "bench",
            flags: &[],
        })
        .await
        .unwrap_or_else(|outcome| panic!("{outcome:?}"));
    let engine = Engine::new(&EngineOptions::default()).unwrap();
    let program = engine
        .compile_program(compiled.program.wasm().unwrap().to_vec())
        .unwrap();
    for target in ["stdout", "file"] {
        for quota in [false, true] {
            let mut best = std::time::Duration::MAX;
            for _ in 0..3 {
                let outcome = engine
                    .run(RunSpec {
                        program: Program::Compiled(program.clone()),
                        entry: Entry::Start,
                        args: vec!["bench".into(), target.into()],
                        env: vec![],
                        mounts: vec![Mount::read_write(sandbox.host_path(), "/")],
                        stdin: Stdin::Empty,
                        limits: Limits {
                            output_bytes: 1 << 30,
                            ..Limits::default()
                        },
                        output: None,
                        interactive: false,
                        terminal: polyrun::engine::TerminalStreams::NONE,
                        disk: quota.then(|| sandbox.quota().clone()),
                    })
                    .await;
                assert_ok(&outcome);
                best = best.min(outcome.duration);
            }
            println!(
                "write to {target:6}, quota {quota:5}: {:7.0} ns per write",
                best.as_nanos() as f64 / WRITES as f64
            );
        }
    }
}
