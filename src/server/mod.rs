//! The server: the original server's HTTP API (see the README), served with
//! axum, and its Socket.IO shell on the same port.
//!
//! The listener opens first; runtimes are provisioned (or loaded) in the
//! background, with `/health` reporting progress and `/run` answering 503
//! until they are ready. On SIGTERM or Ctrl-C the server stops accepting,
//! lets running executions finish within a grace period, then cancels them.
//!
//! - `execution`: the execution service every surface runs code through
//!   (admission, sandbox, supervision, records); it calls none of them.
//! - The surfaces: `run` (`POST /run`), `contexts`, `mcp`, `socket` (the
//!   shell, with `transfer` for files and `link` for the socket's session),
//!   `cluster` (the shared queue), `piston` and `judge0` (their APIs),
//!   `status` and `web`.
//! - Around them: `listener` (connections), `body` (JSON bodies), `caller`
//!   (who asks), `rate_limit`, `request_id`, `error`, `executions` (the
//!   records), `openapi`.

mod body;
mod caller;
mod cluster;
mod contexts;
mod error;
mod execution;
mod executions;
mod judge0;
mod link;
mod listener;
mod mcp;
mod openapi;
mod piston;
mod rate_limit;
mod request_id;
mod run;
mod socket;
mod status;
mod transfer;
mod web;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

pub use error::ApiError;

use crate::config::Config;
use crate::contexts::ContextManager;
use crate::engine::{Engine, EngineOptions};
use crate::language::Runner;
use crate::packages::Packages;
use crate::packages::python::Preinstalled;
use crate::provision::{Progress, check_ready, provision};
use crate::runtimes::RuntimeDir;
use crate::sandbox::SandboxRoot;
use crate::session::{SessionManager, SessionTimeouts};
use executions::Executions;

/// Whether the runtimes can be used yet.
pub(crate) enum Readiness {
    Provisioning(Progress),
    Ready(Arc<Runner>),
    Failed(String),
}

pub(crate) struct AppState {
    config: Config,
    readiness: RwLock<Readiness>,
    sandboxes: Arc<SandboxRoot>,
    sessions: Arc<SessionManager>,
    contexts: Arc<ContextManager>,
    executions: Executions,
    /// Judge0's submissions and callbacks.
    judge0: judge0::Judge0,
    web: web::WebAssets,
    /// `RATE_LIMIT_PER_MINUTE`, when set.
    rate_limit: Option<Arc<rate_limit::RateLimit>>,
    /// Renders `/metrics` (none if another recorder came first).
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// `/openapi.json`, built with the routes (see [`openapi::routes`]).
    openapi: std::sync::OnceLock<utoipa::openapi::OpenApi>,
    /// The MCP sessions, made with the `/mcp` route.
    mcp_sessions: std::sync::OnceLock<Arc<mcp::Sessions>>,
    /// Cancelled when a shutdown begins: ends the MCP sessions' streams
    /// and stops this node taking jobs from the cluster's queue.
    shutting_down: CancellationToken,
    /// The cluster this node belongs to (`REDIS_URL`), if any.
    cluster: Option<Arc<crate::cluster::Cluster>>,
    /// In a cluster: the runs this node takes on at once, from the queue
    /// or with `wait` (`MAX_CONCURRENT_EXECUTIONS`).
    node_slots: Arc<tokio::sync::Semaphore>,
    /// A shutdown has begun: `/ready` says no.
    draining: std::sync::atomic::AtomicBool,
    /// Executions admitted (running or waiting to run).
    admitted: AtomicUsize,
    started: Instant,
    tasks: TaskTracker,
    cancel: CancellationToken,
}

impl AppState {
    pub(crate) fn runner(&self) -> Result<Arc<Runner>, ApiError> {
        match &*self.readiness.read().unwrap_or_else(|p| p.into_inner()) {
            Readiness::Ready(runner) => Ok(runner.clone()),
            Readiness::Provisioning(progress) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "runtimes_not_ready",
                format!("runtimes are being provisioned ({})", progress.current()),
            )),
            Readiness::Failed(reason) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "runtimes_not_ready",
                format!("runtimes are not available: {reason}"),
            )),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Never provision: fail readiness if runtimes are missing.
    pub offline: bool,
}

/// Runs the server until a shutdown signal (SIGTERM or Ctrl-C).
pub async fn serve(config: Config, options: ServeOptions) -> anyhow::Result<()> {
    start(config, options, shutdown_signal())
        .await?
        .finished()
        .await
}

/// A server that is listening.
pub struct RunningServer {
    pub address: std::net::SocketAddr,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    /// Waits until the server has shut down and its executions are over.
    pub async fn finished(self) -> anyhow::Result<()> {
        self.task.await.context("server task failed")?
    }
}

/// Binds the listener and serves in the background until `shutdown`
/// completes.
pub async fn start(
    config: Config,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<RunningServer> {
    crate::budget::configure(config.budgets);
    let sandboxes = SandboxRoot::open_or_create(&config.user_base_dir)
        .with_context(|| format!("USER_BASE_DIR {}", config.user_base_dir.display()))?
        .with_limits(config.disk_limits())
        .with_min_free_bytes(config.min_free_disk_mb << 20);
    remove_leftover_sandboxes(&sandboxes);
    let cluster = cluster::join(&config).await?;

    let listener = tokio::net::TcpListener::bind((config.host, config.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
    let address = listener.local_addr()?;
    tracing::info!(addr = %address, "listening");

    let sandboxes = Arc::new(sandboxes);
    let sessions = Arc::new(SessionManager::new(
        sandboxes.clone(),
        config.max_connections,
        SessionTimeouts {
            idle: config.session_timeout,
            resume_grace: config.session_resume_grace,
        },
    ));
    let contexts = Arc::new(ContextManager::new(
        sandboxes.clone(),
        config.max_contexts,
        config.context_timeout,
        config.context_memory_mb << 20,
    ));
    let progress = Progress::new(false);
    let state = Arc::new(AppState {
        readiness: RwLock::new(Readiness::Provisioning(progress.clone())),
        sandboxes,
        sessions,
        contexts,
        executions: Executions::default(),
        judge0: judge0::Judge0::new(&config),
        web: web::WebAssets::new(RuntimeDir::new(&config.runtimes_dir)),
        rate_limit: rate_limit::RateLimit::new(config.rate_limit_per_minute),
        metrics: crate::metrics::install(),
        draining: std::sync::atomic::AtomicBool::new(false),
        openapi: std::sync::OnceLock::new(),
        mcp_sessions: std::sync::OnceLock::new(),
        shutting_down: CancellationToken::new(),
        node_slots: Arc::new(tokio::sync::Semaphore::new(
            config.max_concurrent_executions,
        )),
        cluster,
        admitted: AtomicUsize::new(0),
        started: Instant::now(),
        tasks: TaskTracker::new(),
        cancel: CancellationToken::new(),
        config,
    });
    tokio::spawn(prepare_runtimes(state.clone(), options, progress));
    tokio::spawn(state.sessions.clone().sweep_until(state.cancel.clone()));
    tokio::spawn(state.contexts.clone().sweep_until(state.cancel.clone()));
    if let Some(cluster) = &state.cluster {
        cluster::spawn_tasks(&state, cluster);
    }

    let (socket_layer, sockets) = socket::layer(state.clone());
    let task = tokio::spawn(async move {
        // Open sockets would hold the graceful shutdown up: close them.
        let draining = state.clone();
        let shutdown = async move {
            shutdown.await;
            draining
                .draining
                .store(true, std::sync::atomic::Ordering::SeqCst);
            draining.shutting_down.cancel();
            cluster::leave(&draining).await;
            sockets.close().await;
        };
        let limits = listener::ConnectionLimits {
            max_connections: state.config.max_http_connections,
            max_per_address: state.config.max_connections_per_ip,
            header_timeout: state.config.http_header_timeout,
        }
        .within_open_files_limit();
        tracing::info!(
            max_connections = limits.max_connections,
            max_per_address = limits.max_per_address,
            "accepting connections"
        );
        listener::serve(
            listener,
            router(state.clone(), socket_layer),
            limits,
            shutdown,
        )
        .await;
        tracing::info!(
            running = state.tasks.len(),
            "shutting down; letting executions finish"
        );
        state.tasks.close();
        if tokio::time::timeout(state.config.shutdown_grace, state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("grace period over; cancelling executions");
            state.cancel.cancel();
            state.tasks.wait().await;
        }
        Ok(())
    });
    Ok(RunningServer { address, task })
}

fn router(state: Arc<AppState>, sockets: socketioxide::layer::SocketIoLayer) -> Router {
    let (api, description) = openapi::routes(&state);
    // The description is served as built from the routes themselves.
    let _ = state.openapi.set(description);
    let mut pages = Router::new().route("/", get(web::index));
    for (name, _, _) in web::OWN_FILES {
        pages = pages.route(&format!("/{name}"), get(web::file));
    }
    pages
        .route("/vendor/{name}", get(web::vendor))
        .merge(api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(RequestBodyTimeoutLayer::new(state.config.http_body_timeout))
        .layer(middleware::from_fn(web::security_headers))
        .layer(cors(&state.config))
        .layer(middleware::from_fn(log_request))
        .layer(sockets)
        .with_state(state)
}

/// A panic while handling a request answers `internal_error`; the server
/// goes on.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    tracing::error!(panic = detail, "a request handler panicked");
    ApiError::internal("the server failed while handling this request").into_response()
}

async fn not_found(request: Request) -> ApiError {
    let error = ApiError::not_found(
        "not_found",
        format!("no route for {} {}", request.method(), request.uri().path()),
    );
    read_unused_body(request).await;
    error
}

async fn method_not_allowed(request: Request) -> ApiError {
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    );
    read_unused_body(request).await;
    error
}

/// The most of a request body the server reads only to throw it away.
const UNUSED_BODY_LIMIT: usize = 64 * 1024;

/// Reads (at most [`UNUSED_BODY_LIMIT`] of) a body the answer does not use.
///
/// An early answer (404, 405, 401) with the body still unread makes hyper close
/// the connection, and a client still writing its body then sees a broken
/// pipe instead of the error. Small bodies are read so the client gets the
/// answer; a larger one is cut off as before. The server's body timeout
/// bounds how long this can take.
async fn read_unused_body(request: Request) {
    let _ = axum::body::to_bytes(request.into_body(), UNUSED_BODY_LIMIT).await;
}

/// The token of an `Authorization: Bearer …` header.
/// The token a request carries: `Authorization: Bearer <token>`, or
/// `X-Auth-Token: <token>` as Judge0's clients send it.
fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    bearer.or_else(|| headers.get("x-auth-token").and_then(|v| v.to_str().ok()))
}

/// Checks the request's token (see [`bearer_token`]) when `API_TOKEN` is
/// configured.
pub(super) async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(expected) = &state.config.api_token {
        let given = bearer_token(request.headers());
        if !given.is_some_and(|token| constant_time_eq(token.as_bytes(), expected.as_bytes())) {
            read_unused_body(request).await;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or wrong bearer token",
            ));
        }
    }
    Ok(next.run(request).await)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One log line per request: method, path, status, duration.
/// Gives every request an id (`x-request-id`: the client's, if it is a
/// sensible one, else a new one), returns it on the response, and logs the
/// request with it.
async fn log_request(mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let request_id = request_id::assign(request.headers_mut());
    let mut response = next.run(request).await;
    request_id::answer(response.headers_mut(), &request_id);
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_millis() as u64,
        request_id = request_id.as_str(),
        "request"
    );
    response
}

/// `CORS_ORIGINS`: which web pages elsewhere may call the API (none by
/// default: the layer then adds nothing).
fn cors(config: &Config) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if config.cors_origins.is_empty() {
        return CorsLayer::new();
    }
    let origins = if config.cors_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            config
                .cors_origins
                .iter()
                .filter_map(|origin| origin.parse().ok()),
        )
    };
    let names = |names: &[&'static str]| {
        names
            .iter()
            .map(|name| axum::http::HeaderName::from_static(name))
            .collect::<Vec<_>>()
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::DELETE,
        ])
        .allow_headers(names(&[
            "authorization",
            "content-type",
            "mcp-session-id",
            "mcp-protocol-version",
            "last-event-id",
            "x-request-id",
        ]))
        .expose_headers(names(&[
            "x-request-id",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "retry-after",
            "mcp-session-id",
        ]))
        .max_age(Duration::from_secs(600))
}

async fn prepare_runtimes(state: Arc<AppState>, options: ServeOptions, progress: Progress) {
    let dir = RuntimeDir::new(&state.config.runtimes_dir);
    let readiness = match load_runtimes(&state, &dir, &options, &progress).await {
        Ok(runner) => {
            tracing::info!("runtimes ready");
            Readiness::Ready(Arc::new(runner))
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "runtimes unavailable");
            Readiness::Failed(format!("{error:#}"))
        }
    };
    *state.readiness.write().unwrap_or_else(|p| p.into_inner()) = readiness;
}

async fn load_runtimes(
    state: &AppState,
    dir: &RuntimeDir,
    options: &ServeOptions,
    progress: &Progress,
) -> anyhow::Result<Runner> {
    if let Err(reason) = check_ready(dir) {
        if options.offline {
            anyhow::bail!(
                "{reason}; provision them with `cargo xtask fetch-runtimes` (started with --offline)"
            );
        }
        tracing::info!(%reason, "provisioning runtimes");
        provision(dir, &Default::default(), progress).await?;
    }
    let engine_options = EngineOptions {
        max_instances: (state.config.max_concurrent_executions * 2 + 4).min(1000) as u32,
        max_live_instances: state.config.max_contexts as u32,
        max_memory_bytes: 4 << 30,
    };
    let engine = Engine::load(dir, &engine_options)?;
    let runner = Runner::new(Arc::new(engine), dir.clone())?
        .with_max_concurrent(state.config.max_concurrent_executions)
        .with_compile_timeout(state.config.compile_timeout)
        .with_packages(package_service(&state.config, dir)?);
    if let Err(error) = runner.learn_working_sets().await {
        // Runs still work, only without their pages faulted in ahead.
        tracing::warn!("{error:#}");
    }
    Ok(runner)
}

/// The package service for the configured index, knowing which
/// distributions the Python runtime has built in.
fn package_service(config: &Config, dir: &RuntimeDir) -> anyhow::Result<Packages> {
    if config.packages.python_index.is_none() && config.packages.npm_registry.is_none() {
        return Ok(Packages::off());
    }
    let stdlib = dir.python_stdlib().join("python315.zip");
    let preinstalled = Preinstalled::from_zip(&stdlib).unwrap_or_else(|error| {
        tracing::warn!("cannot list the preinstalled Python packages: {error:#}");
        Preinstalled::default()
    });
    Packages::new(config.packages.clone(), preinstalled)
}

fn remove_leftover_sandboxes(sandboxes: &SandboxRoot) {
    let Ok(names) = sandboxes.list() else { return };
    for name in names {
        if let Err(error) = sandboxes.remove(&name) {
            tracing::warn!(sandbox = name, %error, "cannot remove a leftover sandbox");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}
