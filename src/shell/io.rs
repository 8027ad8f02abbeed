//! Where a command's input comes from and where its output goes: the
//! terminal (the user's socket), a pipe buffer, or a redirected file.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc::UnboundedReceiver;

use super::Context;
use crate::engine::{OutputChunk, StreamKind};

/// Receives output as commands write it.
pub type OutputSink = Arc<dyn Fn(OutputChunk) + Send + Sync>;

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
}

/// A command's standard output or error.
#[derive(Clone)]
pub enum Sink {
    Terminal(StreamKind),
    /// A pipe or a redirected file, capped at the output limit.
    Buffer(Arc<Mutex<CappedBuffer>>),
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

    /// The buffered bytes (empty for the terminal).
    pub fn take(&self) -> Vec<u8> {
        match self {
            Sink::Terminal(_) => Vec::new(),
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
}

impl<'a> Io<'a> {
    pub fn new(stdin: Input, stdout: Sink, stderr: Sink, context: &'a Context) -> Self {
        Self {
            stdin,
            stdout,
            stderr,
            context,
        }
    }

    pub fn write(&self, sink: &Sink, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        match sink {
            Sink::Terminal(stream) => (self.context.output)(OutputChunk {
                stream: *stream,
                data: Bytes::copy_from_slice(data),
            }),
            Sink::Buffer(buffer) => {
                let mut buffer = buffer.lock().unwrap_or_else(|p| p.into_inner());
                let room = buffer.limit.saturating_sub(buffer.bytes.len());
                buffer
                    .bytes
                    .extend_from_slice(&data[..data.len().min(room)]);
            }
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

    /// Takes standard input; a second reader gets nothing.
    pub fn take_stdin(&mut self) -> Input {
        std::mem::replace(&mut self.stdin, Input::Bytes(Vec::new()))
    }

    /// Standard input as bytes, for builtins: the terminal reads as empty.
    pub fn stdin_bytes(&mut self) -> Vec<u8> {
        match self.take_stdin() {
            Input::Terminal => Vec::new(),
            Input::Bytes(bytes) => bytes,
        }
    }

    /// The most a command may write into a pipe or file, or read at once.
    pub fn output_limit(&self) -> usize {
        self.context.limits.output_bytes
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
        _ if error.to_string().contains("escape") || error.to_string().contains("outside") => {
            "Permission denied: the path leads outside the sandbox".to_owned()
        }
        _ => error.to_string(),
    }
}
