//! The HTTP API, against the real `polyrun` binary on an ephemeral port,
//! with a real HTTP client.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::server::Server;

use serde_json::{Value, json};

#[tokio::test]
async fn health_runtimes_and_stats() {
    let server = Server::start(&[]).await;
    let (status, health) = server.get("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    for field in [
        "timestamp",
        "totalSessions",
        "activeSessions",
        "connectionCount",
        "uptimeSeconds",
    ] {
        assert!(!health[field].is_null(), "{field} missing: {health}");
    }
    assert!(health["memoryUsage"]["rss"].as_u64().unwrap() > 0);
    assert!(health["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(health["runtimes"]["python"], "ready");

    let (_, runtimes) = server.get("/runtimes").await;
    let names: Vec<&str> = runtimes["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["python", "javascript", "typescript", "c", "c++"]);

    server.run_wait("python", json!({"code": "print(1)"})).await;
    let (status, stats) = server.get("/stats").await;
    assert_eq!(status, 200);
    assert_eq!(
        stats["executions"]["byLanguageAndStatus"]["python"]["ok"],
        1
    );
    assert!(stats["executions"]["latency"]["p50Ms"].is_u64());
}

#[tokio::test]
async fn wait_gives_the_full_result_for_every_language() {
    let server = Server::start(&[]).await;
    let cases = [
        ("python", "import sys\nprint(input() * 2, sys.argv[1:])"),
        ("py", "import sys\nprint(input() * 2, sys.argv[1:])"),
        (
            "javascript",
            "const fs = require('fs');\nconsole.log(fs.readFileSync(0, 'utf8').trim().repeat(2), `['${process.argv[2]}']`);",
        ),
        (
            "ts",
            "const s: string = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log(s + s, `['${process.argv[2]}']`);",
        ),
        (
            "c",
            "#include <stdio.h>\nint main(int c, char **v) { char s[16]; scanf(\"%15s\", s); printf(\"%s%s ['%s']\\n\", s, s, v[1]); }",
        ),
        (
            "c++",
            "#include <iostream>\nint main(int c, char **v) { std::string s; std::cin >> s; std::cout << s << s << \" ['\" << v[1] << \"']\\n\"; }",
        ),
    ];
    for (language, code) in cases {
        let result = server
            .run_wait(
                language,
                json!({"code": code, "stdin": "ab\n", "args": ["x"]}),
            )
            .await;
        assert_eq!(result["status"], "ok", "{language}: {result}");
        assert_eq!(result["success"], true);
        assert_eq!(result["exitCode"], 0);
        assert_eq!(result["stdout"], "abab ['x']\n", "{language}: {result}");
        for field in [
            "executionId",
            "language",
            "stderr",
            "compileOutput",
            "durationMs",
            "memoryBytes",
            "truncated",
        ] {
            assert!(
                !result[field].is_null(),
                "{language}: {field} missing in {result}"
            );
        }
        // Fuel is counted for compiled code only; the interpreters say null.
        let counted = matches!(language, "c" | "c++");
        assert_eq!(
            result["fuelConsumed"].is_u64(),
            counted,
            "{language}: {result}"
        );
        assert!(result.as_object().unwrap().contains_key("fuelConsumed"));
    }
}

#[tokio::test]
async fn compile_errors_timeouts_and_lowered_limits() {
    let server = Server::start(&[("CODE_EXECUTION_TIMEOUT", "2000")]).await;
    let result = server
        .run_wait("cpp", json!({"code": "int main() { return nope; }"}))
        .await;
    assert_eq!(result["status"], "compile_error");
    assert_eq!(result["success"], false);
    assert!(
        result["compileOutput"]
            .as_str()
            .unwrap()
            .contains("use of undeclared identifier 'nope'")
    );

    let result = server
        .run_wait("python", json!({"code": "while True: pass"}))
        .await;
    assert_eq!(result["status"], "timeout");
    assert!(result["durationMs"].as_u64().unwrap() < 2500);

    let result = server
        .run_wait(
            "js",
            json!({"code": "for(;;){}", "limits": {"timeoutMs": 300}}),
        )
        .await;
    assert_eq!(result["status"], "timeout");
    assert!(result["durationMs"].as_u64().unwrap() < 800, "{result}");

    // A request cannot raise the server's limits.
    let result = server
        .run_wait(
            "js",
            json!({"code": "for(;;){}", "limits": {"timeoutMs": 999999}}),
        )
        .await;
    assert!(result["durationMs"].as_u64().unwrap() < 2500, "{result}");

    let result = server
        .run_wait(
            "python",
            json!({"code": "print('x' * 5000)", "limits": {"outputBytes": 100}}),
        )
        .await;
    assert_eq!(result["status"], "output_limit");
    assert_eq!(result["truncated"], true);
    assert_eq!(result["stdout"].as_str().unwrap().len(), 100);
}

#[tokio::test]
async fn the_original_async_response_then_polling() {
    let server = Server::start(&[]).await;
    let (status, started) = server
        .run(
            "javascript",
            json!({"code": "console.log('Hello World!');"}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(started["success"], true);
    assert_eq!(started["message"], "Code execution started");
    let user_directory = started["userDirectory"].as_str().unwrap();
    assert!(user_directory.starts_with("user_"));
    let filename = started["filename"].as_str().unwrap();
    assert!(
        filename.ends_with("_code.js")
            && filename.split('_').next().unwrap().parse::<u128>().is_ok()
    );
    // Unguessable: 128 random bits, nothing of the user directory or time.
    let id = started["executionId"].as_str().unwrap();
    let random = id.strip_prefix("exec_").unwrap();
    assert!(
        random.len() == 32 && random.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(!id.contains(user_directory));

    let deadline = Instant::now() + Duration::from_secs(20);
    let view = loop {
        let (status, view) = server.get(&format!("/executions/{id}")).await;
        assert_eq!(status, 200);
        assert!(["queued", "running", "finished"].contains(&view["state"].as_str().unwrap()));
        if view["state"] == "finished" {
            break view;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(view["result"]["stdout"], "Hello World!\n");
    assert_eq!(view["result"]["executionId"], id);

    let (status, error) = server.get("/executions/user_nope_1").await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["code"], "unknown_execution");
}

#[tokio::test]
async fn files_and_args_reach_the_program() {
    let server = Server::start(&[]).await;
    let result = server
        .run_wait(
            "python",
            json!({
                "code": "import sys, helper\nprint(helper.shout(open('data/in.txt').read()), sys.argv[1:])",
                "files": {"helper.py": "def shout(s): return s.upper()", "data/in.txt": "quiet"},
                "args": ["--n", "3"],
            }),
        )
        .await;
    assert_eq!(result["stdout"], "QUIET ['--n', '3']\n", "{result}");

    let (status, error) = server
        .run(
            "python",
            json!({"code": "print(1)", "files": {"../escape.py": "x"}, "wait": true}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid path")
    );
}

#[tokio::test]
async fn bad_input_gets_clear_json_errors() {
    let server = Server::start(&[("MAX_CODE_SIZE", "1000")]).await;
    let url = format!("{}/run/python", server.base);
    let post = |body: &'static str, content_type: &'static str| {
        server
            .client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    for (body, expected) in [
        ("{not json", "invalid request body"),
        ("{}", "missing field `code`"),
        (r#"{"code": 5}"#, "invalid type"),
        (r#"{"code": "print(1)", "args": "x"}"#, "invalid type"),
        (
            r#"{"code": "print(1)", "limits": {"cpu": 1}}"#,
            "unknown field `cpu`",
        ),
        (
            r#"{"code": "print(1)", "limits": {"timeoutMs": 0}}"#,
            "must be positive",
        ),
    ] {
        let response = post(body, "application/json").await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["success"], false);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{body}: {error}"
        );
    }

    let response = post(r#"{"code": "print(1)"}"#, "text/plain").await.unwrap();
    assert_eq!(response.status().as_u16(), 415);

    let (status, error) = server.run("brainfuck", json!({"code": "+"})).await;
    assert_eq!(status, 404);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("python")
    );

    let (status, error) = server
        .run("python", json!({"code": "#".repeat(1001)}))
        .await;
    assert_eq!(status, 413);
    assert_eq!(error["error"]["code"], "payload_too_large");

    // A huge body is refused once it passes the limit, not buffered whole.
    let huge = vec![b' '; 64 << 20];
    let response = server
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status().as_u16(), 413);
    }

    let (status, error) = server.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(error["success"], false);
}

#[tokio::test]
async fn api_token_is_required_when_set() {
    let server = Server::start(&[("API_TOKEN", "s3cret")]).await;
    let (status, error) = server.run("python", json!({"code": "print(1)"})).await;
    assert_eq!(status, 401);
    assert_eq!(error["error"]["code"], "unauthorized");
    let response = server
        .client
        .post(format!("{}/run/python", server.base))
        .bearer_auth("wrong")
        .json(&json!({"code": "print(1)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let response = server
        .client
        .post(format!("{}/run/python", server.base))
        .bearer_auth("s3cret")
        .json(&json!({"code": "print(1)", "wait": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(server.get("/health").await.0, 200, "health stays public");
}

/// Sends a request whose body comes after a pause, as a slow client's does,
/// then a second request on the same connection; returns both status lines.
async fn slow_body_then_health(base: &str, head: &str, body: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "{head}\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let first = read_response(&mut stream).await;
    let health = format!("GET /health HTTP/1.1\r\nHost: {address}\r\n\r\n");
    let second = match stream.write_all(health.as_bytes()).await {
        Ok(()) => read_response(&mut stream).await,
        Err(error) => format!("write failed: {error}"),
    };

    async fn read_response(stream: &mut tokio::net::TcpStream) -> String {
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        let read = async {
            loop {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(str::to_owned)
                        })
                        .and_then(|n| n.trim().parse().ok())
                        .unwrap_or(0);
                    if bytes.len() >= end + 4 + length {
                        return text.lines().next().unwrap_or_default().to_owned();
                    }
                }
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return "connection closed".to_owned(),
                    Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .unwrap_or_else(|_| "no answer".to_owned())
    }
    (first, second)
}

/// An early answer (no such route, no token) still reads a small body, so a
/// client that is still sending it gets the answer, not a broken pipe, and
/// its connection stays usable.
#[tokio::test]
async fn early_errors_wait_for_a_small_body_and_keep_the_connection() {
    let server = Server::start(&[("API_TOKEN", "s3cret")]).await;
    let body = r#"{"code":"print(1)"}"#;
    let (first, second) = slow_body_then_health(&server.base, "POST /run/ HTTP/1.1", body).await;
    assert!(first.contains(" 404 "), "{first}");
    assert!(second.contains(" 200 "), "{second}");
    let (first, second) =
        slow_body_then_health(&server.base, "POST /run/python HTTP/1.1", body).await;
    assert!(first.contains(" 401 "), "{first}");
    assert!(second.contains(" 200 "), "{second}");
    let (first, second) = slow_body_then_health(&server.base, "PUT /health HTTP/1.1", body).await;
    assert!(first.contains(" 405 "), "{first}");
    assert!(second.contains(" 200 "), "{second}");
}

/// A wrong method gets the API's JSON error like every other mistake.
#[tokio::test]
async fn a_wrong_method_is_a_json_error() {
    let server = Server::start(&[]).await;
    let response = server
        .client
        .delete(format!("{}/run/python", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "method_not_allowed", "{error}");
}

#[tokio::test]
async fn runtimes_not_ready_answer_503() {
    let empty = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &[("RUNTIMES_DIR", empty.path().to_str().unwrap())],
        &["--offline"],
        false,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let health = loop {
        let (_, health) = server.get("/health").await;
        if health["status"] != "provisioning" || Instant::now() > deadline {
            break health;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(health["status"], "unhealthy", "{health}");
    let (status, error) = server.run("python", json!({"code": "print(1)"})).await;
    assert_eq!(status, 503);
    assert_eq!(error["error"]["code"], "runtimes_not_ready");
}

#[tokio::test]
async fn fifty_concurrent_requests_and_429_beyond_the_queue() {
    let server = std::sync::Arc::new(Server::start(&[]).await);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let (language, code) = if i % 2 == 0 {
                ("python", format!("print('request {i}')"))
            } else {
                ("js", format!("console.log('request {i}')"))
            };
            (i, server.run_wait(language, json!({"code": code})).await)
        }));
    }
    for task in tasks {
        let (i, result) = task.await.unwrap();
        assert_eq!(result["stdout"], format!("request {i}\n"), "{result}");
    }

    let small = std::sync::Arc::new(
        Server::start(&[
            ("MAX_CONCURRENT_EXECUTIONS", "1"),
            ("MAX_QUEUED_EXECUTIONS", "1"),
        ])
        .await,
    );
    let mut slow = Vec::new();
    for _ in 0..2 {
        let small = small.clone();
        slow.push(tokio::spawn(async move {
            small
                .run(
                    "python",
                    json!({"code": "import time\ntime.sleep(1.5)", "wait": true}),
                )
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = small
        .client
        .post(format!("{}/run/python", small.base))
        .json(&json!({"code": "print(1)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    for task in slow {
        assert_eq!(task.await.unwrap().0, 200);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn graceful_shutdown_lets_a_running_execution_finish() {
    let mut server = Server::start(&[]).await;
    let running = server.run_wait_in_background(
        "python",
        json!({"code": "import time\ntime.sleep(1)\nprint('finished')"}),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let result = running.await.unwrap();
    assert_eq!(result["stdout"], "finished\n", "{result}");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn an_invalid_setting_stops_start_up_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_polyrun"))
        .env("PORT", "eighty")
        .env("RUNTIMES_DIR", common::runtime_dir().root())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PORT") && stderr.contains("eighty"),
        "{stderr}"
    );
}

#[tokio::test]
async fn settings_come_from_a_dot_env_file() {
    // The server runs in its user directory; a .env there is read at start.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "MAX_CODE_SIZE=10\n").unwrap();
    let server = Server::start_with(
        &[("POLYRUN_TEST_CWD", dir.path().to_str().unwrap())],
        &[],
        true,
    )
    .await;
    let (status, _) = server
        .run("python", json!({"code": "print('more than ten bytes')"}))
        .await;
    assert_eq!(status, 413);
}

/// Python runs over HTTP start from instances the server prepared ahead
/// (see `engine/prepared.rs`): each is still fresh (nothing a previous run
/// did is seen, seeds differ), and the run's own limits and deadline hold.
#[tokio::test]
async fn runs_from_prepared_instances_are_fresh_and_keep_their_limits() {
    let server = Server::start(&[]).await;
    let mut randoms = Vec::new();
    for _ in 0..4 {
        let result = server
            .run_wait(
                "python",
                json!({"code": "import json, random, sys\n\
                                print(hasattr(json, 'polluted'), 'extra' in sys.path)\n\
                                json.polluted = True\n\
                                sys.path.append('extra')\n\
                                print(random.random())"}),
            )
            .await;
        let stdout = result["stdout"].as_str().unwrap();
        let mut lines = stdout.lines();
        assert_eq!(lines.next(), Some("False False"), "{result}");
        randoms.push(lines.next().unwrap().to_owned());
        let memory = result["memoryBytes"].as_u64().unwrap();
        assert!(
            memory >= 100 << 20,
            "the snapshot's memory is counted: {result}"
        );
    }
    randoms.sort();
    randoms.dedup();
    assert_eq!(randoms.len(), 4, "{randoms:?}");

    let hog = server
        .run_wait(
            "python",
            json!({"code": "hog = bytearray(200 << 20)\nprint('allocated')",
                   "limits": {"memoryMb": 256}}),
        )
        .await;
    assert_eq!(hog["status"], "memory_limit", "{hog}");
    let spin = server
        .run_wait(
            "python",
            json!({"code": "while True: pass", "limits": {"timeoutMs": 300}}),
        )
        .await;
    assert_eq!(spin["status"], "timeout", "{spin}");

    // JavaScript's snapshot has instances made ahead too (QuickJS ends its
    // warm-up with `proc_exit(0)`, which must count as a clean run). Its
    // slots keep the pages a run wrote (up to 1 MiB) for the next: each run
    // writes several MiB, and the next must still start from the image.
    let mut randoms = Vec::new();
    for _ in 0..4 {
        let result = server
            .run_wait(
                "javascript",
                json!({"code": "console.log(globalThis.polluted === undefined);\n\
                                globalThis.polluted = new Array(1 << 20).fill(7);\n\
                                console.log(Math.random());"}),
            )
            .await;
        let stdout = result["stdout"].as_str().unwrap();
        let mut lines = stdout.lines();
        assert_eq!(lines.next(), Some("true"), "{result}");
        randoms.push(lines.next().unwrap().to_owned());
    }
    randoms.sort();
    randoms.dedup();
    assert_eq!(randoms.len(), 4, "{randoms:?}");

    let metrics = server.metrics().await;
    let prepared = common::metric_sample(
        &metrics,
        "polyrun_run_phase_seconds_count{phase=\"prepared\"}",
    );
    let made_inline = common::metric_sample(
        &metrics,
        "polyrun_run_phase_seconds_count{phase=\"instantiate\"}",
    );
    assert!(prepared >= 8.0, "instances were prepared ahead: {prepared}");
    // The warm-up hellos made their own instances; the runs above mostly
    // did not.
    assert!(made_inline < 5.0, "{made_inline} runs instantiated inline");
}
