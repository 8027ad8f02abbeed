//! Where each package goes in `node_modules`, as npm lays it out: every
//! dependency as high as it can go (the top level) unless a different
//! version already holds that name on its way up, in which case it nests
//! under the package that needs it. Node's resolution (the nearest
//! `node_modules` up the tree) then finds, for every package, a version
//! its range accepts.

use std::collections::BTreeMap;

use nodejs_semver::{Range, Version};

use super::registry::{Manifest, Packument};
use crate::packages::InstallError;

/// The packages of a tree, by where they are (`node_modules/a`,
/// `node_modules/a/node_modules/b`), with their versions.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub placed: BTreeMap<String, Placed>,
}

/// One package in the tree.
#[derive(Debug, Clone)]
pub struct Placed {
    pub name: String,
    pub version: String,
    /// `None` for what was already installed.
    pub manifest: Option<Manifest>,
}

/// A requirement: `name@spec`, as `npm install` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub name: String,
    /// A semver range or a dist-tag (`latest` when none was given).
    pub range: String,
}

impl Spec {
    /// Parses `lodash`, `lodash@4`, `@scope/pkg@^1.2`.
    pub fn parse(text: &str) -> Result<Self, InstallError> {
        let text = text.trim();
        let split = if let Some(scoped) = text.strip_prefix('@') {
            scoped.find('@').map(|at| at + 1)
        } else {
            text.find('@')
        };
        let (name, range) = match split {
            Some(at) => (&text[..at], &text[at + 1..]),
            None => (text, "latest"),
        };
        if !super::registry::is_valid_name(name) {
            return Err(InstallError::BadRequest(format!(
                "npm error Invalid package name \"{name}\""
            )));
        }
        Ok(Self {
            name: name.to_owned(),
            range: if range.is_empty() {
                "latest".into()
            } else {
                range.to_owned()
            },
        })
    }
}

/// The version of `packument` that `range` picks, as npm picks: the
/// `latest` tag when the range accepts it, else the highest it accepts;
/// a dist-tag names its version.
pub fn choose(packument: &Packument, spec: &Spec) -> Result<Manifest, InstallError> {
    let not_registry = [
        "git", "http:", "https:", "file:", "npm:", "link:", "github:",
    ];
    if not_registry
        .iter()
        .any(|prefix| spec.range.starts_with(prefix))
        || spec.range.contains('/')
    {
        return Err(InstallError::BadRequest(format!(
            "npm error {}@{}: only versions from the registry can be installed here",
            spec.name, spec.range
        )));
    }
    let by_tag = packument.dist_tags.get(&spec.range);
    let chosen = match by_tag {
        Some(version) => Some(version.clone()),
        None => {
            let range = Range::parse(&spec.range).map_err(|_| {
                InstallError::BadRequest(format!(
                    "npm error Invalid version range \"{}\" for {}",
                    spec.range, spec.name
                ))
            })?;
            let latest = packument
                .dist_tags
                .get("latest")
                .and_then(|latest| Version::parse(latest).ok())
                .filter(|latest| range.satisfies(latest));
            latest.map(|v| v.to_string()).or_else(|| {
                packument
                    .versions
                    .keys()
                    .filter_map(|v| Version::parse(v).ok())
                    .filter(|v| range.satisfies(v))
                    .max()
                    .map(|v| v.to_string())
            })
        }
    };
    chosen
        .and_then(|version| packument.versions.get(&version).cloned())
        .ok_or_else(|| {
            InstallError::Unresolvable(format!(
                "npm error code ETARGET\nnpm error notarget No matching version found for {}@{}.",
                spec.name, spec.range
            ))
        })
}

impl Tree {
    /// The package `name` as `dependent` (a package's place, `""` for the
    /// project) would find it: the nearest `node_modules/name` up the tree.
    pub fn visible(&self, dependent: &str, name: &str) -> Option<(&str, &Placed)> {
        ancestors(dependent).into_iter().find_map(|ancestor| {
            let key = place(&ancestor, name);
            self.placed
                .get_key_value(&key)
                .map(|(key, placed)| (key.as_str(), placed))
        })
    }

    /// Where a package `dependent` needs goes: `None` when the version it
    /// would find already fits `range`; else as high as it can go.
    pub fn place_for(&self, dependent: &str, name: &str, range: &str) -> Option<String> {
        match self.visible(dependent, name) {
            Some((_, placed)) if fits(&placed.version, range) => None,
            Some(_) => Some(place(dependent, name)),
            None => Some(place("", name)),
        }
    }
}

/// Whether `version` is one `range` (or dist-tag) accepts; a tag is
/// taken as met by what is there, as npm keeps an installed `latest`.
pub fn fits(version: &str, range: &str) -> bool {
    match (Version::parse(version), Range::parse(range)) {
        (Ok(version), Ok(range)) => range.satisfies(&version),
        _ => range == "latest",
    }
}

/// `node_modules/name` under `dependent`'s place.
pub fn place(dependent: &str, name: &str) -> String {
    if dependent.is_empty() {
        format!("node_modules/{name}")
    } else {
        format!("{dependent}/node_modules/{name}")
    }
}

/// `dependent` and every place above it, nearest first, ending with the
/// project (`""`).
fn ancestors(dependent: &str) -> Vec<String> {
    let mut found = vec![dependent.to_owned()];
    let mut rest = dependent;
    while let Some(at) = rest.rfind("/node_modules/") {
        rest = &rest[..at];
        found.push(rest.to_owned());
    }
    if !dependent.is_empty() {
        found.push(String::new());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::default();
        for (path, version) in entries {
            let name = path.rsplit("node_modules/").next().unwrap().to_owned();
            tree.placed.insert(
                (*path).to_owned(),
                Placed {
                    name,
                    version: (*version).to_owned(),
                    manifest: None,
                },
            );
        }
        tree
    }

    #[test]
    fn dependencies_go_as_high_as_they_can() {
        let tree = tree(&[
            ("node_modules/debug", "4.3.7"),
            ("node_modules/ms", "2.0.0"),
        ]);
        // debug needs ms ^2.1.3: the top level's 2.0.0 does not fit, so it nests.
        assert_eq!(
            tree.place_for("node_modules/debug", "ms", "^2.1.3")
                .as_deref(),
            Some("node_modules/debug/node_modules/ms")
        );
        assert_eq!(tree.place_for("node_modules/debug", "ms", "^2.0.0"), None);
        assert_eq!(
            tree.place_for("node_modules/debug", "lodash", "^4")
                .as_deref(),
            Some("node_modules/lodash")
        );
    }

    #[test]
    fn the_nearest_node_modules_wins() {
        let tree = tree(&[
            ("node_modules/ms", "2.0.0"),
            ("node_modules/a/node_modules/ms", "2.1.3"),
        ]);
        let (at, placed) = tree.visible("node_modules/a/node_modules/b", "ms").unwrap();
        assert_eq!(
            (at, placed.version.as_str()),
            ("node_modules/a/node_modules/ms", "2.1.3")
        );
        assert_eq!(tree.visible("", "ms").unwrap().1.version, "2.0.0");
    }

    #[test]
    fn specs_parse_as_npm_install_takes_them() {
        let spec = |text: &str| Spec::parse(text).map(|s| (s.name, s.range));
        assert_eq!(spec("lodash").unwrap(), ("lodash".into(), "latest".into()));
        assert_eq!(
            spec("dayjs@^1.11").unwrap(),
            ("dayjs".into(), "^1.11".into())
        );
        assert_eq!(
            spec("@types/node@20").unwrap(),
            ("@types/node".into(), "20".into())
        );
        assert!(Spec::parse("../evil").is_err());
    }

    #[test]
    fn versions_are_chosen_as_npm_chooses() {
        let packument: Packument = serde_json::from_value(serde_json::json!({
            "dist-tags": {"latest": "2.1.3", "next": "3.0.0-beta.1"},
            "versions": {
                "2.0.0": {"name": "ms", "version": "2.0.0", "dist": {"tarball": "t"}},
                "2.1.3": {"name": "ms", "version": "2.1.3", "dist": {"tarball": "t"}},
                "2.2.0": {"name": "ms", "version": "2.2.0", "dist": {"tarball": "t"}},
                "3.0.0-beta.1": {"name": "ms", "version": "3.0.0-beta.1", "dist": {"tarball": "t"}}
            }
        }))
        .unwrap();
        let version = |range: &str| {
            choose(
                &packument,
                &Spec {
                    name: "ms".into(),
                    range: range.into(),
                },
            )
            .map(|m| m.version)
        };
        assert_eq!(version("latest").unwrap(), "2.1.3");
        assert_eq!(version("^2").unwrap(), "2.1.3", "latest wins while it fits");
        assert_eq!(version(">2.1.3").unwrap(), "2.2.0");
        assert_eq!(version("next").unwrap(), "3.0.0-beta.1");
        assert!(
            version("^5")
                .unwrap_err()
                .to_string()
                .contains("No matching version found for ms@^5")
        );
        assert!(version("git+https://x/y.git").is_err());
    }
}
