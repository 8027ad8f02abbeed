//! The runtimes Piston's clients see: our languages under Piston's names,
//! with semver versions, and how a `language` and `version` pick one.

use nodejs_semver::{Range, Version};
use serde::Serialize;

use crate::language::Language;

/// One entry of `GET /api/v2/runtimes`, as Piston lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(in crate::server) struct PistonRuntime {
    pub language: &'static str,
    /// A semver version: what `version` ranges are matched against.
    pub version: &'static str,
    pub aliases: Vec<&'static str>,
    /// What runs it, where Piston names one (`node`, `gcc`); ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<&'static str>,
}

/// Piston's name, our version as semver, Piston's own aliases, and the
/// runtime named in the list, per language. JavaScript's version is
/// QuickJS-ng's, C's and C++'s clang's (Piston lists node's and gcc's);
/// TypeScript's is the syntax it accepts (types are stripped, not
/// checked).
fn piston_names(
    language: Language,
) -> (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
) {
    match language {
        Language::Python => ("python", "3.15.0", &["py", "py3", "python3"], None),
        Language::JavaScript => (
            "javascript",
            "0.16.2",
            &["node-javascript", "node-js", "js"],
            Some("quickjs"),
        ),
        Language::TypeScript => ("typescript", "5.0.0", &["ts", "node-ts", "tsc"], None),
        Language::C => ("c", "22.0.0", &["gcc"], Some("clang")),
        Language::Cpp => ("c++", "22.0.0", &["cpp", "g++", "cxx"], Some("clang")),
    }
}

/// Every runtime, as `GET /api/v2/runtimes` lists them.
pub(super) fn all() -> Vec<PistonRuntime> {
    Language::ALL.into_iter().map(runtime).collect()
}

fn runtime(language: Language) -> PistonRuntime {
    let (name, version, aliases, runtime) = piston_names(language);
    let mut all_aliases: Vec<&'static str> = aliases.to_vec();
    for alias in language.info().aliases {
        if !all_aliases.contains(alias) && *alias != name {
            all_aliases.push(alias);
        }
    }
    PistonRuntime {
        language: name,
        version,
        aliases: all_aliases,
        runtime,
    }
}

/// The language a request's `language` (a name or an alias) and
/// `version` (a version or a semver range, `*` for any) name, with its
/// runtime's entry; `None` when none matches, which Piston calls an
/// unknown runtime.
pub(super) fn find(language: &str, version: &str) -> Option<(Language, PistonRuntime)> {
    let range = Range::parse(version).ok()?;
    Language::ALL.into_iter().find_map(|candidate| {
        let entry = runtime(candidate);
        let named = entry.language == language || entry.aliases.contains(&language);
        let matches = Version::parse(entry.version).is_ok_and(|v| range.satisfies(&v));
        (named && matches).then_some((candidate, entry))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_and_ranges_pick_a_runtime() {
        assert_eq!(find("python", "*").map(|f| f.0), Some(Language::Python));
        assert_eq!(find("py3", "3.x").map(|f| f.0), Some(Language::Python));
        assert_eq!(find("cpp", "22.0.0").map(|f| f.0), Some(Language::Cpp));
        assert_eq!(find("g++", ">=10").map(|f| f.0), Some(Language::Cpp));
        assert_eq!(
            find("javascript", "*").map(|f| f.0),
            Some(Language::JavaScript)
        );
        assert!(find("python", "2.7.18").is_none());
        assert!(find("cobol", "*").is_none());
        assert!(find("python", "not a range ((").is_none());
    }

    #[test]
    fn every_version_is_semver() {
        for entry in all() {
            assert!(Version::parse(entry.version).is_ok(), "{}", entry.version);
        }
    }
}
