//! What the operator decides about package installs (see `Config`).

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

/// The package settings, as configured.
#[derive(Debug, Clone)]
pub struct PackageSettings {
    /// `PACKAGE_INDEX_URL`: a PEP 503/691 simple index. Unset: no Python
    /// installs.
    pub python_index: Option<Url>,
    /// `NPM_REGISTRY_URL`: an npm registry. Unset: no JavaScript installs.
    pub npm_registry: Option<Url>,
    /// `PACKAGE_INSTALLS` (`on`/`off`, default on): off refuses every
    /// install even with an index set.
    pub enabled: bool,
    /// `PACKAGES_ALLOW`: when not empty, only these names (normalized, as
    /// PEP 503 compares them) may be installed, dependencies included.
    pub allow: Vec<String>,
    /// `PACKAGES_DENY`: names never installed.
    pub deny: Vec<String>,
    /// `PACKAGE_MAX_FILE_MB`: the largest file (wheel, index page) fetched.
    pub max_file_bytes: u64,
    /// `PACKAGE_MAX_INSTALL_MB`: all files one install fetches and unpacks.
    pub max_install_bytes: u64,
    /// `PACKAGE_MAX_PACKAGES`: packages one install may resolve to.
    pub max_packages: usize,
    /// `PACKAGE_CACHE_DIR`: the shared file cache.
    pub cache_dir: PathBuf,
    /// `PACKAGE_CACHE_MB`: the cache's cap; least recently used files go.
    pub cache_bytes: u64,
    /// `PACKAGE_INSTALL_TIMEOUT` (ms): the longest one install may take.
    pub install_timeout: Duration,
    /// The longest one HTTP request may take.
    pub fetch_timeout: Duration,
    /// `MAX_CONCURRENT_INSTALLS`: installs running at once, in all.
    pub max_concurrent_installs: usize,
}

impl PackageSettings {
    /// No index: installs off.
    pub fn off() -> Self {
        Self {
            python_index: None,
            npm_registry: None,
            enabled: false,
            allow: Vec::new(),
            deny: Vec::new(),
            max_file_bytes: 64 << 20,
            max_install_bytes: 256 << 20,
            max_packages: 100,
            cache_dir: PathBuf::new(),
            cache_bytes: 1 << 30,
            install_timeout: Duration::from_secs(120),
            fetch_timeout: Duration::from_secs(30),
            max_concurrent_installs: 4,
        }
    }

    /// Whether the operator's lists let `name` (normalized) be installed.
    pub fn allows(&self, name: &str) -> bool {
        let listed = |list: &[String]| list.iter().any(|entry| entry == name);
        !listed(&self.deny) && (self.allow.is_empty() || listed(&self.allow))
    }

    /// The index Python installs come from, or why there is none.
    pub fn python_index(&self) -> Result<&Url, String> {
        match (&self.python_index, self.enabled) {
            (Some(index), true) => Ok(index),
            (Some(_), false) => {
                Err("package installs are turned off on this server (PACKAGE_INSTALLS=off)".into())
            }
            (None, _) => Err(
                "package installs are off: the server has no package index (set PACKAGE_INDEX_URL to a PEP 503/691 simple index to turn them on)"
                    .into(),
            ),
        }
    }
}

impl PackageSettings {
    /// The registry JavaScript installs come from, or why there is none.
    pub fn npm_registry(&self) -> Result<&Url, String> {
        match (&self.npm_registry, self.enabled) {
            (Some(registry), true) => Ok(registry),
            (Some(_), false) => {
                Err("npm error package installs are turned off on this server (PACKAGE_INSTALLS=off)".into())
            }
            (None, _) => Err(
                "npm error package installs are off: the server has no npm registry (set NPM_REGISTRY_URL to turn them on)"
                    .into(),
            ),
        }
    }
}

/// A package name as PEP 503 compares names: lower case, runs of `-`, `_`
/// and `.` made one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !normalized.is_empty() {
            normalized.push('-');
        }
        separator = false;
        normalized.extend(c.to_lowercase());
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_as_pep_503_says() {
        assert_eq!(normalize_name("Friendly-Bard"), "friendly-bard");
        assert_eq!(normalize_name("FRIENDLY_._-bard"), "friendly-bard");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
    }

    #[test]
    fn lists_decide_which_names_pass() {
        let mut settings = PackageSettings::off();
        assert!(settings.allows("rich"));
        settings.deny = vec!["rich".into()];
        assert!(!settings.allows("rich"));
        settings.deny.clear();
        settings.allow = vec!["click".into()];
        assert!(!settings.allows("rich"));
        assert!(settings.allows("click"));
    }
}
