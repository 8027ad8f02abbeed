//! `POST /api/v2/execute`: Piston's request checked with Piston's words,
//! run through the execution service, and answered in Piston's shape.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::PistonError;
use super::runtimes;
use crate::config::Config;
use crate::engine::Status;
use crate::language::Language;
use crate::server::execution::{RequestLimits, RunBody};
use crate::server::executions::ExecutionResult;

/// A checked request's language, the runtime entry it matched, and the
/// program's file name when the request gave one its language can run.
pub(super) struct PistonJob {
    pub language: Language,
    pub runtime: runtimes::PistonRuntime,
    pub program_name: Option<String>,
}

/// Piston's name of a file that has none: `file{index}.code`.
fn default_name(index: usize) -> String {
    format!("file{index}.code")
}

/// Checks a request as Piston does (its messages), then builds the run:
/// the first file is the program, the others are written beside it.
pub(super) fn parse(config: &Config, request: &Value) -> Result<(PistonJob, RunBody), PistonError> {
    let text = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let language = text("language")
        .ok_or_else(|| PistonError::bad_request("language is required as a string"))?;
    let version = text("version")
        .ok_or_else(|| PistonError::bad_request("version is required as a string"))?;
    let files = request
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| PistonError::bad_request("files is required as an array"))?;
    let files = decode_files(files)?;
    let (language_found, runtime) = runtimes::find(language, version).ok_or_else(|| {
        PistonError::bad_request(format!("{language}-{version} runtime is unknown"))
    })?;
    let limits = limits(config, request)?;
    let mut files = files.into_iter();
    let Some((name, code)) = files.next() else {
        return Err(PistonError::bad_request(
            "files must contain at least one file",
        ));
    };
    let stdin = match request.get("stdin") {
        None | Some(Value::Null) => None,
        Some(Value::String(stdin)) => Some(stdin.clone()),
        Some(_) => return Err(PistonError::bad_request("stdin must be a string")),
    };
    let mut body = RunBody::new(code, stdin, args(request)?, files.collect());
    body.limits = Some(limits);
    let job = PistonJob {
        language: language_found,
        runtime,
        program_name: runnable_name(language_found, name),
    };
    Ok((job, body))
}

/// The program's own name, when it is one `language` runs by (a `.py`
/// for Python, a C++ source for C++): Piston's default `file0.code` is
/// not, and the server names such a program itself.
fn runnable_name(language: Language, name: String) -> Option<String> {
    let runnable = match language.dialect() {
        Some(_) => crate::compile::unit_dialect(&name) == language.dialect(),
        None => std::path::Path::new(&name)
            .extension()
            .is_some_and(|extension| extension == language.info().extension),
    };
    runnable.then_some(name)
}

/// The files as (name, text), content decoded from its `encoding`
/// (`utf8`, `base64` or `hex`).
fn decode_files(files: &[Value]) -> Result<Vec<(String, String)>, PistonError> {
    if files.len() > crate::server::execution::MAX_FILES + 1 {
        return Err(PistonError::bad_request(format!(
            "at most {} files",
            crate::server::execution::MAX_FILES + 1
        )));
    }
    let mut decoded = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let Some(content) = file.get("content").and_then(Value::as_str) else {
            return Err(PistonError::bad_request(format!(
                "files[{index}].content is required as a string"
            )));
        };
        let name = match file.get("name") {
            None | Some(Value::Null) => default_name(index),
            Some(Value::String(name)) => name.clone(),
            Some(_) => {
                return Err(PistonError::bad_request(format!(
                    "files[{index}].name must be a string"
                )));
            }
        };
        let encoding = file
            .get("encoding")
            .and_then(Value::as_str)
            .unwrap_or("utf8");
        decoded.push((name, decode(content, encoding, index)?));
    }
    Ok(decoded)
}

fn decode(content: &str, encoding: &str, index: usize) -> Result<String, PistonError> {
    let bytes = match encoding {
        "utf8" => return Ok(content.to_owned()),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|e| e.to_string()),
        "hex" => hex::decode(content).map_err(|e| e.to_string()),
        other => Err(format!("unknown encoding '{}'", other.escape_debug())),
    }
    .map_err(|e| PistonError::bad_request(format!("files[{index}].content: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| PistonError::bad_request(format!("files[{index}].content is not UTF-8 text")))
}

fn args(request: &Value) -> Result<Vec<String>, PistonError> {
    match request.get("args") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(args)) => args
            .iter()
            .map(|arg| match arg {
                Value::String(arg) => Ok(arg.clone()),
                // Piston passes what it is given to the program as text.
                Value::Number(number) => Ok(number.to_string()),
                _ => Err(PistonError::bad_request("args must be an array of strings")),
            })
            .collect(),
        Some(_) => Err(PistonError::bad_request("args must be an array of strings")),
    }
}

/// Piston's four limits, checked with its words against ours: timeouts in
/// milliseconds, memory in bytes, `-1` (or absent, or 0) for the
/// configured limit. The compile ones are checked but the server's
/// `COMPILE_TIMEOUT` is what bounds a compile.
fn limits(config: &Config, request: &Value) -> Result<RequestLimits, PistonError> {
    let configured = [
        ("compile_timeout", config.compile_timeout.as_millis() as u64),
        ("run_timeout", config.execution_timeout.as_millis() as u64),
        ("compile_memory_limit", config.memory_limit_mb << 20),
        ("run_memory_limit", config.memory_limit_mb << 20),
    ];
    let mut asked = BTreeMap::new();
    for (name, limit) in configured {
        let value = match request.get(name) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(number)) => number.as_f64().unwrap_or(0.0),
            Some(_) => {
                return Err(PistonError::bad_request(format!(
                    "If specified, {name} must be a number"
                )));
            }
        };
        // Piston's clients send -1 for "the configured limit".
        if value == 0.0 || (value == -1.0 && name.ends_with("memory_limit")) {
            continue;
        }
        if value > limit as f64 {
            return Err(PistonError::bad_request(format!(
                "{name} cannot exceed the configured limit of {limit}"
            )));
        }
        if value < 0.0 {
            return Err(PistonError::bad_request(format!(
                "{name} must be non-negative"
            )));
        }
        asked.insert(name, value.ceil() as u64);
    }
    let memory_mb = asked
        .get("run_memory_limit")
        .map(|bytes| bytes.div_ceil(1 << 20).max(1));
    Ok(RequestLimits::new(
        asked.get("run_timeout").copied(),
        memory_mb,
        None,
    ))
}

/// Piston's answer: the runtime, then a `compile` stage for languages it
/// compiles (C, C++, TypeScript) and a `run` stage unless the compile
/// failed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(in crate::server) struct PistonResult {
    language: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    compile: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<Stage>,
}

/// One stage's result, as Piston reports it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(in crate::server) struct Stage {
    stdout: String,
    stderr: String,
    /// stdout then stderr (Piston interleaves them as written; we keep
    /// the two streams apart).
    output: String,
    /// The exit code, or null when the stage was killed by a signal.
    code: Option<i32>,
    /// `SIGKILL` for time and memory limits, `SIGABRT` for a crash.
    signal: Option<&'static str>,
    message: Option<String>,
    /// `TO` (time), `OL` (output), `SG` (signal), `RE` (non-zero exit),
    /// `XX` (internal); null when it exited 0.
    status: Option<&'static str>,
    /// Milliseconds (wall time; we do not count CPU time apart).
    cpu_time: u64,
    wall_time: u64,
    /// Peak linear memory, in bytes.
    memory: u64,
}

/// Builds Piston's answer from a finished run.
pub(super) fn answer(job: &PistonJob, result: ExecutionResult) -> PistonResult {
    let compile = compiled(job.language).then(|| compile_stage(&result));
    let run = (result.status != Status::CompileError).then(|| run_stage(result));
    PistonResult {
        language: job.runtime.language,
        version: job.runtime.version,
        compile,
        run,
    }
}

/// Whether Piston reports a compile stage for `language`: C, C++ and
/// TypeScript (Piston runs tsc).
pub(super) fn compiled(language: Language) -> bool {
    matches!(language, Language::C | Language::Cpp | Language::TypeScript)
}

/// A finished run's exit code, or the signal that killed it.
pub(super) fn exit_status(result: &ExecutionResult) -> (Option<i32>, Option<&'static str>) {
    let signal = result.signal();
    if signal.is_some() {
        return (None, signal);
    }
    let code = result
        .exit_code
        .unwrap_or(i32::from(result.status != Status::Ok));
    (Some(code), None)
}

fn compile_stage(result: &ExecutionResult) -> Stage {
    let failed = result.status == Status::CompileError;
    let time = result.compile_ms.unwrap_or(0);
    Stage {
        stdout: String::new(),
        stderr: result.compile_output.clone(),
        output: result.compile_output.clone(),
        code: Some(i32::from(failed)),
        signal: None,
        message: failed.then(|| "Exited with error status 1".to_owned()),
        status: failed.then_some("RE"),
        cpu_time: time,
        wall_time: time,
        memory: 0,
    }
}

fn run_stage(result: ExecutionResult) -> Stage {
    let (code, signal) = exit_status(&result);
    let status = match result.status {
        Status::Ok => None,
        Status::Timeout => Some("TO"),
        Status::OutputLimit => Some("OL"),
        Status::InternalError | Status::Cancelled | Status::InstallError => Some("XX"),
        _ if signal.is_some() => Some("SG"),
        _ => Some("RE"),
    };
    let message = result.message.clone().or_else(|| match code {
        Some(code) if code != 0 => Some(format!("Exited with error status {code}")),
        _ => None,
    });
    let time = result
        .duration_ms
        .saturating_sub(result.compile_ms.unwrap_or(0));
    Stage {
        output: format!("{}{}", result.stdout, result.stderr),
        stdout: result.stdout,
        stderr: result.stderr,
        code,
        signal,
        message,
        status,
        cpu_time: time,
        wall_time: time,
        memory: result.memory_bytes,
    }
}
