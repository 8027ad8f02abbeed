//! The session shell: a small sh written in Rust on top of the user's
//! [`Sandbox`].
//!
//! There is no host shell and no host process. Builtins (`ls`, `cat`, `cp`,
//! …) are file operations through the sandbox's cap-std directory, and
//! programs (`python3`, `node`, `g++`, `./a.out`, …) run in the engine
//! through the same [`Runner`] as the HTTP API. Paths are the guest's view:
//! `/` (shown as `~`) is the sandbox root and `..` never climbs above it.
//!
//! - `parse`: the command-line grammar.
//! - `expand`: words into argv: variables, `$(…)`, globs.
//! - `variables`: `NAME=value`, `export`, `unset`.
//! - `paths`: the working directory and path resolution.
//! - `io`: where a command's input comes from and its output goes.
//! - `operands`: what builtins and utilities share: flags, file operands
//!   through the sandbox, chunked reads, the quota.
//! - `builtins`: file and session commands.
//! - `utilities`: grep, sed, sort, find and the rest of a terminal's tools.
//! - `help`: `help`, `which` and `type`, which name all commands.
//! - `programs`: commands that run in the engine.
//! - `packages`: `pip` and `npm`, which the host runs for the sandbox.
//! - `complete`: Tab completion of command names and sandbox paths.

mod builtins;
mod complete;
mod expand;
mod help;
mod io;
mod operands;
mod packages;
mod parse;
mod paths;
mod programs;
mod utilities;
mod variables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use complete::Completion;
pub use io::{OutputSink, OutputTarget, TerminalFeatures, TerminalInput};
pub use parse::{SyntaxError, parse};
pub use paths::resolve as resolve_path;

use crate::budget::Refusal;
use crate::budget::sizes::ArgvBudget;
use crate::budget::threads::{CommandSlots, SessionThreads, ThreadGrant};
use crate::engine::Limits;
use crate::language::Runner;
use crate::sandbox::Sandbox;
use io::{Input, Io, Sink};
use parse::{Command, Connector, OutputStream, Pipeline, Redirect};

/// A redirection with its words expanded.
enum ExpandedRedirect {
    Input(String),
    /// A here-string's bytes.
    Text(Vec<u8>),
    Output {
        stream: OutputStream,
        target: String,
        append: bool,
    },
    StderrToStdout,
}

/// Stops a pipeline stage when the pipeline is abandoned (Ctrl-C, the
/// session's end).
struct AbortOnDrop(tokio::task::JoinHandle<Exit>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A command's assignments, argv and redirections, expanded.
type ExpandedCommand = (Vec<(String, String)>, Vec<String>, Vec<ExpandedRedirect>);

/// Commands that the original server refused; they are refused here too
/// (most would not exist anyway) and logged as security events.
pub const FORBIDDEN_COMMANDS: [&str; 30] = [
    "sudo",
    "su",
    "chmod",
    "chown",
    "ssh",
    "scp",
    "sftp",
    "ftp",
    "wget",
    "curl",
    "telnet",
    "nc",
    "netcat",
    "ping",
    "traceroute",
    "dig",
    "nslookup",
    "ifconfig",
    "ipconfig",
    "netstat",
    "mount",
    "umount",
    "fdisk",
    "mkfs",
    "passwd",
    "useradd",
    "userdel",
    "systemctl",
    "service",
    "iptables",
];

/// Lines kept by `history`, and their bytes together: a client cannot
/// grow a session's memory by typing long lines.
const HISTORY_LINES: usize = 1000;
const HISTORY_BYTES: usize = 256 * 1024;
/// Longer lines are kept cut, with `…`.
const HISTORY_LINE_BYTES: usize = 4096;

/// Largest file read as a command's input with `<`.
const MAX_REDIRECTED_INPUT: u64 = 16 << 20;

/// How a command (or a whole command line) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The exit code, as sh's `$?` has it.
    pub code: i32,
    /// A word for why: `ok`, `error`, `not_found`, `forbidden`,
    /// `syntax_error`, `interrupted`, or an execution status (`timeout`, …).
    pub status: String,
}

impl Exit {
    pub fn ok() -> Self {
        Self::new(0, "ok")
    }

    pub fn new(code: i32, status: &str) -> Self {
        Self {
            code,
            status: status.to_owned(),
        }
    }

    /// 0 is `ok`, anything else `error`.
    fn from_code(code: i32) -> Self {
        if code == 0 {
            Self::ok()
        } else {
            Self::new(code, "error")
        }
    }

    /// How a program's run ended, and what to add to its stderr that its
    /// own output does not say (compiler diagnostics, the limit that
    /// stopped it). Shared by the shell, the `run` event and HTTP runs in a
    /// session.
    pub fn from_outcome(outcome: &crate::engine::Outcome) -> (Self, String) {
        let mut stderr = outcome.compile_output.clone();
        if outcome.status == crate::engine::Status::Ok {
            return (Self::ok(), stderr);
        }
        if let Some(message) = &outcome.message {
            stderr.push_str(&format!("polyrun: {}: {message}\n", outcome.status));
        }
        let exit = Self::new(outcome.process_exit_code(), outcome.status.as_str());
        (exit, stderr)
    }

    /// A stopped command: 128 + SIGINT, as shells report Ctrl-C.
    pub fn interrupted() -> Self {
        Self::new(130, "interrupted")
    }
}

/// What a command line needs from the session that runs it.
pub struct Context {
    /// The runner, or why programs cannot run yet (runtimes provisioning).
    pub runner: Result<Arc<Runner>, String>,
    pub limits: Limits,
    /// Where output goes as it is written.
    pub output: OutputSink,
    /// Cancelled by Ctrl-C (`interrupt`) or when the session ends.
    pub stop: tokio_util::sync::CancellationToken,
    /// What the user types while the command line runs.
    pub input: TerminalInput,
    /// The session's sandbox directory, for log events.
    pub user_directory: String,
    /// The start of the session's id, for log events: enough to tell
    /// sessions apart, never enough to resume one.
    pub session_ref: String,
    /// The session's share of the blocking threads its builtins run on.
    pub threads: SessionThreads,
}

impl Context {
    /// The same context with output going to `output` (a command
    /// substitution's capture).
    fn with_output(&self, output: OutputSink) -> Context {
        Context {
            runner: self.runner.clone(),
            limits: self.limits,
            output,
            stop: self.stop.clone(),
            input: self.input.clone(),
            user_directory: self.user_directory.clone(),
            session_ref: self.session_ref.clone(),
            threads: self.threads.clone(),
        }
    }

    /// A blocking thread for one builtin, waited for without holding one,
    /// until Ctrl-C or the time limit (`None`).
    async fn thread(&self) -> Option<ThreadGrant> {
        tokio::select! {
            grant = self.threads.acquire() => grant.ok(),
            () = self.stop.cancelled() => None,
            () = tokio::time::sleep(self.limits.wall_time) => None,
        }
    }
}

/// One user's shell: working directory, variables, history and `$?`.
pub struct Shell {
    sandbox: Arc<Sandbox>,
    /// The working directory, relative to the sandbox root (empty at `~`).
    cwd: PathBuf,
    /// Where `cd -` goes.
    previous_cwd: Option<PathBuf>,
    variables: variables::Variables,
    /// `NAME=value` before the running command: its environment only.
    command_env: Vec<(String, String)>,
    history: std::collections::VecDeque<String>,
    /// Bytes of the lines in `history`.
    history_bytes: usize,
    last_code: i32,
    /// `$(…)` levels running now.
    substitution_depth: usize,
    /// `exit` ran: the session ends after this command line.
    logged_out: bool,
}

impl Shell {
    pub fn new(sandbox: Arc<Sandbox>) -> Self {
        Self {
            sandbox,
            cwd: PathBuf::new(),
            previous_cwd: None,
            variables: variables::Variables::default(),
            command_env: Vec::new(),
            history: std::collections::VecDeque::new(),
            history_bytes: 0,
            last_code: 0,
            substitution_depth: 0,
            logged_out: false,
        }
    }

    /// Whether `exit` ended the shell: the session should end.
    pub fn logged_out(&self) -> bool {
        self.logged_out
    }

    /// The working directory, relative to the sandbox root.
    pub fn working_dir(&self) -> &Path {
        &self.cwd
    }

    /// The working directory as the prompt shows it: `~` or `~/dir`.
    pub fn prompt_path(&self) -> String {
        paths::display_with_home(&self.cwd)
    }

    /// Records an exit code for `$?` (an interrupted command line, say).
    pub fn set_last_code(&mut self, code: i32) {
        self.last_code = code;
    }

    /// Parses and runs a command line; returns how its last command ended.
    pub async fn run_line(&mut self, line: &str, context: &Context) -> Exit {
        let line = line.trim_end_matches(['\n', '\r']);
        if !line.trim().is_empty() {
            self.remember(line);
        }
        self.run_script(line, context).await
    }

    /// Parses and runs a command line (or a substitution's script).
    async fn run_script(&mut self, line: &str, context: &Context) -> Exit {
        let script = match parse(line) {
            Ok(script) => script,
            Err(error) => {
                context
                    .output
                    .send_now(io::chunk_stderr(format!("polyrun: {error}\n")));
                self.last_code = 2;
                return Exit::new(2, "syntax_error");
            }
        };
        let mut exit = Exit::ok();
        for and_or in &script {
            exit = self.run_pipeline(&and_or.first, context).await;
            for (connector, pipeline) in &and_or.rest {
                let run = match connector {
                    Connector::And => exit.code == 0,
                    Connector::Or => exit.code != 0,
                };
                if run && !self.logged_out {
                    exit = self.run_pipeline(pipeline, context).await;
                }
            }
            if self.logged_out {
                break;
            }
        }
        exit
    }

    /// Adds a line to the history, within [`HISTORY_LINES`] and
    /// [`HISTORY_BYTES`].
    fn remember(&mut self, line: &str) {
        let mut kept = line.to_owned();
        if kept.len() > HISTORY_LINE_BYTES {
            let mut cut = HISTORY_LINE_BYTES;
            while !kept.is_char_boundary(cut) {
                cut -= 1;
            }
            kept.truncate(cut);
            kept.push('…');
        }
        self.history_bytes += kept.len();
        self.history.push_back(kept);
        while self.history.len() > HISTORY_LINES || self.history_bytes > HISTORY_BYTES {
            match self.history.pop_front() {
                Some(old) => self.history_bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Runs a pipeline: a lone command in this shell (so that `cd` and
    /// `export` stay), several at once, each in a subshell of its own
    /// joined by pipes, as sh does. The last stage's exit is the
    /// pipeline's.
    async fn run_pipeline(&mut self, pipeline: &Pipeline, context: &Context) -> Exit {
        // Slots for its commands, beside those of the line already running
        // (an enclosing pipeline, when this one is in a `$(…)`).
        let mut slots = match context.threads.start_commands(pipeline.len()) {
            Ok(slots) => slots,
            Err(refusal) => {
                let message = format!("polyrun: {refusal}\n");
                context.output.send_now(io::chunk_stderr(message));
                self.last_code = 2;
                return Exit::new(2, "error");
            }
        };
        let exit = match pipeline.as_slice() {
            [command] => {
                self.run_command(command, Input::Terminal, Sink::terminal_stdout(), context)
                    .await
            }
            stages => self.run_stages(stages, &mut slots, context).await,
        };
        drop(slots);
        self.last_code = exit.code;
        exit
    }

    /// Starts every stage, then waits for all of them. When a reader ends
    /// early (`head`), its writer's next write fails and the writer stops.
    ///
    /// Each stage's task holds its slot of `slots` until it ends, which for
    /// an abandoned stage running a builtin is when the builtin notices.
    async fn run_stages(
        &mut self,
        stages: &[Command],
        slots: &mut CommandSlots,
        context: &Context,
    ) -> Exit {
        let mut tasks = Vec::with_capacity(stages.len());
        let mut stdin = Input::Terminal;
        for (index, command) in stages.iter().enumerate() {
            let (stdout, next) = if index + 1 == stages.len() {
                (Sink::terminal_stdout(), Input::Bytes(Vec::new()))
            } else {
                io::pipe()
            };
            let stage_stdin = std::mem::replace(&mut stdin, next);
            let mut subshell = self.subshell();
            let command = command.clone();
            let context = context.with_output(context.output.clone());
            let slot = slots.take_one();
            tasks.push(AbortOnDrop(tokio::spawn(async move {
                let _slot = slot;
                subshell
                    .run_command(&command, stage_stdin, stdout, &context)
                    .await
            })));
        }
        let mut exit = Exit::ok();
        for mut task in tasks {
            exit = (&mut task.0)
                .await
                .unwrap_or_else(|_| Exit::new(1, "error"));
        }
        exit
    }

    /// A copy of this shell for one stage of a pipeline: what the stage
    /// changes (its directory, its variables) dies with it.
    fn subshell(&self) -> Shell {
        Shell {
            sandbox: self.sandbox.clone(),
            cwd: self.cwd.clone(),
            previous_cwd: self.previous_cwd.clone(),
            variables: self.variables.clone(),
            command_env: Vec::new(),
            history: std::collections::VecDeque::new(),
            history_bytes: 0,
            last_code: self.last_code,
            substitution_depth: self.substitution_depth,
            logged_out: false,
        }
    }

    async fn run_command(
        &mut self,
        command: &Command,
        stdin: Input,
        stdout: Sink,
        context: &Context,
    ) -> Exit {
        let mut io = Io::new(stdin, stdout, Sink::terminal_stderr(), context);
        match self.expand_command(command, context).await {
            Ok((assignments, argv, redirects)) => {
                self.run_expanded(assignments, argv, redirects, &mut io, context)
                    .await
            }
            Err(error) => {
                io.error(&format!("polyrun: {error}"));
                Exit::from_code(1)
            }
        }
    }

    /// A command's assignments, argv and redirections, expanded.
    async fn expand_command(
        &mut self,
        command: &Command,
        context: &Context,
    ) -> Result<ExpandedCommand, String> {
        let budget = &mut ArgvBudget::for_command();
        let mut assignments = Vec::new();
        for (name, value) in &command.assignments {
            assignments.push((
                name.clone(),
                self.expand_word(value, context, budget).await?,
            ));
        }
        let argv = self.expand_words(&command.words, context, budget).await?;
        let mut redirects = Vec::new();
        for redirect in &command.redirects {
            redirects.push(match redirect {
                Redirect::Input(target) => {
                    ExpandedRedirect::Input(self.expand_word(target, context, budget).await?)
                }
                Redirect::HereString(word) => {
                    let mut text = self.expand_word(word, context, budget).await?;
                    text.push('\n');
                    ExpandedRedirect::Text(text.into_bytes())
                }
                Redirect::Output {
                    stream,
                    target,
                    append,
                } => ExpandedRedirect::Output {
                    stream: *stream,
                    target: self.expand_word(target, context, budget).await?,
                    append: *append,
                },
                Redirect::StderrToStdout => ExpandedRedirect::StderrToStdout,
            });
        }
        Ok((assignments, argv, redirects))
    }

    async fn run_expanded(
        &mut self,
        assignments: Vec<(String, String)>,
        argv: Vec<String>,
        redirects: Vec<ExpandedRedirect>,
        io: &mut Io<'_>,
        context: &Context,
    ) -> Exit {
        let mut files: Vec<(PathBuf, bool, Sink)> = Vec::new();
        for redirect in redirects {
            match redirect {
                ExpandedRedirect::Input(path) => {
                    let resolved = paths::display(&self.resolve(&path));
                    match self.sandbox.read_file(&resolved, MAX_REDIRECTED_INPUT) {
                        Ok(bytes) => io.stdin = Input::Bytes(bytes),
                        Err(error) => {
                            io.error(&format!(
                                "polyrun: {path}: {}",
                                io::describe_sandbox(&error)
                            ));
                            return Exit::from_code(1);
                        }
                    }
                }
                ExpandedRedirect::Text(bytes) => io.stdin = Input::Bytes(bytes),
                ExpandedRedirect::Output {
                    stream,
                    target,
                    append,
                } => {
                    let path = self.resolve(&target);
                    if path.as_os_str().is_empty() {
                        io.error("polyrun: cannot redirect to the home directory");
                        return Exit::from_code(1);
                    }
                    let sink = Sink::buffer(context.limits.output_bytes);
                    match stream {
                        OutputStream::Stdout => io.stdout = sink.clone(),
                        OutputStream::Stderr => io.stderr = sink.clone(),
                    }
                    files.push((path, append, sink));
                }
                ExpandedRedirect::StderrToStdout => io.stderr = io.stdout.clone(),
            }
        }
        let exit = match argv.split_first() {
            Some((name, args)) => {
                self.command_env = assignments;
                let exit = self.dispatch(name, args, io, context).await;
                self.command_env.clear();
                exit
            }
            None => self.assign(assignments, io),
        };
        for (path, append, sink) in files {
            if let Err(error) = self.write_redirect(&path, append, &sink.take()) {
                io.error(&format!(
                    "polyrun: {}: {}",
                    paths::display(&path),
                    io::describe(&error)
                ));
                return Exit::from_code(1);
            }
        }
        exit
    }

    /// `xargs [-n N] [command [arg…]]`: runs the command (`echo` if none)
    /// with the words of standard input appended, N at a time.
    async fn xargs(&mut self, args: &[String], io: &mut Io<'_>, context: &Context) -> Exit {
        let (batch, command) = match args {
            [flag, n, rest @ ..] if flag == "-n" => match n.parse::<usize>() {
                Ok(n) if n > 0 => (n, rest),
                _ => {
                    io.error("xargs: -n needs a positive number");
                    return Exit::from_code(1);
                }
            },
            rest => (usize::MAX, rest),
        };
        let input = match io.stdin_all(context.limits.output_bytes as u64).await {
            Ok(input) => input,
            Err(error) => {
                io.error(&format!("xargs: {}", io::describe(&error)));
                return Exit::from_code(1);
            }
        };
        let text = String::from_utf8_lossy(&input);
        let (name, fixed) = match command.split_first() {
            Some((name, fixed)) => (name.clone(), fixed.to_vec()),
            None => ("echo".to_owned(), Vec::new()),
        };
        let mut words = text.split_whitespace().peekable();
        let mut failed = false;
        loop {
            let argv = match xargs_batch(&fixed, &mut words, batch) {
                Ok(argv) => argv,
                Err(refusal) => {
                    io.error(&format!("xargs: {refusal}"));
                    return Exit::from_code(1);
                }
            };
            let exit = self.dispatch_boxed(&name, &argv, io, context).await;
            if exit.code == 127 || exit.code == 126 {
                return exit;
            }
            failed |= exit.code != 0;
            if context.stop.is_cancelled() {
                return Exit::interrupted();
            }
            if words.peek().is_none() {
                break;
            }
        }
        if failed {
            Exit::new(123, "error")
        } else {
            Exit::ok()
        }
    }

    /// [`Self::dispatch`] for a command that starts others (boxed: the two
    /// recurse).
    fn dispatch_boxed<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a [String],
        io: &'a mut Io<'_>,
        context: &'a Context,
    ) -> futures_util::future::BoxFuture<'a, Exit> {
        Box::pin(self.dispatch(name, args, io, context))
    }

    /// `NAME=value` with no command: sets shell variables.
    fn assign(&mut self, assignments: Vec<(String, String)>, io: &Io<'_>) -> Exit {
        for (name, value) in assignments {
            if let Err(error) = self.variables.set(&name, value, false) {
                io.error(&format!("polyrun: {error}"));
                return Exit::from_code(1);
            }
        }
        Exit::ok()
    }

    async fn dispatch(
        &mut self,
        name: &str,
        args: &[String],
        io: &mut Io<'_>,
        context: &Context,
    ) -> Exit {
        if FORBIDDEN_COMMANDS.contains(&name) {
            tracing::warn!(
                session = context.session_ref,
                user_directory = context.user_directory,
                command = name,
                "security violation: forbidden command"
            );
            io.error(&format!("security violation: '{name}' is not allowed"));
            return Exit::new(126, "forbidden");
        }
        if name == "xargs" {
            return self.xargs(args, io, context).await;
        }
        if name == "sleep" {
            // A wait, not work: no thread is held for it.
            return Exit::from_code(utilities::sleep(args, io, context).await);
        }
        if builtins::is_builtin(name) || utilities::is_utility(name) {
            return self.run_own_command(name, args, io, context).await;
        }
        if let Some(exit) = programs::run(self, name, args, io, context).await {
            return exit;
        }
        io.error(&format!("{name}: command not found"));
        Exit::new(127, "not_found")
    }

    /// Runs a builtin or utility on a blocking thread from the session's
    /// share. A stage reading a pipe waits for its first input before it
    /// takes one.
    async fn run_own_command(
        &mut self,
        name: &str,
        args: &[String],
        io: &mut Io<'_>,
        context: &Context,
    ) -> Exit {
        if utilities::reads_input(name, args) {
            io.wait_for_input().await;
        }
        let Some(_thread) = context.thread().await else {
            if context.stop.is_cancelled() {
                return Exit::interrupted();
            }
            io.error(&format!("{name}: {}", Refusal::ThreadsBusy));
            return Exit::from_code(1);
        };
        // The shell's own commands may change the sandbox while another
        // stage of a pipeline compiles it (see `DiskQuota::changing`).
        let _changing = self.sandbox.quota().changing();
        let code = io.blocking(|io| {
            if let Some(code) = help::run(name, args, io) {
                Some(code)
            } else if builtins::is_builtin(name) {
                builtins::run(self, name, args, io)
            } else {
                utilities::run(self, name, args, io)
            }
        });
        Exit::from_code(code.unwrap_or(127))
    }

    /// The shell's own variables, as `env` lists them.
    fn base_variables(&self) -> Vec<(String, String)> {
        [
            ("HOME", "/".to_owned()),
            ("PWD", paths::display(&self.cwd)),
            ("LANG", "C.UTF-8".to_owned()),
            ("SHELL", "polyrun".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// What a program started now gets beyond its language's own
    /// environment: exported variables, then the command's assignments.
    pub(super) fn environment(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self
            .variables
            .exported()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        for (name, value) in &self.command_env {
            env.retain(|(existing, _)| existing != name);
            env.push((name.clone(), value.clone()));
        }
        env
    }

    /// Everything `env` lists: the shell's variables and [`Self::environment`].
    fn all_environment(&self) -> Vec<(String, String)> {
        let mut all = self.base_variables();
        for (name, value) in self.environment() {
            all.retain(|(existing, _)| *existing != name);
            all.push((name, value));
        }
        all
    }

    fn variable(&self, name: &str) -> Option<String> {
        if name == "?" {
            return Some(self.last_code.to_string());
        }
        if let Some((_, value)) = self.command_env.iter().rev().find(|(n, _)| n == name) {
            return Some(value.clone());
        }
        if let Some(value) = self.variables.get(name) {
            return Some(value.to_owned());
        }
        self.base_variables()
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// A user path resolved against the working directory, relative to
    /// the sandbox root.
    fn resolve(&self, path: &str) -> PathBuf {
        paths::resolve(&self.cwd, path)
    }

    /// `> file` (replacing its contents) or `>> file` (adding to them),
    /// within the sandbox's disk quota. The whole write is charged before
    /// the file is opened, so one that does not fit leaves nothing behind
    /// (`tee`, which streams, opens first: see `Sandbox::open_for_writing`).
    fn write_redirect(
        &self,
        path: &std::path::Path,
        append: bool,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        use std::io::Write as _;
        let options = crate::sandbox::write_options(append);
        let quota = self.sandbox.quota();
        let _changing = quota.changing();
        let old = crate::sandbox::quota::file_len(self.sandbox.dir(), path);
        let len = bytes.len() as u64;
        let growth = match (old, append) {
            (Some(_), true) => len,
            (Some(old), false) => len.saturating_sub(old),
            (None, _) => len,
        };
        quota.charge(growth, u64::from(old.is_none()), || {
            let mut file = self.sandbox.dir().open_with(path, &options)?;
            file.write_all(bytes)
        })?;
        if let (Some(old), false) = (old, append)
            && old > len
        {
            quota.removed(old - len, 0);
        }
        Ok(())
    }
}

/// The next `xargs` command: `fixed`, then up to `batch` words of the
/// input, fewer when the argv budget (`MAX_ARGV_BYTES`, `MAX_ARGV_WORDS`)
/// is spent first, as `xargs` splits at `ARG_MAX`. A word that does not fit
/// even alone is a refusal.
fn xargs_batch<'a>(
    fixed: &[String],
    words: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>,
    batch: usize,
) -> Result<Vec<String>, Refusal> {
    let mut budget = ArgvBudget::for_command();
    let mut argv = Vec::with_capacity(fixed.len() + batch.min(64));
    for arg in fixed {
        budget.word(arg.len())?;
        argv.push(arg.clone());
    }
    let mut taken = 0;
    while taken < batch
        && let Some(word) = words.peek()
    {
        if let Err(refusal) = budget.word(word.len()) {
            if taken == 0 {
                return Err(refusal);
            }
            break;
        }
        argv.push((*word).to_owned());
        words.next();
        taken += 1;
    }
    Ok(argv)
}
