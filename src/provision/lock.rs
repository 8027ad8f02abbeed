//! `runtimes/runtimes.lock`: the pinned inputs of provisioning.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::Deserialize;

/// The lock file as committed, compiled into the binary so that a binary
/// always provisions exactly the inputs it was built and tested against.
pub const LOCK_TEXT: &str = include_str!("../../runtimes/runtimes.lock");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    #[serde(rename = "package")]
    pub packages: Vec<LockedPackage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    Npm,
    Crates,
    /// Python wheels, fetched with `pip download`.
    Pypi,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedPackage {
    pub name: String,
    pub registry: Registry,
    pub version: String,
    /// SHA-256 of the package archive, lowercase hex.
    pub sha256: String,
    /// For a wheel built per platform: the platform tag to fetch on every
    /// host, so that the pinned hash matches everywhere.
    #[serde(default)]
    pub platform: Option<String>,
    /// Archive path (file or directory) → path under the runtimes directory.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Archive path of a tar inside the archive → directory to unpack it into.
    #[serde(default)]
    pub unpack: BTreeMap<String, String>,
}

impl LockedPackage {
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

impl Lock {
    pub fn embedded() -> anyhow::Result<Self> {
        toml::from_str(LOCK_TEXT).context("runtimes/runtimes.lock is malformed")
    }
}
