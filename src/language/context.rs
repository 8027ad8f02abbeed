//! Contexts' interpreters: how Python and JavaScript start a live instance
//! (see [`crate::engine::LiveInstance`]) and run a cell in it.
//!
//! A cell takes two turns. The first runs the code, its output captured as
//! a run's is; the second asks the interpreter for the cell's status and
//! the text of its last expression, as JSON on stdout, so that the value
//! never mixes with what the program printed.

use std::sync::Arc;

use serde::Deserialize;

use super::{Language, Runner, javascript, node, python};
use crate::engine::{Limits, LiveInstance, LiveSpec, MemoryPool, Mount, Outcome, Status};
use crate::runtimes::Runtime;
use crate::sandbox::Sandbox;

/// The value text a cell may have (the glue cuts it at 64 Ki characters,
/// which UTF-8 may make four times as many bytes), plus the JSON around it.
const MAX_REPORT_BYTES: usize = 320 * 1024;

/// What a cell did.
pub struct Cell {
    pub outcome: Outcome,
    /// The text of its last expression, as a notebook shows it.
    pub value: Option<String>,
    /// The interpreter, unless the cell ended it.
    pub instance: Option<LiveInstance>,
}

/// What the glue reports after a cell.
#[derive(Deserialize)]
struct CellReport {
    status: i32,
    value: Option<String>,
}

impl Runner {
    /// The linear memory a context of `language` starts with, when it has
    /// contexts: a memory limit below it cannot start one.
    pub fn context_start_bytes(&self, language: Language) -> Option<u64> {
        let runtime = match language {
            Language::Python => Runtime::Python,
            Language::JavaScript => Runtime::QuickJs,
            _ => return None,
        };
        self.engine.initial_memory_bytes(runtime)
    }

    /// Starts an interpreter over `sandbox` for a context.
    pub async fn start_context(
        &self,
        language: Language,
        sandbox: &Sandbox,
        limits: Limits,
        memory: Arc<MemoryPool>,
    ) -> Result<LiveInstance, Box<Outcome>> {
        let env = language.env("/", &[]);
        let disk = Some(sandbox.quota().clone());
        let (spec, glue) = match language {
            Language::Python => (
                LiveSpec {
                    runtime: Runtime::Python,
                    turn_export: "turn",
                    start_export: None,
                    args: vec!["python3".to_owned()],
                    env: env.clone(),
                    mounts: self.python.mounts(sandbox.host_path()),
                    limits,
                    disk,
                    memory,
                },
                python::context_start("/", &env),
            ),
            Language::JavaScript => (
                LiveSpec {
                    runtime: Runtime::QuickJs,
                    turn_export: javascript::CONTEXT_TURN_EXPORT,
                    start_export: Some(javascript::CONTEXT_START_EXPORT),
                    args: vec!["qjs".to_owned()],
                    env,
                    mounts: vec![
                        Mount::read_write(sandbox.host_path(), "/"),
                        Mount::read_only(self.node.path(), node::MOUNT),
                    ],
                    limits,
                    disk,
                    memory,
                },
                javascript::CONTEXT_GLUE.as_bytes().to_vec(),
            ),
            _ => {
                return Err(Box::new(Outcome::failed(
                    Status::CompileError,
                    format!("{language} has no contexts; python and javascript do"),
                )));
            }
        };
        let _slot = self.admit().await?;
        let live = self.engine.start_live(spec).await?;
        let started = self
            .engine
            .turn(live, glue, Vec::new(), limits.output_bytes)
            .await;
        match started.instance {
            Some(live) if started.outcome.status == Status::Ok => Ok(live),
            _ => Err(Box::new(started.outcome)),
        }
    }

    /// Runs one cell of `code` in a context's interpreter.
    pub async fn run_cell(
        &self,
        language: Language,
        live: LiveInstance,
        code: &str,
        stdin: Vec<u8>,
        output_bytes: usize,
    ) -> Cell {
        let (run, report) = match language {
            Language::Python => (python::context_run(code), python::CONTEXT_VALUE),
            _ => (javascript::context_run(code), javascript::CONTEXT_VALUE),
        };
        let _slot = match self.admit().await {
            Ok(slot) => slot,
            Err(outcome) => {
                return Cell {
                    outcome: *outcome,
                    value: None,
                    instance: Some(live),
                };
            }
        };
        let ran = self.engine.turn(live, run, stdin, output_bytes).await;
        let memory_refusal = ran.memory_refusal;
        let mut outcome = ran.outcome;
        let Some(live) = ran.instance else {
            crate::metrics::record_execution(language.info().name, &outcome);
            return Cell {
                outcome,
                value: None,
                instance: None,
            };
        };
        let asked = self
            .engine
            .turn(
                live,
                report.as_bytes().to_vec(),
                Vec::new(),
                MAX_REPORT_BYTES,
            )
            .await;
        let report = serde_json::from_slice::<CellReport>(&asked.outcome.stdout).ok();
        let status = match (&report, outcome.exit_code) {
            (_, Some(code)) if code != 0 => code,
            (Some(report), _) => report.status,
            (None, _) => 0,
        };
        let mut instance = asked.instance;
        if status != 0 {
            outcome.status = Status::RuntimeError;
            outcome.exit_code = Some(status);
            if let Some(refusal) = memory_refusal {
                // It failed for want of memory (Python's `MemoryError`):
                // the interpreter may be half-way through something.
                outcome.status = Status::MemoryLimit;
                outcome.message = Some(refusal);
                instance = None;
            }
        }
        crate::metrics::record_execution(language.info().name, &outcome);
        Cell {
            outcome,
            value: report.and_then(|report| report.value),
            instance,
        }
    }
}
