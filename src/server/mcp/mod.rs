//! `/mcp`: a Model Context Protocol server (Streamable HTTP, with
//! `Mcp-Session-Id` sessions), built with the official Rust SDK (rmcp), so
//! that AI agents can run code here as a tool.
//!
//! The tools are the API's operations: `run_code` (one-off, or a cell in a
//! context), `list_languages`, `create_context`, `install_packages`,
//! `delete_context`, `read_file` and `write_file`. They go through the same paths as the
//! HTTP routes, so they have the same limits and quotas, and `API_TOKEN`
//! and the rate limit guard `/mcp` as they guard the API. A program that
//! fails is a tool result with `isError: true` (its stderr says why), not
//! a protocol error; refusals (an unknown context, a full queue) are tool
//! errors too, with the API's error code.
//!
//! - `sessions`: the SDK's sessions within their budget (how many, whose,
//!   how large an `initialize`, how long idle).

mod sessions;

pub(super) use sessions::Sessions;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::request::Parts;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, Implementation, ProtocolVersion, ServerCapabilities, ServerConfig,
};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::caller::Caller;
use super::execution::{RunBody, start};
use super::{ApiError, AppState};
use crate::language::Language;

/// The protocol versions served: 2025-06-18 and newer ones that still
/// begin with `initialize` (and so have sessions).
const PROTOCOL_VERSIONS: &[ProtocolVersion] =
    &[ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_11_25];

/// What `read_file` returns at most.
const MAX_READ_BYTES: u64 = 1 << 20;

/// The service mounted at `/mcp`, behind the admission of new sessions;
/// `shutdown` ends its open streams.
pub(super) fn service(
    state: Arc<AppState>,
    shutdown: CancellationToken,
) -> axum::routing::MethodRouter<Arc<AppState>> {
    let mut local = LocalSessionManager::default();
    local.session_config.keep_alive = Some(crate::budget::settings().mcp_session_idle);
    let sessions = Arc::new(sessions::Sessions::new(local));
    let _ = state.mcp_sessions.set(sessions.clone());
    let config = StreamableHttpServerConfig::default()
        // Reached by whatever name the server has, like the rest of the
        // API; API_TOKEN and CORS_ORIGINS guard it as they guard the API.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(super::execution::body_limit(&state.config))
        .with_cancellation_token(shutdown);
    let service = StreamableHttpService::new(
        move || Ok(Tools::new(state.clone())),
        sessions.clone(),
        config,
    );
    axum::routing::any_service(service).layer(axum::middleware::from_fn_with_state(
        sessions,
        sessions::admit,
    ))
}

/// The tools, one instance per MCP session.
#[derive(Clone)]
pub(super) struct Tools {
    state: Arc<AppState>,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RunCode {
    /// python, javascript, typescript, c or cpp (or an alias such as py,
    /// js, ts, c++).
    language: String,
    /// The program's source (in a context: the cell's code; the value of
    /// its last expression comes back as `value`).
    code: String,
    /// Its standard input.
    #[serde(default)]
    stdin: Option<String>,
    /// Its command-line arguments (not in a context).
    #[serde(default)]
    args: Vec<String>,
    /// More files beside the code, path → contents (not in a context: write
    /// them with write_file).
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// Run in this context (from create_context): its variables and files
    /// are there from earlier runs.
    #[serde(default)]
    context_id: Option<String>,
    /// Python packages to install first, as pip takes them (not in a
    /// context: install into one with install_packages).
    #[serde(default)]
    packages: Vec<String>,
    /// Test cases (not in a context): the program runs once per test with
    /// its stdin (and args), judged against expectedOutput when given;
    /// the result has each test's verdict and testsPassed.
    #[serde(default)]
    tests: Vec<crate::judge::TestCase>,
    /// How outputs are compared with expectedOutput: trim-lines (the
    /// default), exact, tokens, or float:<tolerance> such as float:1e-6.
    #[serde(default)]
    compare: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct InstallPackages {
    /// The id create_context returned.
    context_id: String,
    /// For a Python context, requirements as pip takes them (`rich`,
    /// `tabulate==0.9.0`); for JavaScript, as npm does (`lodash@^4`).
    packages: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CreateContext {
    /// python or javascript.
    language: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ContextRef {
    /// The id create_context returned.
    context_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ReadFile {
    /// The id create_context returned.
    context_id: String,
    /// A path inside the context's sandbox, such as `out/result.csv`.
    path: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct WriteFile {
    /// The id create_context returned.
    context_id: String,
    /// A path inside the context's sandbox; missing directories are made.
    path: String,
    /// The file's text.
    content: String,
}

/// A refusal, as a tool error the agent can read.
fn refused(error: ApiError) -> CallToolResult {
    CallToolResult::structured_error(json!({
        "error": { "code": error.code, "message": error.message },
    }))
}

/// A run's result: an error result when the program did not succeed.
fn ran(result: Value) -> CallToolResult {
    if result["success"] == true {
        CallToolResult::structured(result)
    } else {
        CallToolResult::structured_error(result)
    }
}

fn language(name: &str) -> Result<Language, ApiError> {
    Language::from_name(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown language '{name}'; supported: {}",
            Language::all_names().join(", ")
        ))
    })
}

#[tool_router]
impl Tools {
    fn new(state: Arc<AppState>) -> Self {
        Self {
            state,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Run code in a WebAssembly sandbox and return its stdout, stderr, status and exit code. Without contextId each run starts fresh; with one, it runs as a notebook cell in that context and also returns `value`, the text of its last expression."
    )]
    async fn run_code(
        &self,
        Parameters(request): Parameters<RunCode>,
    ) -> Result<CallToolResult, ErrorData> {
        let result = match request.context_id.clone() {
            Some(id) => self.run_cell(&id, request).await,
            None => self.run_once(request).await,
        };
        Ok(result.map_or_else(refused, ran))
    }

    #[tool(description = "List the languages polyrun runs, with their versions and aliases.")]
    async fn list_languages(&self) -> Result<CallToolResult, ErrorData> {
        let languages: Vec<_> = Language::ALL.iter().map(|l| l.info()).collect();
        Ok(CallToolResult::structured(
            json!({ "languages": languages }),
        ))
    }

    #[tool(
        description = "Create a stateful context (python or javascript): an interpreter and a sandbox that keep variables, imports and files between run_code calls given its contextId."
    )]
    async fn create_context(
        &self,
        Extension(http): Extension<Parts>,
        Parameters(request): Parameters<CreateContext>,
    ) -> Result<CallToolResult, ErrorData> {
        let created = async {
            let runner = self.state.runner()?;
            let language = language(&request.language)?;
            let limits = super::execution::default_limits(&self.state.config);
            let caller = Caller::of(&http);
            let context =
                super::contexts::create_context(&self.state, runner, language, limits, caller)
                    .await?;
            Ok::<_, ApiError>(json!({
                "contextId": context.id(),
                "userDirectory": context.sandbox().name(),
                "language": language.info().name,
            }))
        };
        Ok(created
            .await
            .map_or_else(refused, CallToolResult::structured))
    }

    #[tool(
        description = "Install packages with their dependencies into a context's sandbox: for Python, pure-Python wheels from the server's package index, as pip install does; for JavaScript, from its npm registry into node_modules, as npm install does. The context's next run_code imports them."
    )]
    async fn install_packages(
        &self,
        Parameters(request): Parameters<InstallPackages>,
    ) -> Result<CallToolResult, ErrorData> {
        let installed = async {
            let runner = self.state.runner()?;
            let context = self.state.contexts.get(&request.context_id)?;
            let lines = super::contexts::install_into_context(
                &self.state,
                &runner,
                &context,
                &request.packages,
            )
            .await?;
            Ok::<_, ApiError>(json!({ "contextId": request.context_id, "report": lines }))
        };
        Ok(installed
            .await
            .map_or_else(refused, CallToolResult::structured))
    }

    #[tool(description = "Delete a context, its interpreter and its files.")]
    async fn delete_context(
        &self,
        Parameters(request): Parameters<ContextRef>,
    ) -> Result<CallToolResult, ErrorData> {
        let deleted = self.state.contexts.delete(&request.context_id);
        Ok(match deleted {
            Ok(()) => CallToolResult::structured(json!({ "deleted": request.context_id })),
            Err(error) => refused(error.into()),
        })
    }

    #[tool(description = "Read a text file (at most 1 MiB) from a context's sandbox.")]
    async fn read_file(
        &self,
        Parameters(request): Parameters<ReadFile>,
    ) -> Result<CallToolResult, ErrorData> {
        let read = async {
            let context = self.state.contexts.get(&request.context_id)?;
            let bytes = context
                .sandbox()
                .read_file(&request.path, MAX_READ_BYTES)
                .map_err(|e| ApiError::from_sandbox(e, ApiError::bad_request))?;
            Ok::<_, ApiError>(json!({
                "path": request.path,
                "content": String::from_utf8_lossy(&bytes),
            }))
        };
        Ok(read.await.map_or_else(refused, CallToolResult::structured))
    }

    #[tool(description = "Write a text file into a context's sandbox (within its disk quota).")]
    async fn write_file(
        &self,
        Parameters(request): Parameters<WriteFile>,
    ) -> Result<CallToolResult, ErrorData> {
        let written = async {
            if request.content.len() > self.state.config.max_code_size {
                return Err(super::execution::too_large(&self.state.config));
            }
            let context = self.state.contexts.get(&request.context_id)?;
            context
                .sandbox()
                .write_file(&request.path, request.content.as_bytes())
                .map_err(|e| ApiError::from_sandbox(e, ApiError::bad_request))?;
            Ok(json!({ "path": request.path, "bytes": request.content.len() }))
        };
        Ok(written
            .await
            .map_or_else(refused, CallToolResult::structured))
    }
}

impl Tools {
    /// A one-off run, as `POST /run/{language}` with `wait`.
    async fn run_once(&self, request: RunCode) -> Result<Value, ApiError> {
        let runner = self.state.runner()?;
        let language = language(&request.language)?;
        let mut body = RunBody::new(request.code, request.stdin, request.args, request.files);
        body.packages = request.packages;
        body.tests = request.tests;
        body.compare = request.compare;
        let result = start(&self.state, runner, language, body, None)?
            .finished()
            .await?;
        serde_json::to_value(result).map_err(|e| ApiError::internal(e.to_string()))
    }

    /// A cell in a context, as `POST /contexts/{id}/run`.
    async fn run_cell(&self, id: &str, request: RunCode) -> Result<Value, ApiError> {
        if !request.args.is_empty()
            || !request.files.is_empty()
            || !request.packages.is_empty()
            || !request.tests.is_empty()
        {
            return Err(ApiError::bad_request(
                "args, files, packages and tests do not apply in a context: write files with write_file, install with install_packages",
            ));
        }
        let asked = language(&request.language)?;
        let context = self.state.contexts.get(id)?;
        if context.language() != asked {
            return Err(ApiError::bad_request(format!(
                "context {id} runs {}, not {asked}",
                context.language()
            )));
        }
        let result =
            super::contexts::run_cell(&self.state, context, request.code, request.stdin).await?;
        serde_json::to_value(result).map_err(|e| ApiError::internal(e.to_string()))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("polyrun", env!("CARGO_PKG_VERSION")))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
            .with_instructions(
                "polyrun runs untrusted Python, JavaScript, TypeScript, C and C++ in WebAssembly \
                 sandboxes. Use run_code for one-off programs; create_context for a notebook-style \
                 session whose variables and files persist between run_code calls.",
            )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(PROTOCOL_VERSIONS)
    }
}
