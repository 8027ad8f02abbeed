//! Guest stdout and stderr: captured up to the output limit and, optionally,
//! forwarded chunk by chunk to a listener while the program runs.
//!
//! WASI writes are synchronous calls from the guest, so a write is copied into
//! the capture and pushed onto an unbounded channel without waiting. Memory
//! stays bounded because the total is capped: once a program has written
//! `limit` bytes, the next write keeps what fits and traps the guest.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::mpsc::UnboundedSender;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Which of the two output streams a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    Stdout,
    Stderr,
}

/// A piece of output, in the order the guest wrote it.
#[derive(Debug, Clone)]
pub struct OutputChunk {
    pub stream: StreamKind,
    pub data: Bytes,
}

/// The message of the trap raised when a program writes past its limit.
pub(crate) const OUTPUT_LIMIT_TRAP: &str = "output limit exceeded";

/// Both streams of one execution, sharing one byte budget.
#[derive(Clone)]
pub(crate) struct OutputCapture(Arc<Mutex<CaptureState>>);

struct CaptureState {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    remaining: usize,
    exceeded: bool,
    listener: Option<UnboundedSender<OutputChunk>>,
    terminal: super::TerminalStreams,
}

/// What the capture holds once the program has ended.
pub(crate) struct CapturedOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub limit_exceeded: bool,
}

impl OutputCapture {
    pub fn new(limit: usize, listener: Option<UnboundedSender<OutputChunk>>) -> Self {
        Self(Arc::new(Mutex::new(CaptureState {
            stdout: Vec::new(),
            stderr: Vec::new(),
            remaining: limit,
            exceeded: false,
            listener,
            terminal: super::TerminalStreams::NONE,
        })))
    }

    /// Says which streams reach a terminal (the guest's `isatty`).
    pub fn at(self, terminal: super::TerminalStreams) -> Self {
        self.lock().terminal = terminal;
        self
    }

    pub fn stream(&self, kind: StreamKind) -> CapturedStream {
        CapturedStream {
            capture: self.clone(),
            kind,
        }
    }

    /// Starts capturing anew with a budget of `limit` (a live instance's
    /// next turn).
    pub fn restart(&self, limit: usize) {
        let mut state = self.lock();
        state.stdout.clear();
        state.stderr.clear();
        state.remaining = limit;
        state.exceeded = false;
    }

    pub fn finish(&self) -> CapturedOutput {
        let mut state = self.lock();
        state.listener = None;
        CapturedOutput {
            stdout: std::mem::take(&mut state.stdout),
            stderr: std::mem::take(&mut state.stderr),
            limit_exceeded: state.exceeded,
        }
    }

    fn lock(&self) -> MutexGuard<'_, CaptureState> {
        // A poisoned lock only means another writer panicked mid-copy; the
        // bytes already captured are still the best answer we have.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records `data`, returning false when it did not all fit.
    fn write(&self, kind: StreamKind, data: &[u8]) -> bool {
        let mut state = self.lock();
        let kept = data.len().min(state.remaining);
        state.remaining -= kept;
        let kept = &data[..kept];
        match kind {
            StreamKind::Stdout => state.stdout.extend_from_slice(kept),
            StreamKind::Stderr => state.stderr.extend_from_slice(kept),
        }
        if !kept.is_empty()
            && let Some(listener) = &state.listener
        {
            // A listener that went away (a closed socket) is not the guest's
            // problem: the capture still records everything.
            let _ = listener.send(OutputChunk {
                stream: kind,
                data: Bytes::copy_from_slice(kept),
            });
        }
        if kept.len() < data.len() {
            state.exceeded = true;
            return false;
        }
        true
    }
}

/// One stream of an [`OutputCapture`], as handed to WASI.
#[derive(Clone)]
pub(crate) struct CapturedStream {
    capture: OutputCapture,
    kind: StreamKind,
}

impl IsTerminal for CapturedStream {
    fn is_terminal(&self) -> bool {
        let terminal = self.capture.lock().terminal;
        match self.kind {
            StreamKind::Stdout => terminal.stdout,
            StreamKind::Stderr => terminal.stderr,
        }
    }
}

impl StdoutStream for CapturedStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for CapturedStream {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedStream {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        if self.capture.write(self.kind, &bytes) {
            Ok(())
        } else {
            Err(StreamError::trap(OUTPUT_LIMIT_TRAP))
        }
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Always accept a whole write, so that the write that crosses the
        // limit is the one that traps (keeping the bytes that fit).
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for CapturedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.capture.write(self.kind, buf) {
            Poll::Ready(Ok(buf.len()))
        } else {
            Poll::Ready(Err(std::io::Error::other(OUTPUT_LIMIT_TRAP)))
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
