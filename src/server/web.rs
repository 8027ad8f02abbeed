//! The browser terminal (`GET /`), the API reference (`GET /docs`), and
//! their files.
//!
//! Our own page, script and style (`web/` in the repository) are compiled
//! into the binary. The npm packages they use (xterm.js, its fit addon and
//! socket.io-client, pinned in `runtimes.lock`) are provisioned with the
//! runtimes and served from the runtimes directory under `/vendor/`, by a
//! fixed list of names: no request path ever reaches the file system.
//!
//! Every response of the server carries a strict Content-Security-Policy
//! (`'self'` only), `nosniff` and `no-referrer` (see [`security_headers`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::runtimes::{RuntimeDir, WEB_ASSETS};

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The terminal's page; `/` serves it.
const INDEX_HTML: &str = include_str!("../../web/index.html");

/// Our own files besides the page, compiled in: each served at `/{name}`,
/// with its type.
pub(super) const OWN_FILES: [(&str, &str, &str); 7] = [
    (
        "terminal.js",
        include_str!("../../web/terminal.js"),
        JAVASCRIPT,
    ),
    ("terminal.css", include_str!("../../web/terminal.css"), CSS),
    ("output.js", include_str!("../../web/output.js"), JAVASCRIPT),
    (
        "transfers.js",
        include_str!("../../web/transfers.js"),
        JAVASCRIPT,
    ),
    ("editor.js", include_str!("../../web/editor.js"), JAVASCRIPT),
    ("docs", include_str!("../../web/docs.html"), HTML),
    ("docs.js", include_str!("../../web/docs.js"), JAVASCRIPT),
];

/// Only this origin, for everything; no inline script or style, no
/// plugins, no framing, no forms posting elsewhere. Two exceptions, each
/// as narrow as it can be: the page's import map (inline by necessity),
/// allowed by its hash, and `wasm-unsafe-eval`, which lets the image addon
/// compile its WebAssembly decoders and allows no JavaScript `eval`.
static CONTENT_SECURITY_POLICY: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' '{}'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        inline_script_hash(INDEX_HTML, "<script type=\"importmap\">")
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
});

/// The CSP source (`sha256-…`) that allows the inline script that starts
/// with `opening` in `page`.
fn inline_script_hash(page: &str, opening: &str) -> String {
    let text = page
        .split_once(opening)
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map_or("", |(text, _)| text);
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Our own files change with the binary: revalidate every time (cheap with
/// the ETag). Vendored files change only when the lock does.
const OWN_CACHE: &str = "no-cache";
const VENDOR_CACHE: &str = "public, max-age=86400";

/// A file ready to serve.
struct Asset {
    body: bytes::Bytes,
    content_type: &'static str,
    etag: String,
    cache_control: &'static str,
}

impl Asset {
    fn new(
        body: impl Into<bytes::Bytes>,
        content_type: &'static str,
        cache_control: &'static str,
    ) -> Self {
        let body = body.into();
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
        Self {
            body,
            content_type,
            etag,
            cache_control,
        }
    }

    /// The file, or 304 when the client's copy (`If-None-Match`) is current.
    fn respond(&self, request_headers: &HeaderMap) -> Response {
        let fresh = request_headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == self.etag));
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Response::new(Body::from(self.body.clone()))
        };
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, etag);
        }
        response
    }
}

/// The page's files: ours from the binary, the vendored ones read once from
/// the runtimes directory.
pub(super) struct WebAssets {
    own: HashMap<&'static str, Asset>,
    vendor: std::sync::OnceLock<HashMap<&'static str, Asset>>,
    runtimes: RuntimeDir,
}

impl WebAssets {
    pub(super) fn new(runtimes: RuntimeDir) -> Self {
        let own = OWN_FILES
            .iter()
            .chain(&[("index.html", INDEX_HTML, HTML)])
            .map(|&(name, body, content_type)| (name, Asset::new(body, content_type, OWN_CACHE)))
            .collect();
        Self {
            own,
            vendor: std::sync::OnceLock::new(),
            runtimes,
        }
    }

    /// The vendored files, once provisioning has put them in place.
    fn vendor(&self) -> Option<&HashMap<&'static str, Asset>> {
        if let Some(vendor) = self.vendor.get() {
            return Some(vendor);
        }
        let mut loaded = HashMap::new();
        for (name, content_type) in WEB_ASSETS {
            let body = std::fs::read(self.runtimes.web().join(name)).ok()?;
            loaded.insert(name, Asset::new(body, content_type, VENDOR_CACHE));
        }
        Some(self.vendor.get_or_init(|| loaded))
    }
}

pub(super) async fn index(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    own(&state, "index.html", &headers)
}

/// `GET /terminal.js` and the page's other files, by their route.
pub(super) async fn file(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    own(&state, uri.path().trim_start_matches('/'), &headers)
}

fn own(state: &AppState, name: &str, headers: &HeaderMap) -> Response {
    match state.web.own.get(name) {
        Some(asset) => asset.respond(headers),
        None => ApiError::not_found("not_found", format!("no file {name}")).into_response(),
    }
}

/// `GET /vendor/{name}`: a file of a pinned npm package.
pub(super) async fn vendor(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(vendor) = state.web.vendor() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "runtimes_not_ready",
            "the terminal's files are being provisioned with the runtimes",
        ));
    };
    vendor
        .get(name.as_str())
        .map(|asset| asset.respond(&headers))
        .ok_or_else(|| ApiError::not_found("not_found", format!("no vendored file '{name}'")))
}

/// Adds the security headers to every response.
pub(super) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY.clone(),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
