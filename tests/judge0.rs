//! Judge0's API (`/judge0`) against the real server: the official Judge0
//! Python SDK (PyPI `judge0`, pinned; `cargo xtask test` installs it in an
//! environment of its own and names its Python in `POLYRUN_JUDGE0_PYTHON`)
//! runs its documented examples (a submission, a batch, a wait, test
//! cases) with the token in `X-Auth-Token`; raw requests check Judge0's
//! field errors, base64, `fields` and tokens.

mod common;

use common::server::Server;
use serde_json::{Value, json};

const TOKEN: &str = "judge0-test-token";

#[tokio::test]
async fn the_judge0_sdk_runs_its_examples() {
    let python = std::env::var("POLYRUN_JUDGE0_PYTHON").expect(
        "POLYRUN_JUDGE0_PYTHON is not set: run `cargo xtask test` (it installs the Judge0 SDK)",
    );
    let server = Server::start(&[("API_TOKEN", TOKEN)]).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/judge0/client.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .args([&server.base, TOKEN])
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();

    assert_eq!(report["version"], "1.13.1");
    assert_eq!(report["single"]["status"], 3, "{report}");
    assert_eq!(report["single"]["stdout"], "hello 42\n");
    assert_eq!(report["single"]["exit_code"], 0);

    let batch: Vec<(&Value, &Value)> = report["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (&s["status"], &s["stdout"]))
        .collect();
    assert_eq!(
        batch,
        [
            (&json!(3), &json!("from python\n")),
            (&json!(3), &json!("from c++\n")),
            (&json!(3), &json!("from javascript\n")),
            (&json!(6), &Value::Null),
        ],
        "{report}"
    );
    assert!(
        report["batch"][3]["compile_output"]
            .as_str()
            .unwrap()
            .contains("undefined_name")
    );

    assert_eq!(report["waited"]["status"], 3, "{report}");
    assert_eq!(report["waited"]["stdout"], "waited\n");
    assert!(
        report["waited"]["time"].as_f64().unwrap() >= 0.3,
        "{report}"
    );

    let verdicts: Vec<&Value> = report["test_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["status"])
        .collect();
    assert_eq!(verdicts, [&json!(3), &json!(4), &json!(3)], "{report}");
}

async fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    server.post(&format!("/judge0{path}"), body).await
}

async fn get(server: &Server, path: &str) -> (u16, Value) {
    server.get(&format!("/judge0{path}")).await
}

#[tokio::test]
async fn judge0_requests_are_checked_and_answered_as_judge0_does() {
    let server = Server::start(&[]).await;
    let cases = [
        (
            json!({ "language_id": 71 }),
            "source_code",
            "can't be blank",
        ),
        (
            json!({ "source_code": "x" }),
            "language_id",
            "can't be blank",
        ),
        (
            json!({ "source_code": "x", "language_id": 70 }),
            "language_id",
            "language with id 70 doesn't exist",
        ),
        (
            json!({ "source_code": "x", "language_id": 71, "cpu_time_limit": 1e9 }),
            "cpu_time_limit",
            "must be less than or equal to 30",
        ),
        (
            json!({ "source_code": "x", "language_id": 71, "memory_limit": -1 }),
            "memory_limit",
            "must be greater than or equal to 0",
        ),
        (
            json!({ "source_code": "x", "language_id": 71, "callback_url": "http://example.invalid/" }),
            "callback_url",
            "callbacks are off on this server (its operator allows hosts with JUDGE0_CALLBACK_HOSTS)",
        ),
        (
            json!({ "source_code": "x", "language_id": 71, "enable_network": true }),
            "enable_network",
            "programs have no network here",
        ),
        (
            json!({ "source_code": "x", "language_id": 71, "command_line_arguments": "'open" }),
            "command_line_arguments",
            "has an unclosed quote",
        ),
    ];
    for (body, field, message) in cases {
        let (status, answer) = post(&server, "/submissions", body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer[field], json!([message]), "{body}: {answer}");
    }
    let (status, answer) = post(
        &server,
        "/submissions?base64_encoded=true",
        json!({ "source_code": "not base64!", "language_id": 71 }),
    )
    .await;
    assert_eq!(
        (status, &answer["source_code"]),
        (422, &json!(["is not valid base64"]))
    );

    // base64 in and out, fields, a timeout and stderr joined to stdout.
    // Joined, stderr follows stdout (the streams are kept apart as written).
    let code = "import sys\nprint('out')\nprint(sys.argv[1:])\nprint('err', file=sys.stderr)";
    let encoded = |text: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(text)
    };
    let (status, answer) = post(
        &server,
        "/submissions?base64_encoded=true&wait=true&fields=stdout,stderr,status,exit_code",
        json!({
            "source_code": encoded(code),
            "language_id": 71,
            "redirect_stderr_to_stdout": true,
            "command_line_arguments": "a 'b c'",
        }),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["stdout"],
        encoded("out\n['a', 'b c']\nerr\n"),
        "{answer}"
    );
    assert_eq!(answer["stderr"], Value::Null);
    assert_eq!(
        answer.as_object().unwrap().len(),
        4,
        "only the fields asked for: {answer}"
    );

    let (_, slow) = post(
        &server,
        "/submissions?wait=true",
        json!({ "source_code": "while True: pass", "language_id": 71, "cpu_time_limit": 0.3 }),
    )
    .await;
    assert_eq!(
        slow["status"],
        json!({ "id": 5, "description": "Time Limit Exceeded" })
    );

    let (_, crashed) = post(
        &server,
        "/submissions?wait=true&fields=status,exit_code,stdout",
        json!({ "source_code": "int main() { int *p = 0; return *(volatile int *)(p - 8); }", "language_id": 50 }),
    )
    .await;
    assert_eq!(
        crashed["status"]["id"], 7,
        "an invalid access is SIGSEGV: {crashed}"
    );

    let (status, created) = post(
        &server,
        "/submissions",
        json!({ "source_code": "print(7)", "language_id": 71 }),
    )
    .await;
    assert_eq!(status, 201);
    let token = created["token"].as_str().unwrap().to_owned();
    let mut shown = Value::Null;
    for _ in 0..100 {
        (_, shown) = get(&server, &format!("/submissions/{token}?fields=*")).await;
        if shown["status"]["id"].as_u64().unwrap() > 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(shown["stdout"], "7\n", "{shown}");
    assert_eq!(shown["source_code"], "print(7)");
    assert_eq!(shown["language"]["id"], 71);

    let (status, _) = get(&server, "/submissions/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(status, 404);
    let (status, batch) = get(
        &server,
        &format!("/submissions/batch?tokens={token},nope&fields=stdout"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(batch, json!({ "submissions": [{ "stdout": "7\n" }, null] }));
    // number_of_runs: every run reads the submission's stdin; the answer
    // has one run's output.
    let (status, runs) = post(
        &server,
        "/submissions?wait=true&fields=stdout,status",
        json!({ "source_code": "print(input()[::-1])", "language_id": 71, "stdin": "abc", "number_of_runs": 3 }),
    )
    .await;
    assert_eq!(status, 201, "{runs}");
    assert_eq!(
        runs,
        json!({ "stdout": "cba\n", "status": { "id": 3, "description": "Accepted" } })
    );
    let (status, _) = post(
        &server,
        "/submissions",
        json!({ "source_code": "x", "language_id": 71, "number_of_runs": 21 }),
    )
    .await;
    assert_eq!(status, 422);
    let many = vec![json!({ "source_code": "x", "language_id": 71 }); 21];
    let (status, _) = post(
        &server,
        "/submissions/batch",
        json!({ "submissions": many }),
    )
    .await;
    assert_eq!(status, 422);

    let (_, languages) = get(&server, "/languages").await;
    assert!(languages.as_array().unwrap().iter().any(|l| l["id"] == 54));
    let (status, detail) = get(&server, "/languages/54").await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["source_file"], "main.cpp");
    assert!(detail["compile_cmd"].as_str().unwrap().contains("clang++"));
    let (status, _) = get(&server, "/languages/70").await;
    assert_eq!(status, 404);
    let (_, statuses) = get(&server, "/statuses").await;
    assert_eq!(statuses.as_array().unwrap().len(), 14);
    let (_, config) = get(&server, "/config_info").await;
    assert_eq!(config["max_submission_batch_size"], 20);
}

/// A zip archive of `entries` (name, content), base64-encoded.
fn zip_of(entries: &[(&str, &[u8])]) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        archive.start_file(*name, options).unwrap();
        archive.write_all(content).unwrap();
    }
    let bytes = archive.finish().unwrap().into_inner();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn additional_files_are_unpacked_within_bounds() {
    let server = Server::start(&[]).await;
    let files = zip_of(&[
        ("helper.py", b"def greet():\n    return 'from the zip'\n"),
        ("data/input.txt", b"42"),
    ]);
    let (status, answer) = post(
        &server,
        "/submissions?wait=true",
        json!({
            "source_code": "import helper\nprint(helper.greet(), open('data/input.txt').read())",
            "language_id": 71,
            "additional_files": files,
        }),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["stdout"], "from the zip 42\n", "{answer}");

    // 64 MiB of zeros compress to a few KiB: refused, not unpacked.
    let bomb = zip_of(&[("zeros.txt", &vec![b'0'; 64 << 20])]);
    let escape = zip_of(&[("../escape.py", b"x")]);
    let binary = zip_of(&[("blob.bin", &[0xff, 0xfe, 0x00])]);
    let many: Vec<(String, Vec<u8>)> = (0..65)
        .map(|i| (format!("f{i}.txt"), b"x".to_vec()))
        .collect();
    let many: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    let many = zip_of(&many);
    for (archive, message) in [
        (bomb, "unpacks to more than"),
        (escape, "holds a path that leaves its directory"),
        (binary, "is not UTF-8 text"),
        (many, "holds more than 64 entries"),
        ("bm90IGEgemlw".to_owned(), "is not a zip archive"),
    ] {
        let (status, answer) = post(
            &server,
            "/submissions",
            json!({ "source_code": "print(1)", "language_id": 71, "additional_files": archive }),
        )
        .await;
        assert_eq!(status, 422, "{message}: {answer}");
        let said = answer["additional_files"][0].as_str().unwrap_or_default();
        assert!(said.contains(message), "{message}: {answer}");
    }
}

/// What the callback receiver keeps: where to report each call, and how
/// many it has had.
#[derive(Clone)]
struct Receiver {
    calls: tokio::sync::mpsc::UnboundedSender<(String, Value)>,
    tries: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// A local HTTP server that records the callbacks it is sent: the path
/// and body of each PUT. `/flaky` answers 500 to its first try.
async fn callback_receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, Value)>,
) {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    async fn receive(
        State(receiver): State<Receiver>,
        Path(name): Path<String>,
        body: String,
    ) -> StatusCode {
        let first = receiver
            .tries
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            == 0;
        let _ = receiver
            .calls
            .send((name.clone(), serde_json::from_str(&body).unwrap()));
        if name == "flaky" && first {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        }
    }
    let (calls, received) = tokio::sync::mpsc::unbounded_channel();
    let state = Receiver {
        calls,
        tries: Default::default(),
    };
    let app = axum::Router::new()
        .route("/{name}", axum::routing::put(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address.to_string(), received)
}

#[tokio::test]
async fn callbacks_go_to_allowed_hosts_and_are_retried() {
    let (host, mut received) = callback_receiver().await;
    let server = Server::start(&[("JUDGE0_CALLBACK_HOSTS", &host)]).await;
    let submit = |url: String| json!({ "source_code": "print(6 * 7)", "language_id": 71, "callback_url": url });

    let (status, created) = post(
        &server,
        "/submissions",
        submit(format!("http://{host}/flaky")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let wait = std::time::Duration::from_secs(20);
    let mut calls = Vec::new();
    for _ in 0..2 {
        calls.push(
            tokio::time::timeout(wait, received.recv())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(calls[0].0, "flaky");
    assert_eq!(calls[0].1, calls[1].1, "a refused callback is sent again");
    assert_eq!(calls[1].1["token"], created["token"]);
    assert_eq!(calls[1].1["status"]["id"], 3, "{:?}", calls[1]);
    assert_eq!(calls[1].1["stdout"], "42\n");

    for (url, message) in [
        (
            "http://127.0.0.2:9/x".to_owned(),
            "names a host this server does not send callbacks to",
        ),
        (format!("https://{host}/x"), "must be an http:// URL"),
        ("not a url".to_owned(), "is not a URL"),
    ] {
        let (status, answer) = post(&server, "/submissions", submit(url.clone())).await;
        assert_eq!(status, 422, "{url}: {answer}");
        let said = answer["callback_url"][0].as_str().unwrap_or_default();
        assert!(said.contains(message), "{url}: {answer}");
    }

    let closed = Server::start(&[]).await;
    let (status, answer) = post(&closed, "/submissions", submit(format!("http://{host}/x"))).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["callback_url"][0]
            .as_str()
            .unwrap()
            .contains("callbacks are off")
    );
}
