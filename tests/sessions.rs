//! Session lifecycle against the real server: connection limits, idle
//! timeout, resume after reconnect, sandbox cleanup, tokens, accounting,
//! HTTP runs streamed to a session, and the official JavaScript client.

mod common;

use std::time::{Duration, Instant};

use common::server::Server;
use common::stalled::StalledClient;
use common::terminal::Terminal;
use common::{eventually, node_client_report, sandboxes};
use serde_json::{Value, json};

async fn connect(server: &Server) -> Terminal {
    Terminal::connect(&server.base, None)
        .await
        .expect("connects")
}

#[tokio::test]
async fn a_line_sent_the_moment_the_socket_connects_is_run() {
    let server = Server::start(&[]).await;
    for attempt in 0..5 {
        // Busy the server a little first, as other clients would.
        let (status, _) = server.get("/health").await;
        assert_eq!(status, 200);
        let mut hasty = StalledClient::connect(&server.base).await;
        hasty.emit("input", &format!("echo hasty-{attempt}")).await;
        assert!(
            hasty
                .read_until(&format!("hasty-{attempt}\\n"), Duration::from_secs(20))
                .await,
            "attempt {attempt}: the first line was lost"
        );
    }
}

#[tokio::test]
async fn max_connections_refuses_the_next_one_clearly() {
    let server = Server::start(&[("MAX_CONNECTIONS", "2")]).await;
    let first = connect(&server).await;
    let _second = connect(&server).await;
    let refused = Terminal::connect(&server.base, None)
        .await
        .err()
        .expect("refused");
    assert!(
        refused.contains("too many connections") && refused.contains("MAX_CONNECTIONS"),
        "{refused}"
    );
    assert_eq!(server.get("/health").await.1["connectionCount"], 2);
    // A slot frees when a client leaves.
    first.disconnect().await;
    let mut third = None;
    for _ in 0..100 {
        if let Ok(terminal) = Terminal::connect(&server.base, None).await {
            third = Some(terminal);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(third.is_some(), "a freed slot is reusable");
}

#[tokio::test]
async fn idle_sessions_are_stopped_removed_and_disconnected() {
    let server = Server::start(&[("SESSION_TIMEOUT", "1500")]).await;
    let mut t = connect(&server).await;
    let directory = server.users.path().join(t.user_directory());
    t.run("echo x > file.txt").await;
    // A program that would run past the timeout; nobody types.
    t.input("python3 -c \"import time; time.sleep(20)\"").await;
    let started = Instant::now();
    let mut closed = None;
    while let Some((event, value, _)) = t.next_event().await {
        if event == "output-error" && value.as_str().unwrap_or("").contains("SESSION_TIMEOUT") {
            closed = Some(started.elapsed());
            break;
        }
    }
    let closed = closed.expect("told the session closed");
    assert!(closed < Duration::from_secs(10), "{closed:?}");
    eventually(Duration::from_secs(5), "sandbox removed", || {
        !directory.exists()
    })
    .await;
    assert_eq!(server.get("/health").await.1["totalSessions"], 0);
    // The server disconnected the socket.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.get("/health").await.1["connectionCount"] != 0 {
        assert!(
            Instant::now() < deadline,
            "the idle socket stayed connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reconnecting_client_resumes_its_session() {
    let server = Server::start(&[("SESSION_RESUME_GRACE", "30000")]).await;
    let mut t = connect(&server).await;
    let (id, directory) = (t.session_id(), t.user_directory());
    t.run("mkdir work && cd work && echo kept > note.txt").await;
    t.disconnect().await;

    let mut again = Terminal::connect(&server.base, Some(json!({ "sessionId": id })))
        .await
        .unwrap();
    assert_eq!(again.session["resumed"], true);
    assert_eq!(again.user_directory(), directory);
    assert_eq!(again.session_id(), id);
    assert_eq!(again.session["cwd"], "~/work");
    assert_eq!(again.run("cat note.txt").await.stdout, "kept\n");

    // An unknown or expired id starts a new session.
    let fresh = Terminal::connect(&server.base, Some(json!({ "sessionId": "nope" })))
        .await
        .unwrap();
    assert_eq!(fresh.session["resumed"], false);
    assert_ne!(fresh.user_directory(), directory);
}

#[tokio::test]
async fn disconnecting_stops_the_program_and_the_sandbox_goes_after_the_grace() {
    // A grace long enough that a loaded machine sees the program stop well
    // before the sandbox goes (3 s raced the sampling below under load).
    let server = Server::start(&[("SESSION_RESUME_GRACE", "8000")]).await;
    let mut t = connect(&server).await;
    let directory = server.users.path().join(t.user_directory());
    // A program that never ends and leaves a trace while it runs.
    t.input("python3 -c \"print('start', flush=True)\nwhile True: open('beat', 'a').write('x')\"")
        .await;
    let (event, _, _) = t.next_event().await.unwrap();
    assert_eq!(event, "output-success");
    t.disconnect().await;
    let beats = || std::fs::metadata(directory.join("beat")).map_or(0, |m| m.len());
    let mut last = beats();
    let mut stopped = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = beats();
        if now == last && now > 0 {
            stopped = true;
            break;
        }
        last = now;
    }
    assert!(stopped, "the program kept writing after the disconnect");
    assert!(directory.exists(), "kept during the grace period");
    eventually(
        Duration::from_secs(20),
        "sandbox removed after the grace",
        || !directory.exists(),
    )
    .await;
    assert_eq!(server.get("/health").await.1["totalSessions"], 0);
}

#[tokio::test]
async fn connecting_and_leaving_in_a_loop_cannot_pile_up_sessions() {
    let server =
        Server::start(&[("MAX_CONNECTIONS", "1"), ("SESSION_RESUME_GRACE", "600000")]).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let t = connect(&server).await;
        ids.push((t.session_id(), t.user_directory()));
        t.disconnect().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.get("/health").await.1["connectionCount"] != 0 {
            assert!(Instant::now() < deadline, "the connection never closed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // At most 2 × MAX_CONNECTIONS sessions are kept: the oldest went first.
    assert_eq!(server.get("/health").await.1["totalSessions"], 2);
    // The evicted session's sandbox is removed off the async workers.
    let evicted = server.users.path().join(&ids[0].1);
    eventually(Duration::from_secs(10), "evicted sandbox removed", || {
        !evicted.exists()
    })
    .await;
    assert_eq!(sandboxes(server.users.path()).len(), 2);
    let resumed = Terminal::connect(&server.base, Some(json!({ "sessionId": ids[0].0 })))
        .await
        .unwrap();
    assert_eq!(
        resumed.session["resumed"], false,
        "an evicted session cannot be resumed"
    );
    drop(resumed);
}

#[tokio::test]
async fn input_nobody_reads_is_capped() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.input("python3 -c \"import time; print('sleeping', flush=True); time.sleep(30)\"")
        .await;
    let (event, _, _) = t.next_event().await.unwrap();
    assert_eq!(event, "output-success");
    let line = "x".repeat(1 << 20);
    for _ in 0..6 {
        t.input(&line).await;
    }
    let mut refused = false;
    while let Some((event, value, _)) = t.event_within(Duration::from_secs(5)).await {
        if event == "output-error" && value.as_str().unwrap_or("").contains("has not read") {
            refused = true;
            break;
        }
    }
    assert!(refused, "6 MiB of unread input was accepted");
    t.emit("interrupt", json!(null)).await;
    assert_eq!(t.until_exit().await.code(), 130);
}

#[tokio::test]
async fn leftover_sandboxes_are_removed_at_start_up() {
    let users = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(users.path().join("user_leftover1234/sub")).unwrap();
    std::fs::write(users.path().join("user_leftover1234/sub/f"), "x").unwrap();
    std::fs::create_dir(users.path().join("keep_me")).unwrap();
    let server = Server::start(&[("USER_BASE_DIR", users.path().to_str().unwrap())]).await;
    assert!(sandboxes(users.path()).is_empty());
    assert!(users.path().join("keep_me").exists());
    drop(server);
}

#[tokio::test]
async fn the_api_token_is_required_in_the_handshake() {
    let server = Server::start(&[("API_TOKEN", "s3cret")]).await;
    let refused = Terminal::connect(&server.base, None)
        .await
        .err()
        .expect("refused");
    assert!(refused.contains("unauthorized"), "{refused}");
    let wrong = Terminal::connect(&server.base, Some(json!({"token": "nope"})))
        .await
        .err()
        .expect("refused");
    assert!(wrong.contains("unauthorized"), "{wrong}");
    let mut t = Terminal::connect(&server.base, Some(json!({"token": "s3cret"})))
        .await
        .unwrap();
    assert_eq!(t.run("echo in").await.stdout, "in\n");
}

#[tokio::test]
async fn http_runs_with_a_session_id_stream_to_its_socket() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.run("echo from-shell > shared.txt").await;
    let body = json!({
        "code": "import time\nprint(open('/shared.txt').read().strip(), flush=True)\ntime.sleep(1)\nprint('done')",
        "sessionId": t.session_id(),
        "wait": true,
    });
    let client = server.client.clone();
    let url = format!("{}/run/python", server.base);
    let request = tokio::spawn(async move {
        let response = client.post(url).json(&body).send().await.unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    });
    let (event, text, _) = t.next_event().await.unwrap();
    assert_eq!(
        (event.as_str(), text.as_str()),
        ("output-success", Some("from-shell\n"))
    );
    assert!(
        !request.is_finished(),
        "output streamed before the run ended"
    );
    let rest = t.until_exit().await;
    assert_eq!(rest.stdout, "done\n");
    assert_eq!(rest.code(), 0);
    let (status, result) = request.await.unwrap();
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["stdout"], "from-shell\ndone\n");
    // The code stays in the session's sandbox (`<millis>_code.py`).
    let listing = t.run("ls").await.stdout;
    assert!(listing.contains("_code.py\n"), "{listing}");

    let (status, unknown) = server
        .run(
            "python",
            json!({"code": "print(1)", "sessionId": "not-a-session"}),
        )
        .await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str()),
        (404, Some("unknown_session"))
    );
}

#[tokio::test]
async fn a_session_runs_one_thing_at_a_time_http_runs_included() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.input("python3 -c \"print('got', input())\"").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let session_id = t.session_id();
    let run_in_session = || {
        server
            .client
            .post(format!("{}/run/python", server.base))
            .json(&json!({"code": "print('api')", "sessionId": session_id, "wait": true}))
            .send()
    };
    // While the shell command waits for input, the session is busy.
    let response = run_in_session().await.unwrap();
    assert_eq!(response.status(), 409);
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "session_busy", "{refused}");
    t.input("typed").await;
    assert_eq!(t.until_exit().await.stdout, "got typed\n");
    // Its turn now: it runs, streaming to the socket too.
    let result: Value = run_in_session().await.unwrap().json().await.unwrap();
    assert_eq!(result["stdout"], "api\n", "{result}");
    assert_eq!(t.until_exit().await.stdout, "api\n");
}

#[tokio::test]
async fn health_and_stats_account_for_sessions() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    let _other = connect(&server).await;
    t.run("echo a").await;
    t.run("python3 -c \"print(1)\"").await;
    t.emit(
        "run",
        json!({"language": "javascript", "code": "console.log(1)"}),
    )
    .await;
    t.until_exit().await;
    let health = server.get("/health").await.1;
    assert_eq!(health["totalSessions"], 2, "{health}");
    assert_eq!(health["activeSessions"], 2, "{health}");
    assert_eq!(health["connectionCount"], 2, "{health}");
    let stats = server.get("/stats").await.1;
    let sessions = stats["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let mine = sessions
        .iter()
        .find(|s| s["userDirectory"] == t.user_directory().as_str())
        .unwrap();
    assert_eq!(mine["commands"], 2, "{mine}");
    assert_eq!(mine["executions"], 1, "{mine}");
    assert_eq!(mine["connected"], true);
    assert!(
        mine["idleMs"].is_u64() && mine["createdAt"].is_string(),
        "{mine}"
    );
    // The secret never shows.
    assert!(!stats.to_string().contains(&t.session_id()));
}

/// The official `socket.io-client` v4 from Node (installed in
/// `tests/socketio` by `cargo xtask test`) drives the shell.
#[tokio::test]
async fn the_official_javascript_client_speaks_to_the_shell() {
    let server = Server::start(&[]).await;
    let report = node_client_report(
        "socketio",
        "socket.io-client",
        "shell-client.js",
        &[&server.base],
    )
    .await;
    assert_eq!(
        report["transports"],
        json!(["polling", "websocket"]),
        "{report}"
    );
    assert!(report["session"]["sessionId"].as_str().unwrap().len() == 32);
    assert_eq!(report["echo"]["stdout"], "hello from node\n");
    assert_eq!(report["python"]["stdout"], "42\n");
    assert_eq!(report["python"]["exit"]["code"], 0);
    assert!(
        report["forbidden"]["stderr"]
            .as_str()
            .unwrap()
            .contains("security violation: 'ssh'")
    );
    assert_eq!(report["resumed"]["resumed"], true);
    assert_eq!(
        report["resumed"]["userDirectory"],
        report["session"]["userDirectory"]
    );
}
