//! JavaScript packages: `npm install`, `npm ls` and `npm uninstall` for a
//! project directory in a sandbox, from the operator's registry
//! (`NPM_REGISTRY_URL`), into `node_modules` as npm lays it out.
//! Install scripts never run (there is no shell or process to run them
//! in): the report says which packages had some.
//!
//! - `registry`: the registry's documents and tarball integrity.
//! - `layout`: version choice and placement in `node_modules`.
//! - `tarball`: unpacking a `.tgz` through the sandbox.

mod layout;
mod registry;
mod tarball;

use std::collections::{BTreeMap, VecDeque};

use reqwest::Url;

pub use layout::Spec;
use layout::{Placed, Tree};
use registry::Packument;

use super::{InstallError, InstallReport, Packages, blocking, clone_sandbox};
use crate::budget::installs::InstallBytes;
use crate::sandbox::Sandbox;

/// Packages one install names at most.
const MAX_REQUESTED: usize = 64;

/// How deep an existing `node_modules` is read, and how many packages.
const MAX_SCAN_DEPTH: usize = 16;
const MAX_SCANNED: usize = 10_000;

/// The largest `package.json` read.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Installs into, lists and removes from one project in a sandbox.
pub struct Installer<'p> {
    packages: &'p Packages,
}

impl<'p> Installer<'p> {
    pub(super) fn new(packages: &'p Packages) -> Self {
        Self { packages }
    }

    /// `npm install SPEC…` in `project` (a sandbox path, `/` for the
    /// root); with no specs, what `project/package.json` depends on.
    pub async fn install(
        &self,
        sandbox: &Sandbox,
        project: &str,
        requests: &[String],
    ) -> Result<InstallReport, InstallError> {
        let settings = self.packages.settings();
        let registry = settings.npm_registry().map_err(InstallError::Off)?.clone();
        let project = project.trim_end_matches('/').to_owned();
        let specs = match requests.is_empty() {
            false => parse_specs(requests)?,
            true => manifest_specs(sandbox, &project)?,
        };
        for spec in &specs {
            if !settings.allows(&spec.name) {
                return Err(InstallError::NotAllowed(spec.name.clone()));
            }
        }
        let installing =
            self.install_now(sandbox, &project, &registry, &specs, !requests.is_empty());
        self.packages
            .run_install("javascript", "npm error ", installing)
            .await
    }

    async fn install_now(
        &self,
        sandbox: &Sandbox,
        project: &str,
        registry: &Url,
        specs: &[Spec],
        save: bool,
    ) -> Result<InstallReport, InstallError> {
        let bytes = InstallBytes::new(self.packages.settings().max_install_bytes);
        let scanned = {
            let sandbox = clone_sandbox(sandbox)?;
            let project = project.to_owned();
            blocking(move || Ok(scan(&sandbox, &project))).await?
        };
        let mut resolving = Resolving {
            packages: self.packages,
            registry,
            bytes: &bytes,
            documents: BTreeMap::new(),
            tree: scanned,
        };
        let added = resolving.resolve(specs).await?;
        let mut report = InstallReport::default();
        let mut downloads = Vec::new();
        for path in &added {
            let Some(manifest) = resolving.tree.placed[path].manifest.clone() else {
                continue;
            };
            let what = format!("{}@{}", manifest.name, manifest.version);
            if manifest.wants_scripts() {
                report.notes.push(format!(
                    "npm warn {what} has install scripts; they were not run (nothing runs outside the sandbox's programs)"
                ));
            }
            let checksum = manifest.dist.checksum(&what)?;
            let url = Url::parse(&manifest.dist.tarball).map_err(|e| {
                InstallError::Fetch(format!("npm error {what}: its tarball address: {e}"))
            })?;
            let (file, _) = self
                .packages
                .fetcher()
                .file(
                    &url,
                    &checksum,
                    self.packages.settings().max_file_bytes,
                    &bytes,
                    self.packages.cache(),
                )
                .await?;
            downloads.push((path.clone(), what.clone(), file));
            report.installed.push(what);
        }
        for spec in specs {
            if let Some((_, placed)) = resolving.tree.visible("", &spec.name)
                && !report
                    .installed
                    .contains(&format!("{}@{}", placed.name, placed.version))
            {
                report
                    .satisfied
                    .push(format!("{}@{}", placed.name, placed.version));
            }
        }
        let sandbox = clone_sandbox(sandbox)?;
        let project = project.to_owned();
        let saved: Vec<(String, String)> = specs
            .iter()
            .filter_map(|spec| {
                let (_, placed) = resolving.tree.visible("", &spec.name)?;
                let range = match nodejs_semver::Range::parse(&spec.range) {
                    Ok(_) if spec.range != "latest" => spec.range.clone(),
                    _ => format!("^{}", placed.version),
                };
                Some((spec.name.clone(), range))
            })
            .collect();
        blocking(move || {
            for (path, what, file) in downloads {
                let dir = join(&project, &path);
                if sandbox.exists(&dir) {
                    remove_dir(&sandbox, &dir)?;
                }
                tarball::unpack(file, &what, &sandbox, &dir, &bytes)?;
            }
            if save {
                save_dependencies(&sandbox, &project, &saved)?;
            }
            Ok(())
        })
        .await?;
        report.installed.sort();
        report.satisfied.sort();
        Ok(report)
    }

    /// `npm ls`: the packages at the top of `project/node_modules`.
    pub async fn list(
        &self,
        sandbox: &Sandbox,
        project: &str,
    ) -> Result<Vec<(String, String)>, InstallError> {
        let sandbox = clone_sandbox(sandbox)?;
        let project = project.trim_end_matches('/').to_owned();
        blocking(move || {
            let tree = scan(&sandbox, &project);
            Ok(tree
                .placed
                .iter()
                .filter(|(path, _)| !path["node_modules/".len()..].contains("/node_modules/"))
                .map(|(_, placed)| (placed.name.clone(), placed.version.clone()))
                .collect())
        })
        .await
    }

    /// `npm uninstall NAME…`: removes them from `project/node_modules`
    /// and from `package.json`; returns `name@version` of each.
    pub async fn uninstall(
        &self,
        sandbox: &Sandbox,
        project: &str,
        names: &[String],
    ) -> Result<Vec<String>, InstallError> {
        let sandbox = clone_sandbox(sandbox)?;
        let project = project.trim_end_matches('/').to_owned();
        let names: Vec<String> = names.iter().take(MAX_REQUESTED).cloned().collect();
        blocking(move || {
            let tree = scan(&sandbox, &project);
            let mut removed = Vec::new();
            for name in &names {
                if !registry::is_valid_name(name) {
                    return Err(InstallError::BadRequest(format!(
                        "npm error Invalid package name \"{name}\""
                    )));
                }
                let path = layout::place("", name);
                if let Some(placed) = tree.placed.get(&path) {
                    remove_dir(&sandbox, &join(&project, &path))?;
                    removed.push(format!("{}@{}", placed.name, placed.version));
                }
            }
            forget_dependencies(&sandbox, &project, &names)?;
            Ok(removed)
        })
        .await
    }
}

/// One install's resolution: the registry's documents fetched so far and
/// the tree as it grows.
struct Resolving<'a> {
    packages: &'a Packages,
    registry: &'a Url,
    bytes: &'a InstallBytes,
    documents: BTreeMap<String, Packument>,
    tree: Tree,
}

impl Resolving<'_> {
    /// Places every package the specs need, breadth first as npm does;
    /// returns the places of those added.
    async fn resolve(&mut self, specs: &[Spec]) -> Result<Vec<String>, InstallError> {
        let max = self.packages.settings().max_packages;
        let mut added = Vec::new();
        let mut queue: VecDeque<(String, Spec, bool)> = specs
            .iter()
            .map(|spec| (String::new(), spec.clone(), true))
            .collect();
        while let Some((dependent, spec, requested)) = queue.pop_front() {
            let place = if requested {
                // What the user names goes to the top level, replacing
                // another version there.
                match self.tree.placed.get(&layout::place("", &spec.name)) {
                    Some(placed)
                        if layout::fits(&placed.version, &spec.range) && spec.range != "latest" =>
                    {
                        None
                    }
                    _ => Some(layout::place("", &spec.name)),
                }
            } else {
                self.tree.place_for(&dependent, &spec.name, &spec.range)
            };
            let Some(place) = place else {
                continue;
            };
            if !self.packages.settings().allows(&spec.name) {
                return Err(InstallError::NotAllowed(spec.name.clone()));
            }
            let manifest = layout::choose(self.document(&spec.name).await?, &spec)?;
            if requested
                && let Some(existing) = self.tree.placed.get(&place)
                && existing.version == manifest.version
            {
                continue;
            }
            for (name, range) in &manifest.dependencies {
                queue.push_back((
                    place.clone(),
                    Spec {
                        name: name.clone(),
                        range: range.clone(),
                    },
                    false,
                ));
            }
            self.tree.placed.insert(
                place.clone(),
                Placed {
                    name: manifest.name.clone(),
                    version: manifest.version.clone(),
                    manifest: Some(manifest),
                },
            );
            if !added.contains(&place) {
                added.push(place);
            }
            if added.len() > max {
                return Err(InstallError::Limit(format!(
                    "npm error these packages need more than {max} packages (PACKAGE_MAX_PACKAGES)"
                )));
            }
        }
        Ok(added)
    }

    async fn document(&mut self, name: &str) -> Result<&Packument, InstallError> {
        if !self.documents.contains_key(name) {
            let url = registry::packument_url(self.registry, name)?;
            let page = self
                .packages
                .fetcher()
                .page(&url, registry::ACCEPT, self.packages.settings().max_file_bytes, self.bytes)
                .await?
                .ok_or_else(|| {
                    InstallError::Unresolvable(format!(
                        "npm error code E404\nnpm error 404 Not Found - GET {url}\nnpm error 404  '{name}' is not in this registry."
                    ))
                })?;
            let document = registry::parse(&url, &page.body)?;
            self.documents.insert(name.to_owned(), document);
        }
        Ok(&self.documents[name])
    }
}

fn parse_specs(requests: &[String]) -> Result<Vec<Spec>, InstallError> {
    if requests.len() > MAX_REQUESTED {
        return Err(InstallError::BadRequest(format!(
            "npm error at most {MAX_REQUESTED} packages per install"
        )));
    }
    requests.iter().map(|text| Spec::parse(text)).collect()
}

/// What `project/package.json` depends on (`npm install` alone).
fn manifest_specs(sandbox: &Sandbox, project: &str) -> Result<Vec<Spec>, InstallError> {
    let manifest = read_manifest(sandbox, project)?.ok_or_else(|| {
        InstallError::BadRequest(
            "npm error code ENOENT: no package.json here; name the packages to install".into(),
        )
    })?;
    let dependencies = manifest
        .get("dependencies")
        .and_then(|d| d.as_object())
        .cloned()
        .unwrap_or_default();
    dependencies
        .into_iter()
        .take(MAX_REQUESTED)
        .map(|(name, range)| {
            let range = range.as_str().unwrap_or("latest").to_owned();
            Spec::parse(&name).map(|spec| Spec { range, ..spec })
        })
        .collect()
}

fn read_manifest(
    sandbox: &Sandbox,
    project: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, InstallError> {
    let path = join(project, "package.json");
    if !sandbox.exists(&path) {
        return Ok(None);
    }
    let bytes = sandbox.read_file(&path, MAX_MANIFEST_BYTES).map_err(|e| {
        InstallError::BadRequest(format!("npm error cannot read package.json: {e}"))
    })?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(manifest)) => Ok(Some(manifest)),
        _ => Err(InstallError::BadRequest(
            "npm error code EJSONPARSE: package.json is not a JSON object".into(),
        )),
    }
}

/// Adds `name: range` to `project/package.json`'s dependencies (making
/// the file if there is none), as `npm install NAME` saves them.
fn save_dependencies(
    sandbox: &Sandbox,
    project: &str,
    saved: &[(String, String)],
) -> Result<(), InstallError> {
    let mut manifest = read_manifest(sandbox, project)?.unwrap_or_default();
    let dependencies = manifest
        .entry("dependencies")
        .or_insert_with(|| serde_json::json!({}));
    if let Some(dependencies) = dependencies.as_object_mut() {
        for (name, range) in saved {
            dependencies.insert(name.clone(), serde_json::Value::String(range.clone()));
        }
    }
    write_manifest(sandbox, project, &manifest)
}

fn forget_dependencies(
    sandbox: &Sandbox,
    project: &str,
    names: &[String],
) -> Result<(), InstallError> {
    let Some(mut manifest) = read_manifest(sandbox, project)? else {
        return Ok(());
    };
    if let Some(dependencies) = manifest
        .get_mut("dependencies")
        .and_then(|d| d.as_object_mut())
    {
        for name in names {
            dependencies.remove(name);
        }
    }
    write_manifest(sandbox, project, &manifest)
}

fn write_manifest(
    sandbox: &Sandbox,
    project: &str,
    manifest: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), InstallError> {
    let mut text = serde_json::to_string_pretty(manifest).unwrap_or_default();
    text.push('\n');
    sandbox
        .write_file(&join(project, "package.json"), text.as_bytes())
        .map_err(|e| InstallError::Limit(format!("npm error cannot write package.json: {e}")))
}

/// The packages already in `project/node_modules`, by place.
fn scan(sandbox: &Sandbox, project: &str) -> Tree {
    let mut tree = Tree::default();
    let mut pending = vec![(String::new(), 0usize)];
    while let Some((dependent, depth)) = pending.pop() {
        if depth > MAX_SCAN_DEPTH || tree.placed.len() >= MAX_SCANNED {
            continue;
        }
        let modules = if dependent.is_empty() {
            "node_modules".to_owned()
        } else {
            format!("{dependent}/node_modules")
        };
        for name in package_names(sandbox, &join(project, &modules)) {
            let place = layout::place(&dependent, &name);
            let Ok(Some(manifest)) = read_manifest(sandbox, &join(project, &place)) else {
                continue;
            };
            let version = manifest
                .get("version")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned();
            tree.placed.insert(
                place.clone(),
                Placed {
                    name,
                    version,
                    manifest: None,
                },
            );
            pending.push((place, depth + 1));
        }
    }
    tree
}

/// The package names in a `node_modules` directory (scopes opened).
fn package_names(sandbox: &Sandbox, dir: &str) -> Vec<String> {
    let entries = |dir: &str| -> Vec<String> {
        let Ok(relative) = crate::sandbox::relative_path(dir) else {
            return Vec::new();
        };
        sandbox
            .dir()
            .read_dir(&relative)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .take(MAX_SCANNED)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut names = Vec::new();
    for entry in entries(dir) {
        if entry.starts_with('@') {
            names.extend(
                entries(&format!("{dir}/{entry}"))
                    .into_iter()
                    .map(|inner| format!("{entry}/{inner}")),
            );
        } else if !entry.starts_with('.') {
            names.push(entry);
        }
    }
    names
}

/// `project/path`, for a project that may be the sandbox's root.
fn join(project: &str, path: &str) -> String {
    let project = project.trim_matches('/');
    if project.is_empty() {
        path.to_owned()
    } else {
        format!("{project}/{path}")
    }
}

fn remove_dir(sandbox: &Sandbox, dir: &str) -> Result<(), InstallError> {
    let relative =
        crate::sandbox::relative_path(dir).map_err(|e| InstallError::Internal(e.to_string()))?;
    crate::sandbox::remove_tree(sandbox.dir(), &relative)
        .map_err(|e| InstallError::Internal(format!("npm error cannot remove {dir}: {e}")))?;
    sandbox.quota().mark_stale();
    Ok(())
}
