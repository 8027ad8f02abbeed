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
//! - [`unpack`]: a package's files written into a sandbox, all or nothing.
//! - [`python`]: Python: the simple index, resolution with PubGrub,
//!   wheels unpacked into the sandbox's user site.
//! - [`npm`]: JavaScript: the npm registry, `node_modules` laid out as
//!   npm lays it out, tarballs unpacked into the project.

pub mod cache;
pub mod fetch;
pub mod npm;
pub mod python;
pub mod settings;
pub mod unpack;

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
    /// Warnings for the user (install scripts not run).
    pub notes: Vec<String>,
}

impl InstallReport {
    /// The lines pip prints for it (and the notes).
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.notes.clone();
        lines.extend(
            self.satisfied
                .iter()
                .map(|package| format!("Requirement already satisfied: {package}")),
        );
        if !self.replaced.is_empty() {
            lines.push(format!("Replaced: {}", self.replaced.join(" ")));
        }
        if !self.installed.is_empty() {
            let names: Vec<String> = self
                .installed
                .iter()
                .map(|package| installed_name(package))
                .collect();
            lines.push(format!("Successfully installed {}", names.join(" ")));
        }
        lines
    }
}

/// `name-version` as pip and npm print what they installed, from
/// `name==version` or `name@version` (a scope's `@` kept).
fn installed_name(package: &str) -> String {
    match package.split_once("==").or_else(|| {
        package
            .rsplit_once('@')
            .filter(|(name, _)| !name.is_empty())
    }) {
        Some((name, version)) => format!("{name}-{version}"),
        None => package.to_owned(),
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
    bytecode: python::bytecode::Bytecode,
}

impl Packages {
    /// The service for `settings`, with the Python runtime's preinstalled
    /// distributions (read from its standard library zip) as `preinstalled`.
    pub fn new(
        settings: PackageSettings,
        preinstalled: python::Preinstalled,
    ) -> anyhow::Result<Self> {
        let cache = match (&settings.python_index, &settings.npm_registry) {
            (None, None) => cache::FileCache::disabled(),
            _ => cache::FileCache::open(&settings.cache_dir, settings.cache_bytes)?,
        };
        let fetcher = fetch::Fetcher::new(settings.fetch_timeout)?;
        let slots = InstallSlots::new(settings.max_concurrent_installs);
        Ok(Self {
            inner: Arc::new(Inner {
                python: python::PythonPackages::new(preinstalled),
                bytecode: python::bytecode::Bytecode::default(),
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

    pub(crate) fn bytecode(&self) -> &python::bytecode::Bytecode {
        &self.inner.bytecode
    }

    /// Compiles installed wheels to bytecode with `compiler` (the Python
    /// runtime, in a guest of the server's own) from now on.
    pub fn compile_bytecode_with(&self, compiler: Arc<dyn python::bytecode::CompileBytecode>) {
        self.inner.bytecode.set_compiler(compiler);
    }

    /// Runs one install of `ecosystem` in a slot of `MAX_CONCURRENT_INSTALLS`
    /// (waiting for one at most `PACKAGE_INSTALL_TIMEOUT`), within that
    /// timeout, and counts it; `prefix` starts the timeout's message as
    /// the ecosystem's tool words its errors.
    pub(crate) async fn run_install(
        &self,
        ecosystem: &'static str,
        prefix: &str,
        install: impl std::future::Future<Output = Result<InstallReport, InstallError>>,
    ) -> Result<InstallReport, InstallError> {
        let timeout = self.settings().install_timeout;
        let _slot = self
            .inner
            .slots
            .take(timeout)
            .await
            .map_err(|refusal| InstallError::Limit(refusal.to_string()))?;
        let result = tokio::time::timeout(timeout, install)
            .await
            .unwrap_or_else(|_| {
                Err(InstallError::Limit(format!(
                    "{prefix}the install took longer than {} s (PACKAGE_INSTALL_TIMEOUT)",
                    timeout.as_secs()
                )))
            });
        crate::metrics::record_package_install(ecosystem, result.is_ok());
        result
    }

    pub fn python(&self) -> python::Installer<'_> {
        python::Installer::new(self, &self.inner.python)
    }

    pub fn npm(&self) -> npm::Installer<'_> {
        npm::Installer::new(self)
    }
}

/// Installs `requests` for a run or context of `language` into the root
/// of `sandbox`: pip for Python, npm for JavaScript and TypeScript.
pub async fn install(
    packages: &Packages,
    language: crate::language::Language,
    sandbox: &crate::sandbox::Sandbox,
    requests: &[String],
) -> Result<InstallReport, InstallError> {
    use crate::language::Language;
    match language {
        Language::Python => packages.python().install(sandbox, requests).await,
        Language::JavaScript | Language::TypeScript => {
            packages.npm().install(sandbox, "/", requests).await
        }
        other => Err(InstallError::BadRequest(format!(
            "packages are for Python, JavaScript and TypeScript, not {}",
            other.info().name
        ))),
    }
}

/// Another handle on the sandbox, for blocking work.
pub(crate) fn clone_sandbox(
    sandbox: &crate::sandbox::Sandbox,
) -> Result<crate::sandbox::Sandbox, InstallError> {
    sandbox
        .try_clone()
        .map_err(|e| InstallError::Internal(format!("cannot open the sandbox: {e}")))
}

/// Runs blocking file work (archives, sandbox writes) off the async
/// threads; installs running at once are capped (`MAX_CONCURRENT_INSTALLS`).
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, InstallError> + Send + 'static,
) -> Result<T, InstallError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| InstallError::Internal(format!("an install task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    #[test]
    fn installed_names_keep_scopes() {
        assert_eq!(super::installed_name("rich==13.9.4"), "rich-13.9.4");
        assert_eq!(super::installed_name("lodash@4.17.21"), "lodash-4.17.21");
        assert_eq!(
            super::installed_name("@types/node@20.1.0"),
            "@types/node-20.1.0"
        );
    }
}
