//! The languages polyrun runs, behind one enum.
//!
//! Each language lives in its own file and knows its names, its version, the
//! extension of its source files, and how to turn a source file that is
//! already in the sandbox into a [`RunSpec`] for the engine.

mod javascript;
mod python;

use std::fmt;

use crate::engine::{Engine, Limits, Mount, Outcome, OutputChunk, Program, RunSpec, Stdin};
use crate::sandbox::Sandbox;
use tokio::sync::mpsc::UnboundedSender;

/// Static facts about a language, as `polyrun languages` and `/runtimes`
/// show them.
#[derive(Debug, serde::Serialize)]
pub struct LanguageInfo {
    /// Canonical name, as used in `POST /run/{language}`.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// What actually runs it.
    pub runtime: &'static str,
    pub version: &'static str,
    /// Source file extension, without the dot.
    pub extension: &'static str,
    pub notes: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Python,
    JavaScript,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Python, Language::JavaScript];

    pub fn info(self) -> &'static LanguageInfo {
        match self {
            Language::Python => &python::INFO,
            Language::JavaScript => &javascript::INFO,
        }
    }

    /// Looks a language up by name or alias, ignoring case.
    pub fn from_name(name: &str) -> Option<Language> {
        Self::ALL.into_iter().find(|language| {
            let info = language.info();
            info.name.eq_ignore_ascii_case(name)
                || info.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// Every accepted name, for error messages.
    pub fn all_names() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .flat_map(|l| std::iter::once(l.info().name).chain(l.info().aliases.iter().copied()))
            .collect()
    }

    /// The guest program and argv (with argv[0]) that run `script`.
    fn command(self, script: &str, args: &[String]) -> (Program, Vec<String>) {
        match self {
            Language::Python => python::command(script, args),
            Language::JavaScript => javascript::command(script, args),
        }
    }

    fn env(self) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOME".to_owned(), "/".to_owned()),
            ("PWD".to_owned(), "/".to_owned()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
        ];
        if self == Language::Python {
            env.extend(
                python::ENV
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        }
        env
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().name)
    }
}

/// A request to run a source file that is already in a sandbox.
pub struct RunFile<'a> {
    pub language: Language,
    pub sandbox: &'a Sandbox,
    /// Path of the source inside the sandbox, relative to its root.
    pub script: String,
    pub args: Vec<String>,
    pub stdin: Stdin,
    pub limits: Limits,
    pub output: Option<UnboundedSender<OutputChunk>>,
}

/// Runs a source file in its sandbox, mounted as the guest's `/`.
pub async fn run_file(engine: &Engine, request: RunFile<'_>) -> Outcome {
    let (program, args) = request.language.command(&request.script, &request.args);
    engine
        .run(RunSpec {
            program,
            args,
            env: request.language.env(),
            mounts: vec![Mount::read_write(request.sandbox.host_path(), "/")],
            stdin: request.stdin,
            limits: request.limits,
            output: request.output,
        })
        .await
}
