//! A Judge0 submission: its request checked field by field (Judge0's 422
//! answers name the field), the run it becomes, and the submission as
//! Judge0 shows it (`fields`, `base64_encoded`).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::Judge0Error;
use super::languages::{self, Judge0Language};
use super::statuses;
use super::store::Submission;
use crate::config::Config;
use crate::judge::{MAX_TESTS, TestCase};
use crate::server::execution::{MAX_FILES, RequestLimits, RunBody, body_limit};
use crate::server::executions::{ExecutionResult, ExecutionView, State};

/// The fields Judge0 answers with when `fields` is not given.
const DEFAULT_FIELDS: [&str; 8] = [
    "token",
    "stdout",
    "stderr",
    "compile_output",
    "message",
    "status",
    "time",
    "memory",
];

/// The request fields echoed back as they were given (with `fields`).
const ECHOED: [&str; 11] = [
    "cpu_time_limit",
    "cpu_extra_time",
    "wall_time_limit",
    "memory_limit",
    "stack_limit",
    "max_processes_and_or_threads",
    "max_file_size",
    "compiler_options",
    "command_line_arguments",
    "number_of_runs",
    "enable_network",
];

/// Judge0's limit on `number_of_runs`.
pub(super) const MAX_NUMBER_OF_RUNS: u64 = 20;

/// A checked submission: its language, the run, and what is remembered.
pub(super) struct Parsed {
    pub language: &'static Judge0Language,
    pub body: RunBody,
    pub source_code: String,
    pub stdin: Option<String>,
    pub expected_output: Option<String>,
    pub redirect_stderr_to_stdout: bool,
    pub options: Map<String, Value>,
    /// Where to send the submission when its run ends.
    pub callback_url: Option<String>,
}

/// Checks a submission as Judge0 does, naming the field at fault.
pub(super) fn parse(config: &Config, request: &Value, base64: bool) -> Result<Parsed, Judge0Error> {
    let Some(request) = request.as_object() else {
        return Err(Judge0Error::unprocessable(
            "submission",
            "must be a JSON object",
        ));
    };
    if request.get("enable_network") == Some(&Value::Bool(true)) {
        return Err(Judge0Error::unprocessable(
            "enable_network",
            "programs have no network here",
        ));
    }
    let source_code = text(request, "source_code", base64)?
        .filter(|code| !code.is_empty())
        .ok_or_else(|| Judge0Error::unprocessable("source_code", "can't be blank"))?;
    let language = language(request)?;
    let stdin = text(request, "stdin", base64)?;
    let expected_output = text(request, "expected_output", base64)?;
    let limits = limits(config, request)?;
    let mut body = RunBody::new(
        source_code.clone(),
        stdin.clone(),
        arguments(request)?,
        additional_files(config, request)?,
    );
    body.limits = Some(limits);
    body.flags = words(request, "compiler_options")?;
    let runs = number_of_runs(request)?;
    if runs > 1 {
        // Each run takes the submission's stdin: no copy per run.
        body.tests = vec![TestCase::default(); runs as usize];
    }
    let options = ECHOED
        .iter()
        .filter_map(|name| Some((name.to_string(), request.get(*name)?.clone())))
        .collect();
    Ok(Parsed {
        language,
        body,
        source_code,
        stdin,
        expected_output,
        redirect_stderr_to_stdout: request.get("redirect_stderr_to_stdout")
            == Some(&Value::Bool(true)),
        options,
        callback_url: text(request, "callback_url", false)?,
    })
}

/// `additional_files`: a zip archive (always base64), unpacked into the
/// run's files beside the program. Bounded before anything is kept: at
/// most [`MAX_FILES`] entries, and as many bytes unpacked as a request
/// body may hold (a small archive that unpacks to more is refused, not
/// unpacked); no links, no paths that leave the sandbox, text only.
fn additional_files(
    config: &Config,
    request: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, Judge0Error> {
    const FIELD: &str = "additional_files";
    let Some(encoded) = text(request, FIELD, false)? else {
        return Ok(BTreeMap::new());
    };
    let refuse = |message: &str| Judge0Error::unprocessable(FIELD, message);
    let archive = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim_end())
        .map_err(|_| refuse("is not valid base64"))?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(archive))
        .map_err(|_| refuse("is not a zip archive"))?;
    if archive.len() > MAX_FILES {
        return Err(refuse(&format!("holds more than {MAX_FILES} entries")));
    }
    let mut budget = body_limit(config);
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|_| refuse("has an entry that cannot be read"))?;
        if entry.is_dir() {
            continue;
        }
        if entry.is_symlink() {
            return Err(refuse("holds a symbolic link"));
        }
        let Some(name) = entry
            .enclosed_name()
            .and_then(|p| p.to_str().map(str::to_owned))
        else {
            return Err(refuse("holds a path that leaves its directory"));
        };
        let mut content = Vec::new();
        std::io::Read::take(&mut entry, budget as u64 + 1)
            .read_to_end(&mut content)
            .map_err(|_| refuse("has an entry that cannot be unpacked"))?;
        if content.len() > budget {
            let limit = body_limit(config);
            return Err(refuse(&format!("unpacks to more than {limit} bytes")));
        }
        budget -= content.len();
        let text = String::from_utf8(content)
            .map_err(|_| refuse(&format!("{} is not UTF-8 text", name.escape_debug())))?;
        files.insert(name, text);
    }
    Ok(files)
}

/// A text field, decoded from base64 when the request is.
fn text(
    request: &Map<String, Value>,
    name: &str,
    base64: bool,
) -> Result<Option<String>, Judge0Error> {
    let value = match request.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(value)) => value,
        Some(_) => return Err(Judge0Error::unprocessable(name, "must be a string")),
    };
    if !base64 {
        return Ok(Some(value.clone()));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim_end())
        .map_err(|_| Judge0Error::unprocessable(name, "is not valid base64"))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Judge0Error::unprocessable(name, "is not UTF-8 text"))
}

fn language(request: &Map<String, Value>) -> Result<&'static Judge0Language, Judge0Error> {
    let id = match request.get("language_id") {
        None | Some(Value::Null) => {
            return Err(Judge0Error::unprocessable("language_id", "can't be blank"));
        }
        Some(value) => value
            .as_u64()
            .ok_or_else(|| Judge0Error::unprocessable("language_id", "must be an integer"))?,
    };
    u32::try_from(id)
        .ok()
        .and_then(languages::find)
        .ok_or_else(|| {
            Judge0Error::unprocessable(
                "language_id",
                &format!("language with id {id} doesn't exist"),
            )
        })
}

/// A number field within `0..=max`.
fn number(request: &Map<String, Value>, name: &str, max: f64) -> Result<Option<f64>, Judge0Error> {
    let value = match request.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value
            .as_f64()
            .ok_or_else(|| Judge0Error::unprocessable(name, "is not a number"))?,
    };
    if value < 0.0 {
        return Err(Judge0Error::unprocessable(
            name,
            "must be greater than or equal to 0",
        ));
    }
    if value > max {
        return Err(Judge0Error::unprocessable(
            name,
            &format!("must be less than or equal to {max}"),
        ));
    }
    Ok(Some(value))
}

/// Judge0's limits as ours: the CPU and wall-time limits (seconds) bound
/// the wall time, `memory_limit` (KB) the linear memory, `max_file_size`
/// (KB) the output; none may exceed the server's.
fn limits(config: &Config, request: &Map<String, Value>) -> Result<RequestLimits, Judge0Error> {
    let seconds = config.execution_timeout.as_secs_f64();
    let cpu = number(request, "cpu_time_limit", seconds)?;
    let wall = number(request, "wall_time_limit", seconds)?;
    let memory_kb = number(
        request,
        "memory_limit",
        (config.memory_limit_mb * 1024) as f64,
    )?;
    let output_kb = number(
        request,
        "max_file_size",
        (config.max_output_bytes / 1024) as f64,
    )?;
    let timeout_ms = [cpu, wall]
        .into_iter()
        .flatten()
        .map(|s| ((s * 1000.0).ceil() as u64).max(1))
        .min();
    Ok(RequestLimits::new(
        timeout_ms,
        memory_kb.map(|kb| ((kb / 1024.0).ceil() as u64).max(1)),
        output_kb.map(|kb| ((kb * 1024.0) as u64).max(1)),
    ))
}

fn number_of_runs(request: &Map<String, Value>) -> Result<u64, Judge0Error> {
    let runs = number(
        request,
        "number_of_runs",
        MAX_NUMBER_OF_RUNS.min(MAX_TESTS as u64) as f64,
    )?;
    Ok(runs.map_or(1, |runs| (runs as u64).max(1)))
}

/// A string field split at whitespace (`compiler_options`).
fn words(request: &Map<String, Value>, name: &str) -> Result<Vec<String>, Judge0Error> {
    Ok(text(request, name, false)?
        .map(|text| text.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default())
}

/// `command_line_arguments`: split as a shell would split plain words and
/// quoted strings (no expansions).
fn arguments(request: &Map<String, Value>) -> Result<Vec<String>, Judge0Error> {
    let Some(line) = text(request, "command_line_arguments", false)? else {
        return Ok(Vec::new());
    };
    let mut args = Vec::new();
    let mut current: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => args.extend(current.take()),
            (None, c) => current.get_or_insert_with(String::new).push(c),
        }
    }
    if quote.is_some() {
        return Err(Judge0Error::unprocessable(
            "command_line_arguments",
            "has an unclosed quote",
        ));
    }
    args.extend(current);
    Ok(args)
}

/// Which fields to show: `*` for all, a list, or Judge0's default ones.
pub(super) enum Fields {
    All,
    Some(Vec<String>),
}

impl Fields {
    pub(super) fn parse(fields: Option<&str>) -> Self {
        match fields {
            Some("*") => Fields::All,
            Some(list) => Fields::Some(
                list.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .take(64)
                    .map(str::to_owned)
                    .collect(),
            ),
            None => Fields::Some(DEFAULT_FIELDS.iter().map(|f| f.to_string()).collect()),
        }
    }

    fn keep(&self, name: &str) -> bool {
        match self {
            Fields::All => true,
            Fields::Some(names) => names.iter().any(|n| n == name),
        }
    }
}

/// The submission as Judge0 shows it: its request, and its run's result
/// once there is one (`None` while it is queued or running).
pub(super) fn render(
    submission: &Submission,
    run: Option<&ExecutionView>,
    fields: &Fields,
    base64: bool,
) -> Value {
    let encode = |text: Option<&str>| -> Value {
        match text {
            None => Value::Null,
            Some(text) if base64 => base64::engine::general_purpose::STANDARD
                .encode(text)
                .into(),
            Some(text) => text.into(),
        }
    };
    let result = run.and_then(|view| view.result.as_ref());
    let status = match (run.map(|view| view.state), result) {
        (_, Some(result)) => statuses::of(result, submission.expected_output.as_deref()),
        (Some(State::Running), None) => statuses::PROCESSING,
        (Some(_), None) => statuses::IN_QUEUE,
        // The execution records have let its result go.
        (None, None) => statuses::INTERNAL_ERROR,
    };
    let mut all = Map::new();
    all.insert("token".into(), submission.token.clone().into());
    all.insert("source_code".into(), encode(Some(&submission.source_code)));
    let language = submission.language;
    all.insert("language_id".into(), language.id.into());
    all.insert(
        "language".into(),
        json!({ "id": language.id, "name": language.name() }),
    );
    all.insert("stdin".into(), encode(submission.stdin.as_deref()));
    all.insert(
        "expected_output".into(),
        encode(submission.expected_output.as_deref()),
    );
    all.insert("status".into(), json!(status));
    all.insert("status_id".into(), status.id.into());
    all.insert("created_at".into(), timestamp(submission.created_at).into());
    all.insert(
        "redirect_stderr_to_stdout".into(),
        submission.redirect_stderr_to_stdout.into(),
    );
    for (name, value) in &submission.options {
        all.insert(name.clone(), value.clone());
    }
    let outputs = result.map(|result| RunReport::of(result, submission.redirect_stderr_to_stdout));
    let report = outputs.as_ref();
    let stdout = report.map(|r| r.stdout.as_str()).filter(|s| !s.is_empty());
    all.insert("stdout".into(), encode(stdout));
    all.insert(
        "stderr".into(),
        encode(report.and_then(|r| r.stderr.as_deref())),
    );
    all.insert(
        "compile_output".into(),
        encode(report.and_then(|r| r.compile_output.as_deref())),
    );
    all.insert(
        "message".into(),
        report.and_then(|r| r.message.clone()).into(),
    );
    all.insert("exit_code".into(), report.and_then(|r| r.exit_code).into());
    all.insert(
        "exit_signal".into(),
        report.and_then(|r| r.exit_signal).into(),
    );
    let seconds = report.map(|r| format!("{:.3}", r.seconds));
    all.insert("time".into(), seconds.clone().into());
    all.insert("wall_time".into(), seconds.into());
    all.insert("memory".into(), report.map(|r| r.memory_kb).into());
    let finished = result.map(|r| submission.created_at + Duration::from_millis(r.duration_ms));
    all.insert("finished_at".into(), finished.map(timestamp).into());
    all.retain(|name, _| fields.keep(name));
    Value::Object(all)
}

/// What a finished run reports, in Judge0's terms; with `number_of_runs`,
/// the first run's output and the runs' mean time.
struct RunReport {
    stdout: String,
    stderr: Option<String>,
    compile_output: Option<String>,
    message: Option<String>,
    exit_code: Option<i32>,
    exit_signal: Option<i32>,
    seconds: f64,
    memory_kb: u64,
}

impl RunReport {
    fn of(result: &ExecutionResult, redirect: bool) -> Self {
        let first = result.tests.as_ref().and_then(|tests| tests.first());
        let (mut stdout, stderr, exit_code, millis) = match first {
            Some(test) => {
                let tests = result.tests.as_deref().unwrap_or_default();
                let total: u64 = tests.iter().map(|t| t.duration_ms).sum();
                let mean = total as f64 / tests.len().max(1) as f64;
                (
                    test.stdout.clone(),
                    test.stderr.clone(),
                    test.exit_code,
                    mean,
                )
            }
            None => {
                let run = result
                    .duration_ms
                    .saturating_sub(result.compile_ms.unwrap_or(0));
                (
                    result.stdout.clone(),
                    result.stderr.clone(),
                    result.exit_code,
                    run as f64,
                )
            }
        };
        let stderr = if redirect {
            stdout.push_str(&stderr);
            None
        } else {
            Some(stderr).filter(|s| !s.is_empty())
        };
        let signal = result.signal();
        let compiled = result.status != crate::engine::Status::CompileError;
        Self {
            stdout,
            stderr,
            compile_output: Some(result.compile_output.clone()).filter(|s| !s.is_empty()),
            message: result.message.clone(),
            exit_code: if signal.is_some() || !compiled {
                None
            } else {
                exit_code.or(Some(0))
            },
            exit_signal: signal.map(|name| if name == "SIGKILL" { 9 } else { 6 }),
            seconds: millis / 1000.0,
            memory_kb: result.memory_bytes.div_ceil(1024),
        }
    }
}

/// Judge0's time format: `2024-05-01T10:00:00.123Z`.
fn timestamp(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Vec<String>, Judge0Error> {
        let request = json!({ "command_line_arguments": line });
        arguments(request.as_object().unwrap())
    }

    #[test]
    fn command_lines_split_as_a_shell_splits_words() {
        assert_eq!(args("a  b").unwrap(), ["a", "b"]);
        assert_eq!(args("'a b' \"c d\" e''").unwrap(), ["a b", "c d", "e"]);
        assert_eq!(args("''").unwrap(), [""]);
        assert!(args("'open").is_err());
    }
}
