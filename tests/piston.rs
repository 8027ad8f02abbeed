//! Piston's API (`/api/v2`) against the real server: the npm
//! `piston-client` (installed in `tests/piston` by `cargo xtask test`)
//! lists the runtimes and runs every language as a Piston user's code
//! would; raw requests check Piston's error messages and the bounds on
//! what a request may ask for.

mod common;

use common::node_client_report;
use common::server::Server;
use serde_json::{Value, json};

#[tokio::test]
async fn piston_client_runs_every_language() {
    let server = Server::start(&[]).await;
    let report = node_client_report("piston", "piston-client", "client.mjs", &[&server.base]).await;

    let languages: Vec<&str> = report["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|runtime| runtime["language"].as_str().unwrap())
        .collect();
    assert_eq!(
        languages,
        ["python", "javascript", "typescript", "c", "c++"]
    );

    // The client sends its default args (1 2 3) and the stdin given.
    let expected = [
        ("python", "py hello ['1', '2', '3']\n", false),
        ("javascript", "js hello 1,2,3\n", false),
        ("typescript", "ts 42\n", true),
        ("c", "c hello 3\n", true),
        ("c++", "c++ hello 3\n", true),
    ];
    for (language, stdout, compiled) in expected {
        let result = &report["execute"][language];
        assert_eq!(result["language"], language, "{result}");
        assert_eq!(result["run"]["stdout"], stdout, "{result}");
        assert_eq!(result["run"]["output"], stdout, "{result}");
        assert_eq!(result["run"]["code"], 0, "{result}");
        assert_eq!(result["run"]["signal"], Value::Null, "{result}");
        assert_eq!(result["compile"].is_object(), compiled, "{result}");
        if compiled {
            assert_eq!(result["compile"]["code"], 0, "{result}");
        }
    }

    let failing = &report["failing"]["run"];
    assert_eq!(failing["stdout"], "out\n", "{failing}");
    assert_eq!(failing["code"], 3, "{failing}");
    assert_eq!(failing["status"], "RE", "{failing}");

    let compile_error = &report["compileError"];
    assert_eq!(compile_error["compile"]["code"], 1, "{compile_error}");
    assert!(
        compile_error["compile"]["stderr"]
            .as_str()
            .unwrap()
            .contains("undefined_name"),
        "{compile_error}"
    );
    assert!(
        compile_error.get("run").is_none(),
        "no run after a failed compile: {compile_error}"
    );

    let timeout = &report["timeout"]["run"];
    assert_eq!(timeout["signal"], "SIGKILL", "{timeout}");
    assert_eq!(timeout["status"], "TO", "{timeout}");
    assert_eq!(timeout["code"], Value::Null, "{timeout}");

    assert_eq!(
        report["files"]["run"]["stdout"], "from a second file\n",
        "{}",
        report["files"]
    );
    assert_eq!(report["unknown"]["message"], "cobol-* runtime is unknown");
    assert_eq!(
        report["badVersion"]["message"],
        "python-2.7.18 runtime is unknown"
    );
}

async fn execute(server: &Server, body: Value) -> (u16, Value) {
    server.post("/api/v2/execute", body).await
}

#[tokio::test]
async fn piston_requests_are_checked_with_pistons_words() {
    let server = Server::start(&[]).await;
    let hello = json!([{ "content": "print('hi')" }]);
    let cases = [
        (
            json!({ "version": "*", "files": hello }),
            "language is required as a string",
        ),
        (
            json!({ "language": "python", "files": hello }),
            "version is required as a string",
        ),
        (
            json!({ "language": "python", "version": "*", "files": "print(1)" }),
            "files is required as an array",
        ),
        (
            json!({ "language": "python", "version": "*", "files": [{ "name": "a.py" }] }),
            "files[0].content is required as a string",
        ),
        (
            json!({ "language": "python", "version": "*", "files": hello, "run_timeout": "5" }),
            "If specified, run_timeout must be a number",
        ),
        (
            json!({ "language": "python", "version": "*", "files": hello, "run_timeout": 1e9 }),
            "run_timeout cannot exceed the configured limit of 30000",
        ),
        (
            json!({ "language": "python", "version": "*", "files": hello, "run_timeout": -5 }),
            "run_timeout must be non-negative",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = execute(&server, body.clone()).await;
        assert_eq!(
            (status, answer["message"].as_str()),
            (400, Some(message)),
            "{body}"
        );
    }
    let (status, answer) = execute(
        &server,
        json!({ "language": "python", "version": "*", "files": [] }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
}

#[tokio::test]
async fn piston_files_are_decoded_and_kept_inside_the_sandbox() {
    let server = Server::start(&[]).await;
    let (status, answer) = execute(
        &server,
        json!({
            "language": "py",
            "version": "3.x",
            "files": [
                { "name": "main.py", "content": "print(open('data.txt').read(), open('more.txt').read())" },
                { "name": "data.txt", "content": "aGVsbG8=", "encoding": "base64" },
                { "name": "more.txt", "content": "776f726c64", "encoding": "hex" },
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["run"]["stdout"], "hello world\n", "{answer}");

    for name in ["../escape.py", "a/../../b.txt", "dir/../../up.txt"] {
        let (status, answer) = execute(
            &server,
            json!({
                "language": "python",
                "version": "*",
                "files": [{ "content": "print(1)" }, { "name": name, "content": "x" }],
            }),
        )
        .await;
        assert_eq!(status, 400, "{name}: {answer}");
    }
    let not_text = json!([{ "content": "print(1)" }, { "name": "b.bin", "content": "/w==", "encoding": "base64" }]);
    let (status, answer) = execute(
        &server,
        json!({ "language": "python", "version": "*", "files": not_text }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("UTF-8"),
        "{answer}"
    );

    let many: Vec<Value> = (0..200)
        .map(|i| json!({ "name": format!("f{i}.txt"), "content": "x" }))
        .collect();
    let (status, answer) = execute(
        &server,
        json!({ "language": "python", "version": "*", "files": many }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("at most"),
        "{answer}"
    );
}

#[tokio::test]
async fn pistons_websocket_streams_a_run_with_stdin_and_signals() {
    let server = Server::start(&[]).await;
    let report = node_client_report("piston", "ws", "connect.mjs", &[&server.base]).await;
    let types = |name: &str| -> Vec<String> {
        report[name]["received"]
            .as_array()
            .unwrap()
            .iter()
            .map(|message| message["type"].as_str().unwrap_or("?").to_owned())
            .collect()
    };

    let interactive = &report["interactive"];
    let received = interactive["received"].as_array().unwrap();
    assert_eq!(
        received[0],
        json!({ "type": "runtime", "language": "python", "version": "3.15.0" })
    );
    assert_eq!(received[1], json!({ "type": "stage", "stage": "run" }));
    // The output comes as the program writes it, in as many pieces.
    assert_eq!(
        interactive["stdout"], "echo one\necho two\n",
        "{interactive}"
    );
    assert_eq!(
        received.last().unwrap(),
        &json!({ "type": "exit", "stage": "run", "code": null, "signal": "SIGKILL" })
    );
    assert_eq!(interactive["code"], 4999, "{interactive}");
    assert_eq!(interactive["reason"], "Job Completed");

    let compiled_types = types("compiled");
    assert_eq!(
        compiled_types[..4],
        ["runtime", "stage", "exit", "stage"],
        "{}",
        report["compiled"]
    );
    let compiled = report["compiled"]["received"].as_array().unwrap();
    assert_eq!(compiled[1]["stage"], "compile");
    assert_eq!(
        compiled[2],
        json!({ "type": "exit", "stage": "compile", "code": 0, "signal": null })
    );
    assert_eq!(compiled[3]["stage"], "run");
    assert_eq!(
        report["compiled"]["stdout"], "5\n",
        "the init's stdin reached the program"
    );
    assert_eq!(
        compiled.last().unwrap(),
        &json!({ "type": "exit", "stage": "run", "code": 2, "signal": null })
    );

    assert_eq!(types("compileError"), ["runtime", "stage", "data", "exit"]);
    let failed = report["compileError"]["received"].as_array().unwrap();
    assert!(
        failed[2]["data"].as_str().unwrap().contains("nope"),
        "{failed:?}"
    );
    assert_eq!(failed[3]["code"], 1);

    for (name, code) in [
        ("noInit", 4001),
        ("dataFirst", 4003),
        ("twice", 4000),
        ("badSignal", 4005),
        ("stdout", 4004),
        ("unknown", 4002),
        ("notJson", 4002),
    ] {
        assert_eq!(report[name]["code"], code, "{name}: {}", report[name]);
    }
    assert_eq!(
        report["unknown"]["received"][0],
        json!({ "type": "error", "message": "cobol-* runtime is unknown" })
    );
}
