//! HTTP downloads for installs: bounded in size and time, and files
//! checked against the SHA-256 the index gave before anyone uses them.
//!
//! This build speaks plain HTTP only, as its Redis client does: an index
//! behind TLS is reached through a local mirror or caching proxy (devpi,
//! a registry proxy), which is also what keeps a fleet's installs off the
//! public index.

use std::io::Write as _;
use std::time::Duration;

use reqwest::Url;
use sha2::{Digest as _, Sha256, Sha512};

use super::InstallError;
use super::cache::FileCache;
use crate::budget::installs::InstallBytes;

/// The digest an index gives for a file (lowercase hex), which names it
/// in the cache too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// PyPI's `sha256`.
    Sha256(String),
    /// npm's `integrity` (`sha512-` and base64, decoded).
    Sha512(String),
}

impl Checksum {
    pub fn hex(&self) -> &str {
        match self {
            Checksum::Sha256(hex) | Checksum::Sha512(hex) => hex,
        }
    }

    fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Sha256(_) => "sha256",
            Checksum::Sha512(_) => "sha512",
        }
    }

    fn hasher(&self) -> Hasher {
        match self {
            Checksum::Sha256(_) => Hasher::Sha256(Sha256::new()),
            Checksum::Sha512(_) => Hasher::Sha512(Sha512::new()),
        }
    }
}

enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(hasher) => hasher.update(data),
            Hasher::Sha512(hasher) => hasher.update(data),
        }
    }

    fn finish(self) -> String {
        match self {
            Hasher::Sha256(hasher) => hex::encode(hasher.finalize()),
            Hasher::Sha512(hasher) => hex::encode(hasher.finalize()),
        }
    }
}

/// The HTTP client installs share.
pub struct Fetcher {
    client: reqwest::Client,
}

/// A page from an index, with the address it came from (after redirects),
/// against which its links resolve.
pub struct Page {
    pub url: Url,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Fetcher {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("polyrun/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }

    /// GETs a page of at most `max_bytes`; `None` when the index says 404
    /// (no such project).
    pub async fn page(
        &self,
        url: &Url,
        accept: &str,
        max_bytes: u64,
        bytes: &InstallBytes,
    ) -> Result<Option<Page>, InstallError> {
        let mut response = self.get(url, accept).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response_url = response.url().clone();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let mut body = Vec::new();
        while let Some(chunk) = next_chunk(&mut response, url).await? {
            take(bytes, &body, chunk.len(), max_bytes, url)?;
            body.extend_from_slice(&chunk);
        }
        Ok(Some(Page {
            url: response_url,
            content_type,
            body,
        }))
    }

    /// A file with this checksum: from the cache, or downloaded into it
    /// (at most `max_bytes`) and checked.
    pub async fn file(
        &self,
        url: &Url,
        checksum: &Checksum,
        max_bytes: u64,
        bytes: &InstallBytes,
        cache: &FileCache,
    ) -> Result<(std::fs::File, bool), InstallError> {
        let expected = checksum.hex();
        if let Some(file) = cache.open_file(expected) {
            crate::metrics::record_package_cache(true);
            return Ok((file, true));
        }
        crate::metrics::record_package_cache(false);
        let mut response = self.get(url, "*/*").await?;
        if !response.status().is_success() {
            return Err(InstallError::Fetch(format!(
                "cannot fetch {url}: the index answered {}",
                response.status()
            )));
        }
        let mut partial = cache
            .partial()
            .map_err(|e| InstallError::Internal(format!("{e:#}")))?;
        let mut hasher = checksum.hasher();
        let mut written = 0u64;
        while let Some(chunk) = next_chunk(&mut response, url).await? {
            let len = chunk.len() as u64;
            if written + len > max_bytes {
                return Err(too_large(url, max_bytes));
            }
            bytes
                .take(len)
                .map_err(|refusal| InstallError::Limit(refusal.to_string()))?;
            hasher.update(&chunk);
            partial
                .write_all(&chunk)
                .map_err(|e| InstallError::Internal(format!("cannot write the cache: {e}")))?;
            written += len;
        }
        let actual = hasher.finish();
        if actual != expected {
            return Err(InstallError::Refused(format!(
                "{} does not match the hash the index gave ({} {expected}, got {actual}): refused",
                file_name(url),
                checksum.algorithm()
            )));
        }
        let file = cache
            .store(partial, expected)
            .map_err(|e| InstallError::Internal(format!("{e:#}")))?;
        Ok((file, false))
    }

    async fn get(&self, url: &Url, accept: &str) -> Result<reqwest::Response, InstallError> {
        if url.scheme() != "http" {
            return Err(InstallError::Fetch(format!(
                "cannot fetch {url}: this server fetches packages over plain HTTP only (point PACKAGE_INDEX_URL at a local mirror or caching proxy)"
            )));
        }
        self.client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| InstallError::Fetch(format!("cannot fetch {url}: {}", plain(&e))))
    }
}

async fn next_chunk(
    response: &mut reqwest::Response,
    url: &Url,
) -> Result<Option<bytes::Bytes>, InstallError> {
    response
        .chunk()
        .await
        .map_err(|e| InstallError::Fetch(format!("cannot fetch {url}: {}", plain(&e))))
}

fn take(
    bytes: &InstallBytes,
    body: &[u8],
    len: usize,
    max_bytes: u64,
    url: &Url,
) -> Result<(), InstallError> {
    if (body.len() + len) as u64 > max_bytes {
        return Err(too_large(url, max_bytes));
    }
    bytes
        .take(len as u64)
        .map_err(|refusal| InstallError::Limit(refusal.to_string()))
}

fn too_large(url: &Url, max_bytes: u64) -> InstallError {
    InstallError::Limit(format!(
        "{} is larger than this server fetches ({} MiB, PACKAGE_MAX_FILE_MB)",
        file_name(url),
        max_bytes >> 20
    ))
}

/// The last segment of a URL's path: what users know a file by.
pub fn file_name(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut segments| segments.next_back().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| url.to_string())
}

/// An HTTP error without reqwest's nesting of the URL it already names.
fn plain(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    if error.is_connect() {
        return "cannot connect".into();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
