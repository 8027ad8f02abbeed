//! Programs of several source files (`g++ main.cpp util.cpp test.cpp -o
//! app`, or `files` beside `code`): each translation unit is compiled on
//! its own into an object, cached by its own inputs like a whole program
//! (its flags, its bytes, every header it read: see [`super::cache`]),
//! then all are linked. A test main compiled once serves every later build
//! with the same bytes; a change to one file recompiles that file only.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use super::{
    COMPILE_FLAGS, CompileInputs, CompileRequest, Compiled, Compiler, Dialect, MAX_SOURCE_BYTES,
    PARALLEL_STEPS, SCRATCH_OUTPUT, Scratch, compile_flags, link_inputs, looked_up, placing_failed,
    read_bounded, stopped, support,
};
use crate::engine::{CompileUnits, Outcome, Status};
use crate::sandbox::Sandbox;

/// Where a unit's object goes in its compile's `/tmp` (one compile per
/// scratch directory, so the name never varies and keys stay stable).
const UNIT_OBJECT: &str = "unit.o";

/// Whether a file is a C or C++ translation unit, by its extension.
pub fn is_unit(path: &str) -> bool {
    unit_dialect(path).is_some()
}

/// The front end a translation unit needs: `.c` is C, the C++ extensions
/// are C++ (as g++ and clang decide by extension).
pub fn unit_dialect(path: &str) -> Option<Dialect> {
    match Path::new(path).extension()?.to_str()? {
        "c" => Some(Dialect::C),
        "cpp" | "cc" | "cxx" | "c++" | "C" => Some(Dialect::Cxx),
        _ => None,
    }
}

/// One translation unit, compiled or found in the cache.
struct Object {
    bytes: Vec<u8>,
    diagnostics: String,
    cached: bool,
    took: Duration,
}

/// A failed step of a project's build, as the caller reports it.
type Failed = Box<Outcome>;

fn failed(status: Status, compile_output: String, message: Option<String>) -> Failed {
    let mut outcome = Outcome::failed(status, message.unwrap_or_default());
    outcome.message = outcome.message.filter(|m| !m.is_empty());
    outcome.compile_output = compile_output;
    Box::new(outcome)
}

fn internal(error: impl std::fmt::Display) -> Failed {
    failed(
        Status::InternalError,
        String::new(),
        Some(error.to_string()),
    )
}

impl Compiler {
    /// Compiles `request.source` and `request.units` one by one (two at a
    /// time), reusing cached objects, and links them into `request.output`.
    pub(super) async fn compile_project(
        &self,
        request: CompileRequest<'_>,
        user_flags: &[String],
    ) -> Result<Compiled, Failed> {
        let started = Instant::now();
        let _compile_slot = self.compiles.acquire().await.map_err(|_| {
            failed(
                Status::Cancelled,
                String::new(),
                Some("the server is shutting down".to_owned()),
            )
        })?;
        let mut sources = vec![request.source.to_owned()];
        sources.extend(request.units.iter().cloned());
        let builds: Vec<_> = sources
            .iter()
            .map(|unit| self.compile_unit(request.dialect, request.sandbox, unit, user_flags))
            .collect();
        let objects: Vec<Result<Object, Failed>> = futures_util::stream::iter(builds)
            .buffered(PARALLEL_STEPS)
            .collect()
            .await;
        let objects: Vec<Object> = objects.into_iter().collect::<Result<_, _>>()?;
        let mut phases: Vec<(&'static str, Duration)> = objects
            .iter()
            .map(|object| {
                let phase = if object.cached {
                    "cached unit"
                } else {
                    "clang -cc1"
                };
                (phase, object.took)
            })
            .collect();
        // One C++ unit makes a C++ program: it links the C++ runtime.
        let link_dialect = if sources
            .iter()
            .any(|unit| unit_dialect(unit).unwrap_or(request.dialect) == Dialect::Cxx)
        {
            Dialect::Cxx
        } else {
            Dialect::C
        };
        let linking = Instant::now();
        let wasm = self.link(link_dialect, request.sandbox, &objects).await?;
        phases.push(("wasm-ld", linking.elapsed()));
        let mut mark = request.sandbox.quota().change_mark();
        request
            .sandbox
            .write_compiled(request.output, &wasm, &mut mark)
            .map_err(placing_failed)?;
        let translating = Instant::now();
        let program = self
            .load_binary(wasm)
            .await
            .map_err(|e| internal(format!("{e:#}")))?;
        phases.push(("translate", translating.elapsed()));
        tracing::debug!(elapsed = ?started.elapsed(), ?phases, "compiled a project");
        Ok(Compiled {
            program,
            diagnostics: objects.iter().map(|o| o.diagnostics.as_str()).collect(),
            cached: objects.iter().all(|o| o.cached),
            units: CompileUnits {
                total: objects.len(),
                cached: objects.iter().filter(|o| o.cached).count(),
            },
            phases,
        })
    }

    /// One translation unit's object: from the cache, or compiled now and
    /// cached.
    async fn compile_unit(
        &self,
        program_dialect: Dialect,
        sandbox: &Sandbox,
        unit: &str,
        user_flags: &[String],
    ) -> Result<Object, Failed> {
        let started = Instant::now();
        let dialect = unit_dialect(unit).unwrap_or(program_dialect);
        let unchanged_mark = sandbox.quota().change_mark();
        let source = sandbox
            .read_file(unit, MAX_SOURCE_BYTES)
            .map_err(|e| failed(Status::CompileError, e.to_string(), None))?;
        let source_path = format!("/{}", unit.trim_start_matches('/'));
        let mut args = compile_flags(dialect, user_flags, &String::from_utf8_lossy(&source));
        args.extend([
            "-c".to_owned(),
            source_path.clone(),
            "-o".to_owned(),
            format!("/tmp/{UNIT_OBJECT}"),
        ]);
        let manifest = self.manifest_key(dialect, &args, &source_path, &source);
        if let Some(found) = self
            .cached(manifest.as_deref(), sandbox, &source_path)
            .await
        {
            return Ok(Object {
                bytes: found.wasm,
                diagnostics: found.diagnostics,
                cached: true,
                took: started.elapsed(),
            });
        }
        let scratch = Scratch::new(self, sandbox).map_err(internal)?;
        let steps = scratch
            .toolchain
            .plan(dialect.driver(), &args)
            .await
            .map_err(|e| failed(Status::CompileError, format!("{e:#}"), None))?;
        let outcomes = scratch
            .toolchain
            .run_plan(&steps, 1)
            .await
            .map_err(|failure| {
                let (diagnostics, message) = stopped(failure.outcome, dialect, user_flags);
                failed(Status::CompileError, diagnostics, message)
            })?;
        let diagnostics: String = outcomes.iter().map(Outcome::stderr_lossy).collect();
        let bytes = read_bounded(&scratch.dir, UNIT_OBJECT).map_err(internal)?;
        if let (Some(manifest), Some(looked_up)) = (manifest, looked_up(&outcomes)) {
            let inputs = CompileInputs {
                source_path,
                looked_up,
                unchanged_mark,
            };
            self.remember(
                manifest,
                sandbox,
                inputs,
                bytes.clone(),
                diagnostics.clone(),
            )
            .await;
        }
        Ok(Object {
            bytes,
            diagnostics,
            cached: false,
            took: started.elapsed(),
        })
    }

    /// Links the objects, with our start-up objects and libraries, into a
    /// program.
    async fn link(
        &self,
        dialect: Dialect,
        sandbox: &Sandbox,
        objects: &[Object],
    ) -> Result<Vec<u8>, Failed> {
        let scratch = Scratch::new(self, sandbox).map_err(internal)?;
        let mut args = vec![COMPILE_FLAGS[0].to_owned()];
        for (index, object) in objects.iter().enumerate() {
            let name = format!("u{index}.o");
            scratch.dir.write(&name, &object.bytes).map_err(internal)?;
            args.push(format!("/tmp/{name}"));
        }
        if dialect == Dialect::Cxx {
            args.extend(support::EXCEPTION_FLAGS.iter().map(|f| f.to_string()));
        }
        args.extend(link_inputs(dialect));
        args.extend(["-o".to_owned(), format!("/tmp/{SCRATCH_OUTPUT}")]);
        let steps = scratch
            .toolchain
            .plan(dialect.driver(), &args)
            .await
            .map_err(|e| failed(Status::CompileError, format!("{e:#}"), None))?;
        scratch
            .toolchain
            .run_plan(&steps, 1)
            .await
            .map_err(|failure| {
                let (diagnostics, message) = stopped(failure.outcome, dialect, &[]);
                failed(Status::CompileError, diagnostics, message)
            })?;
        read_bounded(&scratch.dir, SCRATCH_OUTPUT).map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_c_and_cpp_sources_by_extension() {
        assert_eq!(unit_dialect("main.c"), Some(Dialect::C));
        for cpp in ["a.cpp", "src/b.cc", "c.cxx", "d.c++", "E.C"] {
            assert_eq!(unit_dialect(cpp), Some(Dialect::Cxx), "{cpp}");
        }
        for not in ["catch.hpp", "util.h", "notes.txt", "Makefile", "c"] {
            assert!(!is_unit(not), "{not}");
        }
    }
}
