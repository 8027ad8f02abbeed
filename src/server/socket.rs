//! The Socket.IO shell (socketioxide, on the HTTP port): the original
//! server's `input` / `output-success` / `output-error` events, plus
//! `session`, `exit`, `interrupt` and `run`.
//!
//! Each socket attaches to a [`Session`]; a forwarding task turns the
//! session's events into Socket.IO emits, coalescing bursts of output and
//! waiting (rather than dropping output) when the socket's buffer is full.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::extract::{AckSender, Data, Extension, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler as _;
use socketioxide::{SendError, SocketIo, SocketIoBuilder};
use tokio::sync::mpsc::UnboundedReceiver;

use super::AppState;
use super::execution::{check_args, write_code};
use super::link::Link;
use crate::engine::StreamKind;
use crate::language::{Language, RunFile, Source};
use crate::session::{
    Environment, InputDelivery, MAX_UNREAD_INPUT, PendingOutput, SessionEvent, stream_outcome,
};
use crate::shell::{OutputTarget, TerminalFeatures};

/// Output sent in one `output-*` event at most.
const MAX_EMIT_BYTES: usize = 64 * 1024;
/// Packets socketioxide queues for one socket before refusing more.
const SOCKET_BUFFER_PACKETS: usize = 32;
/// How long output is held to join it with what follows.
const COALESCE_WINDOW: Duration = Duration::from_millis(4);
/// How long output waits for a full socket buffer before the client is
/// disconnected (`SLOW_CLIENT_TIMEOUT`), kept in the socket's extensions.
#[derive(Clone, Copy)]
struct SlowClientTimeout(Duration);

/// Builds the Socket.IO layer, with message caps from the configuration,
/// and the handle that closes every socket at shutdown.
pub(super) fn layer(state: Arc<AppState>) -> (socketioxide::layer::SocketIoLayer, SocketIo) {
    let transport_limit = super::execution::body_limit(&state.config);
    let (layer, io) = SocketIoBuilder::new()
        .max_payload(transport_limit as u64)
        .ws_max_message_size(transport_limit)
        .ws_max_frame_size(transport_limit)
        // Packets queued per socket (each at most MAX_EMIT_BYTES): what a
        // client that stops reading can hold on the server.
        .max_buffer_size(SOCKET_BUFFER_PACKETS)
        .with_state(state)
        .build_layer();
    io.ns("/", greet.with(attach).with(admit));
    (layer, io)
}

/// Refuses a connection without the token (when `API_TOKEN` is set) or
/// beyond `MAX_CONNECTIONS`; the client gets the message as `connect_error`.
async fn admit(
    State(state): State<Arc<AppState>>,
    TryData(auth): TryData<Value>,
) -> Result<(), String> {
    if let Some(expected) = &state.config.api_token {
        let given = auth
            .as_ref()
            .ok()
            .and_then(|auth| auth.get("token"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if !super::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err("unauthorized: connect with auth: { token } (API_TOKEN)".to_owned());
        }
    }
    state.sessions.connect().map_err(|refusal| {
        tracing::warn!(%refusal, "connection refused");
        refusal.to_string()
    })
}

/// Opens (or resumes) the client's session and registers its handlers,
/// as a middleware: socketioxide tells the client it is connected before
/// it runs the connect handler (as a task of its own), and drops events
/// that arrive before their handler exists, so a client typing right
/// after connecting would lose its first line.
async fn attach(
    socket: SocketRef,
    State(state): State<Arc<AppState>>,
    TryData(auth): TryData<Value>,
) -> Result<(), String> {
    let auth = auth.ok();
    let resume = auth
        .as_ref()
        .and_then(|auth| auth.get("sessionId")?.as_str().map(str::to_owned));
    let features = terminal_features(auth.as_ref());
    let client = super::rate_limit::address_of(&socket.req_parts().extensions);
    let (session, resumed) = state
        .sessions
        .open(resume.as_deref(), client)
        .map_err(|error| {
            tracing::error!(%error, "cannot create a session");
            state.sessions.disconnected();
            format!("cannot create a session: {error}")
        })?;
    if let Some(cluster) = &state.cluster {
        // At once, not at the next heartbeat: a run for this session may
        // reach another node the moment the client has its sessionId.
        let location = [(session.id().to_owned(), session.sandbox().name().to_owned())];
        if let Err(error) = cluster.register_sessions(&location).await {
            tracing::warn!(%error, "cannot map a session to this node");
        }
    }
    let (generation, events) = session.attach(features);
    socket
        .extensions
        .insert(SlowClientTimeout(state.config.slow_client_timeout));
    socket.extensions.insert(Link {
        session,
        generation,
    });
    socket.extensions.insert(Greeting {
        resumed,
        events: Arc::new(std::sync::Mutex::new(Some(events))),
    });
    register_handlers(&socket);
    Ok(())
}

/// What [`attach`] leaves for [`greet`]: whether the session was resumed,
/// and its events, which only the forwarding task takes.
#[derive(Clone)]
struct Greeting {
    resumed: bool,
    events: Arc<std::sync::Mutex<Option<UnboundedReceiver<SessionEvent>>>>,
}

fn register_handlers(socket: &SocketRef) {
    // socketioxide runs each handler's future as a task of its own, and
    // tasks may run out of order: lines typed (or pasted) in quick
    // succession would reach the program shuffled. The work happens when
    // the handler is called, in arrival order; its future is empty.
    socket.on(
        "input",
        |socket: SocketRef,
         state: State<Arc<AppState>>,
         link: Extension<Link>,
         value: Data<Value>| {
            on_input(socket, state, link, value);
            std::future::ready(())
        },
    );
    // Likewise, so that Ctrl-C never overtakes a line typed before it.
    socket.on("interrupt", |link: Extension<Link>| {
        on_interrupt(link);
        std::future::ready(())
    });
    socket.on("run", on_run);
    socket.on("complete", on_complete);
    socket.on("upload", super::transfer::on_upload);
    socket.on("read-file", super::transfer::on_read_file);
    socket.on_disconnect(on_disconnect);
}

/// Once the client knows it is connected: tells it its session, and starts
/// forwarding the session's events to it.
async fn greet(
    socket: SocketRef,
    Extension(link): Extension<Link>,
    Extension(greeting): Extension<Greeting>,
) {
    let session = &link.session;
    let _ = socket.emit(
        "session",
        &json!({
            "sessionId": session.id(),
            "userDirectory": session.sandbox().name(),
            "cwd": session.prompt_path(),
            "resumed": greeting.resumed,
        }),
    );
    tracing::info!(
        user_directory = session.sandbox().name(),
        resumed = greeting.resumed,
        "socket attached"
    );
    let events = greeting
        .events
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(events) = events {
        tokio::spawn(forward(socket, events));
    }
}

/// What the client says it can do beyond text: `auth.features`, a list
/// of names (`inline-images`, `downloads`); only the first few are read.
fn terminal_features(auth: Option<&Value>) -> TerminalFeatures {
    let names = auth
        .and_then(|auth| auth.get("features"))
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .take(8)
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    TerminalFeatures::from_names(names)
}

/// Lines completed are at most this long (a command line, not a program).
const MAX_COMPLETION_LINE: usize = 4096;

/// `complete {line, cursor}` with an acknowledgement: the candidates for the
/// word before the cursor, as `{start, candidates}` (see
/// [`Completion`](crate::shell::Completion)). Bad input gets no candidates.
async fn on_complete(link: Extension<Link>, ack: AckSender, Data(request): Data<Value>) {
    let line = request.get("line").and_then(Value::as_str).unwrap_or("");
    let length = line.chars().count();
    let cursor = request
        .get("cursor")
        .and_then(Value::as_u64)
        .map_or(length, |c| usize::try_from(c).unwrap_or(usize::MAX));
    let completion = if line.len() > MAX_COMPLETION_LINE || cursor > length {
        crate::shell::Completion::default()
    } else {
        link.session.complete(line, cursor)
    };
    let _ = ack.send(&completion);
}

async fn on_disconnect(State(state): State<Arc<AppState>>, Extension(link): Extension<Link>) {
    link.session.detach(link.generation);
    state.sessions.disconnected();
}

/// A string event payload within `MAX_CODE_SIZE`, or an `output-error`.
fn text_payload<'a>(
    socket: &SocketRef,
    state: &AppState,
    event: &str,
    value: &'a Value,
) -> Option<&'a str> {
    let Some(text) = value.as_str() else {
        let _ = socket.emit("output-error", &format!("{event}: expected a string\n"));
        return None;
    };
    if text.len() > state.config.max_code_size {
        let _ = socket.emit(
            "output-error",
            &format!(
                "{event}: {} bytes is larger than MAX_CODE_SIZE ({} bytes); ignored\n",
                text.len(),
                state.config.max_code_size
            ),
        );
        return None;
    }
    Some(text)
}

/// A command line, or a line for the running program's stdin. Synchronous:
/// see where it is registered.
fn on_input(
    socket: SocketRef,
    State(state): State<Arc<AppState>>,
    Extension(link): Extension<Link>,
    Data(value): Data<Value>,
) {
    let Some(line) = text_payload(&socket, &state, "input", &value) else {
        return;
    };
    let session = &link.session;
    session.touch();
    match session.write_input(line) {
        InputDelivery::Delivered => {}
        InputDelivery::Full => {
            let _ = socket.emit(
                "output-error",
                &format!(
                    "input: the program has not read the last {} MiB typed; this line was dropped\n",
                    MAX_UNREAD_INPUT >> 20
                ),
            );
        }
        InputDelivery::NothingRuns => {
            if let Err(busy) = session.start_command(line.to_owned(), environment(&state)) {
                let _ = socket.emit("output-error", &format!("{busy}\n"));
            }
        }
    }
}

fn on_interrupt(Extension(link): Extension<Link>) {
    link.session.touch();
    link.session.interrupt();
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    language: String,
    code: String,
    #[serde(default)]
    stdin: Option<String>,
    #[serde(default)]
    args: Vec<String>,
}

/// `run {language, code, stdin?, args?}`: the `POST /run` path, in the
/// session's sandbox, output streamed.
async fn on_run(
    socket: SocketRef,
    State(state): State<Arc<AppState>>,
    Extension(link): Extension<Link>,
    Data(value): Data<Value>,
) {
    let session = link.session.clone();
    session.touch();
    let refuse = |message: String| {
        let _ = socket.emit("output-error", &format!("run: {message}\n"));
    };
    let request: RunRequest = match serde_json::from_value(value) {
        Ok(request) => request,
        Err(error) => return refuse(format!("invalid payload: {error}")),
    };
    let max = state.config.max_code_size;
    if request.code.len() > max || request.stdin.as_ref().is_some_and(|s| s.len() > max) {
        return refuse(format!(
            "code and stdin must each be at most MAX_CODE_SIZE ({max} bytes)"
        ));
    }
    let Some(language) = Language::from_name(&request.language) else {
        return refuse(format!(
            "unknown language '{}'; supported: {}",
            request.language,
            Language::all_names().join(", ")
        ));
    };
    if let Err(error) = check_args(&request.args) {
        return refuse(error.message);
    }
    let runner = match state.runner() {
        Ok(runner) => runner,
        Err(error) => return refuse(error.message),
    };
    let script = match write_code(session.sandbox(), language, &request.code) {
        Ok(script) => script,
        Err(error) => return refuse(error.message),
    };
    session.count_execution();
    let environment = environment(&state);
    let limits = environment.limits;
    let what = format!("run {language} {script}");
    let script_name = script.clone();
    let running = session.clone();
    let started = session.start_program(&what, &environment, move |input| async move {
        let stdin = match request.stdin {
            Some(stdin) => crate::engine::Stdin::Bytes(stdin.into_bytes()),
            None => crate::engine::Stdin::Stream(Box::new(input)),
        };
        let sandbox = running.sandbox().clone();
        let outcome = stream_outcome(&running, |output| {
            runner.run_file(RunFile {
                language,
                sandbox: &sandbox,
                source: Source::File(script),
                working_dir: "/".to_owned(),
                args: request.args,
                env: OutputTarget::features(&*running).program_environment(),
                flags: Vec::new(),
                units: Vec::new(),
                stdin,
                limits,
                output: Some(output),
                terminal: crate::engine::TerminalStreams::NONE,
            })
        })
        .await;
        running.report_outcome(&outcome)
    });
    if let Err(busy) = started {
        // The code file was written for a run that will not happen: a
        // client sending runs while busy must not fill its sandbox.
        let _ = session.sandbox().remove_file(&script_name);
        refuse(busy.to_string());
    }
}

fn environment(state: &AppState) -> Environment {
    Environment {
        runner: state.runner().map_err(|e| e.message),
        limits: super::execution::default_limits(&state.config),
        shutdown: state.cancel.clone(),
        tasks: state.tasks.clone(),
    }
}

/// Turns session events into emits until the session lets this socket go.
/// A client that has not taken its output for [`SlowClientTimeout`] is
/// disconnected (its session waits to be resumed, as after any drop).
async fn forward(socket: SocketRef, mut events: UnboundedReceiver<SessionEvent>) {
    let mut text = [Utf8Stream::default(), Utf8Stream::default()];
    let mut next = events.recv().await;
    while let Some(event) = next.take() {
        let delivered = match event {
            SessionEvent::Output(first) => {
                let (batch, following) = coalesce(first, &mut events).await;
                next = following;
                let stream = batch[0].chunk.stream;
                let data: Vec<u8> = batch
                    .iter()
                    .flat_map(|p| p.chunk.data.iter().copied())
                    .collect();
                let index = usize::from(stream == StreamKind::Stderr);
                let decoded = text[index].decode(&data);
                // The batch (and its share of the output budget) is let go
                // once the socket has taken it.
                emit_text(&socket, stream, decoded).await
            }
            SessionEvent::Exit(report) => flush_and_exit(&socket, &mut text, &report).await,
            SessionEvent::Download(path) => {
                let name = path.rsplit('/').next().unwrap_or_default().to_owned();
                emit(&socket, "download", &json!({ "path": path, "name": name })).await
            }
            SessionEvent::Closed(reason) => {
                let _ = emit(&socket, "output-error", &format!("{reason}\n")).await;
                let _ = socket.disconnect();
                return;
            }
        };
        if !delivered {
            tracing::warn!("a client stopped reading its output; disconnecting it");
            let _ = socket.disconnect();
            return;
        }
        if next.is_none() {
            next = events.recv().await;
        }
    }
    // Another socket resumed this session: this one is let go.
    let _ = emit(
        &socket,
        "output-error",
        "this session was resumed from another connection\n",
    )
    .await;
    let _ = socket.disconnect();
}

/// Joins what follows `first` within a few milliseconds on the same stream:
/// `print('a', b)` is several writes in unbuffered Python, and one event
/// per write would flood the client. Returns the batch and the event that
/// ended it, if any.
async fn coalesce(
    first: PendingOutput,
    events: &mut UnboundedReceiver<SessionEvent>,
) -> (Vec<PendingOutput>, Option<SessionEvent>) {
    let stream = first.chunk.stream;
    let mut size = first.chunk.data.len();
    let mut batch = vec![first];
    let window = tokio::time::Instant::now() + COALESCE_WINDOW;
    while size < MAX_EMIT_BYTES {
        match tokio::time::timeout_at(window, events.recv()).await {
            Ok(Some(SessionEvent::Output(more))) if more.chunk.stream == stream => {
                size += more.chunk.data.len();
                batch.push(more);
            }
            Ok(other) => return (batch, other),
            Err(_) => break,
        }
    }
    (batch, None)
}

/// Emits what is left of a character split across chunks, then `exit`.
async fn flush_and_exit(
    socket: &SocketRef,
    text: &mut [Utf8Stream; 2],
    report: &crate::session::ExitReport,
) -> bool {
    for (index, stream) in [StreamKind::Stdout, StreamKind::Stderr]
        .into_iter()
        .enumerate()
    {
        let rest = text[index].flush();
        if !emit_text(socket, stream, rest).await {
            return false;
        }
    }
    emit(socket, "exit", report).await
}

async fn emit_text(socket: &SocketRef, stream: StreamKind, text: String) -> bool {
    if text.is_empty() {
        return true;
    }
    let event = match stream {
        StreamKind::Stdout => "output-success",
        StreamKind::Stderr => "output-error",
    };
    emit(socket, event, &text).await
}

/// Emits, waiting while the socket's buffer is full; `false` once the
/// socket is gone (or stuck for longer than its [`SlowClientTimeout`]).
async fn emit<T: serde::Serialize + ?Sized>(socket: &SocketRef, event: &str, data: &T) -> bool {
    let wait = socket
        .extensions
        .get::<SlowClientTimeout>()
        .map_or(Duration::from_secs(30), |timeout| timeout.0);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match socket.emit(event, data) {
            Ok(()) => return true,
            Err(SendError::Socket(socketioxide::SocketError::InternalChannelFull))
                if tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(_) => return false,
        }
    }
}

/// Decodes a byte stream as UTF-8 across chunk boundaries: an incomplete
/// character at the end of a chunk waits for the next.
#[derive(Default)]
struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    fn decode(&mut self, data: &[u8]) -> String {
        self.pending.extend_from_slice(data);
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let text = String::from_utf8_lossy(&self.pending[..complete]).into_owned();
        self.pending.drain(..complete);
        text
    }

    fn flush(&mut self) -> String {
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        text
    }
}

#[cfg(test)]
mod tests {
    use super::Utf8Stream;

    #[test]
    fn characters_split_across_chunks_are_kept_whole() {
        let mut stream = Utf8Stream::default();
        let bytes = "é€".as_bytes();
        assert_eq!(stream.decode(&bytes[..1]), "");
        assert_eq!(stream.decode(&bytes[1..3]), "é");
        assert_eq!(stream.decode(&bytes[3..]), "€");
        assert_eq!(stream.decode(b"\xff ok"), "\u{fffd} ok");
        assert_eq!(stream.decode(&bytes[..1]), "");
        assert_eq!(stream.flush(), "\u{fffd}");
    }
}
