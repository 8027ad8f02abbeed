//! Hostile users against the real server, one test per finding of the
//! second hardening pass (issue "Hardening II"): each resource a user can
//! make the host hold comes from a budget with a cap. Every test checks
//! what users see: the attacker's clear error, the server alive, `/health`
//! answering within a second during the attack, other users unaffected,
//! and resident memory within bounds.

mod common;

use std::time::{Duration, Instant};

use common::metric_sample;
use common::server::Server;
use common::terminal::Terminal;
use serde_json::{Value, json};

/// How much a hostile request may grow the server's resident memory.
const MAX_RSS_GROWTH: u64 = 64 << 20;

/// `/health`, timed: it must answer within a second, attack or not.
async fn health_within_a_second(server: &Server) {
    let started = Instant::now();
    let (status, health) = tokio::time::timeout(Duration::from_secs(1), server.get("/health"))
        .await
        .expect("/health took more than a second");
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "healthy", "{health}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// The server is alive, healthy and within its memory budget.
async fn assert_unharmed(server: &mut Server, rss_before: u64) {
    assert!(server.alive(), "the server died");
    health_within_a_second(server).await;
    let rss = server.rss().await;
    assert!(
        rss <= rss_before + MAX_RSS_GROWTH,
        "RSS grew from {} MiB to {} MiB",
        rss_before >> 20,
        rss >> 20
    );
}

async fn terminal(server: &Server) -> Terminal {
    Terminal::connect(&server.base, None).await.unwrap()
}

/// Another user's shell answers a simple command at once.
async fn another_user_is_served(server: &Server) {
    let mut other = terminal(server).await;
    let started = Instant::now();
    let echo = other.run("echo fine && ls").await;
    assert_eq!(echo.code(), 0, "{echo:?}");
    assert!(echo.stdout.starts_with("fine\n"), "{echo:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "another user's shell took {:?}",
        started.elapsed()
    );
    other.disconnect().await;
}

async fn metric(server: &Server, series: &str) -> f64 {
    metric_sample(&server.metrics().await, series)
}

#[tokio::test]
async fn a_printf_width_is_an_error_not_an_allocation() {
    let mut server = Server::start(&[]).await;
    let mut t = terminal(&server).await;
    t.run("echo warm").await;
    let rss = server.rss().await;
    for attack in [
        "printf '%1000000000000d' 1",
        "printf '%3000000000s' x",
        "printf '%.1000000000f' 1",
        "printf '%099999999999999999999999d' 1",
        // Found by the fuzzer: Rust's formatter panics past 65,535 digits.
        "printf '%.70000f' 1",
        "seq 1.0 0.1 1.{70000 zeros}",
    ] {
        let attack = attack.replace("{70000 zeros}", &"0".repeat(70_000));
        let refused = t.run(&attack).await;
        assert_eq!(refused.code(), 1, "{attack}: {refused:?}");
        assert!(
            refused.stderr.contains("is too large"),
            "{attack}: {refused:?}"
        );
        assert!(refused.stdout.is_empty(), "{attack}: {refused:?}");
        assert_unharmed(&mut server, rss).await;
    }
    // Many conversions at once are bounded together, by the output limit.
    let many = format!("printf '{}' 1", "%900000d".repeat(20));
    let refused = t.run(&many).await;
    assert!(refused.stderr.contains("too large"), "{refused:?}");
    // Ordinary widths still work as in coreutils.
    let fine = t.run("printf '[%5d|%-4s|%05.1f]\\n' 42 ab 3.14159").await;
    assert_eq!(fine.stdout, "[   42|ab  |003.1]\n", "{fine:?}");
    assert_unharmed(&mut server, rss).await;
}

#[tokio::test]
async fn long_pipelines_are_refused_and_waits_hold_no_thread() {
    let mut server = Server::start(&[]).await;
    let mut attacker = terminal(&server).await;
    attacker.run("echo warm").await;
    let rss = server.rss().await;

    // 1,000 stages: refused before anything starts.
    let thousand = vec!["sleep 25"; 1000].join(" | ");
    let started = Instant::now();
    let refused = attacker.run(&thousand).await;
    assert_eq!(refused.code(), 2, "{refused:?}");
    assert!(
        refused.stderr.contains("a pipeline of 1000 commands")
            && refused.stderr.contains("MAX_PIPELINE_STAGES"),
        "{refused:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // 64 stages of sleep, and 64 of a program feeding builtins that wait
    // for input, in three sessions at once: sleeping and waiting take no
    // thread, and nobody else notices.
    let sleeps = vec!["sleep 6"; 64].join(" | ");
    let waits = format!(
        "python3 -c \"import time; time.sleep(6)\" | {}",
        vec!["cat"; 63].join(" | ")
    );
    let mut attackers = Vec::new();
    for line in [&sleeps, &waits, &waits] {
        let t = terminal(&server).await;
        t.input(line).await;
        attackers.push(t);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for _ in 0..3 {
        health_within_a_second(&server).await;
        another_user_is_served(&server).await;
    }
    assert_eq!(
        metric(&server, "polyrun_shell_threads").await,
        0.0,
        "sleeping and waiting stages hold no thread"
    );
    for mut t in attackers {
        let done = t.until_exit().await;
        assert_eq!(done.code(), 0, "{done:?}");
    }
    // Pipelines inside `$(…)` count against the same command line.
    let nested = format!(
        "echo $(seq 3 | {}) | {}",
        vec!["cat"; 39].join(" | "),
        vec!["cat"; 39].join(" | ")
    );
    let refused = attacker.run(&nested).await;
    assert!(
        refused
            .stderr
            .contains("a command line runs at most 64 at once"),
        "{refused:?}"
    );
    // A pipeline of builtins within the cap streams through every stage.
    let cats = format!("seq 20000 | {} | wc -l", vec!["cat"; 60].join(" | "));
    assert_eq!(attacker.run(&cats).await.stdout.trim(), "20000");
    assert_unharmed(&mut server, rss).await;
}

/// C that opens `f` 20,000 times (or until refused), says how far it got
/// and why it stopped, then holds what it opened for a while.
const OPEN_FILES_PROGRAM: &str = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
int main(void) {
    FILE *f = fopen("f", "w"); fputs("x", f); fclose(f);
    int opened = 0, error = 0;
    for (int i = 0; i < 20000; i++) {
        if (open("f", O_RDONLY) < 0) { error = errno; break; }
        opened++;
    }
    printf("opened %d, then errno %d (EMFILE is %d)\n", opened, error, EMFILE);
    fflush(stdout);
    time_t start = time(0);
    while (time(0) - start < 4) {}
    return 0;
}
"#;

#[tokio::test]
async fn a_guest_stops_at_max_open_files_and_others_keep_theirs() {
    let mut server = Server::start(&[("MAX_OPEN_FILES", "1024")]).await;
    let warm = server.run_wait("python", json!({"code": "print(1)"})).await;
    assert_eq!(warm["status"], "ok");
    let rss = server.rss().await;
    let attack = server.run_wait_in_background("c", json!({"code": OPEN_FILES_PROGRAM}));
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Meanwhile: other users' runs, new sockets and /health are fine.
    health_within_a_second(&server).await;
    let other = server
        .run_wait(
            "python",
            json!({"code": "open('a', 'w').write('x')\nprint(open('a').read())"}),
        )
        .await;
    assert_eq!(other["status"], "ok", "{other}");
    assert_eq!(other["stdout"], "x\n");
    another_user_is_served(&server).await;
    let result = attack.await.unwrap();
    assert_eq!(result["status"], "ok", "{result}");
    assert_eq!(
        result["stdout"], "opened 1024, then errno 33 (EMFILE is 33)\n",
        "{result}"
    );
    // Every descriptor came back when the run ended.
    assert_eq!(metric(&server, "polyrun_sandbox_descriptors").await, 0.0);
    assert_unharmed(&mut server, rss).await;
}

#[tokio::test]
async fn tee_refuses_more_operands_than_a_command_may_open() {
    let mut server = Server::start(&[]).await;
    let mut t = terminal(&server).await;
    t.run("echo warm").await;
    let rss = server.rss().await;
    let many = vec!["a"; 20_000].join(" ");
    let refused = t.run(&format!("echo x | tee {many}")).await;
    assert_eq!(refused.code(), 1, "{refused:?}");
    assert!(
        refused.stderr.contains("tee: too many open files"),
        "{refused:?}"
    );
    assert_eq!(metric(&server, "polyrun_sandbox_descriptors").await, 0.0);
    // Within the cap, tee writes every file.
    let fine = t.run("echo hi | tee a b c > out; cat a b c | wc -l").await;
    assert_eq!(fine.stdout.trim(), "3", "{fine:?}");
    assert_unharmed(&mut server, rss).await;
}

async fn mcp_initialize(server: &Server, client: &reqwest::Client, name: &str) -> (u16, String) {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": name, "version": "1"}},
    });
    let response = client
        .post(format!("{}/mcp", server.base))
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let id = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = response.bytes().await;
    (status, id)
}

/// A tool call in a session: its HTTP status.
async fn mcp_ping(server: &Server, client: &reqwest::Client, session: &str) -> u16 {
    client
        .post(format!("{}/mcp", server.base))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn mcp_sessions_are_capped_per_client_and_in_all() {
    let mut server = Server::start(&[
        ("MAX_MCP_SESSIONS", "40"),
        ("MAX_MCP_SESSIONS_PER_CLIENT", "8"),
    ])
    .await;
    let honest = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let (status, kept) = mcp_initialize(&server, &honest, "honest").await;
    assert_eq!(status, 200);
    let rss = server.rss().await;

    // A flood of sessions from one address: each initialize succeeds, the
    // oldest of its own sessions make room, and the count stays at its share.
    let mut last = String::new();
    for n in 0..400 {
        let (status, id) = mcp_initialize(&server, &server.client, &format!("flood-{n}")).await;
        assert_eq!(status, 200);
        last = id;
    }
    assert_eq!(metric(&server, "polyrun_mcp_sessions").await, 9.0);
    assert_eq!(mcp_ping(&server, &server.client, &last).await, 200);
    // The other client's session was never the one to go.
    assert_eq!(mcp_ping(&server, &honest, &kept).await, 200);
    health_within_a_second(&server).await;

    // Large client names are refused at the door (a body past 64 KiB
    // is not read further).
    let huge = "n".repeat(100_000);
    let (status, _) = mcp_initialize(&server, &server.client, &huge).await;
    assert_eq!(status, 413, "a 100 KB initialize is refused");
    let (status, _) = mcp_initialize(&server, &server.client, &"n".repeat(10_000)).await;
    assert_eq!(status, 400, "a 10 KB clientInfo is refused");
    assert_unharmed(&mut server, rss).await;

    // At the total, a busy client cannot push out another's fresh
    // sessions: the newcomer is told to come back.
    let full = Server::start(&[
        ("MAX_MCP_SESSIONS", "2"),
        ("MAX_MCP_SESSIONS_PER_CLIENT", "2"),
    ])
    .await;
    for name in ["a", "b"] {
        assert_eq!(mcp_initialize(&full, &full.client, name).await.0, 200);
    }
    assert_eq!(mcp_initialize(&full, &honest, "late").await.0, 503);
}

#[tokio::test]
async fn expanded_arguments_are_capped_like_arg_max() {
    let mut server = Server::start(&[]).await;
    let mut t = terminal(&server).await;
    let set = t.run("V=$(seq 12000 | tr -d '\\n'); echo $V | wc -c").await;
    assert_eq!(set.stdout.trim(), "48895", "{set:?}");
    t.run("python3 -c \"[open(f'n{i:04}', 'w') for i in range(9000)]\"")
        .await;
    let rss = server.rss().await;
    let variables = t
        .run(&format!("echo {} | wc -c", "$V".repeat(12_000)))
        .await;
    assert!(
        variables
            .stderr
            .contains("the expanded arguments are too long"),
        "{variables:?}"
    );
    assert_unharmed(&mut server, rss).await;
    let globs = t.run(&format!("echo{} | wc -c", " *".repeat(152))).await;
    assert!(
        globs.stderr.contains("the expanded arguments are too long"),
        "{globs:?}"
    );
    // xargs splits its commands at the same budget, as at ARG_MAX.
    let batches = t.run("seq 140000 | xargs | wc -l").await;
    assert_eq!(batches.stdout.trim(), "2", "{batches:?}");
    // Within the cap, expansion works as before.
    let fine = t.run("echo n000* | wc -w").await;
    assert_eq!(fine.stdout.trim(), "10", "{fine:?}");
    assert_unharmed(&mut server, rss).await;
}

/// A request with an optional bearer token and JSON body.
async fn call_as(
    server: &Server,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_context_belongs_to_its_creator() {
    let server = Server::start(&[("MAX_CONTEXTS_PER_CLIENT", "2")]).await;
    // Client A keeps a context, with a key of its own and without one.
    let (status, mine) = call_as(
        &server,
        Some("alice-key"),
        "POST",
        "/contexts",
        Some(json!({"language": "python"})),
    )
    .await;
    assert_eq!(status, 201, "{mine}");
    let id = mine["contextId"].as_str().unwrap().to_owned();
    assert!(
        id.len() >= 22,
        "a context id carries 128 bits or more: {id}"
    );
    let (status, _) = call_as(
        &server,
        None,
        "POST",
        "/contexts",
        Some(json!({"language": "javascript"})),
    )
    .await;
    assert_eq!(status, 201);
    call_as(
        &server,
        Some("alice-key"),
        "POST",
        &format!("/contexts/{id}/run"),
        Some(json!({"code": "secret = 'a-secret'"})),
    )
    .await;

    // Client B, knowing only the server's address, is shown nothing.
    for token in [None, Some("bob-key")] {
        let (status, list) = call_as(&server, token, "GET", "/contexts", None).await;
        assert_eq!(status, 200);
        assert_eq!(list["contexts"], json!([]), "{list}");
    }
    // Guessed ids lead nowhere, on every route.
    let guesses = ["", "1", "AAAAAAAAAAAAAAAAAAAAAAAA", &id[..id.len() - 1]];
    for guess in guesses {
        for (method, tail, body) in [
            ("GET", "", None),
            ("POST", "/run", Some(json!({"code": "secret"}))),
            ("POST", "/restart", None),
            ("DELETE", "", None),
        ] {
            let path = format!("/contexts/{guess}{tail}");
            let (status, answer) = call_as(&server, Some("bob-key"), method, &path, body).await;
            assert!(
                status == 404 || status == 405,
                "{method} {path}: {status} {answer}"
            );
        }
    }
    // A lists its own, and its state is untouched.
    let (_, list) = call_as(&server, Some("alice-key"), "GET", "/contexts", None).await;
    let listed: Vec<&str> = list["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contextId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [id.as_str()]);
    let (_, value) = call_as(
        &server,
        Some("alice-key"),
        "POST",
        &format!("/contexts/{id}/run"),
        Some(json!({"code": "secret"})),
    )
    .await;
    assert_eq!(value["value"], "'a-secret'", "{value}");

    // One client holds at most MAX_CONTEXTS_PER_CLIENT.
    let (status, refused) = call_as(
        &server,
        None,
        "POST",
        "/contexts",
        Some(json!({"language": "python"})),
    )
    .await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"]["code"], "too_many_contexts");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("MAX_CONTEXTS_PER_CLIENT"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_long_diff_stops_at_its_deadline_and_at_ctrl_c() {
    let mut server = Server::start(&[]).await;
    let mut t = terminal(&server).await;
    let made = t
        .run(
            "python3 -c \"import random\nfor name in 'ab':\n    open(name, 'w').write(''.join(random.choice('xyz') + '\\n' for _ in range(1000000)))\"",
        )
        .await;
    assert_eq!(made.code(), 0, "{made:?}");
    let rss = server.rss().await;
    let started = Instant::now();
    let diff = t.run("diff a b | head -3").await;
    assert!(diff.stdout.starts_with("--- a\n+++ b\n"), "{diff:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "diff took {:?}",
        started.elapsed()
    );
    // Interrupted, it stops: the thread it ran on is free again soon.
    t.input("diff a b | wc -l").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.emit("interrupt", json!(null)).await;
    let stopped = t.until_exit().await;
    assert_eq!(stopped.exit["status"], "interrupted", "{stopped:?}");
    // Reported interrupted only once it has stopped: no thread is left.
    assert_eq!(
        metric(&server, "polyrun_shell_threads").await,
        0.0,
        "diff went on after it was reported interrupted"
    );
    assert_unharmed(&mut server, rss).await;
}

#[tokio::test]
async fn nested_arrow_defaults_are_refused_fast_and_repeats_are_cached() {
    let mut server = Server::start(&[]).await;
    let hello = json!({"code": "const n: number = 41; console.log(n + 1);"});
    let first = server.run_wait("typescript", hello.clone()).await;
    assert_eq!(first["stdout"], "42\n", "{first}");
    assert_eq!(first["compileCached"], false);
    let again = server.run_wait("typescript", hello).await;
    assert_eq!(again["stdout"], "42\n", "{again}");
    assert_eq!(
        again["compileCached"], true,
        "the same program is not transpiled again"
    );
    let rss = server.rss().await;
    let depth = 12_000 / "(a = ".len();
    let bomb = format!(
        "const f = {}1{} => 0;\nconsole.log(f);\n",
        "(a = ".repeat(depth),
        ")".repeat(depth)
    );
    let started = Instant::now();
    let attacks: Vec<_> = (0..4)
        .map(|_| server.run_wait_in_background("typescript", json!({"code": bomb.clone()})))
        .collect();
    for attack in attacks {
        let result = attack.await.unwrap();
        assert_eq!(result["status"], "compile_error", "{result}");
        assert!(
            result["compileOutput"]
                .as_str()
                .unwrap()
                .contains("nests too deeply"),
            "{result}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "four bombs took {:?}",
        started.elapsed()
    );
    let other = server
        .run_wait("typescript", json!({"code": "console.log('other')"}))
        .await;
    assert_eq!(other["stdout"], "other\n");
    assert_unharmed(&mut server, rss).await;
}

#[tokio::test]
async fn guests_and_the_shell_cannot_plant_links_out_of_the_sandbox() {
    let server = Server::start(&[]).await;
    let code = r#"
import errno, os
for target, name in [("../../../../etc", "e"), ("/etc/passwd", "p"), (".", "d"), ("d/d/../..", "x")]:
    try:
        os.symlink(target, name)
        print(name, "made")
    except OSError as error:
        print(name, type(error).__name__, error.errno == errno.EPERM)
os.mkdir("sub")
os.symlink("../d", "sub/up")
print(sorted(n for n in os.listdir(".") if not n.endswith(".py")), os.path.islink("sub/up"))
"#;
    let result = server.run_wait("python", json!({"code": code})).await;
    assert_eq!(
        result["stdout"],
        "e PermissionError True\np PermissionError True\nd made\nx PermissionError True\n['d', 'sub'] True\n",
        "{result}"
    );
    let mut t = terminal(&server).await;
    t.run("ln -s . d").await;
    let chained = t.run("ln -s d/d/../.. x").await;
    assert_eq!(chained.code(), 1, "{chained:?}");
    assert!(
        chained.stderr.contains("outside the sandbox"),
        "{chained:?}"
    );
    // No link anywhere under the users' directory points out of it. The
    // HTTP run's sandbox is removed after its answer, perhaps during the
    // walk: what vanishes meanwhile is skipped.
    let users = std::fs::canonicalize(server.users.path()).unwrap();
    let mut stack = vec![users.clone()];
    while let Some(dir) = stack.pop() {
        let Some(entries) = unless_vanished(std::fs::read_dir(&dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                let Some(target) = unless_vanished(std::fs::read_link(&path)) else {
                    continue;
                };
                let resolved = dir.join(&target);
                let normal: std::path::PathBuf =
                    resolved
                        .components()
                        .fold(std::path::PathBuf::new(), |mut acc, part| {
                            match part {
                                std::path::Component::ParentDir => {
                                    acc.pop();
                                }
                                other => acc.push(other),
                            }
                            acc
                        });
                assert!(
                    normal.starts_with(&users) && !target.is_absolute(),
                    "{} -> {}",
                    path.display(),
                    target.display()
                );
            } else if kind.is_dir() {
                stack.push(path);
            }
        }
    }
}

/// The result, or `None` if what it was about no longer exists.
fn unless_vanished<T>(result: std::io::Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => panic!("{error}"),
    }
}
