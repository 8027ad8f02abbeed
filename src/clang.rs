//! Running the clang module.
//!
//! The clang driver cannot spawn processes under WASI. So we ask it for its
//! plan (`-###`), which prints the real steps: one `-cc1` per source, then
//! `wasm-ld`. Each step then runs as its own instance of the same module.
//! The sysroot is mounted read-only at `/usr` (both the driver's resource
//! directory and its sysroot), and scratch files go to a `/tmp` private to
//! this compilation.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::engine::{Engine, Entry, Limits, Mount, Outcome, Program, RunSpec, Status, Stdin};
use crate::runtimes::Runtime;
use crate::sandbox::DiskQuota;

/// Name the multicall module dispatches on for each tool.
const MULTICALL: &str = "llvm";

/// One clang or lld invocation inside the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `clang` or `wasm-ld`.
    pub tool: String,
    pub args: Vec<String>,
}

/// A compilation's view of the file system and its limits.
#[derive(Clone)]
pub struct Toolchain {
    engine: Arc<Engine>,
    mounts: Vec<Mount>,
    limits: Limits,
    /// What the steps' writes count against.
    disk: Option<Arc<DiskQuota>>,
}

/// What a failed step printed, for compile-error reports.
#[derive(Debug)]
pub struct StepFailure {
    pub outcome: Outcome,
}

impl Toolchain {
    /// `sysroot` must be mounted at `/usr` (read-only, except when building
    /// our own additions to it); `scratch` is mounted at `/tmp`.
    pub fn new(
        engine: Arc<Engine>,
        sysroot: Mount,
        scratch: PathBuf,
        mut mounts: Vec<Mount>,
        limits: Limits,
    ) -> Self {
        mounts.push(sysroot);
        mounts.push(Mount::read_write(scratch, "/tmp"));
        Self {
            engine,
            mounts,
            limits,
            disk: None,
        }
    }

    /// Counts every step's writes (in any writable mount) against `quota`.
    pub fn with_disk(mut self, quota: Arc<DiskQuota>) -> Self {
        self.disk = Some(quota);
        self
    }

    /// Asks the driver what it would run for `driver_args`.
    pub async fn plan(&self, driver: &str, driver_args: &[String]) -> anyhow::Result<Vec<Step>> {
        let mut args = vec!["-###".to_owned()];
        args.extend_from_slice(driver_args);
        let outcome = self
            .run(&Step {
                tool: driver.to_owned(),
                args,
            })
            .await;
        if outcome.status != Status::Ok {
            bail!(
                "the clang driver failed ({}): {}",
                outcome.status,
                outcome.stderr_lossy().trim()
            );
        }
        parse_plan(&outcome.stderr_lossy())
    }

    /// Runs one step.
    pub async fn run(&self, step: &Step) -> Outcome {
        let mut args = vec![MULTICALL.to_owned(), step.tool.clone()];
        args.extend(step.args.iter().cloned());
        self.engine
            .run(RunSpec {
                program: Program::Runtime(Runtime::Clang),
                entry: Entry::Start,
                args,
                env: vec![("TMPDIR".into(), "/tmp".into()), ("PWD".into(), "/".into())],
                mounts: self.mounts.clone(),
                stdin: Stdin::Empty,
                limits: self.limits,
                output: None,
                disk: self.disk.clone(),
                interactive: false,
                terminal: crate::engine::TerminalStreams::NONE,
            })
            .await
    }

    /// Runs the `-cc1` steps `parallelism` at a time, then the rest in order.
    /// Stops at the first failure and returns its outcome.
    pub async fn run_plan(
        &self,
        steps: &[Step],
        parallelism: usize,
    ) -> Result<Vec<Outcome>, StepFailure> {
        let (compiles, links): (Vec<&Step>, Vec<&Step>) = steps
            .iter()
            .partition(|step| step.args.first().is_some_and(|a| a == "-cc1"));
        // Each step is its own tokio task, so that steps really run in
        // parallel on the worker threads.
        let permits = Arc::new(tokio::sync::Semaphore::new(parallelism.max(1)));
        let tasks: Vec<AbortOnDrop> = compiles
            .into_iter()
            .map(|step| {
                let toolchain = self.clone();
                let step = step.clone();
                let permits = permits.clone();
                AbortOnDrop(tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    toolchain.run(&step).await
                }))
            })
            .collect();
        let mut outcomes = Vec::with_capacity(tasks.len());
        for mut task in tasks {
            outcomes.push((&mut task.0).await.unwrap_or_else(|e| {
                Outcome::failed(Status::InternalError, format!("compile task: {e}"))
            }));
        }
        if let Some(failed) = outcomes.iter().position(|o| o.status != Status::Ok) {
            return Err(StepFailure {
                outcome: outcomes.swap_remove(failed),
            });
        }
        for step in links {
            let outcome = self.run(step).await;
            if outcome.status != Status::Ok {
                return Err(StepFailure { outcome });
            }
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }
}

/// Stops a compile step when the compilation is abandoned (its caller
/// dropped, a sibling step failed).
struct AbortOnDrop(tokio::task::JoinHandle<Outcome>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Parses the driver's `-###` output: every line that starts with a quoted
/// program path is one step.
fn parse_plan(text: &str) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    for line in text
        .lines()
        .filter(|line| line.trim_start().starts_with('"'))
    {
        let mut words = split_quoted(line.trim())
            .with_context(|| format!("cannot parse the driver's plan line: {line}"))?
            .into_iter();
        let program = words.next().context("empty plan line")?;
        let tool = program
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&program)
            .to_owned();
        let mut args: Vec<String> = words.collect();
        // The multicall module prints itself as `"" "clang" "-cc1" …`: an
        // empty program path, then the tool it dispatches to.
        if (tool.is_empty() || tool == MULTICALL) && !args.is_empty() {
            let real = args.remove(0);
            steps.push(Step { tool: real, args });
        } else {
            steps.push(Step { tool, args });
        }
    }
    if steps.is_empty() {
        bail!("the clang driver printed no steps:\n{text}");
    }
    Ok(steps)
}

/// Splits `"a" "b c" "d\"e"` into words, undoing the driver's escapes.
fn split_quoted(line: &str) -> anyhow::Result<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => continue,
            '"' => {
                let mut word = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => word.push(chars.next().context("dangling escape")?),
                        Some(c) => word.push(c),
                        None => bail!("unterminated quote"),
                    }
                }
                words.push(word);
            }
            other => bail!("unexpected character {other:?} outside quotes"),
        }
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_driver_plan() {
        let text = "clang version 22\nTarget: wasm32-unknown-wasip1\n \"\" \"clang\" \"-cc1\" \"-D\" \"A=\\\"x y\\\"\" \"-o\" \"/tmp/a.o\"\n \"/usr/bin/wasm-ld\" \"/tmp/a.o\" \"-o\" \"out\"\n";
        let steps = parse_plan(text).unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].tool, "clang");
        assert_eq!(steps[0].args, ["-cc1", "-D", "A=\"x y\"", "-o", "/tmp/a.o"]);
        assert_eq!(steps[1].tool, "wasm-ld");
    }

    #[test]
    fn rejects_unquoted_garbage() {
        assert!(split_quoted("\"a\" b").is_err());
        assert!(split_quoted("\"a").is_err());
    }
}
