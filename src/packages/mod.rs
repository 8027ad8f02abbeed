//! Packages users add to their sandboxes: `pip install` (and later
//! `npm install`), fetched by the host on their behalf.
//!
//! Guests have no network and never get one. The host fetches from the
//! index the operator named (`PACKAGE_INDEX_URL`), verifies every file
//! against the hash the index gives, keeps the files in a cache shared by
//! all users (they are public files, content-addressed), and unpacks them
//! through the user's [`Sandbox`](crate::sandbox::Sandbox), within its
//! quota. Nothing is installed unless the operator set an index.
//!
//! - [`settings`]: what the operator decides: indexes, allow and deny
//!   lists, size caps, the cache.
//! - [`fetch`]: bounded HTTP downloads, checked against their hashes.
//! - [`cache`]: the content-addressed file cache, least recently used
//!   files evicted past its cap.
//! - [`python`]: Python: the simple index, resolution with PubGrub,
//!   wheels unpacked into the sandbox's user site.

pub mod cache;
pub mod fetch;
pub mod python;
pub mod settings;

use std::sync::Arc;

pub use settings::PackageSettings;

use crate::budget::installs::InstallSlots;

/// Why an install did not happen. The message is written for the user who
/// asked, as pip's or npm's would be.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The operator set no index (or turned installs off).
    #[error("{0}")]
    Off(String),
    /// The operator's allow or deny list refuses a package.
    #[error("{0} may not be installed on this server (the operator's package policy)")]
    NotAllowed(String),
    /// A request names something that is not a requirement.
    #[error("{0}")]
    BadRequest(String),
    /// No set of versions satisfies the requirements.
    #[error("{0}")]
    Unresolvable(String),
    /// A package exists but has nothing this interpreter can install.
    #[error("{0}")]
    Unsupported(String),
    /// The index or a file could not be fetched, or failed its check.
    #[error("{0}")]
    Fetch(String),
    /// A file from the index is not a well-formed, safe package.
    #[error("{0}")]
    Refused(String),
    /// The sandbox's quota (or another host cap) stopped the install.
    #[error("{0}")]
    Limit(String),
    /// Anything else: a host-side failure, logged.
    #[error("{0}")]
    Internal(String),
}

/// What an install did, for the user.
#[derive(Debug, Clone, Default)]
pub struct InstallReport {
    /// `name==version` of each package installed now.
    pub installed: Vec<String>,
    /// `name==version` of each package already there (in the sandbox or
    /// preinstalled) that satisfied a requirement.
    pub satisfied: Vec<String>,
    /// `name==version` of each package replaced by another version.
    pub replaced: Vec<String>,
}

impl InstallReport {
    /// The lines pip prints for it.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .satisfied
            .iter()
            .map(|package| format!("Requirement already satisfied: {package}"))
            .collect();
        if !self.replaced.is_empty() {
            lines.push(format!("Replaced: {}", self.replaced.join(" ")));
        }
        if !self.installed.is_empty() {
            let names: Vec<String> = self
                .installed
                .iter()
                .map(|package| package.replacen("==", "-", 1))
                .collect();
            lines.push(format!("Successfully installed {}", names.join(" ")));
        }
        lines
    }
}

/// The server's package service: settings, the shared cache, the HTTP
/// client and the caps on installs running at once. Cheap to clone.
#[derive(Clone)]
pub struct Packages {
    inner: Arc<Inner>,
}

struct Inner {
    settings: PackageSettings,
    fetcher: fetch::Fetcher,
    cache: cache::FileCache,
    slots: InstallSlots,
    python: python::PythonPackages,
}

impl Packages {
    /// The service for `settings`, with the Python runtime's preinstalled
    /// distributions (read from its standard library zip) as `preinstalled`.
    pub fn new(
        settings: PackageSettings,
        preinstalled: python::Preinstalled,
    ) -> anyhow::Result<Self> {
        let cache = match settings.python_index {
            Some(_) => cache::FileCache::open(&settings.cache_dir, settings.cache_bytes)?,
            None => cache::FileCache::disabled(),
        };
        let fetcher = fetch::Fetcher::new(settings.fetch_timeout)?;
        let slots = InstallSlots::new(settings.max_concurrent_installs);
        Ok(Self {
            inner: Arc::new(Inner {
                python: python::PythonPackages::new(preinstalled),
                settings,
                fetcher,
                cache,
                slots,
            }),
        })
    }

    /// Installs are off: every request says which setting turns them on.
    pub fn off() -> Self {
        Self::new(PackageSettings::off(), python::Preinstalled::default())
            .expect("a package service without an index needs no cache")
    }

    pub fn settings(&self) -> &PackageSettings {
        &self.inner.settings
    }

    pub(crate) fn fetcher(&self) -> &fetch::Fetcher {
        &self.inner.fetcher
    }

    pub(crate) fn cache(&self) -> &cache::FileCache {
        &self.inner.cache
    }

    pub(crate) fn slots(&self) -> &InstallSlots {
        &self.inner.slots
    }

    pub fn python(&self) -> python::Installer<'_> {
        python::Installer::new(self, &self.inner.python)
    }
}
