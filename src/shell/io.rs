//! Where a command's input comes from and where its output goes: the
//! terminal (the user's socket), a pipe buffer, or a redirected file.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use bytes::Bytes;
use std::sync::atomic::AtomicBool;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _, DuplexStream, ReadBuf};
use tokio::sync::mpsc::UnboundedReceiver;

use super::Context;
use crate::engine::{OutputChunk, StreamKind};

/// Where a command's terminal output goes (the session's socket). Bulk
/// output waits while the reader is behind, as a full pipe would, so a
/// client that stops reading pauses the command instead of filling the
/// server's memory.
pub trait OutputTarget: Send + Sync {
    /// Sends `chunk` once the reader has room for it.
    fn send(&self, chunk: OutputChunk) -> futures_util::future::BoxFuture<'_, ()>;
    /// Sends a short message at once: an error line, a prompt's worth.
    fn send_now(&self, chunk: OutputChunk);
    /// What the client can do beyond text (none, unless it says so).
    fn features(&self) -> TerminalFeatures {
        TerminalFeatures::default()
    }
    /// Offers a sandbox file (its path, e.g. `/out/a.csv`) for the client
    /// to download; false when the client cannot.
    fn offer_download(&self, _path: String) -> bool {
        false
    }
}

/// What a terminal client can do beyond text, as it said when it
/// connected (the browser terminal says both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalFeatures {
    /// Shows pictures sent in iTerm2's inline image protocol (`show`,
    /// `plt.show()`).
    pub inline_images: bool,
    /// Saves files the shell offers (`download`).
    pub downloads: bool,
}

/// Set for programs whose output goes to a terminal that shows pictures
/// sent in iTerm2's inline image protocol (so `plt.show()` draws there).
pub const INLINE_IMAGES_VARIABLE: &str = "POLYRUN_INLINE_IMAGES";

impl TerminalFeatures {
    /// What a program started for this terminal finds in its environment
    /// beyond the shell's variables.
    pub fn program_environment(self) -> Vec<(String, String)> {
        if self.inline_images {
            vec![(INLINE_IMAGES_VARIABLE.to_owned(), "1".to_owned())]
        } else {
            Vec::new()
        }
    }

    /// The features named in a client's list; unknown names are ignored.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut features = Self::default();
        for name in names {
            match name {
                "inline-images" => features.inline_images = true,
                "downloads" => features.downloads = true,
                _ => {}
            }
        }
        features
    }
}

pub type OutputSink = Arc<dyn OutputTarget>;

/// Sends `chunk`, blocking the thread while the reader is behind. Only
/// for code already off the async workers (builtins, see [`Io::blocking`]).
fn send_blocking(sink: &OutputSink, chunk: OutputChunk) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.block_on(sink.send(chunk)),
        Err(_) => sink.send_now(chunk),
    }
}

pub fn chunk_stderr(text: String) -> OutputChunk {
    OutputChunk {
        stream: StreamKind::Stderr,
        data: Bytes::from(text),
    }
}

/// What the user types while a command line runs, readable by one program
/// after another (`python3 a.py; python3 b.py` both read the terminal).
/// End of file comes when the session closes the sending side (Ctrl-D or
/// the end of the command line).
#[derive(Clone)]
pub struct TerminalInput(Arc<Mutex<InputState>>);

struct InputState {
    receiver: UnboundedReceiver<Bytes>,
    pending: Bytes,
    /// Bytes sent but not yet taken from the channel, shared with the
    /// sender so that it can refuse input nobody reads.
    unread: Arc<AtomicUsize>,
}

impl TerminalInput {
    /// Input at its end: nobody types (for embedders and tests).
    pub fn closed() -> Self {
        let (_, receiver) = tokio::sync::mpsc::unbounded_channel();
        Self::new(receiver, Arc::new(AtomicUsize::new(0)))
    }

    pub fn new(receiver: UnboundedReceiver<Bytes>, unread: Arc<AtomicUsize>) -> Self {
        Self(Arc::new(Mutex::new(InputState {
            receiver,
            pending: Bytes::new(),
            unread,
        })))
    }
}

impl AsyncRead for TerminalInput {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if state.pending.is_empty() {
            match state.receiver.poll_recv(cx) {
                Poll::Ready(Some(bytes)) => {
                    state.unread.fetch_sub(bytes.len(), Ordering::SeqCst);
                    state.pending = bytes;
                }
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = state.pending.len().min(buf.remaining());
        buf.put_slice(&state.pending.split_to(n));
        Poll::Ready(Ok(()))
    }
}

/// A command's standard input.
pub enum Input {
    /// The user's terminal (live, for programs; empty for builtins, which
    /// never wait for typing).
    Terminal,
    Bytes(Vec<u8>),
    /// The read end of a pipe from the previous stage of a pipeline.
    Pipe(DuplexStream),
    /// A pipe whose first bytes were read already (see
    /// [`Io::wait_for_input`]): those, then the rest.
    Started {
        first: Vec<u8>,
        rest: DuplexStream,
    },
}

/// A command's standard output or error.
#[derive(Clone)]
pub enum Sink {
    Terminal(StreamKind),
    /// A redirected file's contents, capped at the output limit.
    Buffer(Arc<Mutex<CappedBuffer>>),
    /// The write end of a pipe to the next stage of a pipeline.
    Pipe(Arc<PipeWriter>),
}

/// Bytes a pipe holds while its reader is behind (a Linux pipe's 64 KiB):
/// the writer waits beyond that, so a pipeline never holds a file whole.
pub const PIPE_BYTES: usize = 64 * 1024;

/// The write end of a pipe, shared by the sinks that write to it (`2>&1`).
/// The pipe closes (its reader sees the end) when the last one is dropped.
pub struct PipeWriter {
    stream: tokio::sync::Mutex<DuplexStream>,
    /// The reader is gone: writes fail, as with `EPIPE`.
    broken: AtomicBool,
}

/// A pipe: what its writer writes, its reader reads, through a bounded
/// buffer. When the reader ends, writes fail with a broken pipe.
pub fn pipe() -> (Sink, Input) {
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let writer = PipeWriter {
        stream: tokio::sync::Mutex::new(writer),
        broken: AtomicBool::new(false),
    };
    (Sink::Pipe(Arc::new(writer)), Input::Pipe(reader))
}

impl PipeWriter {
    /// Writes all of `data`, waiting while the pipe is full; false once
    /// the reader is gone.
    pub async fn write(&self, data: &[u8]) -> bool {
        if self.broken.load(Ordering::Relaxed) {
            return false;
        }
        let mut stream = self.stream.lock().await;
        if stream.write_all(data).await.is_err() {
            self.broken.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}

pub struct CappedBuffer {
    bytes: Vec<u8>,
    limit: usize,
}

impl Sink {
    pub fn terminal_stdout() -> Self {
        Sink::Terminal(StreamKind::Stdout)
    }

    pub fn terminal_stderr() -> Self {
        Sink::Terminal(StreamKind::Stderr)
    }

    pub fn buffer(limit: usize) -> Self {
        Sink::Buffer(Arc::new(Mutex::new(CappedBuffer {
            bytes: Vec::new(),
            limit,
        })))
    }

    /// The buffered bytes (empty for the terminal and pipes).
    pub fn take(&self) -> Vec<u8> {
        match self {
            Sink::Terminal(_) | Sink::Pipe(_) => Vec::new(),
            Sink::Buffer(buffer) => {
                std::mem::take(&mut buffer.lock().unwrap_or_else(|p| p.into_inner()).bytes)
            }
        }
    }
}

/// The input and outputs of one running command.
pub struct Io<'a> {
    pub stdin: Input,
    pub stdout: Sink,
    pub stderr: Sink,
    context: &'a Context,
    /// Set while a builtin runs off the async workers: terminal writes may
    /// then block until the reader catches up.
    blocking: bool,
    /// When a builtin's time is up (the execution time limit).
    deadline: Instant,
    /// Bytes a builtin wrote to the terminal: at most the output limit, as
    /// for programs.
    terminal_written: AtomicUsize,
}

impl<'a> Io<'a> {
    pub fn new(stdin: Input, stdout: Sink, stderr: Sink, context: &'a Context) -> Self {
        Self {
            stdin,
            stdout,
            stderr,
            context,
            blocking: false,
            deadline: Instant::now(),
            terminal_written: AtomicUsize::new(0),
        }
    }

    /// Runs `work` (a builtin) off the async workers, where its writes may
    /// wait for a slow reader and its file operations may take their time.
    pub fn blocking<R>(&mut self, work: impl FnOnce(&mut Self) -> R) -> R {
        self.blocking = true;
        self.deadline = Instant::now() + self.context.limits.wall_time;
        self.terminal_written.store(0, Ordering::Relaxed);
        let multi_thread = tokio::runtime::Handle::try_current().is_ok_and(|runtime| {
            runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        });
        let result = if multi_thread {
            tokio::task::block_in_place(|| work(self))
        } else {
            work(self)
        };
        self.blocking = false;
        result
    }

    /// When a builtin's time is up.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the builtin should stop now, and why: it was interrupted,
    /// its time limit is over, or it has written all the terminal output a
    /// command may. Long builtins check it between chunks.
    pub fn check_stop(&self) -> std::io::Result<()> {
        let reason = if self.context.stop.is_cancelled() {
            "interrupted"
        } else if Instant::now() >= self.deadline {
            "time limit exceeded"
        } else if self.terminal_written.load(Ordering::Relaxed) >= self.output_limit() {
            "output limit reached"
        } else if matches!(&self.stdout, Sink::Pipe(pipe) if pipe.is_broken()) {
            "broken pipe"
        } else {
            return Ok(());
        };
        Err(std::io::Error::new(std::io::ErrorKind::Interrupted, reason))
    }

    pub fn write(&self, sink: &Sink, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        match sink {
            Sink::Terminal(stream) => {
                let data = if self.blocking && *stream == StreamKind::Stdout {
                    let written = self
                        .terminal_written
                        .fetch_add(data.len(), Ordering::Relaxed);
                    &data[..data.len().min(self.output_limit().saturating_sub(written))]
                } else {
                    data
                };
                let chunk = OutputChunk {
                    stream: *stream,
                    data: Bytes::copy_from_slice(data),
                };
                if self.blocking {
                    send_blocking(&self.context.output, chunk);
                } else {
                    self.context.output.send_now(chunk);
                }
            }
            Sink::Buffer(buffer) => {
                let mut buffer = buffer.lock().unwrap_or_else(|p| p.into_inner());
                let room = buffer.limit.saturating_sub(buffer.bytes.len());
                buffer
                    .bytes
                    .extend_from_slice(&data[..data.len().min(room)]);
            }
            Sink::Pipe(pipe) => {
                block_on_here(self.blocking, pipe.write(data));
            }
        }
    }

    /// Writes a program's output as it comes, waiting for a slow reader.
    /// False when it went to a pipe whose reader is gone.
    pub async fn write_async(&self, sink: &Sink, data: Bytes) -> bool {
        match sink {
            Sink::Terminal(stream) => {
                let chunk = OutputChunk {
                    stream: *stream,
                    data,
                };
                self.context.output.send(chunk).await;
                true
            }
            Sink::Buffer(_) => {
                self.write(sink, &data);
                true
            }
            Sink::Pipe(pipe) => pipe.write(&data).await,
        }
    }

    pub fn out(&self, data: &[u8]) {
        self.write(&self.stdout, data);
    }

    /// Writes a line to stdout.
    pub fn line(&self, text: &str) {
        self.out(format!("{text}\n").as_bytes());
    }

    /// Writes a line to stderr.
    pub fn error(&self, text: &str) {
        self.write(&self.stderr, format!("{text}\n").as_bytes());
    }

    /// What the terminal's client can do beyond text.
    pub fn features(&self) -> super::TerminalFeatures {
        self.context.output.features()
    }

    /// Offers a sandbox file to the client to save; false if it cannot.
    pub fn offer_download(&self, path: String) -> bool {
        self.context.output.offer_download(path)
    }

    /// Whether file names written to stdout may be links that download
    /// them: stdout is the terminal, and its client saves files.
    pub fn links_files(&self) -> bool {
        matches!(self.stdout, Sink::Terminal(_)) && self.features().downloads
    }

    /// Which output streams go to the terminal (not a pipe or a file): a
    /// program's `isatty` says so.
    pub fn terminal_streams(&self) -> crate::engine::TerminalStreams {
        crate::engine::TerminalStreams {
            stdout: matches!(self.stdout, Sink::Terminal(_)),
            stderr: matches!(self.stderr, Sink::Terminal(_)),
        }
    }

    /// Whether standard input is the terminal (not a pipe or a file).
    pub fn stdin_is_terminal(&self) -> bool {
        matches!(self.stdin, Input::Terminal)
    }

    /// Takes standard input; a second reader gets nothing.
    pub fn take_stdin(&mut self) -> Input {
        std::mem::replace(&mut self.stdin, Input::Bytes(Vec::new()))
    }

    /// All of standard input, at most `limit` bytes, for commands that need
    /// it whole (a program piped into `python3`, `xargs`'s words); the
    /// terminal reads as empty.
    pub async fn stdin_all(&mut self, limit: u64) -> std::io::Result<Vec<u8>> {
        match self.take_stdin() {
            Input::Terminal => Ok(Vec::new()),
            Input::Bytes(mut bytes) => {
                bytes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                Ok(bytes)
            }
            Input::Pipe(stream) => {
                let mut bytes = Vec::new();
                stream.take(limit).read_to_end(&mut bytes).await?;
                Ok(bytes)
            }
            Input::Started { mut first, rest } => {
                first.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                let left = limit.saturating_sub(first.len() as u64);
                rest.take(left).read_to_end(&mut first).await?;
                Ok(first)
            }
        }
    }

    /// Waits, on the async workers (holding no thread), until a pipe on
    /// standard input has its first bytes or its end: a builtin reading it
    /// takes a blocking thread only once there is something to do. Ends
    /// early at Ctrl-C or the time limit; the builtin then finds out.
    pub async fn wait_for_input(&mut self) {
        if !matches!(self.stdin, Input::Pipe(_)) {
            return;
        }
        let Input::Pipe(mut stream) = self.take_stdin() else {
            return;
        };
        let mut first = vec![0; 8192];
        let read = tokio::select! {
            read = stream.read(&mut first) => read.unwrap_or(0),
            () = self.context.stop.cancelled() => 0,
            () = tokio::time::sleep(self.context.limits.wall_time) => 0,
        };
        first.truncate(read);
        self.stdin = Input::Started {
            first,
            rest: stream,
        };
    }

    /// Standard input as a reader, for builtins (which run off the async
    /// workers): the terminal reads as empty; a pipe is read as its writer
    /// writes, until Ctrl-C or the time limit.
    pub fn stdin_reader(&mut self) -> Box<dyn std::io::Read + Send> {
        match self.take_stdin() {
            Input::Terminal => Box::new(std::io::empty()),
            Input::Bytes(bytes) => Box::new(std::io::Cursor::new(bytes)),
            Input::Pipe(stream) => Box::new(self.pipe_reader(stream)),
            Input::Started { first, rest } => {
                let first = std::io::Cursor::new(first);
                Box::new(std::io::Read::chain(first, self.pipe_reader(rest)))
            }
        }
    }

    fn pipe_reader(&self, stream: DuplexStream) -> PipeReader {
        PipeReader {
            stream,
            stop: self.context.stop.clone(),
            deadline: self.deadline,
        }
    }

    /// The most a command may write into a pipe or file, or read at once.
    pub fn output_limit(&self) -> usize {
        self.context.limits.output_bytes
    }
}

/// Runs `future` to its end from synchronous code: directly when already
/// off the async workers (`blocking`), else by leaving them for the while.
/// `None` outside a tokio runtime (the shell always runs in one).
fn block_on_here<F: std::future::Future>(blocking: bool, future: F) -> Option<F::Output> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    Some(
        if blocking || runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            runtime.block_on(future)
        } else {
            tokio::task::block_in_place(|| runtime.block_on(future))
        },
    )
}

/// A pipe read from a builtin's thread.
struct PipeReader {
    stream: DuplexStream,
    stop: tokio_util::sync::CancellationToken,
    deadline: Instant,
}

impl std::io::Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let stop = self.stop.clone();
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let stream = &mut self.stream;
        let stopped = |why: &str| std::io::Error::new(std::io::ErrorKind::Interrupted, why);
        block_on_here(true, async move {
            tokio::select! {
                read = stream.read(buf) => read,
                () = stop.cancelled() => Err(stopped("interrupted")),
                () = tokio::time::sleep_until(deadline) => Err(stopped("time limit exceeded")),
            }
        })
        .unwrap_or_else(|| Err(std::io::Error::other("no runtime to read the pipe")))
    }
}

/// The scheme of the links `ls` puts on files for the browser terminal:
/// a click downloads the file.
pub const FILE_LINK_SCHEME: &str = "polyrun-file:";

/// `text` as a hyperlink (OSC 8) to the sandbox file at `path` (as the
/// guest sees it, `/dir/file`).
pub fn file_link(path: &str, text: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC);
    format!("\x1b]8;;{FILE_LINK_SCHEME}{encoded}\x07{text}\x1b]8;;\x07")
}

/// A sandbox error as a shell would word it.
pub fn describe_sandbox(error: &crate::sandbox::SandboxError) -> String {
    match error {
        crate::sandbox::SandboxError::Io { source, .. } => describe(source),
        other => other.to_string(),
    }
}

/// An I/O error as coreutils word it.
pub fn describe(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "No such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "Permission denied (outside the sandbox?)".to_owned(),
        ErrorKind::AlreadyExists => "File exists".to_owned(),
        ErrorKind::NotADirectory => "Not a directory".to_owned(),
        ErrorKind::IsADirectory => "Is a directory".to_owned(),
        ErrorKind::DirectoryNotEmpty => "Directory not empty".to_owned(),
        ErrorKind::StorageFull => "No space left on device".to_owned(),
        _ if error.to_string().contains("escape") || error.to_string().contains("outside") => {
            "Permission denied: the path leads outside the sandbox".to_owned()
        }
        _ => error.to_string(),
    }
}
