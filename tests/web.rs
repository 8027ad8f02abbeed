//! The browser terminal's files and the security headers, over real HTTP.
//! (The page itself is exercised in Chromium by `cargo xtask e2e`.)

mod common;

use common::server::Server;
use reqwest::header;

async fn get(server: &Server, path: &str) -> reqwest::Response {
    server
        .client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap()
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_types_and_cache_headers() {
    let server = Server::start(&[]).await;
    for (path, content_type, cache, needle) in [
        ("/", "text/html", "no-cache", "<script src=\"/terminal.js\""),
        (
            "/terminal.js",
            "text/javascript",
            "no-cache",
            "socket.emit('input'",
        ),
        ("/terminal.css", "text/css", "no-cache", "#terminal"),
        ("/vendor/xterm.js", "text/javascript", "max-age", "Terminal"),
        ("/vendor/xterm.css", "text/css", "max-age", ".xterm"),
        (
            "/vendor/addon-fit.js",
            "text/javascript",
            "max-age",
            "FitAddon",
        ),
        (
            "/vendor/socket.io.min.js",
            "text/javascript",
            "max-age",
            "io",
        ),
    ] {
        let response = get(&server, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            header_of(&response, header::CONTENT_TYPE).starts_with(content_type),
            "{path}"
        );
        assert!(
            header_of(&response, header::CACHE_CONTROL).contains(cache),
            "{path}"
        );
        let etag = header_of(&response, header::ETAG);
        assert!(etag.starts_with('"'), "{path}: {etag}");
        assert!(response.text().await.unwrap().contains(needle), "{path}");
        // A client with the current copy gets 304 and no body.
        let revalidated = server
            .client
            .get(format!("{}{path}", server.base))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), 304, "{path}");
        assert!(revalidated.bytes().await.unwrap().is_empty());
    }
    // The page loads nothing from elsewhere.
    let page = get(&server, "/").await.text().await.unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = Server::start(&[("API_TOKEN", "t")]).await;
    for path in [
        "/",
        "/output.js",
        "/vendor/addon-image.js",
        "/health",
        "/stats",
        "/nope",
    ] {
        let response = get(&server, path).await;
        let csp = header_of(&response, header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{csp}"
        );
        // No inline code and no eval; only WebAssembly may be compiled
        // (the image addon's decoders).
        assert!(
            !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(
            header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            header_of(&response, header::REFERRER_POLICY),
            "no-referrer",
            "{path}"
        );
    }
    // The page is public (the socket asks for the token), the API is not.
    assert_eq!(get(&server, "/").await.status(), 200);
    assert_eq!(get(&server, "/stats").await.status(), 401);
}

#[tokio::test]
async fn vendor_names_never_reach_the_file_system() {
    let server = Server::start(&[]).await;
    for path in [
        "/vendor/LICENSE.xterm",
        "/vendor/..%2F..%2Fruntimes.lock",
        "/vendor/%2E%2E%2Finstalled.json",
        "/vendor/../installed.json",
        "/vendor/xterm.js%00.png",
        "/vendor/",
    ] {
        let response = get(&server, path).await;
        assert_eq!(response.status(), 404, "{path}");
    }
}
