//! `/mcp` against the real server: the official MCP TypeScript SDK
//! (installed in `tests/mcp` by `cargo xtask test`) initializes, lists the
//! tools, runs Python and JavaScript, works in a context and reads back a
//! file its code wrote, and gets error results; plus the protocol's
//! session handling on the wire.

mod common;

use common::node_client_report;
use common::package_index::PackageIndex;
use common::server::Server;
use serde_json::{Value, json};

const TOKEN: &str = "mcp-test-token";

#[tokio::test]
async fn the_official_sdk_runs_code_through_the_tools() {
    let index = PackageIndex::start().await;
    let cache = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        ("API_TOKEN", TOKEN),
        ("PACKAGE_INDEX_URL", &index.url),
        ("PACKAGE_CACHE_DIR", &cache.path().to_string_lossy()),
    ])
    .await;
    let report = node_client_report(
        "mcp",
        "@modelcontextprotocol/sdk",
        "client.mjs",
        &[&server.base, TOKEN],
    )
    .await;

    let refused = report["withoutToken"].as_str().unwrap();
    assert!(refused.contains("unauthorized"), "{refused}");
    assert!(
        report["sessionId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(report["server"]["name"], "polyrun");
    let mut names: Vec<&str> = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "create_context",
            "delete_context",
            "install_packages",
            "list_languages",
            "read_file",
            "run_code",
            "write_file"
        ]
    );
    let run_code = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "run_code")
        .unwrap();
    assert_eq!(
        run_code["schema"]["required"],
        json!(["language", "code"]),
        "{run_code}"
    );

    let tests = &report["tests"]["structured"];
    assert_eq!(tests["testsPassed"], 1, "{tests}");
    assert_eq!(tests["tests"][0]["verdict"], "accepted", "{tests}");
    assert_eq!(tests["tests"][1]["verdict"], "wrong_answer", "{tests}");
    assert_eq!(tests["tests"][1]["stdout"], "10\n", "{tests}");

    let python = &report["python"];
    assert_eq!(python["isError"], false, "{python}");
    assert_eq!(python["structured"]["stdout"], "45\n");
    assert_eq!(python["structured"]["exitCode"], 0);
    let text: Value = serde_json::from_str(python["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        text["status"], "ok",
        "the text content carries the result too"
    );
    assert_eq!(report["javascript"]["structured"]["stdout"], "2,4,6\n");

    let failing = &report["failing"];
    assert_eq!(failing["isError"], true, "{failing}");
    assert_eq!(failing["structured"]["status"], "runtime_error");
    let traceback = failing["structured"]["stderr"].as_str().unwrap();
    assert!(
        traceback.contains("Traceback") && traceback.contains("ValueError: bad input"),
        "{traceback}"
    );
    assert_eq!(report["unknownLanguage"]["isError"], true);
    assert_eq!(
        report["unknownLanguage"]["structured"]["error"]["code"],
        "bad_request"
    );
    let languages = report["languages"]["structured"]["languages"]
        .as_array()
        .unwrap();
    assert_eq!(languages.len(), 5);

    assert!(report["created"]["structured"]["contextId"].is_string());
    assert_eq!(report["cell1"]["structured"]["value"], "42", "{report}");
    let installed = &report["installed"];
    assert_eq!(installed["isError"], false, "{installed}");
    assert_eq!(
        installed["structured"]["report"],
        json!(["Successfully installed click-8.1.7"]),
        "{installed}"
    );
    assert_eq!(
        report["cell4"]["structured"]["value"], "'8.1.7'",
        "{report}"
    );
    let conflict = &report["installConflict"];
    assert_eq!(conflict["isError"], true, "{conflict}");
    assert_eq!(
        conflict["structured"]["error"]["code"], "install_error",
        "{conflict}"
    );
    assert_eq!(report["cell2"]["structured"]["value"], "41");
    assert_eq!(
        report["readBack"]["structured"]["content"], "{\"n\": 41}",
        "the file the code wrote"
    );
    assert_eq!(report["written"]["isError"], false);
    assert_eq!(report["cell3"]["structured"]["value"], "'from the agent'");
    assert_eq!(report["escape"]["isError"], true);
    assert_eq!(report["missing"]["isError"], true, "{}", report["missing"]);
    assert_eq!(
        report["tooLarge"]["structured"]["error"]["code"], "payload_too_large",
        "{}",
        report["tooLarge"]
    );
    let wrong = report["wrongLanguage"]["structured"]["error"]["message"]
        .as_str()
        .unwrap();
    assert!(wrong.contains("runs python"), "{wrong}");
    assert_eq!(report["deleted"]["isError"], false);
    assert_eq!(
        report["afterDelete"]["structured"]["error"]["code"],
        "unknown_context"
    );
}

/// One JSON-RPC POST to `/mcp`, as Streamable HTTP wants it.
async fn post(server: &Server, session: Option<&str>, message: Value) -> reqwest::Response {
    let mut request = server
        .client
        .post(format!("{}/mcp", server.base))
        .header("Accept", "application/json, text/event-stream")
        .json(&message);
    if let Some(session) = session {
        request = request.header("Mcp-Session-Id", session);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn sessions_and_the_2025_06_18_protocol_on_the_wire() {
    let server = Server::start(&[]).await;
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}
        }
    });
    let response = post(&server, None, initialize).await;
    assert_eq!(response.status().as_u16(), 200);
    let session = response
        .headers()
        .get("mcp-session-id")
        .expect("an Mcp-Session-Id")
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(
        body.contains("\"protocolVersion\":\"2025-06-18\""),
        "the version asked for is the version served: {body}"
    );
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let unknown = post(&server, Some("not-a-session"), list.clone()).await;
    assert_eq!(unknown.status().as_u16(), 404);
    let without = post(&server, None, list).await;
    assert_eq!(without.status().as_u16(), 400, "a session is required");
    let ended = server
        .client
        .delete(format!("{}/mcp", server.base))
        .header("Mcp-Session-Id", &session)
        .send()
        .await
        .unwrap();
    assert!(ended.status().is_success(), "{}", ended.status());
}
