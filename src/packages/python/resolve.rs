//! Resolution: which version of each package to install, by PubGrub over
//! what the index offers, with PEP 508 markers evaluated for this
//! interpreter and conflicts explained as uv explains them.
//!
//! PubGrub asks synchronously; the index answers over the network. So the
//! provider works from a [`Catalog`] of what is known so far, and stops
//! with [`Missing`] when it needs a project's files or a version's
//! metadata. The installer fetches that and resolves again: each round
//! is cheap next to a fetch, and one install needs at most as many rounds
//! as it has packages and versions tried.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr as _;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement, VersionOrUrl,
};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics,
    PubGrubError, Ranges,
};

use super::index::IndexFile;

/// What PubGrub decides about: the request itself, a distribution, or a
/// distribution with one of its extras (which depends on the distribution
/// at the same version, as uv models them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Root,
    Dist(PackageName),
    Extra(PackageName, ExtraName),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Root => write!(f, "your request"),
            Node::Dist(name) => write!(f, "{name}"),
            Node::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}

/// Where a candidate version comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Part of the runtime: satisfies requirements, is never fetched,
    /// and its own dependencies are the runtime's business.
    Preinstalled,
    /// Already in the sandbox's site-packages.
    Installed(Vec<Requirement>),
    /// A pure-Python wheel on the index.
    Wheel(IndexFile),
}

/// One project's usable versions, and why others were not.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub versions: BTreeMap<Version, Source>,
    /// Files the index has that this interpreter cannot use, for the
    /// error when nothing else is left (`rich-1.0.tar.gz`, a manylinux wheel).
    pub unusable: Vec<String>,
}

/// What is known so far: projects' files and versions' requirements.
#[derive(Debug, Default)]
pub struct Catalog {
    pub projects: HashMap<PackageName, Project>,
    pub metadata: HashMap<(PackageName, Version), Vec<Requirement>>,
}

/// What the provider needs before it can go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Project(PackageName),
    Metadata(PackageName, Version),
}

/// Why resolution stopped without an answer.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    #[error("needs more from the index")]
    Missing(Missing),
    #[error("{0} is not allowed")]
    NotAllowed(PackageName),
}

/// The interpreter every install is for: CPython 3.15 on WASI, as its
/// own `platform` and `sys` report it (a test checks the guest agrees).
pub fn environment() -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.15.0",
        os_name: "posix",
        platform_machine: "wasm32",
        platform_python_implementation: "CPython",
        platform_release: "0.0.0",
        platform_system: "wasi",
        platform_version: "0.0.0",
        python_full_version: "3.15.0",
        python_version: "3.15",
        sys_platform: "wasi",
    })
    .expect("valid versions")
}

/// The Python version `Requires-Python` is checked against.
pub fn python_version() -> Version {
    Version::new([3, 15, 0])
}

/// Whether a file's `Requires-Python` admits this interpreter (files
/// whose specifier does not parse are skipped, as pip skips them).
pub fn admits_this_python(requires_python: Option<&str>) -> bool {
    requires_python.is_none_or(|spec| {
        VersionSpecifiers::from_str(spec).is_ok_and(|specs| specs.contains(&python_version()))
    })
}

/// The version range a requirement asks for.
pub fn range_of(requirement: &Requirement) -> Ranges<Version> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => Ranges::from(specifiers.clone()),
        _ => Ranges::full(),
    }
}

/// PubGrub's view of a [`Catalog`].
pub struct Provider<'c> {
    pub catalog: &'c Catalog,
    pub requested: &'c [Requirement],
    pub environment: &'c MarkerEnvironment,
    pub allowed: &'c (dyn Fn(&PackageName) -> bool + Sync),
}

/// A finished resolution: each distribution's chosen version.
pub type Resolution = Vec<(PackageName, Version)>;

/// Resolves the request over the catalog: the chosen versions, or what
/// to fetch first, or the explanation of a conflict.
pub fn resolve(provider: &Provider<'_>) -> Result<Resolution, Outcome> {
    match pubgrub::resolve(provider, Node::Root, Version::new([0])) {
        Ok(selected) => Ok(selected
            .into_iter()
            .filter_map(|(node, version)| match node {
                Node::Dist(name) => Some((name, version)),
                _ => None,
            })
            .collect()),
        Err(PubGrubError::NoSolution(tree)) => Err(Outcome::Conflict(explain(&tree))),
        Err(PubGrubError::ErrorRetrievingDependencies { source, .. })
        | Err(PubGrubError::ErrorChoosingVersion { source, .. })
        | Err(PubGrubError::ErrorInShouldCancel(source)) => Err(Outcome::Stopped(source)),
    }
}

/// Why [`resolve`] gave no resolution.
#[derive(Debug)]
pub enum Outcome {
    Stopped(Stop),
    Conflict(String),
}

/// PubGrub's explanation, worded for the user: the request is the root
/// package, whose one version (0) means nothing to them.
fn explain(tree: &pubgrub::DerivationTree<Node, Ranges<Version>, String>) -> String {
    use pubgrub::Reporter as _;
    let report = pubgrub::DefaultStringReporter::report(tree)
        .replace(
            "your request 0 is forbidden",
            "your requirements are unsatisfiable",
        )
        .replace("your request 0 ", "your request ");
    let lines: Vec<String> = report.lines().map(|line| format!("  {line}")).collect();
    format!(
        "× No solution found when resolving dependencies:\n{}",
        lines.join("\n")
    )
}

impl Provider<'_> {
    fn project(&self, name: &PackageName) -> Result<&Project, Stop> {
        if !(self.allowed)(name) {
            return Err(Stop::NotAllowed(name.clone()));
        }
        self.catalog
            .projects
            .get(name)
            .ok_or_else(|| Stop::Missing(Missing::Project(name.clone())))
    }

    fn constraints<'r>(
        &self,
        requirements: impl IntoIterator<Item = &'r Requirement>,
        extras: &[ExtraName],
    ) -> DependencyConstraints<Node, Ranges<Version>> {
        let mut ranges: Vec<(Node, Ranges<Version>)> = Vec::new();
        for requirement in requirements {
            if !requirement.marker.evaluate(self.environment, extras) {
                continue;
            }
            let range = range_of(requirement);
            let mut add = |node: Node| match ranges.iter_mut().find(|(known, _)| *known == node) {
                Some((_, known)) => *known = known.intersection(&range),
                None => ranges.push((node, range.clone())),
            };
            add(Node::Dist(requirement.name.clone()));
            for extra in &requirement.extras {
                add(Node::Extra(requirement.name.clone(), extra.clone()));
            }
        }
        ranges.into_iter().collect()
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Node;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Err = Stop;
    type Priority = (u32, std::cmp::Reverse<usize>);

    fn prioritize(
        &self,
        package: &Node,
        range: &Ranges<Version>,
        statistics: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let name = match package {
            Node::Root => return (u32::MAX, std::cmp::Reverse(0)),
            Node::Dist(name) | Node::Extra(name, _) => name,
        };
        let choices = self.catalog.projects.get(name).map_or(0, |project| {
            project
                .versions
                .keys()
                .filter(|version| range.contains(version))
                .count()
        });
        (statistics.conflict_count(), std::cmp::Reverse(choices))
    }

    fn choose_version(
        &self,
        package: &Node,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, Stop> {
        let name = match package {
            Node::Root => return Ok(Some(Version::new([0]))),
            Node::Dist(name) | Node::Extra(name, _) => name,
        };
        let project = self.project(name)?;
        // What is already there wins while it fits; then the newest final
        // release; a pre-release only when nothing else fits.
        let fitting = || {
            project
                .versions
                .iter()
                .rev()
                .filter(|(version, _)| range.contains(version))
        };
        let present = fitting().find(|(_, source)| !matches!(source, Source::Wheel(_)));
        let release = fitting().find(|(version, _)| !version.any_prerelease());
        Ok(present
            .or(release)
            .or_else(|| fitting().next())
            .map(|(version, _)| version.clone()))
    }

    fn get_dependencies(
        &self,
        package: &Node,
        version: &Version,
    ) -> Result<Dependencies<Node, Ranges<Version>, String>, Stop> {
        let (name, extra) = match package {
            Node::Root => {
                return Ok(Dependencies::Available(
                    self.constraints(self.requested, &[]),
                ));
            }
            Node::Dist(name) => (name, None),
            Node::Extra(name, extra) => (name, Some(extra)),
        };
        let requirements = match self.project(name)?.versions.get(version) {
            Some(Source::Preinstalled) => &Vec::new(),
            Some(Source::Installed(requirements)) => requirements,
            _ => self
                .catalog
                .metadata
                .get(&(name.clone(), version.clone()))
                .ok_or_else(|| Stop::Missing(Missing::Metadata(name.clone(), version.clone())))?,
        };
        let Some(extra) = extra else {
            return Ok(Dependencies::Available(self.constraints(requirements, &[])));
        };
        let with_extra = std::slice::from_ref(extra);
        let mut constraints: Vec<(Node, Ranges<Version>)> = self
            .constraints(
                requirements
                    .iter()
                    .filter(|requirement| !requirement.marker.evaluate(self.environment, &[])),
                with_extra,
            )
            .iter()
            .cloned()
            .collect();
        constraints.push((Node::Dist(name.clone()), Ranges::singleton(version.clone())));
        Ok(Dependencies::Available(constraints.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> PackageName {
        PackageName::from_str(text).unwrap()
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    fn requirement(text: &str) -> Requirement {
        Requirement::from_str(text).unwrap()
    }

    fn wheel(project: &str, v: &str) -> Source {
        let filename = format!("{project}-{v}-py3-none-any.whl");
        Source::Wheel(IndexFile {
            url: reqwest::Url::parse(&format!("http://index.test/{filename}")).unwrap(),
            filename,
            sha256: Some("00".into()),
            requires_python: None,
            yanked: false,
            metadata: None,
        })
    }

    /// A catalog: (project, version, requirements); `"preinstalled"` as a
    /// requirement marks the version preinstalled.
    fn catalog(entries: &[(&str, &str, &[&str])]) -> Catalog {
        let mut catalog = Catalog::default();
        for (project, v, requirements) in entries {
            let source = if requirements.contains(&"preinstalled") {
                Source::Preinstalled
            } else {
                catalog.metadata.insert(
                    (name(project), version(v)),
                    requirements.iter().map(|r| requirement(r)).collect(),
                );
                wheel(project, v)
            };
            catalog
                .projects
                .entry(name(project))
                .or_default()
                .versions
                .insert(version(v), source);
        }
        catalog
    }

    fn run(catalog: &Catalog, request: &[&str]) -> Result<Vec<String>, Outcome> {
        let requested: Vec<Requirement> = request.iter().map(|r| requirement(r)).collect();
        let environment = environment();
        let provider = Provider {
            catalog,
            requested: &requested,
            environment: &environment,
            allowed: &|_| true,
        };
        let mut chosen: Vec<String> = resolve(&provider)?
            .into_iter()
            .map(|(name, version)| format!("{name}=={version}"))
            .collect();
        chosen.sort();
        Ok(chosen)
    }

    #[test]
    fn dependencies_resolve_to_the_newest_that_fit() {
        let catalog = catalog(&[
            (
                "rich",
                "13.9.4",
                &["markdown-it-py>=2.2.0", "pygments<3,>=2.13"],
            ),
            ("rich", "12.0.0", &["pygments<3"]),
            ("markdown-it-py", "3.0.0", &["mdurl~=0.1"]),
            ("mdurl", "0.1.2", &[]),
            ("pygments", "2.18.0", &[]),
            ("pygments", "3.0.0", &[]),
        ]);
        assert_eq!(
            run(&catalog, &["rich"]).unwrap(),
            [
                "markdown-it-py==3.0.0",
                "mdurl==0.1.2",
                "pygments==2.18.0",
                "rich==13.9.4"
            ]
        );
    }

    #[test]
    fn markers_and_extras_are_evaluated_for_this_interpreter() {
        let catalog = catalog(&[
            (
                "tool",
                "1.0",
                &[
                    "winonly; sys_platform == 'win32'",
                    "modern; python_version >= '3.10'",
                    "fancy; extra == 'fancy'",
                ],
            ),
            ("modern", "1.0", &[]),
            ("fancy", "2.0", &[]),
        ]);
        assert_eq!(
            run(&catalog, &["tool"]).unwrap(),
            ["modern==1.0", "tool==1.0"]
        );
        assert_eq!(
            run(&catalog, &["tool[fancy]"]).unwrap(),
            ["fancy==2.0", "modern==1.0", "tool==1.0"]
        );
    }

    #[test]
    fn preinstalled_versions_are_kept_and_conflicts_explained() {
        let catalog = catalog(&[
            ("numpy", "2.5.0", &["preinstalled"]),
            ("oldlib", "1.0", &["numpy<2"]),
        ]);
        assert_eq!(run(&catalog, &["numpy>=2"]).unwrap(), ["numpy==2.5.0"]);
        let Err(Outcome::Conflict(message)) = run(&catalog, &["oldlib"]) else {
            panic!("oldlib resolved");
        };
        assert!(message.starts_with("× No solution found"), "{message}");
        assert!(message.contains("numpy"), "{message}");
        assert!(message.contains("oldlib"), "{message}");
    }

    #[test]
    fn unknown_projects_are_asked_for() {
        let catalog = catalog(&[("a", "1.0", &["b"])]);
        let Err(Outcome::Stopped(Stop::Missing(missing))) = run(&catalog, &["a"]) else {
            panic!("resolved without b");
        };
        assert_eq!(missing, Missing::Project(name("b")));
    }

    #[test]
    fn requires_python_is_checked_against_3_15() {
        assert!(admits_this_python(Some(">=3.8")));
        assert!(!admits_this_python(Some("<3.10")));
        assert!(admits_this_python(None));
    }
}
