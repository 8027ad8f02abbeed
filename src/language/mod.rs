//! The languages polyrun runs, behind one enum.
//!
//! Each language lives in its own file and knows its names, its version, the
//! extension of its source files, and how to turn a source file that is
//! already in the sandbox into a [`RunSpec`] for the engine.

mod c;
mod cpp;
mod javascript;
mod node;
mod python;
mod typescript;

use std::fmt;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::compile::{CompileRequest, Compiler, Dialect};
use crate::engine::{Engine, Limits, Mount, Outcome, OutputChunk, Program, RunSpec, Status, Stdin};
use crate::runtimes::RuntimeDir;
use crate::sandbox::Sandbox;

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
    TypeScript,
    C,
    Cpp,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::C,
        Language::Cpp,
    ];

    pub fn info(self) -> &'static LanguageInfo {
        match self {
            Language::Python => &python::INFO,
            Language::JavaScript => &javascript::INFO,
            Language::TypeScript => &typescript::INFO,
            Language::C => &c::INFO,
            Language::Cpp => &cpp::INFO,
        }
    }

    /// The C-family dialect, for languages compiled by clang.
    fn dialect(self) -> Option<Dialect> {
        match self {
            Language::C => Some(Dialect::C),
            Language::Cpp => Some(Dialect::Cxx),
            Language::Python | Language::JavaScript | Language::TypeScript => None,
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

    /// The guest program and argv (with argv[0]) that run `script`, for
    /// interpreted languages.
    fn interpreter_command(self, script: &str, args: &[String]) -> Option<(Program, Vec<String>)> {
        match self {
            Language::Python => Some(python::command(script, args)),
            Language::JavaScript => Some(javascript::command(script, args)),
            Language::TypeScript | Language::C | Language::Cpp => None,
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
    /// Compiler flags, for C and C++ (checked against an allowlist).
    pub flags: Vec<String>,
    pub stdin: Stdin,
    pub limits: Limits,
    pub output: Option<UnboundedSender<OutputChunk>>,
}

/// Runs source files: the engine, plus the compiler for C and C++.
pub struct Runner {
    engine: Arc<Engine>,
    compiler: Compiler,
    node: node::NodeSupport,
}

impl Runner {
    pub fn new(engine: Arc<Engine>, runtimes: RuntimeDir) -> anyhow::Result<Self> {
        let compiler = Compiler::new(engine.clone(), runtimes);
        let node = node::NodeSupport::new()
            .map_err(|e| anyhow::anyhow!("cannot write the Node.js support files: {e}"))?;
        Ok(Self {
            engine,
            compiler,
            node,
        })
    }

    /// Runs a source file in its sandbox, mounted as the guest's `/`,
    /// compiling or transpiling it first when the language needs it.
    pub async fn run_file(&self, request: RunFile<'_>) -> Outcome {
        let language = request.language;
        let prepared = match self.prepare(&request).await {
            Ok(prepared) => prepared,
            Err(outcome) => return *outcome,
        };
        let mut mounts = vec![Mount::read_write(request.sandbox.host_path(), "/")];
        mounts.extend(prepared.mounts);
        if matches!(language, Language::JavaScript | Language::TypeScript) {
            self.node.prepare(&self.engine).await;
            mounts.push(Mount::read_only(self.node.path(), node::MOUNT));
        }
        let mut outcome = self
            .engine
            .run(RunSpec {
                program: prepared.program,
                args: prepared.args,
                env: language.env(),
                mounts,
                stdin: request.stdin,
                limits: request.limits,
                output: request.output,
            })
            .await;
        outcome.compile_output = prepared.compile_output;
        outcome
    }

    /// Turns the source into something the engine can run.
    async fn prepare(&self, request: &RunFile<'_>) -> Result<Prepared, Box<Outcome>> {
        let language = request.language;
        if language.dialect().is_none() && !request.flags.is_empty() {
            return Err(Box::new(Outcome::failed(
                Status::CompileError,
                format!("{language} takes no compiler flags; they apply to C and C++"),
            )));
        }
        if let Some((program, args)) = language.interpreter_command(&request.script, &request.args)
        {
            return Ok(Prepared::new(program, args));
        }
        if language == Language::TypeScript {
            let transpiled =
                typescript::prepare(request.sandbox, &request.script).map_err(|diagnostics| {
                    let mut outcome =
                        Outcome::failed(Status::CompileError, "TypeScript did not compile");
                    outcome.compile_output = diagnostics;
                    Box::new(outcome)
                })?;
            let (program, args) = javascript::module_command(&transpiled.entry, &request.args);
            let mut prepared = Prepared::new(program, args);
            prepared
                .mounts
                .push(Mount::read_only(transpiled.dir.path(), typescript::MOUNT));
            prepared.scratch = Some(transpiled.dir);
            return Ok(prepared);
        }
        let Some(dialect) = language.dialect() else {
            return Err(Box::new(Outcome::failed(
                Status::InternalError,
                "no way to run this language",
            )));
        };
        let output = binary_name(&request.script);
        let compiled = self
            .compiler
            .compile(CompileRequest {
                dialect,
                sandbox: request.sandbox,
                source: &request.script,
                output: &output,
                flags: &request.flags,
            })
            .await?;
        let mut args = vec![format!("./{output}")];
        args.extend(request.args.iter().cloned());
        let mut prepared = Prepared::new(Program::Compiled(compiled.program), args);
        prepared.compile_output = compiled.diagnostics;
        Ok(prepared)
    }
}

/// A program ready for the engine, with what it needs mounted.
struct Prepared {
    program: Program,
    args: Vec<String>,
    mounts: Vec<Mount>,
    compile_output: String,
    /// Generated files that must outlive the run.
    scratch: Option<tempfile::TempDir>,
}

impl Prepared {
    fn new(program: Program, args: Vec<String>) -> Self {
        Self {
            program,
            args,
            mounts: Vec::new(),
            compile_output: String::new(),
            scratch: None,
        }
    }
}

/// Where a compiled program goes: the source's path without its extension,
/// as `cc main.c -o main` would have it.
fn binary_name(script: &str) -> String {
    match script.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() && !stem.ends_with('/') => stem.to_owned(),
        _ => format!("{script}.out"),
    }
}
