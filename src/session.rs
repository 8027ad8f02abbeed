//! User sessions: a private sandbox and shell per Socket.IO user, kept
//! across reconnects, stopped and removed when idle.
//!
//! A session is independent of any one socket. A socket *attaches* to it
//! and receives its [`SessionEvent`]s; on disconnect the session is
//! detached, its running program stopped, and it waits a grace period for
//! the client to come back with its `sessionId`. The [`SessionManager`]'s
//! sweeper removes sessions idle past `SESSION_TIMEOUT` and detached ones
//! past the grace period, with their sandboxes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use rand::distr::{Alphanumeric, SampleString};
use serde::Serialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::budget::threads::SessionThreads;
use crate::engine::{Limits, Outcome, OutputChunk};
use crate::language::Runner;
use crate::sandbox::{Sandbox, SandboxError, SandboxRoot};
use crate::shell::{
    Completion, Context, Exit, OutputTarget, Shell, TerminalFeatures, TerminalInput,
};

/// Length of a session id: 32 alphanumerics, about 190 bits.
const SESSION_ID_LENGTH: usize = 32;

/// What a session sends to its attached socket.
#[derive(Debug)]
pub enum SessionEvent {
    Output(PendingOutput),
    /// A command or run ended.
    Exit(ExitReport),
    /// The session is over (idle timeout); the socket should disconnect.
    Closed(String),
    /// `download`: the client should save this sandbox file.
    Download(String),
}

/// Output on its way to the socket. It holds its share of the session's
/// output budget ([`MAX_PENDING_OUTPUT`]) until it has been emitted.
#[derive(Debug)]
pub struct PendingOutput {
    pub chunk: OutputChunk,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Output bytes waiting to reach a session's socket, at most. A client
/// that stops reading pauses the commands writing to it, as a full pipe
/// would, instead of filling the server's memory.
pub const MAX_PENDING_OUTPUT: usize = 1 << 20;

/// Output is queued in pieces of at most this size, the most one socket
/// event carries, so that what a socket holds stays within its packets.
const OUTPUT_PIECE_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitReport {
    pub code: i32,
    pub status: String,
    pub duration_ms: u64,
    /// The shell's working directory, as the prompt shows it.
    pub cwd: String,
}

/// How long an interrupted command line's builtins get to notice the
/// interrupt before the interruption is reported anyway.
const SETTLE_AFTER_INTERRUPT: Duration = Duration::from_secs(5);

/// Typed input waiting for a program that does not read it is capped at
/// this, so that a client cannot fill the host's memory through stdin.
pub const MAX_UNREAD_INPUT: usize = 4 << 20;

/// What became of a typed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputDelivery {
    /// Nothing runs: the line is a command.
    NothingRuns,
    Delivered,
    /// The program has not read [`MAX_UNREAD_INPUT`] bytes already sent.
    Full,
}

/// The session already runs a program.
#[derive(Debug, thiserror::Error)]
#[error("a program is already running in this session; interrupt it first")]
pub struct Busy;

/// What commands in a session run with.
#[derive(Clone)]
pub struct Environment {
    pub runner: Result<Arc<Runner>, String>,
    pub limits: Limits,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
    pub tasks: tokio_util::task::TaskTracker,
}

/// The program or command line a session is running.
struct Running {
    /// Tells this run from a later one, so that its end clears only itself.
    serial: u64,
    what: String,
    /// Lines typed while it runs; `None` once closed with Ctrl-D.
    stdin: Option<UnboundedSender<Bytes>>,
    /// Bytes typed but not read yet.
    unread: Arc<AtomicUsize>,
    stop: CancellationToken,
}

struct Attachment {
    generation: u64,
    events: UnboundedSender<SessionEvent>,
}

struct SessionState {
    last_activity: Instant,
    attachment: Option<Attachment>,
    detached_since: Option<Instant>,
    running: Option<Running>,
    /// The shell's working directory after the last command, e.g. `~/app`.
    prompt_path: String,
    /// The same directory, relative to the sandbox root (uploads go there).
    working_dir: std::path::PathBuf,
    /// What the attached client can do beyond text.
    features: TerminalFeatures,
}

pub struct Session {
    /// The secret that resumes the session and targets it from the HTTP API.
    id: String,
    sandbox: Arc<Sandbox>,
    created: SystemTime,
    shell: tokio::sync::Mutex<Shell>,
    state: Mutex<SessionState>,
    /// Cancelled when the session ends: stops everything it runs.
    ended: CancellationToken,
    /// Uploads and downloads take turns (see [`Self::transfer_turn`]).
    transfers: tokio::sync::Mutex<()>,
    /// `exit` ran in its shell: it can no longer be resumed, and the
    /// sweeper ends it.
    logged_out: AtomicBool,
    commands: AtomicU64,
    executions: AtomicU64,
    generations: AtomicU64,
    serials: AtomicU64,
    /// Permits for [`MAX_PENDING_OUTPUT`] bytes of output in flight.
    output_budget: Arc<Semaphore>,
    /// The blocking threads its shell's builtins may hold at once.
    threads: SessionThreads,
    /// Wakes the manager's sweeper (after `exit`).
    sweep_now: Arc<tokio::sync::Notify>,
}

impl Session {
    fn new(sandbox: Sandbox, sweep_now: Arc<tokio::sync::Notify>, client: IpAddr) -> Self {
        let sandbox = Arc::new(sandbox);
        Self {
            id: Alphanumeric.sample_string(&mut rand::rng(), SESSION_ID_LENGTH),
            shell: tokio::sync::Mutex::new(Shell::new(sandbox.clone())),
            sandbox,
            threads: SessionThreads::new(client),
            created: SystemTime::now(),
            state: Mutex::new(SessionState {
                last_activity: Instant::now(),
                attachment: None,
                detached_since: Some(Instant::now()),
                running: None,
                prompt_path: "~".to_owned(),
                working_dir: std::path::PathBuf::new(),
                features: TerminalFeatures::default(),
            }),
            ended: CancellationToken::new(),
            transfers: tokio::sync::Mutex::new(()),
            logged_out: AtomicBool::new(false),
            commands: AtomicU64::new(0),
            executions: AtomicU64::new(0),
            generations: AtomicU64::new(0),
            serials: AtomicU64::new(0),
            output_budget: Arc::new(Semaphore::new(MAX_PENDING_OUTPUT)),
            sweep_now,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The first 8 characters of the id (about 48 of its 190 bits), for
    /// logs: whoever reads them can correlate, not resume.
    pub fn log_ref(&self) -> String {
        format!("{}…", &self.id[..8])
    }

    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// Stops all of the session's work when cancelled.
    pub fn ended(&self) -> &CancellationToken {
        &self.ended
    }

    fn state(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Attaches a socket: it receives the session's events from now on, and
    /// a socket attached before is let go (its receiver ends).
    pub fn attach(&self, features: TerminalFeatures) -> (u64, UnboundedReceiver<SessionEvent>) {
        let (events, receiver) = unbounded_channel();
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let mut state = self.state();
        state.attachment = Some(Attachment { generation, events });
        state.features = features;
        state.detached_since = None;
        state.last_activity = Instant::now();
        (generation, receiver)
    }

    /// Detaches the socket of `generation` (unless another has taken over)
    /// and stops the running program.
    pub fn detach(&self, generation: u64) {
        let mut state = self.state();
        if state
            .attachment
            .as_ref()
            .is_some_and(|a| a.generation == generation)
        {
            state.attachment = None;
            state.detached_since = Some(Instant::now());
            if let Some(running) = state.running.take() {
                running.stop.cancel();
            }
        }
    }

    pub fn is_attached(&self) -> bool {
        self.state().attachment.is_some()
    }

    /// Sends an event to the attached socket, if any.
    pub fn deliver(&self, event: SessionEvent) {
        if let Some(attachment) = &self.state().attachment {
            let _ = attachment.events.send(event);
        }
    }

    /// Waits for this session's turn to move a file piece in or out: one
    /// at a time, so a client that floods transfers queues them.
    pub async fn transfer_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.transfers.lock().await
    }

    /// Records user activity (the idle timeout counts from the last one).
    pub fn touch(&self) {
        self.state().last_activity = Instant::now();
    }

    /// Passes a typed line to the running program's stdin. A lone Ctrl-D
    /// (`\u{4}`) closes stdin instead.
    pub fn write_input(&self, line: &str) -> InputDelivery {
        let mut state = self.state();
        let Some(running) = state.running.as_mut() else {
            return InputDelivery::NothingRuns;
        };
        if line == "\u{4}" {
            running.stdin = None;
            return InputDelivery::Delivered;
        }
        let Some(stdin) = &running.stdin else {
            return InputDelivery::Delivered;
        };
        let mut data = line.to_owned();
        if !data.ends_with('\n') {
            data.push('\n');
        }
        if running.unread.load(Ordering::SeqCst) + data.len() > MAX_UNREAD_INPUT {
            return InputDelivery::Full;
        }
        running.unread.fetch_add(data.len(), Ordering::SeqCst);
        let _ = stdin.send(Bytes::from(data));
        InputDelivery::Delivered
    }

    /// Stops the running program, as Ctrl-C would; `false` if none runs.
    pub fn interrupt(&self) -> bool {
        match &self.state().running {
            Some(running) => {
                running.stop.cancel();
                true
            }
            None => false,
        }
    }

    /// Marks `what` as running, returning its stop token and its terminal
    /// input.
    fn begin(&self, what: &str) -> Result<(u64, CancellationToken, TerminalInput), Busy> {
        let mut state = self.state();
        if state.running.is_some() {
            return Err(Busy);
        }
        let (stdin, receiver) = unbounded_channel();
        let stop = self.ended.child_token();
        let serial = self.serials.fetch_add(1, Ordering::Relaxed);
        let unread = Arc::new(AtomicUsize::new(0));
        state.running = Some(Running {
            serial,
            what: what.to_owned(),
            stdin: Some(stdin),
            unread: unread.clone(),
            stop: stop.clone(),
        });
        Ok((serial, stop, TerminalInput::new(receiver, unread)))
    }

    /// Holds the session as running `what` until the hold is dropped: an
    /// HTTP run in the session, which takes its turn like a command.
    pub fn hold(self: &Arc<Self>, what: &str) -> Result<SessionHold, Busy> {
        let (serial, stop, _input) = self.begin(what)?;
        // Nothing reads the terminal meanwhile: typed lines are refused,
        // not queued for nobody.
        if let Some(running) = self.state().running.as_mut() {
            running.stdin = None;
        }
        Ok(SessionHold {
            session: self.clone(),
            serial,
            stop,
        })
    }

    fn end(&self, serial: u64) {
        let mut state = self.state();
        if state.running.as_ref().is_some_and(|r| r.serial == serial) {
            state.running = None;
        }
    }

    /// Reports what the output of a run does not say itself (compiler
    /// diagnostics, a limit that stopped it) on the session's terminal,
    /// and turns the outcome into an exit.
    pub fn report_outcome(&self, outcome: &Outcome) -> Exit {
        let (exit, stderr) = Exit::from_outcome(outcome);
        if !stderr.is_empty() {
            OutputTarget::send_now(
                self,
                OutputChunk {
                    stream: crate::engine::StreamKind::Stderr,
                    data: stderr.into(),
                },
            );
        }
        exit
    }

    /// Starts a shell command line in the background; its output and exit
    /// are sent as events.
    pub fn start_command(
        self: &Arc<Self>,
        line: String,
        environment: Environment,
    ) -> Result<(), Busy> {
        let (serial, stop, input) = self.begin(&line)?;
        self.commands.fetch_add(1, Ordering::Relaxed);
        let session = self.clone();
        let tasks = environment.tasks.clone();
        tasks.spawn(async move {
            let started = Instant::now();
            let context = Context {
                runner: environment.runner.clone(),
                limits: environment.limits,
                output: session.output_sink(),
                stop: stop.clone(),
                input,
                user_directory: session.sandbox.name().to_owned(),
                session_ref: session.log_ref(),
                threads: session.threads.clone(),
            };
            let mut shell = session.shell.lock().await;
            let exit = tokio::select! {
                // A builtin stopped by Ctrl-C reports it as such.
                exit = unless_panicked(shell.run_line(&line, &context)) => {
                    if stop.is_cancelled() { Exit::interrupted() } else { exit }
                }
                () = stop.cancelled() => Exit::interrupted(),
                () = environment.shutdown.cancelled() => Exit::new(130, "shutdown"),
            };
            if exit.code == 130 {
                shell.set_last_code(130);
                // Reported stopped only once its builtins have stopped
                // (they check Ctrl-C between chunks), so that a new command
                // never runs beside what an interrupted one left running.
                let settled = session.threads.settled();
                let _ = tokio::time::timeout(SETTLE_AFTER_INTERRUPT, settled).await;
            }
            {
                let mut state = session.state();
                state.prompt_path = shell.prompt_path();
                state.working_dir = shell.working_dir().to_path_buf();
            }
            let logged_out = shell.logged_out();
            drop(shell);
            session.end(serial);
            session.report_exit(&exit, started.elapsed());
            if logged_out {
                session.log_out();
            }
        });
        Ok(())
    }

    /// Runs `run` (a future given the stop token and terminal input) as
    /// the session's program, then sends its exit. For the `run` event.
    pub fn start_program<F>(
        self: &Arc<Self>,
        what: &str,
        environment: &Environment,
        run: impl FnOnce(TerminalInput) -> F,
    ) -> Result<(), Busy>
    where
        F: std::future::Future<Output = Exit> + Send + 'static,
    {
        let (serial, stop, input) = self.begin(what)?;
        let future = run(input);
        let session = self.clone();
        let shutdown = environment.shutdown.clone();
        environment.tasks.spawn(async move {
            let started = Instant::now();
            let exit = tokio::select! {
                exit = unless_panicked(future) => exit,
                () = stop.cancelled() => Exit::interrupted(),
                () = shutdown.cancelled() => Exit::new(130, "shutdown"),
            };
            session.end(serial);
            session.report_exit(&exit, started.elapsed());
        });
        Ok(())
    }

    /// Counts an execution (a `run` event or an HTTP run in this session).
    pub fn count_execution(&self) {
        self.executions.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    /// Where a program's output goes: the attached socket.
    pub fn output_sink(self: &Arc<Self>) -> crate::shell::OutputSink {
        self.clone()
    }

    /// Sends output once the socket has room for it (see
    /// [`MAX_PENDING_OUTPUT`]).
    pub async fn send_output(&self, chunk: OutputChunk) {
        let mut data = chunk.data;
        while !data.is_empty() {
            let piece = data.split_to(data.len().min(OUTPUT_PIECE_BYTES));
            let permits = u32::try_from(piece.len()).unwrap_or(u32::MAX);
            let Ok(budget) = self.output_budget.clone().acquire_many_owned(permits).await else {
                return;
            };
            self.deliver(SessionEvent::Output(PendingOutput {
                chunk: OutputChunk {
                    stream: chunk.stream,
                    data: piece,
                },
                _budget: Some(budget),
            }));
        }
    }

    pub fn report_exit(&self, exit: &Exit, duration: Duration) {
        self.deliver(SessionEvent::Exit(ExitReport {
            code: exit.code,
            status: exit.status.clone(),
            duration_ms: duration.as_millis() as u64,
            cwd: self.prompt_path(),
        }));
    }

    /// Completes the word before `cursor` in a line being typed at the
    /// prompt; nothing while a command runs (what is typed then is its
    /// input).
    pub fn complete(&self, line: &str, cursor: usize) -> Completion {
        self.touch();
        match self.shell.try_lock() {
            Ok(shell) => shell.complete(line, cursor),
            Err(_) => Completion::default(),
        }
    }

    /// Ends the session after `exit`: its socket is told and let go, it
    /// cannot be resumed, and the next sweep removes it.
    fn log_out(&self) {
        self.logged_out.store(true, Ordering::SeqCst);
        if let Some(attachment) = self.state().attachment.take() {
            let _ = attachment.events.send(SessionEvent::Closed(
                "the session has ended (exit); a new one starts".to_owned(),
            ));
        }
        self.sweep_now.notify_one();
    }

    fn is_logged_out(&self) -> bool {
        self.logged_out.load(Ordering::SeqCst)
    }

    /// The shell's working directory as the prompt shows it, as of the end
    /// of the last command (without waiting for a running one).
    pub fn prompt_path(&self) -> String {
        self.state().prompt_path.clone()
    }

    /// The shell's working directory relative to the sandbox root, as of
    /// the end of the last command.
    pub fn working_dir(&self) -> std::path::PathBuf {
        self.state().working_dir.clone()
    }

    fn summary(&self) -> SessionSummary {
        let state = self.state();
        let disk = self.sandbox.quota().usage();
        SessionSummary {
            user_directory: self.sandbox.name().to_owned(),
            created_at: humantime::format_rfc3339_millis(self.created).to_string(),
            idle_ms: state.last_activity.elapsed().as_millis() as u64,
            connected: state.attachment.is_some(),
            commands: self.commands.load(Ordering::Relaxed),
            executions: self.executions.load(Ordering::Relaxed),
            // The command's name only: its arguments may hold secrets.
            running: state.running.as_ref().map(|r| command_name(&r.what)),
            disk_bytes: disk.bytes,
            disk_entries: disk.entries,
        }
    }
}

impl OutputTarget for Session {
    fn send(&self, chunk: OutputChunk) -> BoxFuture<'_, ()> {
        Box::pin(self.send_output(chunk))
    }

    fn send_now(&self, chunk: OutputChunk) {
        self.deliver(SessionEvent::Output(PendingOutput {
            chunk,
            _budget: None,
        }));
    }

    fn features(&self) -> TerminalFeatures {
        self.state().features
    }

    fn offer_download(&self, path: String) -> bool {
        if !self.features().downloads {
            return false;
        }
        self.deliver(SessionEvent::Download(path));
        true
    }
}

/// The first word of a command line, cut to 32 characters.
fn command_name(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect()
}

/// A session marked as running something that is not a shell command (an
/// HTTP run with its `sessionId`); released when dropped.
pub struct SessionHold {
    session: Arc<Session>,
    serial: u64,
    /// Cancelled by the session's `interrupt`, or when the session ends.
    pub stop: CancellationToken,
}

impl Drop for SessionHold {
    fn drop(&mut self) {
        self.session.end(self.serial);
    }
}

/// A session as `/stats` shows it (without its secret id).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    pub user_directory: String,
    pub created_at: String,
    pub idle_ms: u64,
    pub connected: bool,
    pub commands: u64,
    pub executions: u64,
    pub running: Option<String>,
    /// What the sandbox holds, as its disk quota counts it.
    pub disk_bytes: u64,
    pub disk_entries: u64,
}

/// A panic in a command becomes an error exit: the session (and its
/// "running" mark) go on as after any other failure.
async fn unless_panicked(command: impl std::future::Future<Output = Exit>) -> Exit {
    use futures_util::FutureExt as _;
    match std::panic::AssertUnwindSafe(command).catch_unwind().await {
        Ok(exit) => exit,
        Err(_) => {
            tracing::error!("a shell command panicked");
            Exit::new(1, "internal_error")
        }
    }
}

/// Runs a program with its output streamed to the session as it comes.
pub async fn stream_outcome<F>(
    session: &Arc<Session>,
    start: impl FnOnce(UnboundedSender<OutputChunk>) -> F,
) -> Outcome
where
    F: std::future::Future<Output = Outcome>,
{
    let (output, mut chunks) = unbounded_channel();
    let pump = async move {
        while let Some(chunk) = chunks.recv().await {
            session.send_output(chunk).await;
        }
    };
    let (outcome, ()) = tokio::join!(start(output), pump);
    outcome
}

/// Removes a sandbox off the async workers (it can hold a tree of
/// thousands of directories); a failure is logged, and retried by the
/// sweeper.
fn remove_in_background(sandboxes: Arc<SandboxRoot>, name: String) {
    let remove = move || {
        if let Err(error) = sandboxes.remove(&name) {
            tracing::warn!(user_directory = name, %error, "cannot remove a session's sandbox; will retry");
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(remove)),
        Err(_) => remove(),
    }
}

/// Session lifetimes, for the sweeper.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimeouts {
    /// `SESSION_TIMEOUT`: idle sessions end after this.
    pub idle: Duration,
    /// How long a disconnected session waits for its client to resume it.
    pub resume_grace: Duration,
}

/// All live sessions, and the count of connected sockets.
pub struct SessionManager {
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    sandboxes: Arc<SandboxRoot>,
    connections: AtomicUsize,
    max_connections: usize,
    timeouts: SessionTimeouts,
    /// Sessions ask for a sweep now, rather than at the next tick.
    sweep_now: Arc<tokio::sync::Notify>,
}

/// Refusal of a new connection at `MAX_CONNECTIONS`.
#[derive(Debug, thiserror::Error)]
#[error("too many connections: the server allows {0} at once (MAX_CONNECTIONS); try again later")]
pub struct TooManyConnections(pub usize);

impl SessionManager {
    pub fn new(
        sandboxes: Arc<SandboxRoot>,
        max_connections: usize,
        timeouts: SessionTimeouts,
    ) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            sandboxes,
            connections: AtomicUsize::new(0),
            max_connections,
            timeouts,
            sweep_now: Arc::new(tokio::sync::Notify::new()),
        }
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a new connection, unless `MAX_CONNECTIONS` are open.
    pub fn connect(&self) -> Result<(), TooManyConnections> {
        let max = self.max_connections;
        self.connections
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .map(drop)
            .map_err(|_| TooManyConnections(max))
    }

    pub fn disconnected(&self) {
        let _ = self
            .connections
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The session with this id, if it is live.
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.sessions()
            .get(id)
            .filter(|session| !session.is_logged_out())
            .cloned()
    }

    /// Resumes the session `resume` names if it is live, or creates one
    /// for `client` (an address). Returns whether it was resumed.
    pub fn open(
        &self,
        resume: Option<&str>,
        client: IpAddr,
    ) -> Result<(Arc<Session>, bool), SandboxError> {
        if let Some(session) = resume.and_then(|id| self.get(id)) {
            return Ok((session, true));
        }
        if let Some(oldest) = self.evict_if_full() {
            self.end(&oldest, None);
        }
        let session = Arc::new(Session::new(
            self.sandboxes.create()?,
            self.sweep_now.clone(),
            client,
        ));
        self.sessions().insert(session.id.clone(), session.clone());
        tracing::info!(user_directory = session.sandbox.name(), "session created");
        Ok((session, false))
    }

    /// At [`Self::max_sessions`], takes out the session detached longest,
    /// so that connecting and leaving in a loop cannot pile up sandboxes.
    fn evict_if_full(&self) -> Option<Arc<Session>> {
        let mut sessions = self.sessions();
        if sessions.len() < self.max_sessions() {
            return None;
        }
        let oldest = sessions
            .values()
            .filter_map(|s| Some((s.state().detached_since?, s.id.clone())))
            .min()?
            .1;
        sessions.remove(&oldest)
    }

    /// Sessions kept at most, connected or waiting to be resumed.
    fn max_sessions(&self) -> usize {
        self.max_connections.saturating_mul(2)
    }

    /// (all sessions, sessions with a connected socket).
    pub fn counts(&self) -> (usize, usize) {
        let sessions = self.sessions();
        let attached = sessions.values().filter(|s| s.is_attached()).count();
        (sessions.len(), attached)
    }

    /// Disk the sessions' sandboxes use, by their quotas' counts.
    pub fn disk_bytes(&self) -> u64 {
        self.sessions()
            .values()
            .map(|session| session.sandbox.quota().usage().bytes)
            .sum()
    }

    /// Each live session's id and sandbox name (for the cluster's map).
    pub fn locations(&self) -> Vec<(String, String)> {
        self.sessions()
            .values()
            .filter(|session| !session.is_logged_out())
            .map(|session| (session.id.clone(), session.sandbox.name().to_owned()))
            .collect()
    }

    pub fn summaries(&self) -> Vec<SessionSummary> {
        let sessions: Vec<Arc<Session>> = self.sessions().values().cloned().collect();
        let mut summaries: Vec<SessionSummary> = sessions.iter().map(|s| s.summary()).collect();
        summaries.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        summaries
    }

    /// How often the sweeper looks: often enough for short test timeouts,
    /// rarely enough to cost nothing.
    pub fn sweep_interval(&self) -> Duration {
        (self.timeouts.idle.min(self.timeouts.resume_grace) / 4)
            .clamp(Duration::from_millis(50), Duration::from_secs(30))
    }

    /// Ends idle sessions and detached ones whose grace period is over.
    pub fn sweep(&self) {
        let expired: Vec<(Arc<Session>, Option<String>)> = {
            let mut sessions = self.sessions();
            let mut expired = Vec::new();
            sessions.retain(|_, session| {
                let state = session.state();
                let reason = if session.is_logged_out() {
                    Some(None)
                } else if state.last_activity.elapsed() > self.timeouts.idle {
                    Some(Some(format!(
                        "session closed after {} s without activity (SESSION_TIMEOUT)",
                        self.timeouts.idle.as_secs_f64()
                    )))
                } else if state
                    .detached_since
                    .is_some_and(|since| since.elapsed() > self.timeouts.resume_grace)
                {
                    Some(None)
                } else {
                    None
                };
                drop(state);
                match reason {
                    Some(reason) => {
                        expired.push((session.clone(), reason));
                        false
                    }
                    None => true,
                }
            });
            expired
        };
        for (session, reason) in expired {
            self.end(&session, reason);
        }
        let sandboxes = self.sandboxes.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn_blocking(move || sandboxes.retry_removals()));
        }
    }

    /// Stops the session's work, tells its socket why, and removes its
    /// sandbox.
    fn end(&self, session: &Session, reason: Option<String>) {
        session.ended.cancel();
        {
            let mut state = session.state();
            if let (Some(attachment), Some(reason)) = (state.attachment.take(), reason.as_ref()) {
                let _ = attachment.events.send(SessionEvent::Closed(reason.clone()));
            }
            state.running = None;
        }
        tracing::info!(
            user_directory = session.sandbox.name(),
            reason = reason.as_deref().unwrap_or("not resumed after disconnect"),
            "session ended"
        );
        remove_in_background(self.sandboxes.clone(), session.sandbox.name().to_owned());
    }

    /// Runs the sweeper until `shutdown`.
    pub async fn sweep_until(self: Arc<Self>, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(self.sweep_interval());
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => self.sweep(),
                () = self.sweep_now.notified() => self.sweep(),
                () = shutdown.cancelled() => return,
            }
        }
    }
}
