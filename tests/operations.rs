//! What an operator sees: `/ready`, `/metrics`, request ids, CORS and the
//! rate limit, against the real server.

mod common;

use std::time::{Duration, Instant};

use common::metric_sample;
use common::server::Server;
use serde_json::{Value, json};

async fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = server.client.get(format!("{}{path}", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn ready_is_200_only_with_runtimes_loaded() {
    let server = Server::start(&[]).await;
    let response = get(&server, "/ready", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ready");

    let empty = tempfile::tempdir().unwrap();
    let unready = Server::start_with(
        &[("RUNTIMES_DIR", empty.path().to_str().unwrap())],
        &["--offline"],
        false,
    )
    .await;
    let response = get(&unready, "/ready", &[]).await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "runtimes_not_ready", "{body}");
    // /health stays the original server's: 200, saying what it is doing.
    assert_eq!(get(&unready, "/health", &[]).await.status(), 200);
}

#[tokio::test]
async fn metrics_move_with_runs() {
    let server = Server::start(&[]).await;
    let scrape = || async {
        let response = get(&server, "/metrics", &[]).await;
        assert_eq!(response.status(), 200);
        assert!(header(&response, "content-type").starts_with("text/plain"));
        response.text().await.unwrap()
    };
    let before = scrape().await;
    assert_eq!(
        metric_sample(&before, "polyrun_runtimes_ready"),
        1.0,
        "{before}"
    );
    let ok = r#"polyrun_executions_total{language="python",status="ok"}"#;
    let failed = r#"polyrun_executions_total{language="c",status="compile_error"}"#;
    let durations = r#"polyrun_execution_duration_seconds_count{language="python"}"#;
    let compiles = r#"polyrun_compile_duration_seconds_count{language="c",cached="false"}"#;

    for _ in 0..2 {
        server
            .run_wait("python", json!({ "code": "print(1)" }))
            .await;
    }
    let result = server
        .run_wait("c", json!({ "code": "int main( { return 0; }" }))
        .await;
    assert_eq!(result["status"], "compile_error", "{result}");

    let after = scrape().await;
    assert_eq!(
        metric_sample(&after, ok) - metric_sample(&before, ok),
        2.0,
        "{after}"
    );
    assert_eq!(
        metric_sample(&after, failed) - metric_sample(&before, failed),
        1.0,
        "{after}"
    );
    assert_eq!(
        metric_sample(&after, durations) - metric_sample(&before, durations),
        2.0
    );
    assert!(metric_sample(&after, compiles) >= 1.0, "{after}");
    for gauge in [
        "polyrun_executions_running",
        "polyrun_queue_length",
        "polyrun_sessions",
        "polyrun_contexts",
        "polyrun_sandbox_disk_bytes",
    ] {
        assert!(
            after
                .lines()
                .any(|line| line.starts_with(&format!("{gauge} "))),
            "no {gauge} in\n{after}"
        );
    }
    assert!(after.contains("# HELP polyrun_executions_total"), "{after}");
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let server = Server::start(&[("API_TOKEN", "secret")]).await;
    assert_eq!(get(&server, "/metrics", &[]).await.status(), 401);
    let response = get(&server, "/metrics", &[("authorization", "Bearer secret")]).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn every_response_carries_a_request_id_that_is_logged() {
    let server = Server::start(&[]).await;
    let mut seen = Vec::new();
    for path in ["/health", "/nope", "/stats"] {
        let response = get(&server, path, &[]).await;
        let id = header(&response, "x-request-id").to_owned();
        assert_eq!(id.len(), 32, "{path}: {id:?}");
        seen.push(id);
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "ids repeat: {seen:?}");
    let kept = get(&server, "/health", &[("x-request-id", "job-7.retry:2")]).await;
    assert_eq!(header(&kept, "x-request-id"), "job-7.retry:2");
    let replaced = get(
        &server,
        "/health",
        &[("x-request-id", "bad id with spaces")],
    )
    .await;
    assert_eq!(header(&replaced, "x-request-id").len(), 32);

    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .logged("request")
        .iter()
        .any(|log| log["request_id"] == "job-7.retry:2")
    {
        assert!(Instant::now() < deadline, "the id is not in the log");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let preflight = |server: &Server, origin: &str| {
        server
            .client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/run/python", server.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            )
            .send()
    };
    let server =
        Server::start(&[("CORS_ORIGINS", "https://app.example, http://localhost:3000")]).await;
    let allowed = preflight(&server, "https://app.example").await.unwrap();
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        "https://app.example"
    );
    assert!(header(&allowed, "access-control-allow-methods").contains("POST"));
    let other = preflight(&server, "https://evil.example").await.unwrap();
    assert_eq!(header(&other, "access-control-allow-origin"), "");
    let simple = get(&server, "/health", &[("origin", "http://localhost:3000")]).await;
    assert_eq!(
        header(&simple, "access-control-allow-origin"),
        "http://localhost:3000"
    );
    assert!(header(&simple, "access-control-expose-headers").contains("x-request-id"));

    let closed = Server::start(&[]).await;
    let refused = preflight(&closed, "https://app.example").await.unwrap();
    assert_eq!(header(&refused, "access-control-allow-origin"), "");
}

#[tokio::test]
async fn the_rate_limit_counts_per_client_and_answers_429_with_headers() {
    let server = Server::start(&[("RATE_LIMIT_PER_MINUTE", "3"), ("API_TOKEN", "secret")]).await;
    let token = [("authorization", "Bearer secret")];
    for remaining in ["2", "1", "0"] {
        let response = get(&server, "/stats", &token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "ratelimit-limit"), "3");
        assert_eq!(header(&response, "ratelimit-remaining"), remaining);
        let reset: u64 = header(&response, "ratelimit-reset").parse().unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
    }
    let refused = get(&server, "/stats", &token).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_eq!(header(&refused, "ratelimit-remaining"), "0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");

    // Without the token, the client's address has its own allowance, and
    // made-up tokens share it rather than getting fresh ones.
    for attempt in 0..3 {
        let guess = format!("Bearer guess-{attempt}");
        let response = get(&server, "/stats", &[("authorization", guess.as_str())]).await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let limited = get(&server, "/stats", &[("authorization", "Bearer guess-4")]).await;
    assert_eq!(limited.status(), 429);
    // The page and the health check are not limited.
    assert_eq!(get(&server, "/health", &[]).await.status(), 200);
    assert_eq!(get(&server, "/", &[]).await.status(), 200);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let server = Server::start(&[]).await;
    let response = get(&server, "/openapi.json", &[]).await;
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{document}"
    );
    let operations = [
        ("/run/{language}", "post"),
        ("/executions/{id}", "get"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
        ("/stats", "get"),
        ("/runtimes", "get"),
        ("/openapi.json", "get"),
        ("/api/v2/runtimes", "get"),
        ("/api/v2/execute", "post"),
        ("/judge0/submissions/{token}", "get"),
        ("/judge0/submissions/batch", "get"),
        ("/judge0/languages", "get"),
        ("/judge0/statuses", "get"),
        ("/judge0/about", "get"),
        ("/judge0/config_info", "get"),
    ];
    for (path, method) in operations {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not described");
        assert!(
            operation["responses"]["200"].is_object() || operation["responses"]["202"].is_object()
        );
    }
    assert!(
        document["paths"]["/api/v2/connect"]["get"]["responses"]["101"].is_object(),
        "Piston's WebSocket is described"
    );
    for path in ["/judge0/submissions", "/judge0/submissions/batch"] {
        assert!(
            document["paths"][path]["post"]["responses"]["201"].is_object(),
            "{path}"
        );
    }
    // The token-guarded routes say so, and errors have their shape.
    let run = &document["paths"]["/run/{language}"]["post"];
    assert!(run["security"].to_string().contains("bearer"), "{run}");
    assert_eq!(
        run["responses"]["429"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let example = &document["components"]["schemas"]["RunBody"]["example"];
    assert_eq!(example["code"], "print(input()[::-1])", "{example}");
    // The example runs as described.
    let result = server.run_wait("python", example.clone()).await;
    assert_eq!(result["stdout"], "desserts\n", "{result}");
}

#[tokio::test]
async fn wait_must_be_a_boolean() {
    let server = Server::start(&[]).await;
    let response = server
        .client
        .post(format!("{}/run/python?wait=soon", server.base))
        .json(&json!({ "code": "print(1)" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wait must be"),
        "{body}"
    );
}
