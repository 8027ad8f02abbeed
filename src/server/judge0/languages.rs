//! Judge0's language ids for the languages we run: Judge0 CE 1.13's ids of
//! C, C++, Python 3, JavaScript and TypeScript, each mapped to ours and
//! named with our version.

use serde::Serialize;

use crate::language::Language;

/// One id Judge0 clients send, and the language it runs here.
#[derive(Debug)]
pub(super) struct Judge0Language {
    pub id: u32,
    pub language: Language,
}

/// Judge0 CE 1.13's ids of the languages we run. Several of its ids name
/// one of ours (GCC 7.4, 8.3, 9.2 and Clang 7 are all clang 22 here).
pub(super) const LANGUAGES: [Judge0Language; 11] = [
    // Judge0: C (GCC 7.4.0)
    Judge0Language {
        id: 48,
        language: Language::C,
    },
    // Judge0: C (GCC 8.3.0)
    Judge0Language {
        id: 49,
        language: Language::C,
    },
    // Judge0: C (GCC 9.2.0)
    Judge0Language {
        id: 50,
        language: Language::C,
    },
    // Judge0: C (Clang 7.0.1)
    Judge0Language {
        id: 75,
        language: Language::C,
    },
    // Judge0: C++ (GCC 7.4.0)
    Judge0Language {
        id: 52,
        language: Language::Cpp,
    },
    // Judge0: C++ (GCC 8.3.0)
    Judge0Language {
        id: 53,
        language: Language::Cpp,
    },
    // Judge0: C++ (GCC 9.2.0)
    Judge0Language {
        id: 54,
        language: Language::Cpp,
    },
    // Judge0: C++ (Clang 7.0.1)
    Judge0Language {
        id: 76,
        language: Language::Cpp,
    },
    // Judge0: JavaScript (Node.js 12.14.0)
    Judge0Language {
        id: 63,
        language: Language::JavaScript,
    },
    // Judge0: Python (3.8.1)
    Judge0Language {
        id: 71,
        language: Language::Python,
    },
    // Judge0: TypeScript (3.7.4)
    Judge0Language {
        id: 74,
        language: Language::TypeScript,
    },
];

/// The language a Judge0 id names, if we run it.
pub(super) fn find(id: u32) -> Option<&'static Judge0Language> {
    LANGUAGES.iter().find(|entry| entry.id == id)
}

/// `GET /languages`: an id and a name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(in crate::server) struct LanguageSummary {
    id: u32,
    name: String,
}

/// `GET /languages/{id}`: the language in full, as Judge0 describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(in crate::server) struct LanguageDetail {
    id: u32,
    name: String,
    is_archived: bool,
    source_file: String,
    compile_cmd: Option<String>,
    run_cmd: String,
}

impl Judge0Language {
    /// Our name for it: the language, our version and what runs it
    /// (`C++ (C++20, clang 22 (WASI))`).
    pub fn name(&self) -> String {
        let info = self.language.info();
        let language = match self.language {
            Language::Python => "Python",
            Language::JavaScript => "JavaScript",
            Language::TypeScript => "TypeScript",
            Language::C => "C",
            Language::Cpp => "C++",
        };
        format!("{language} ({}, {})", info.version, info.runtime)
    }

    pub fn summary(&self) -> LanguageSummary {
        LanguageSummary {
            id: self.id,
            name: self.name(),
        }
    }

    pub fn detail(&self) -> LanguageDetail {
        let extension = self.language.info().extension;
        let source_file = format!("main.{extension}");
        let (compile_cmd, run_cmd) = match self.language {
            Language::C => (
                Some("clang -O2 -std=c17 main.c -o main.wasm"),
                "./main.wasm",
            ),
            Language::Cpp => (
                Some("clang++ -O2 -std=c++20 main.cpp -o main.wasm"),
                "./main.wasm",
            ),
            Language::TypeScript => (Some("oxc: strip types of main.ts"), "quickjs main.js"),
            Language::JavaScript => (None, "quickjs main.js"),
            Language::Python => (None, "python3 main.py"),
        };
        LanguageDetail {
            id: self.id,
            name: self.name(),
            is_archived: false,
            source_file,
            compile_cmd: compile_cmd.map(str::to_owned),
            run_cmd: run_cmd.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdks_ids_are_ours() {
        // judge0 (PyPI) maps its aliases to these ids for Judge0 1.13.1.
        for (id, language) in [
            (50, Language::C),
            (52, Language::Cpp),
            (71, Language::Python),
            (63, Language::JavaScript),
            (74, Language::TypeScript),
        ] {
            assert_eq!(find(id).map(|entry| entry.language), Some(language));
        }
        assert!(find(70).is_none(), "Python 2 is not run here");
        assert_eq!(
            find(71).unwrap().name(),
            "Python (3.15.0, CPython (WASI reactor, snapshot))"
        );
    }
}
