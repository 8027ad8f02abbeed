//! The npm registry's documents: a package's versions (the abbreviated
//! "corgi" packument), each with its dependencies and its tarball's
//! address and integrity.

use std::collections::BTreeMap;

use base64::Engine as _;
use reqwest::Url;
use serde::Deserialize;

use crate::packages::InstallError;
use crate::packages::fetch::Checksum;

/// The abbreviated document first, the full one from registries without it.
pub const ACCEPT: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8";

/// The longest package name npm accepts.
const MAX_NAME: usize = 214;

/// A package's versions, as the registry lists them.
#[derive(Debug, Clone, Deserialize)]
pub struct Packument {
    #[serde(rename = "dist-tags", default)]
    pub dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub versions: BTreeMap<String, Manifest>,
}

/// One version: what it depends on and where its tarball is.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
    pub dist: Dist,
    /// Whether it has install scripts (never run here).
    #[serde(rename = "hasInstallScript", default)]
    pub has_install_script: bool,
    #[serde(default)]
    pub scripts: BTreeMap<String, serde_json::Value>,
}

impl Manifest {
    /// Whether installing it with npm would run a script of its own.
    pub fn wants_scripts(&self) -> bool {
        self.has_install_script
            || ["preinstall", "install", "postinstall"]
                .iter()
                .any(|script| self.scripts.contains_key(*script))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Dist {
    pub tarball: String,
    #[serde(default)]
    pub integrity: Option<String>,
}

impl Dist {
    /// The tarball's SHA-512, from its `integrity` (Subresource Integrity:
    /// `sha512-` and base64). Older packages with only a SHA-1 are refused:
    /// SHA-1 no longer proves a file is the one published.
    pub fn checksum(&self, what: &str) -> Result<Checksum, InstallError> {
        let sha512 = self
            .integrity
            .as_deref()
            .and_then(|integrity| {
                integrity
                    .split_whitespace()
                    .find_map(|hash| hash.strip_prefix("sha512-"))
            })
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .filter(|digest| digest.len() == 64)
            .ok_or_else(|| {
                InstallError::Refused(format!(
                    "npm error {what}: the registry gives no sha512 integrity for its tarball: refused"
                ))
            })?;
        Ok(Checksum::Sha512(hex::encode(sha512)))
    }
}

/// Whether `name` is a package name npm would publish: lower case, URL
/// safe, at most 214 characters, optionally `@scope/name`.
pub fn is_valid_name(name: &str) -> bool {
    let part = |text: &str| {
        !text.is_empty()
            && !text.starts_with('.')
            && !text.starts_with('_')
            && text
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~'))
    };
    if name.len() > MAX_NAME {
        return false;
    }
    match name.strip_prefix('@') {
        Some(scoped) => scoped
            .split_once('/')
            .is_some_and(|(scope, name)| part(scope) && part(name)),
        None => part(name),
    }
}

/// The address of a package's document: `{registry}/{name}`, a scope's
/// slash escaped as npm escapes it.
pub fn packument_url(registry: &Url, name: &str) -> Result<Url, InstallError> {
    if !is_valid_name(name) {
        return Err(InstallError::BadRequest(format!(
            "npm error Invalid package name \"{name}\""
        )));
    }
    let mut base = registry.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(&name.replacen('/', "%2f", 1))
        .map_err(|e| InstallError::BadRequest(format!("npm error {name}: {e}")))
}

/// Parses a registry document.
pub fn parse(url: &Url, body: &[u8]) -> Result<Packument, InstallError> {
    serde_json::from_slice(body).map_err(|e| {
        InstallError::Fetch(format!(
            "npm error the registry's document {url} is not a packument: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_scopes_escaped() {
        assert!(is_valid_name("lodash") && is_valid_name("@types/node") && is_valid_name("dayjs"));
        for bad in [
            "",
            "Lodash",
            "../x",
            "a/b",
            "@scope",
            "@/x",
            ".hidden",
            "a b",
            &"x".repeat(215),
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
        let registry = Url::parse("http://registry.test/npm").unwrap();
        assert_eq!(
            packument_url(&registry, "@types/node").unwrap().as_str(),
            "http://registry.test/npm/@types%2fnode"
        );
    }

    #[test]
    fn integrity_is_sha512() {
        let dist = Dist {
            tarball: "http://x/ms-2.1.3.tgz".into(),
            integrity: Some("sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==".into()),
        };
        assert_eq!(dist.checksum("ms").unwrap().hex().len(), 128);
        let sha1 = Dist {
            tarball: "http://x/old.tgz".into(),
            integrity: Some("sha1-abc".into()),
        };
        assert!(sha1.checksum("old").is_err());
    }
}
