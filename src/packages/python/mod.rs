//! Python packages: `pip install`, `pip list` and `pip uninstall` for a
//! sandbox, into its user site (`~/.local/lib/python3.15/site-packages`,
//! where `pip install --user` puts them), which every Python run and
//! context puts on `sys.path` when it exists.
//!
//! - `index`: the simple repository API (PEP 503 HTML, PEP 691 JSON).
//! - `resolve`: PubGrub over the index, markers for this interpreter.
//! - `wheel`: pure-Python wheels: names, metadata, unpacking.
//! - `installed`: the runtime's and the sandbox's distributions.
//! - [`bytecode`]: each wheel compiled once, in the background, and its
//!   bytecode unpacked with it from then on.

pub mod bytecode;
mod index;
mod installed;
mod resolve;
mod wheel;

use std::collections::BTreeMap;
use std::str::FromStr as _;

use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use reqwest::Url;

pub use installed::Preinstalled;
pub use resolve::environment as marker_environment;
use resolve::{Catalog, Missing, Outcome, Project, Source, Stop};
use wheel::WheelName;

use super::{InstallError, InstallReport, Packages, blocking, clone_sandbox};
use crate::budget::installs::InstallBytes;
use crate::packages::unpack::Written;
use crate::sandbox::Sandbox;

/// The user site, as the guest sees it from `/` (HOME is `/`).
pub const USER_SITE: &str = ".local/lib/python3.15/site-packages";

/// Requirements one install may name.
const MAX_REQUESTED: usize = 64;

/// The longest requirement accepted.
const MAX_REQUIREMENT_BYTES: usize = 1024;

/// The largest `.metadata` file fetched (PEP 658).
const MAX_METADATA_BYTES: u64 = 4 << 20;

/// What the server knows about Python packages before any install.
#[derive(Debug, Default)]
pub struct PythonPackages {
    preinstalled: Preinstalled,
}

impl PythonPackages {
    pub fn new(preinstalled: Preinstalled) -> Self {
        Self { preinstalled }
    }
}

/// One line of `pip list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub version: String,
    /// Part of the runtime, not of the sandbox.
    pub preinstalled: bool,
}

/// Installs into, lists and removes from one sandbox's user site.
pub struct Installer<'p> {
    packages: &'p Packages,
    python: &'p PythonPackages,
}

impl<'p> Installer<'p> {
    pub(super) fn new(packages: &'p Packages, python: &'p PythonPackages) -> Self {
        Self { packages, python }
    }

    /// `pip install REQUIREMENT…`: resolves the requirements with their
    /// dependencies and installs what the sandbox does not have.
    pub async fn install(
        &self,
        sandbox: &Sandbox,
        requests: &[String],
    ) -> Result<InstallReport, InstallError> {
        let settings = self.packages.settings();
        let index = settings.python_index().map_err(InstallError::Off)?.clone();
        let requested = parse_requests(requests)?;
        for requirement in &requested {
            if !settings.allows(requirement.name.as_ref()) {
                return Err(InstallError::NotAllowed(requirement.name.to_string()));
            }
        }
        self.packages
            .run_install("python", "", self.install_now(sandbox, &index, &requested))
            .await
    }

    async fn install_now(
        &self,
        sandbox: &Sandbox,
        index: &Url,
        requested: &[Requirement],
    ) -> Result<InstallReport, InstallError> {
        let bytes = InstallBytes::new(self.packages.settings().max_install_bytes);
        let installed = {
            let sandbox = clone_sandbox(sandbox)?;
            blocking(move || Ok(installed::scan(&sandbox, USER_SITE))).await?
        };
        let mut round = Round {
            installer: self,
            index,
            bytes: &bytes,
            catalog: self.seed_catalog(),
            installed: &installed,
            fetched: 0,
        };
        let resolution = round.resolve(requested).await?;
        let max = self.packages.settings().max_packages;
        if resolution.len() > max {
            return Err(InstallError::Limit(format!(
                "these requirements resolve to {} packages; an install may have at most {max} (PACKAGE_MAX_PACKAGES)",
                resolution.len()
            )));
        }
        let mut report = InstallReport::default();
        let mut plan = Vec::new();
        for (name, version) in resolution {
            let pinned = format!("{name}=={version}");
            match round
                .catalog
                .projects
                .get(&name)
                .and_then(|p| p.versions.get(&version))
            {
                Some(Source::Wheel(file)) => {
                    if let Some(old) = installed.get(&name) {
                        report
                            .replaced
                            .push(format!("{}=={}", old.name, old.version));
                    }
                    let requested = requested.iter().any(|r| r.name == name);
                    plan.push((name, version, file.clone(), requested));
                    report.installed.push(pinned);
                }
                _ => report.satisfied.push(pinned),
            }
        }
        let mut files = Vec::new();
        for (name, _, file, requested) in plan {
            let (opened, _) = round.wheel(&file).await?;
            let bundle = self.bytecode_bundle(&file);
            files.push((name, file, opened, bundle, requested));
        }
        let compiled: Vec<(String, String)> = files
            .iter()
            .filter(|(.., bundle, _)| bundle.is_none())
            .filter_map(|(_, file, ..)| Some((file.sha256.clone()?, file.filename.clone())))
            .collect();
        let sandbox = clone_sandbox(sandbox)?;
        let installed = installed.clone();
        blocking(move || {
            for (name, file, opened, bundle, requested) in files {
                if let Some(old) = installed.get(&name) {
                    installed::remove(&sandbox, USER_SITE, old)?;
                }
                unpack_with_bytecode(&sandbox, &file.filename, opened, bundle, requested, &bytes)?;
            }
            Ok(())
        })
        .await?;
        for (sha256, filename) in compiled {
            self.packages
                .bytecode()
                .schedule(self.packages, &sha256, &filename);
        }
        report.installed.sort();
        report.satisfied.sort();
        Ok(report)
    }

    /// The wheel's compiled bytecode from the cache, once it has been
    /// compiled (see [`bytecode`]).
    fn bytecode_bundle(&self, file: &index::IndexFile) -> Option<std::fs::File> {
        let key = self
            .packages
            .bytecode()
            .bundle_key(file.sha256.as_deref()?)?;
        self.packages.cache().open_file(&key)
    }

    /// The catalog before anything is fetched: the runtime's own
    /// distributions, each its one version.
    fn seed_catalog(&self) -> Catalog {
        let mut catalog = Catalog::default();
        for (name, version) in &self.python.preinstalled.versions {
            let mut project = Project::default();
            project
                .versions
                .insert(version.clone(), Source::Preinstalled);
            catalog.projects.insert(name.clone(), project);
        }
        catalog
    }

    /// `pip list`: the runtime's distributions and the sandbox's, by name.
    pub async fn list(&self, sandbox: &Sandbox) -> Result<Vec<Listed>, InstallError> {
        let sandbox = clone_sandbox(sandbox)?;
        let installed = blocking(move || Ok(installed::scan(&sandbox, USER_SITE))).await?;
        let mut listed: BTreeMap<String, Listed> = self
            .python
            .preinstalled
            .versions
            .iter()
            .map(|(name, version)| {
                (
                    name.to_string(),
                    Listed {
                        name: name.to_string(),
                        version: version.to_string(),
                        preinstalled: true,
                    },
                )
            })
            .collect();
        for (name, dist) in installed {
            listed.insert(
                name.to_string(),
                Listed {
                    name: name.to_string(),
                    version: dist.version.to_string(),
                    preinstalled: false,
                },
            );
        }
        Ok(listed.into_values().collect())
    }

    /// `pip uninstall NAME…`: removes what the sandbox has; the runtime's
    /// own distributions cannot be removed. Returns `name==version` of
    /// each one removed.
    pub async fn uninstall(
        &self,
        sandbox: &Sandbox,
        names: &[String],
    ) -> Result<Vec<String>, InstallError> {
        let mut wanted = Vec::new();
        for name in names.iter().take(MAX_REQUESTED) {
            let name = PackageName::from_str(name).map_err(|e| {
                InstallError::BadRequest(format!("{name}: not a package name ({e})"))
            })?;
            wanted.push(name);
        }
        let preinstalled = self.python.preinstalled.versions.clone();
        let sandbox = clone_sandbox(sandbox)?;
        blocking(move || {
            let installed = installed::scan(&sandbox, USER_SITE);
            let mut removed = Vec::new();
            for name in wanted {
                match (installed.get(&name), preinstalled.get(&name)) {
                    (Some(dist), _) => {
                        installed::remove(&sandbox, USER_SITE, dist)?;
                        removed.push(format!("{}=={}", dist.name, dist.version));
                    }
                    (None, Some(version)) => {
                        return Err(InstallError::BadRequest(format!(
                            "Cannot uninstall {name} {version}: it is part of the Python runtime"
                        )));
                    }
                    (None, None) => {
                        return Err(InstallError::BadRequest(format!(
                            "Skipping {name} as it is not installed."
                        )));
                    }
                }
            }
            Ok(removed)
        })
        .await
    }
}

/// One install's resolution: the catalog it builds by fetching, and the
/// bytes it may still fetch.
struct Round<'a> {
    installer: &'a Installer<'a>,
    index: &'a Url,
    bytes: &'a InstallBytes,
    catalog: Catalog,
    installed: &'a BTreeMap<PackageName, installed::Installed>,
    fetched: usize,
}

impl Round<'_> {
    async fn resolve(
        &mut self,
        requested: &[Requirement],
    ) -> Result<resolve::Resolution, InstallError> {
        let settings = self.installer.packages.settings();
        let environment = resolve::environment();
        let allowed = |name: &PackageName| settings.allows(name.as_ref());
        loop {
            let outcome = resolve::resolve(&resolve::Provider {
                catalog: &self.catalog,
                requested,
                environment: &environment,
                allowed: &allowed,
            });
            match outcome {
                Ok(resolution) => return Ok(resolution),
                Err(Outcome::Stopped(Stop::NotAllowed(name))) => {
                    return Err(InstallError::NotAllowed(name.to_string()));
                }
                Err(Outcome::Stopped(Stop::Missing(missing))) => {
                    self.fetched += 1;
                    if self.fetched > settings.max_packages * 4 {
                        return Err(InstallError::Limit(format!(
                            "resolving these requirements needs more than {} packages (PACKAGE_MAX_PACKAGES)",
                            settings.max_packages
                        )));
                    }
                    self.fetch(missing).await?;
                }
                Err(Outcome::Conflict(message)) => return Err(self.explain(message)),
            }
        }
    }

    /// A conflict's message, or a plainer one when the cause is a project
    /// with nothing this interpreter can install.
    fn explain(&self, message: String) -> InstallError {
        for (name, project) in &self.catalog.projects {
            if !project.versions.is_empty() || !message.contains(name.as_ref()) {
                continue;
            }
            if project.unusable.is_empty() {
                return InstallError::Unresolvable(format!(
                    "ERROR: No matching distribution found for {name}: the index has no such project\n{message}"
                ));
            }
            let shown: Vec<&str> = project
                .unusable
                .iter()
                .take(3)
                .map(String::as_str)
                .collect();
            return InstallError::Unsupported(format!(
                "ERROR: {name} has no pure-Python wheel (py3-none-any) for this interpreter, only {}{}: \
                 installing it would need a compiler for WASI, which this server does not run",
                shown.join(", "),
                if project.unusable.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ));
        }
        let notes: Vec<String> = self
            .installer
            .python
            .preinstalled
            .versions
            .iter()
            .filter(|(name, _)| message.contains(&format!("version of {name} ")))
            .map(|(name, version)| {
                format!("  note: {name} {version} is part of the Python runtime; no other version can be installed")
            })
            .collect();
        if notes.is_empty() {
            InstallError::Unresolvable(message)
        } else {
            InstallError::Unresolvable(format!("{message}\n{}", notes.join("\n")))
        }
    }

    async fn fetch(&mut self, missing: Missing) -> Result<(), InstallError> {
        match missing {
            Missing::Project(name) => {
                let project = self.project(&name).await?;
                self.catalog.projects.insert(name, project);
            }
            Missing::Metadata(name, version) => {
                let file = match self
                    .catalog
                    .projects
                    .get(&name)
                    .and_then(|p| p.versions.get(&version))
                {
                    Some(Source::Wheel(file)) => file.clone(),
                    _ => {
                        return Err(InstallError::Internal(format!(
                            "no file for {name} {version}"
                        )));
                    }
                };
                let requires = self.metadata(&file).await?;
                self.catalog.metadata.insert((name, version), requires);
            }
        }
        Ok(())
    }

    /// A project's usable versions from its index page (plus the version
    /// the sandbox has, which wins over the index's copy).
    async fn project(&self, name: &PackageName) -> Result<Project, InstallError> {
        let settings = self.installer.packages.settings();
        let url = index::project_url(self.index, name.as_ref())?;
        let page = self
            .installer
            .packages
            .fetcher()
            .page(&url, index::ACCEPT, settings.max_file_bytes, self.bytes)
            .await?;
        let mut project = Project::default();
        if let Some(page) = page {
            for file in index::parse_page(&page.url, &page.content_type, &page.body)? {
                add_file(&mut project, name, file);
            }
        }
        if let Some(installed) = self.installed.get(name) {
            project.versions.insert(
                installed.version.clone(),
                Source::Installed(installed.requires.clone()),
            );
        }
        Ok(project)
    }

    /// A wheel's requirements: from the cached wheel, its PEP 658
    /// metadata file, or the wheel itself downloaded.
    async fn metadata(&self, file: &index::IndexFile) -> Result<Vec<Requirement>, InstallError> {
        let wheel = WheelName::parse(&file.filename)
            .ok_or_else(|| InstallError::Refused(format!("{}: not a wheel", file.filename)))?;
        let cached = file
            .sha256
            .as_deref()
            .and_then(|sha256| self.installer.packages.cache().open_file(sha256));
        if cached.is_none()
            && let Some(Some(sha256)) = &file.metadata
        {
            return self.metadata_file(file, sha256).await;
        }
        let opened = match cached {
            Some(opened) => opened,
            None => self.wheel(file).await?.0,
        };
        let filename = file.filename.clone();
        let metadata = blocking(move || wheel::read_metadata(opened, &wheel, &filename)).await?;
        Ok(metadata.requires_dist)
    }

    async fn metadata_file(
        &self,
        file: &index::IndexFile,
        sha256: &str,
    ) -> Result<Vec<Requirement>, InstallError> {
        let url = Url::parse(&format!("{}.metadata", file.url))
            .map_err(|e| InstallError::Fetch(format!("{}: {e}", file.filename)))?;
        let page = self
            .installer
            .packages
            .fetcher()
            .page(&url, "*/*", MAX_METADATA_BYTES, self.bytes)
            .await?
            .ok_or_else(|| InstallError::Fetch(format!("{url}: not found")))?;
        use sha2::Digest as _;
        let actual = hex::encode(sha2::Sha256::digest(&page.body));
        if actual != sha256 {
            return Err(InstallError::Refused(format!(
                "the metadata of {} does not match the hash the index gave: refused",
                file.filename
            )));
        }
        let metadata = wheel::Metadata::parse(&page.body)
            .map_err(|why| InstallError::Refused(format!("{}: {why}", file.filename)))?;
        Ok(metadata.requires_dist)
    }

    /// The wheel file, from the cache or the index, its hash checked.
    async fn wheel(&self, file: &index::IndexFile) -> Result<(std::fs::File, bool), InstallError> {
        let sha256 = file.sha256.as_deref().ok_or_else(|| {
            InstallError::Refused(format!(
                "{}: the index gives no sha256 for it: refused",
                file.filename
            ))
        })?;
        let packages = self.installer.packages;
        let checksum = crate::packages::fetch::Checksum::Sha256(sha256.to_owned());
        packages
            .fetcher()
            .file(
                &file.url,
                &checksum,
                packages.settings().max_file_bytes,
                self.bytes,
                packages.cache(),
            )
            .await
    }
}

/// Unpacks one wheel (and its bytecode, when there is a bundle) into the
/// user site, all or nothing.
fn unpack_with_bytecode(
    sandbox: &Sandbox,
    filename: &str,
    opened: std::fs::File,
    bundle: Option<std::fs::File>,
    requested: bool,
    bytes: &InstallBytes,
) -> Result<(), InstallError> {
    let wheel = WheelName::parse(filename)
        .ok_or_else(|| InstallError::Refused(format!("{filename}: not a wheel")))?;
    let mut written = Written::new(sandbox);
    let modules = wheel::unpack(
        opened,
        &wheel,
        filename,
        &mut written,
        USER_SITE,
        requested,
        bytes,
    )?;
    if let Some(bundle) = bundle {
        bytecode::unpack_bundle(bundle, &modules, &mut written, USER_SITE, bytes)?;
    }
    written.keep();
    Ok(())
}

/// Adds an index file to a project: a usable version if it is a pure
/// wheel for this interpreter with a hash, else a reason it is not.
fn add_file(project: &mut Project, name: &PackageName, file: index::IndexFile) {
    if file.yanked {
        return;
    }
    let usable = WheelName::parse(&file.filename)
        .filter(|wheel| wheel.name == *name && wheel.is_pure())
        .filter(|_| resolve::admits_this_python(file.requires_python.as_deref()))
        .filter(|_| {
            file.sha256
                .as_deref()
                .is_some_and(|sha256| sha256.len() == 64 && super::cache::is_digest(sha256))
        });
    match usable {
        Some(wheel) => {
            project
                .versions
                .entry(wheel.version)
                .or_insert(Source::Wheel(file));
        }
        None => project.unusable.push(file.filename),
    }
}

/// Parses `pip install` arguments into requirements; URLs and paths are
/// refused (the index is the only source).
fn parse_requests(requests: &[String]) -> Result<Vec<Requirement>, InstallError> {
    if requests.is_empty() {
        return Err(InstallError::BadRequest(
            "ERROR: You must give at least one requirement to install".into(),
        ));
    }
    if requests.len() > MAX_REQUESTED {
        return Err(InstallError::BadRequest(format!(
            "ERROR: at most {MAX_REQUESTED} requirements per install"
        )));
    }
    requests
        .iter()
        .map(|text| {
            if text.len() > MAX_REQUIREMENT_BYTES {
                return Err(InstallError::BadRequest("ERROR: a requirement is too long".into()));
            }
            let requirement = Requirement::from_str(text.trim()).map_err(|e| {
                InstallError::BadRequest(format!("ERROR: Invalid requirement: '{text}': {}", e.message))
            })?;
            if matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_))) {
                return Err(InstallError::BadRequest(format!(
                    "ERROR: '{text}': installs come from the server's package index only, not from URLs"
                )));
            }
            Ok(requirement)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_requirements_from_the_index() {
        assert!(parse_requests(&["rich==13.9.4".into(), "click>=8".into()]).is_ok());
        let refused = |text: &str| parse_requests(&[text.into()]).unwrap_err().to_string();
        assert!(refused("rich @ http://evil.test/rich.whl").contains("not from URLs"));
        assert!(refused("ri ch").contains("Invalid requirement"));
        assert!(parse_requests(&[]).is_err());
        assert!(parse_requests(&vec!["x".into(); MAX_REQUESTED + 1]).is_err());
    }
}
