//! `GET /api/v2/connect`: Piston's interactive WebSocket. The client
//! sends `init` (an execute request) within a second; we answer
//! `runtime`, then `stage`, the program's output as `data` messages while
//! it runs, and `exit`, and close with 4999 "Job Completed". Meanwhile
//! the client may send `data` on `stdin` and a `signal`. Mistakes close
//! the socket with Piston's codes (4000 to 4005).
//!
//! The run goes through the execution service like any other (admitted
//! against the same queue, with the same limits and sandbox); what the
//! socket adds is held within bounds: one run per socket, messages of at
//! most [`MAX_MESSAGE_BYTES`], stdin through a pipe of [`STDIN_PIPE_BYTES`]
//! (a client that writes faster waits), output no more than the run's
//! output limit.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::mpsc::UnboundedReceiver;

use super::execute::{self, PistonJob};
use crate::engine::{OutputChunk, StreamKind};
use crate::server::AppState;
use crate::server::execution::{LiveIo, Names, start_live};
use crate::server::executions::ExecutionResult;

/// How long a socket may stay open before its `init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(1);

/// The largest message a client may send (an `init` carries the files).
const MAX_MESSAGE_BYTES: usize = 4 << 20;

/// The pipe between the socket and the program's stdin.
const STDIN_PIPE_BYTES: usize = 64 << 10;

/// The signals Piston accepts.
const SIGNALS: [&str; 38] = [
    "SIGABRT",
    "SIGALRM",
    "SIGBUS",
    "SIGCHLD",
    "SIGCLD",
    "SIGCONT",
    "SIGEMT",
    "SIGFPE",
    "SIGHUP",
    "SIGILL",
    "SIGINFO",
    "SIGINT",
    "SIGIO",
    "SIGIOT",
    "SIGKILL",
    "SIGLOST",
    "SIGPIPE",
    "SIGPOLL",
    "SIGPROF",
    "SIGPWR",
    "SIGQUIT",
    "SIGSEGV",
    "SIGSTKFLT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGSYS",
    "SIGTERM",
    "SIGTRAP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGUNUSED",
    "SIGURG",
    "SIGUSR1",
    "SIGUSR2",
    "SIGVTALRM",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGWINCH",
];

/// Signals a native process ignores unless it asked otherwise: they do
/// not end the program. Every other one does (WebAssembly has no signal
/// handlers to deliver them to).
const IGNORED_SIGNALS: [&str; 5] = ["SIGCHLD", "SIGCLD", "SIGCONT", "SIGURG", "SIGWINCH"];

/// Piston's interactive socket.
#[utoipa::path(
    get,
    path = "/api/v2/connect",
    tag = "piston",
    responses(
        (status = 101, description = "A WebSocket speaking Piston's protocol: init, runtime, stage, data, signal, exit"),
        (status = 400, description = "Not a WebSocket upgrade"),
    ),
    security((), ("bearer" = [])),
)]
pub(in crate::server) async fn connect(
    State(state): State<Arc<AppState>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve(state, socket))
}

/// What ends a socket: Piston's close code and reason.
struct Close(u16, &'static str);

const COMPLETED: Close = Close(4999, "Job Completed");

async fn serve(state: Arc<AppState>, mut socket: WebSocket) {
    let close = match tokio::time::timeout(INIT_TIMEOUT, next_message(&mut socket)).await {
        Err(_) => Close(4001, "Initialization Timeout"),
        Ok(None) => return,
        Ok(Some(Err(error))) => notified(&mut socket, &error).await,
        Ok(Some(Ok(message))) => match message["type"].as_str() {
            Some("init") => run(&state, &mut socket, &message).await,
            Some("data" | "signal") => Close(4003, "Not yet Initialized"),
            _ => notified(&mut socket, "unknown message type").await,
        },
    };
    let frame = CloseFrame {
        code: close.0,
        reason: close.1.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Sends Piston's `error` message; the socket then closes with 4002.
async fn notified(socket: &mut WebSocket, message: &str) -> Close {
    send(socket, json!({ "type": "error", "message": message })).await;
    Close(4002, "Notified Error")
}

/// The next message as JSON; `None` when the client closed.
async fn next_message(socket: &mut WebSocket) -> Option<Result<Value, String>> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(text)) => {
                return Some(serde_json::from_str(text.as_str()).map_err(|e| e.to_string()));
            }
            Ok(Message::Binary(bytes)) => {
                return Some(serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
        }
    }
}

async fn send(socket: &mut WebSocket, message: Value) -> bool {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .is_ok()
}

/// Starts the run `init` asks for and talks to it until it ends.
async fn run(state: &Arc<AppState>, socket: &mut WebSocket, init: &Value) -> Close {
    let runner = match state.runner() {
        Ok(runner) => runner,
        Err(error) => return notified(socket, &error.message).await,
    };
    let (job, mut body) = match execute::parse(&state.config, init) {
        Ok(parsed) => parsed,
        Err(error) => return notified(socket, &error.message).await,
    };
    let (stdin_reader, mut stdin) = tokio::io::duplex(STDIN_PIPE_BYTES);
    let first_stdin = body.stdin.take().unwrap_or_default();
    let (output, chunks) = tokio::sync::mpsc::unbounded_channel();
    let live = LiveIo {
        stdin: Box::new(stdin_reader),
        output,
    };
    let names = Names {
        filename: job.program_name.clone(),
        ..Names::default()
    };
    let started = match start_live(state, runner, job.language, body, names, live) {
        Ok(started) => started,
        Err(error) => return notified(socket, &error.message).await,
    };
    let runtime = json!({ "type": "runtime", "language": job.runtime.language, "version": job.runtime.version });
    if !send(socket, runtime).await {
        return COMPLETED;
    }
    let mut stages = Stages::new(&job);
    stages.begin(socket).await;
    if !first_stdin.is_empty() && stdin.write_all(first_stdin.as_bytes()).await.is_err() {
        tracing::debug!("the program ended before its first stdin");
    }
    let finished = started.finished();
    tokio::pin!(finished);
    let mut chunks = chunks;
    loop {
        tokio::select! {
            result = &mut finished => {
                let result = match result {
                    Ok(result) => result,
                    Err(error) => return notified(socket, &error.message).await,
                };
                forward_rest(socket, &mut stages, &mut chunks).await;
                stages.end(socket, &result).await;
                return COMPLETED;
            }
            Some(chunk) = chunks.recv() => {
                stages.output(socket, chunk).await;
            }
            message = next_message(socket) => match client_says(message) {
                ClientSays::Stdin(data) => {
                    if stdin.write_all(data.as_bytes()).await.is_err() {
                        tracing::debug!("stdin after the program stopped reading");
                    }
                }
                ClientSays::Signal(signal) if IGNORED_SIGNALS.contains(&signal) => {}
                ClientSays::Signal(signal) => {
                    // Dropping the run's future stops it.
                    forward_rest(socket, &mut stages, &mut chunks).await;
                    stages.killed(socket, signal).await;
                    return COMPLETED;
                }
                ClientSays::Close(close) => return close,
                ClientSays::Error(error) => return notified(socket, &error).await,
                ClientSays::Gone => return COMPLETED,
            },
        }
    }
}

/// What a client's message during a run asks for.
enum ClientSays {
    Stdin(String),
    Signal(&'static str),
    Close(Close),
    Error(String),
    Gone,
}

fn client_says(message: Option<Result<Value, String>>) -> ClientSays {
    let message = match message {
        None => return ClientSays::Gone,
        Some(Err(error)) => return ClientSays::Error(error),
        Some(Ok(message)) => message,
    };
    match message["type"].as_str() {
        Some("init") => ClientSays::Close(Close(4000, "Already Initialized")),
        Some("data") => match (message["stream"].as_str(), message["data"].as_str()) {
            (Some("stdin"), Some(data)) => ClientSays::Stdin(data.to_owned()),
            (Some("stdin"), None) => ClientSays::Error("data must be a string".to_owned()),
            _ => ClientSays::Close(Close(4004, "Can only write to stdin")),
        },
        Some("signal") => match SIGNALS
            .iter()
            .find(|signal| Some(**signal) == message["signal"].as_str())
        {
            Some(signal) => ClientSays::Signal(signal),
            None => ClientSays::Close(Close(4005, "Invalid signal")),
        },
        _ => ClientSays::Error("unknown message type".to_owned()),
    }
}

/// Sends what the program wrote and has not been sent yet.
async fn forward_rest(
    socket: &mut WebSocket,
    stages: &mut Stages,
    chunks: &mut UnboundedReceiver<OutputChunk>,
) {
    while let Ok(chunk) = chunks.try_recv() {
        stages.output(socket, chunk).await;
    }
}

/// Where the run is in Piston's stages: a compiled language's `compile`
/// stage ends when its program first writes (or when the run ends), and
/// its `run` stage begins then.
struct Stages {
    compiled: bool,
    running: bool,
}

impl Stages {
    fn new(job: &PistonJob) -> Self {
        Self {
            compiled: execute::compiled(job.language),
            running: false,
        }
    }

    async fn begin(&mut self, socket: &mut WebSocket) {
        let stage = if self.compiled { "compile" } else { "run" };
        self.running = !self.compiled;
        send(socket, json!({ "type": "stage", "stage": stage })).await;
    }

    /// Ends the compile stage (cleanly) and starts the run's, once.
    async fn start_running(&mut self, socket: &mut WebSocket) {
        if self.running {
            return;
        }
        self.running = true;
        let exit = json!({ "type": "exit", "stage": "compile", "code": 0, "signal": null });
        send(socket, exit).await;
        send(socket, json!({ "type": "stage", "stage": "run" })).await;
    }

    async fn output(&mut self, socket: &mut WebSocket, chunk: OutputChunk) {
        self.start_running(socket).await;
        let stream = match chunk.stream {
            StreamKind::Stdout => "stdout",
            StreamKind::Stderr => "stderr",
        };
        let data = String::from_utf8_lossy(&chunk.data);
        send(
            socket,
            json!({ "type": "data", "stream": stream, "data": data }),
        )
        .await;
    }

    /// The last messages: a failed compile's output and exit, or the
    /// run's exit.
    async fn end(&mut self, socket: &mut WebSocket, result: &ExecutionResult) {
        if !self.running && result.status == crate::engine::Status::CompileError {
            let output =
                json!({ "type": "data", "stream": "stderr", "data": result.compile_output });
            send(socket, output).await;
            let exit = json!({ "type": "exit", "stage": "compile", "code": 1, "signal": null });
            send(socket, exit).await;
            return;
        }
        self.start_running(socket).await;
        let (code, signal) = execute::exit_status(result);
        let exit = json!({ "type": "exit", "stage": "run", "code": code, "signal": signal });
        send(socket, exit).await;
    }

    async fn killed(&mut self, socket: &mut WebSocket, signal: &str) {
        let stage = if self.running { "run" } else { "compile" };
        let exit = json!({ "type": "exit", "stage": stage, "code": null, "signal": signal });
        send(socket, exit).await;
    }
}
