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
    let response = server
        .client
        .post(format!("{}/judge0{path}", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn get(server: &Server, path: &str) -> (u16, Value) {
    let response = server
        .client
        .get(format!("{}/judge0{path}", server.base))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
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
            "is not supported by this server",
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
    let (status, _) = get(&server, "/languages/70").await;
    assert_eq!(status, 404);
    let (_, statuses) = get(&server, "/statuses").await;
    assert_eq!(statuses.as_array().unwrap().len(), 14);
    let (_, config) = get(&server, "/config_info").await;
    assert_eq!(config["max_submission_batch_size"], 20);
}
