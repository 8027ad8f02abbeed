//! What a run asks for, checked: the request (`RunBody`, as the HTTP API,
//! MCP and the cluster's queue carry it), its limits, and the answer that
//! it started (`RunAccepted`).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::StatusCode;
use serde::Deserialize;

use crate::cluster::QueuedJob;
use crate::config::Config;
use crate::engine::Limits;
use crate::judge::{Compare, MAX_TESTS};
use crate::language::Language;
use crate::sandbox::relative_path;
use crate::server::ApiError;

const MAX_ARGS: usize = 256;
const MAX_ARG_BYTES: usize = 4096;
pub(in crate::server) const MAX_FILES: usize = 64;

/// The request body may carry stdin and files besides the code.
pub(in crate::server) fn body_limit(config: &Config) -> usize {
    config
        .max_code_size
        .saturating_mul(4)
        .saturating_add(64 * 1024)
}

/// A run: the code, and what it gets.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"code": "print(input()[::-1])", "stdin": "stressed", "wait": true}))]
pub(in crate::server) struct RunBody {
    /// The program's source, at most `MAX_CODE_SIZE` bytes.
    pub(in crate::server) code: String,
    /// The program's standard input.
    #[serde(default)]
    pub(in crate::server) stdin: Option<String>,
    /// Its arguments (at most 256, each at most 4 KiB).
    #[serde(default)]
    pub(in crate::server) args: Vec<String>,
    /// More files beside the code: sandbox path → contents (at most 64).
    #[serde(default)]
    pub(in crate::server) files: BTreeMap<String, String>,
    /// Run in this shell session's sandbox, its output shown there live.
    #[serde(default)]
    pub(in crate::server) session_id: Option<String>,
    /// Answer with the result instead of 202.
    #[serde(default)]
    pub(in crate::server) wait: Option<bool>,
    #[serde(default)]
    pub(in crate::server) limits: Option<RequestLimits>,
    /// C and C++ compiler flags (checked against the allowlist).
    #[serde(default)]
    pub(in crate::server) flags: Vec<String>,
    /// Packages to install into the run's sandbox first: for Python as
    /// `pip install` takes them (`["rich==13.9.4", "tabulate"]`, from
    /// `PACKAGE_INDEX_URL`), for JavaScript and TypeScript as `npm
    /// install` does (`["lodash@^4", "dayjs"]`, from `NPM_REGISTRY_URL`).
    #[serde(default)]
    pub(in crate::server) packages: Vec<String>,
    /// Test cases (at most 64): the program is compiled once and run once
    /// per test, each with its own stdin (and args), and judged when it
    /// has an `expectedOutput`.
    #[serde(default)]
    pub(in crate::server) tests: Vec<crate::judge::TestCase>,
    /// How outputs are held against `expectedOutput`: `trim-lines` (the
    /// default: trailing spaces and blank lines do not count), `exact`,
    /// `tokens` or `float:<tolerance>` (tokens, numbers within it).
    #[serde(default)]
    pub(in crate::server) compare: Option<String>,
}

impl RunBody {
    /// The shell session it is to run in, if any.
    pub(in crate::server) fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// A run of `code` in a sandbox of its own, with the server's limits.
    pub(in crate::server) fn new(
        code: String,
        stdin: Option<String>,
        args: Vec<String>,
        files: BTreeMap<String, String>,
    ) -> Self {
        Self {
            code,
            stdin,
            args,
            files,
            session_id: None,
            wait: Some(true),
            limits: None,
            flags: Vec::new(),
            packages: Vec::new(),
            tests: Vec::new(),
            compare: None,
        }
    }
}

impl RunBody {
    /// The run as a cluster job, with its limits resolved and its names
    /// chosen.
    pub(in crate::server) fn into_queued(
        self,
        language: Language,
        limits: &Limits,
        accepted: &RunAccepted,
    ) -> QueuedJob {
        QueuedJob {
            execution_id: accepted.execution_id.clone(),
            language: language.info().name.to_owned(),
            code: self.code,
            stdin: self.stdin,
            args: self.args,
            files: self.files,
            flags: self.flags,
            packages: self.packages,
            tests: self.tests,
            compare: self.compare,
            wall_time_ms: limits.wall_time.as_millis() as u64,
            memory_bytes: limits.memory_bytes,
            output_bytes: limits.output_bytes as u64,
            session_id: self.session_id,
            user_directory: accepted.user_directory.clone(),
            filename: accepted.filename.clone(),
        }
    }

    /// A cluster job as a run here (validated again as any run is).
    pub(in crate::server) fn from_queued(job: QueuedJob) -> (Names, Self) {
        let names = Names {
            execution_id: Some(job.execution_id),
            user_directory: job.session_id.is_none().then_some(job.user_directory),
            filename: Some(job.filename),
        };
        let body = Self {
            code: job.code,
            stdin: job.stdin,
            args: job.args,
            files: job.files,
            session_id: job.session_id,
            wait: None,
            limits: Some(RequestLimits {
                timeout_ms: Some(job.wall_time_ms.max(1)),
                memory_mb: Some(job.memory_bytes.div_ceil(1 << 20).max(1)),
                output_bytes: Some(job.output_bytes.max(1)),
            }),
            flags: job.flags,
            packages: job.packages,
            tests: job.tests,
            compare: job.compare,
        };
        (names, body)
    }
}

/// Tighter limits for this run (never looser than the server's).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(in crate::server) struct RequestLimits {
    /// Wall time, at most `CODE_EXECUTION_TIMEOUT`.
    timeout_ms: Option<u64>,
    /// Linear memory, at most `MEMORY_LIMIT_MB`.
    memory_mb: Option<u64>,
    /// stdout and stderr together, at most `MAX_OUTPUT_BYTES`.
    output_bytes: Option<u64>,
}

impl RequestLimits {
    /// Limits asked for by a caller other than the JSON body (the
    /// compatible APIs), each checked as the body's are.
    pub(in crate::server) fn new(
        timeout_ms: Option<u64>,
        memory_mb: Option<u64>,
        output_bytes: Option<u64>,
    ) -> Self {
        Self {
            timeout_ms,
            memory_mb,
            output_bytes,
        }
    }
}

/// What a run is called before it starts: its id, and (for a cluster
/// job, promised in the 202 answer) its sandbox and file names.
#[derive(Debug, Clone, Default)]
pub(in crate::server) struct Names {
    pub(in crate::server) execution_id: Option<String>,
    pub(in crate::server) user_directory: Option<String>,
    pub(in crate::server) filename: Option<String>,
}

/// The original server's answer to a run without `wait`: it started.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::server) struct RunAccepted {
    success: bool,
    message: &'static str,
    /// The sandbox the code runs in.
    pub(in crate::server) user_directory: String,
    /// The code's file name in the sandbox.
    pub(in crate::server) filename: String,
    /// Poll `GET /executions/{executionId}` for the result.
    pub(in crate::server) execution_id: String,
}

impl RunAccepted {
    pub(in crate::server) fn new(
        execution_id: String,
        user_directory: String,
        filename: String,
    ) -> Self {
        Self {
            success: true,
            message: "Code execution started",
            user_directory,
            filename,
            execution_id,
        }
    }
}

/// Checks what can be checked before a run is admitted anywhere: sizes,
/// limits, arguments and file names. Returns the run's limits.
pub(in crate::server) fn validate(
    config: &Config,
    language: Language,
    request: &RunBody,
) -> Result<Limits, ApiError> {
    if request.code.len() > config.max_code_size {
        return Err(too_large(config));
    }
    let limits = limits(config, request.limits.as_ref())?;
    check_args(&request.args)?;
    check_files(&request.files)?;
    check_packages(config, language, &request.packages)?;
    check_tests(request)?;
    Ok(limits)
}

/// Checks a run's `tests` and `compare`: how many, their args, the mode,
/// and no session (a session shows one program's output live); returns
/// the comparison.
pub(in crate::server) fn check_tests(request: &RunBody) -> Result<Compare, ApiError> {
    let compare = match &request.compare {
        Some(mode) => mode
            .parse::<Compare>()
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        None => Compare::default(),
    };
    if request.tests.is_empty() {
        return Ok(compare);
    }
    if request.tests.len() > MAX_TESTS {
        return Err(ApiError::bad_request(format!("at most {MAX_TESTS} tests")));
    }
    if request.session_id.is_some() {
        return Err(ApiError::bad_request(
            "tests cannot run in a session: leave out sessionId",
        ));
    }
    for test in &request.tests {
        if let Some(args) = &test.args {
            check_args(args)?;
        }
    }
    Ok(compare)
}

pub(super) fn check_files(files: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if files.len() > MAX_FILES {
        return Err(ApiError::bad_request(format!("at most {MAX_FILES} files")));
    }
    for path in files.keys() {
        relative_path(path).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    Ok(())
}

/// Requirements one run may install, and the longest one.
const MAX_PACKAGES: usize = 64;
const MAX_PACKAGE_BYTES: usize = 1024;

/// Checks a run's `packages` before it is admitted: Python only, installs
/// on, and sizes within bounds (the requirements' syntax is the
/// installer's to judge, with pip's words).
pub(in crate::server) fn check_packages(
    config: &Config,
    language: Language,
    packages: &[String],
) -> Result<(), ApiError> {
    if packages.is_empty() {
        return Ok(());
    }
    let source = match language {
        Language::Python => config.packages.python_index(),
        Language::JavaScript | Language::TypeScript => config.packages.npm_registry(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "packages: installs are for Python, JavaScript and TypeScript runs, not {}",
                language.info().name
            )));
        }
    };
    source.map_err(|why| ApiError::new(StatusCode::BAD_REQUEST, "packages_off", why))?;
    if packages.len() > MAX_PACKAGES || packages.iter().any(|p| p.len() > MAX_PACKAGE_BYTES) {
        return Err(ApiError::bad_request(format!(
            "packages: at most {MAX_PACKAGES} requirements, each at most {MAX_PACKAGE_BYTES} bytes"
        )));
    }
    Ok(())
}

pub(in crate::server) fn too_large(config: &Config) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "code is larger than MAX_CODE_SIZE ({} bytes)",
            config.max_code_size
        ),
    )
}

/// The configured limits of one execution.
pub(in crate::server) fn default_limits(config: &Config) -> Limits {
    Limits {
        wall_time: config.execution_timeout,
        memory_bytes: config.memory_limit_mb << 20,
        output_bytes: config.max_output_bytes,
        ..Limits::default()
    }
}

/// The server's limits, lowered (never raised) by the request's.
pub(in crate::server) fn limits(
    config: &Config,
    requested: Option<&RequestLimits>,
) -> Result<Limits, ApiError> {
    let mut limits = default_limits(config);
    let Some(requested) = requested else {
        return Ok(limits);
    };
    let positive = |name: &str, value: Option<u64>| -> Result<Option<u64>, ApiError> {
        match value {
            Some(0) => Err(ApiError::bad_request(format!(
                "limits.{name} must be positive"
            ))),
            other => Ok(other),
        }
    };
    if let Some(ms) = positive("timeoutMs", requested.timeout_ms)? {
        limits.wall_time = limits.wall_time.min(Duration::from_millis(ms));
    }
    if let Some(mb) = positive("memoryMb", requested.memory_mb)? {
        limits.memory_bytes = limits.memory_bytes.min(mb.saturating_mul(1 << 20));
    }
    if let Some(bytes) = positive("outputBytes", requested.output_bytes)? {
        limits.output_bytes = limits
            .output_bytes
            .min(usize::try_from(bytes).unwrap_or(usize::MAX));
    }
    Ok(limits)
}

pub(in crate::server) fn check_args(args: &[String]) -> Result<(), ApiError> {
    if args.len() > MAX_ARGS {
        return Err(ApiError::bad_request(format!("at most {MAX_ARGS} args")));
    }
    if args
        .iter()
        .any(|a| a.len() > MAX_ARG_BYTES || a.contains('\0'))
    {
        return Err(ApiError::bad_request(format!(
            "each arg must be at most {MAX_ARG_BYTES} bytes without NUL characters"
        )));
    }
    Ok(())
}
