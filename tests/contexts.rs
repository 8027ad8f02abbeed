//! Stateful contexts against the real server: state that persists across
//! runs and never across contexts, values, the idle timeout, the cap, the
//! memory bounds, interpreters that end, and every route's errors.

mod common;

use std::time::Duration;

use common::server::Server;
use common::{eventually, metric_sample, sandboxes};
use serde_json::{Value, json};

/// A request with a JSON body (or none), answered with its status and JSON.
async fn call(server: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", server.base);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server.client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create(server: &Server, body: Value) -> String {
    let (status, created) = call(server, "POST", "/contexts", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created["userDirectory"]
            .as_str()
            .unwrap()
            .starts_with("user_")
    );
    created["contextId"].as_str().unwrap().to_owned()
}

async fn cell(server: &Server, id: &str, body: Value) -> Value {
    let (status, result) = call(server, "POST", &format!("/contexts/{id}/run"), Some(body)).await;
    assert_eq!(status, 200, "{result}");
    result
}

async fn code(server: &Server, id: &str, code: &str) -> Value {
    cell(server, id, json!({ "code": code })).await
}

#[tokio::test]
async fn python_variables_imports_and_files_persist_and_values_come_back() {
    let server = Server::start(&[]).await;
    let id = create(&server, json!({"language": "python"})).await;
    let first = code(&server, &id, "import json\nx = 21\nprint('hi')\nx * 2").await;
    assert_eq!(first["status"], "ok", "{first}");
    assert_eq!(first["stdout"], "hi\n");
    assert_eq!(first["value"], "42", "the last expression's repr");
    assert_eq!(first["contextId"], id.as_str());
    let second = code(&server, &id, "json.dumps({'x': x + 1})").await;
    assert_eq!(second["value"], "'{\"x\": 22}'", "{second}");
    let no_value = code(&server, &id, "open('notes.txt', 'w').write('kept')\ny = 1").await;
    assert_eq!(no_value["value"], Value::Null, "{no_value}");
    let read = code(&server, &id, "open('notes.txt').read()").await;
    assert_eq!(read["value"], "'kept'", "{read}");
    let stdin = cell(
        &server,
        &id,
        json!({"code": "input() * 2", "stdin": "ab\n"}),
    )
    .await;
    assert_eq!(stdin["value"], "'abab'", "{stdin}");
    // Each run has its own stdin: nothing is left from the last one.
    let empty = cell(
        &server,
        &id,
        json!({"code": "import sys\nsys.stdin.read()"}),
    )
    .await;
    assert_eq!(empty["value"], "''", "{empty}");
    let failed = code(&server, &id, "1 / 0").await;
    assert_eq!(failed["status"], "runtime_error", "{failed}");
    assert_eq!(failed["exitCode"], 1);
    let stderr = failed["stderr"].as_str().unwrap();
    assert!(stderr.contains("ZeroDivisionError"), "{stderr}");
    assert!(
        stderr.contains("1 / 0"),
        "the cell's line is shown: {stderr}"
    );
    assert!(!stderr.contains("_polyrun"), "no glue frames: {stderr}");
    assert_eq!(failed["contextEnded"], false);
    let after = code(&server, &id, "x").await;
    assert_eq!(
        after["value"], "21",
        "an exception keeps the state: {after}"
    );
    let (status, view) = call(&server, "GET", &format!("/contexts/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(view["state"], "idle");
    assert_eq!(view["language"], "python");
    assert_eq!(view["runs"], 8);
    assert!(view["memoryBytes"].as_u64().unwrap() > 1 << 20, "{view}");
}

#[tokio::test]
async fn javascript_declarations_and_globals_persist() {
    let server = Server::start(&[]).await;
    let id = create(&server, json!({"language": "js"})).await;
    let first = code(&server, &id, "let a = 20; console.log('hey'); a + 1").await;
    assert_eq!(first["status"], "ok", "{first}");
    assert_eq!(first["stdout"], "hey\n");
    assert_eq!(first["value"], "21");
    assert_eq!(first["language"], "javascript");
    assert_eq!(code(&server, &id, "a * 2").await["value"], "40");
    let object = code(&server, &id, "({ list: [1, 2], name: 'x' })").await;
    assert_eq!(object["value"], "{ list: [ 1, 2 ], name: 'x' }", "{object}");
    let fs = code(
        &server,
        &id,
        "const fs = require('fs'); fs.writeFileSync('f.txt', 'kept'); undefined",
    )
    .await;
    assert_eq!(fs["value"], Value::Null, "{fs}");
    assert_eq!(
        code(&server, &id, "fs.readFileSync('f.txt', 'utf8')").await["value"],
        "'kept'"
    );
    let stdin = cell(
        &server,
        &id,
        json!({"code": "require('fs').readFileSync(0, 'utf8')", "stdin": "in put"}),
    )
    .await;
    assert_eq!(stdin["value"], "'in put'", "{stdin}");
    let timers = code(
        &server,
        &id,
        "setTimeout(() => console.log('later'), 10); 1",
    )
    .await;
    assert_eq!(timers["stdout"], "later\n", "timers run before the answer");
    let failed = code(&server, &id, "throw new Error('boom')").await;
    assert_eq!(failed["status"], "runtime_error", "{failed}");
    let stderr = failed["stderr"].as_str().unwrap();
    assert!(stderr.starts_with("Uncaught Error: boom"), "{stderr}");
    assert!(!stderr.contains("polyrun"), "no glue frames: {stderr}");
    assert_eq!(code(&server, &id, "a").await["value"], "20");
    // `process.exit` ends the interpreter, as it ends a process.
    let exited = code(&server, &id, "process.exit(3)").await;
    assert_eq!(exited["exitCode"], 3, "{exited}");
    assert_eq!(exited["contextEnded"], true, "{exited}");
}

#[tokio::test]
async fn contexts_share_nothing() {
    let server = Server::start(&[]).await;
    let first = create(&server, json!({"language": "python"})).await;
    let second = create(&server, json!({"language": "python"})).await;
    assert_ne!(first, second);
    code(
        &server,
        &first,
        "secret = 'first'\nopen('mine.txt', 'w').write('x')",
    )
    .await;
    let name_error = code(&server, &second, "secret").await;
    assert!(
        name_error["stderr"].as_str().unwrap().contains("NameError"),
        "{name_error}"
    );
    let files = code(&server, &second, "import os\nsorted(os.listdir('/'))").await;
    assert_eq!(files["value"], "[]", "{files}");
    let (_, view) = call(&server, "GET", &format!("/contexts/{first}"), None).await;
    let escape = code(
        &server,
        &second,
        &format!(
            "import os\nos.path.exists('../{}/mine.txt')",
            view["userDirectory"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(escape["value"], "False", "{escape}");
    // Ids are secrets: a caller without a key of its own (a bearer token)
    // is listed none, not everyone's (see tests/budgets.rs for owners).
    let (status, list) = call(&server, "GET", "/contexts", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["contexts"].as_array().unwrap().len(), 0, "{list}");
}

#[tokio::test]
async fn idle_contexts_are_deleted_with_their_files() {
    let server = Server::start(&[("CONTEXT_TIMEOUT", "1500")]).await;
    let id = create(&server, json!({"language": "python"})).await;
    code(&server, &id, "open('f', 'w').write('x')").await;
    assert_eq!(sandboxes(server.users.path()).len(), 1);
    eventually(Duration::from_secs(20), "the idle context deleted", || {
        sandboxes(server.users.path()).is_empty()
    })
    .await;
    let (status, error) = call(&server, "GET", &format!("/contexts/{id}"), None).await;
    assert_eq!(status, 404, "{error}");
    assert_eq!(error["error"]["code"], "unknown_context");
}

#[tokio::test]
async fn max_contexts_caps_how_many_exist() {
    let server = Server::start(&[("MAX_CONTEXTS", "2")]).await;
    let first = create(&server, json!({"language": "python"})).await;
    create(&server, json!({"language": "javascript"})).await;
    let (status, refused) = call(
        &server,
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
            .contains("MAX_CONTEXTS")
    );
    let (status, _) = call(&server, "DELETE", &format!("/contexts/{first}"), None).await;
    assert_eq!(status, 204);
    create(&server, json!({"language": "python"})).await;
    assert_eq!(
        metric_sample(&server.metrics().await, "polyrun_contexts"),
        2.0
    );
}

#[tokio::test]
async fn a_run_that_traps_ends_the_interpreter_but_keeps_the_files() {
    let server = Server::start(&[]).await;
    let id = create(
        &server,
        json!({"language": "python", "limits": {"timeoutMs": 1500}}),
    )
    .await;
    let looped = code(
        &server,
        &id,
        "open('keep.txt', 'w').write('kept')\nwhile True: pass",
    )
    .await;
    assert_eq!(looped["status"], "timeout", "{looped}");
    assert_eq!(looped["contextEnded"], true);
    let (_, view) = call(&server, "GET", &format!("/contexts/{id}"), None).await;
    assert_eq!(view["state"], "ended", "{view}");
    assert!(view["message"].as_str().unwrap().contains("time limit"));
    let (status, refused) = call(
        &server,
        "POST",
        &format!("/contexts/{id}/run"),
        Some(json!({"code": "1"})),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "context_ended");
    let (status, restarted) = call(&server, "POST", &format!("/contexts/{id}/restart"), None).await;
    assert_eq!(status, 200, "{restarted}");
    assert_eq!(restarted["state"], "idle");
    let files = code(&server, &id, "open('keep.txt').read()").await;
    assert_eq!(files["value"], "'kept'", "{files}");
    // Sleeping waits in a host call, where the epoch cannot reach.
    let slept = code(&server, &id, "import time\ntime.sleep(30)").await;
    assert_eq!(slept["status"], "timeout", "{slept}");
    assert_eq!(slept["contextEnded"], true);
}

#[tokio::test]
async fn memory_is_bounded_per_context_and_in_total() {
    // Python starts with about 190 MiB: two fit in 500, a third does not.
    let server = Server::start(&[("CONTEXT_MEMORY_MB", "500")]).await;
    let id = create(
        &server,
        json!({"language": "python", "limits": {"memoryMb": 256}}),
    )
    .await;
    let hog = code(&server, &id, "hog = bytearray(200 << 20)").await;
    assert_eq!(hog["status"], "memory_limit", "{hog}");
    assert_eq!(hog["contextEnded"], true);
    assert!(hog["message"].as_str().unwrap().contains("memory limit"));
    // The ended interpreter's memory went back: two more fit, a third does
    // not, and says why.
    let (status, _) = call(&server, "DELETE", &format!("/contexts/{id}"), None).await;
    assert_eq!(status, 204);
    let mut kept = Vec::new();
    let refused = loop {
        let (status, body) = call(
            &server,
            "POST",
            "/contexts",
            Some(json!({"language": "python"})),
        )
        .await;
        if status != 201 {
            break (status, body);
        }
        kept.push(body["contextId"].as_str().unwrap().to_owned());
        assert!(kept.len() < 10, "CONTEXT_MEMORY_MB never refused one");
    };
    assert!(!kept.is_empty());
    assert_eq!(refused.0, 503, "{}", refused.1);
    assert_eq!(refused.1["error"]["code"], "context_not_started");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CONTEXT_MEMORY_MB"),
        "{}",
        refused.1
    );
    let held = metric_sample(&server.metrics().await, "polyrun_context_memory_bytes");
    assert!(held > 0.0 && held <= (500u64 << 20) as f64, "{held}");
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let server = Server::start(&[("MAX_CODE_SIZE", "1000")]).await;
    for (body, code) in [
        (json!({"language": "c"}), "unsupported_language"),
        (json!({"language": "cobol"}), "bad_request"),
        (json!({"language": 5}), "bad_request"),
        (json!({"language": "python", "extra": 1}), "bad_request"),
        (
            json!({"language": "python", "limits": {"timeoutMs": 0}}),
            "bad_request",
        ),
        // Below what the interpreter starts with: the request's fault, not
        // the server's (found by schemathesis as a 503).
        (
            json!({"language": "python", "limits": {"memoryMb": 7}}),
            "bad_request",
        ),
    ] {
        let (status, error) = call(&server, "POST", "/contexts", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["error"]["code"], code, "{body}: {error}");
    }
    for (method, path) in [
        ("GET", "/contexts/nope"),
        ("DELETE", "/contexts/nope"),
        ("POST", "/contexts/nope/restart"),
    ] {
        let (status, error) = call(&server, method, path, None).await;
        assert_eq!(status, 404, "{method} {path}: {error}");
        assert_eq!(error["error"]["code"], "unknown_context");
    }
    let (status, _) = call(
        &server,
        "POST",
        "/contexts/nope/run",
        Some(json!({"code": "1"})),
    )
    .await;
    assert_eq!(status, 404);
    let id = create(&server, json!({"language": "python"})).await;
    let run = format!("/contexts/{id}/run");
    let (status, error) = call(&server, "POST", &run, Some(json!({"code": 1}))).await;
    assert_eq!(status, 400, "{error}");
    let (status, error) = call(
        &server,
        "POST",
        &run,
        Some(json!({"code": "x".repeat(2000)})),
    )
    .await;
    assert_eq!(status, 413, "{error}");
    let not_json = server
        .client
        .post(format!("{}{run}", server.base))
        .body("1")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 415);
    // One run at a time per context.
    let slow = {
        let client = server.client.clone();
        let url = format!("{}{run}", server.base);
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"code": "import time\ntime.sleep(2)\n'done'"}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, busy) = call(&server, "POST", &run, Some(json!({"code": "1"}))).await;
    assert_eq!(status, 409, "{busy}");
    assert_eq!(busy["error"]["code"], "context_busy");
    assert_eq!(slow.await.unwrap()["value"], "'done'");
}

#[tokio::test]
async fn contexts_need_the_token_when_there_is_one() {
    let server = Server::start(&[("API_TOKEN", "s3cret")]).await;
    let (status, _) = call(
        &server,
        "POST",
        "/contexts",
        Some(json!({"language": "python"})),
    )
    .await;
    assert_eq!(status, 401);
    let response = server
        .client
        .post(format!("{}/contexts", server.base))
        .bearer_auth("s3cret")
        .json(&json!({"language": "python"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
}
