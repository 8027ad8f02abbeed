//! Live instances: an interpreter kept alive between runs, for
//! notebook-style contexts. Where [`Engine::run`] makes a fresh `Store` per
//! execution, a [`LiveInstance`] keeps its `Store` and instance, so the
//! variables, imports and open state of one turn are there in the next.
//!
//! Each turn hands a code buffer to the runtime's turn export (see
//! [`reactor::turn`]) under the same limits as a run: a fresh wall-time
//! deadline, a fresh output budget, the instance's memory limit. A turn
//! that ends by trapping (time, memory, output, a crash) leaves the
//! interpreter somewhere in the middle of its work, so the instance is
//! dropped and the caller is told it has ended.
//!
//! Live instances take slots of their own in the instance pool (so they
//! never starve one-off runs), and their linear memories draw on one shared
//! [`MemoryPool`](super::MemoryPool), so that their total is bounded
//! however many exist.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use tokio::io::AsyncRead;
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::{Instance, Store, UpdateDeadline};
use wasmtime_wasi::cli::{IsTerminal, StdinStream};
use wasmtime_wasi::p2::{InputStream, Pollable, StreamError};

use super::limits::{MemoryLimiter, MemoryPool};
use super::output::OutputCapture;
use super::{
    EPOCH_TICK, Engine, Limits, Mount, Outcome, ProgramTemplate, Status, Stdin, StoreState,
    build_wasi, classify, deadline, disk, reactor,
};
use crate::runtimes::Runtime;
use crate::sandbox::DiskQuota;

/// Standard input that each turn fills anew: the turn's `stdin`, then end
/// of file, for every handle the guest has on it.
#[derive(Clone, Default)]
pub struct TurnInput(Arc<Mutex<Bytes>>);

impl TurnInput {
    fn refill(&self, bytes: Vec<u8>) {
        *self.lock() = Bytes::from(bytes);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bytes> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl InputStream for TurnInput {
    fn read(&mut self, size: usize) -> Result<Bytes, StreamError> {
        let mut buffer = self.lock();
        if buffer.is_empty() {
            return Err(StreamError::Closed);
        }
        let size = size.min(buffer.len());
        Ok(buffer.split_to(size))
    }
}

#[async_trait::async_trait]
impl Pollable for TurnInput {
    async fn ready(&mut self) {}
}

impl AsyncRead for TurnInput {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut buffer = self.lock();
        let size = buf.remaining().min(buffer.len());
        buf.put_slice(&buffer.split_to(size));
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for TurnInput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdinStream for TurnInput {
    fn p2_stream(&self) -> Box<dyn InputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncRead + Send + Sync> {
        Box::new(self.clone())
    }
}

/// How a live instance is made.
pub struct LiveSpec {
    /// An interpreter runtime whose module has a turn export.
    pub runtime: Runtime,
    /// The export that runs a code buffer (`turn`, `polyrun_turn`).
    pub turn_export: &'static str,
    /// Called once after instantiation (the runtime's per-process start),
    /// or `None`.
    pub start_export: Option<&'static str>,
    /// argv, as the start reads it.
    pub args: Vec<String>,
    /// The whole environment.
    pub env: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    /// The limits of every turn; the memory limit is the instance's.
    pub limits: Limits,
    pub disk: Option<Arc<DiskQuota>>,
    /// What its linear memory is taken from.
    pub memory: Arc<MemoryPool>,
}

/// An instance kept between turns.
pub struct LiveInstance {
    store: Store<StoreState>,
    instance: Instance,
    capture: OutputCapture,
    stdin: TurnInput,
    limits: Limits,
    turn_export: &'static str,
    _slot: OwnedSemaphorePermit,
}

/// What a turn did, and whether the instance lives on.
pub struct TurnResult {
    pub outcome: Outcome,
    /// Why the guest was refused memory during the turn, if it was (it
    /// may have survived that, as Python's `MemoryError`).
    pub memory_refusal: Option<String>,
    /// The instance, unless the turn ended it.
    pub instance: Option<LiveInstance>,
}

impl LiveInstance {
    /// Linear memory the instance holds now.
    pub fn memory_bytes(&self) -> u64 {
        self.store.data().limiter.current_bytes()
    }

    async fn turn(mut self, code: Vec<u8>, stdin: Vec<u8>, output_bytes: usize) -> TurnResult {
        let started = Instant::now();
        self.capture.restart(output_bytes);
        self.stdin.refill(stdin);
        let deadline = deadline::Deadline::new(started, self.limits.wall_time, false);
        self.store.data_mut().deadline = deadline.clone();
        self.store.data_mut().limiter.forget_refusals();
        self.store.set_epoch_deadline(1);
        let call = reactor::turn(&self.instance, &mut self.store, self.turn_export, &code);
        let ended = tokio::select! {
            result = call => Ok(result),
            () = deadline.elapsed(EPOCH_TICK * 5) => Err(()),
        };
        let output = self.capture.finish();
        let limiter = &self.store.data().limiter;
        let ending = match ended {
            Ok(result) => TurnEnding::of(result, output.limit_exceeded, limiter, &self.limits),
            // Stopped while waiting in a host call: its state is lost.
            Err(()) => TurnEnding {
                status: Status::Timeout,
                exit_code: None,
                message: Some(super::time_limit_message(&self.limits)),
                alive: false,
            },
        };
        let TurnEnding {
            status,
            exit_code,
            message,
            alive,
        } = ending;
        let outcome = Outcome {
            status,
            exit_code,
            message,
            stdout: output.stdout,
            stderr: output.stderr,
            truncated: output.limit_exceeded,
            duration: started.elapsed(),
            peak_memory_bytes: limiter.peak_bytes(),
            ..Outcome::failed(status, "")
        };
        TurnResult {
            outcome,
            memory_refusal: limiter
                .refused()
                .then(|| refusal_message(limiter, &self.limits)),
            instance: alive.then_some(self),
        }
    }
}

/// How a turn ended, and whether the interpreter lives on.
struct TurnEnding {
    status: Status,
    exit_code: Option<i32>,
    message: Option<String>,
    alive: bool,
}

impl TurnEnding {
    fn of(
        result: wasmtime::Result<i32>,
        output_exceeded: bool,
        limiter: &MemoryLimiter,
        limits: &Limits,
    ) -> Self {
        let (status, exit_code, message, alive) = match result {
            Ok(0) => (Status::Ok, Some(0), None, true),
            // An exception the code did not catch, or an exit status: the
            // interpreter itself is fine.
            Ok(code) => (Status::RuntimeError, Some(code), None, true),
            // A trap: the interpreter stopped somewhere in its work.
            Err(error) => {
                let (status, exit_code, message) =
                    classify(Err(error), output_exceeded, limiter.refused(), limits);
                // classify names the limit; the pool is ours to name.
                let message = if limiter.pool_refused() {
                    Some(POOL_EXHAUSTED.to_owned())
                } else {
                    message
                };
                (status, exit_code, message, false)
            }
        };
        Self {
            status,
            exit_code,
            message,
            alive,
        }
    }
}

/// Why memory was refused: the instance's limit, or the shared pool.
fn refusal_message(limiter: &MemoryLimiter, limits: &Limits) -> String {
    if limiter.pool_refused() {
        POOL_EXHAUSTED.to_owned()
    } else {
        super::memory_limit_message(limits)
    }
}

const POOL_EXHAUSTED: &str =
    "the memory for all contexts (CONTEXT_MEMORY_MB) is in use: delete a context or use less";

impl LiveInstance {
    /// Instantiates `template` under `spec` and calls its start export.
    async fn start(
        template: ProgramTemplate,
        spec: LiveSpec,
        slot: OwnedSemaphorePermit,
    ) -> Result<Self, Box<Outcome>> {
        let limits = spec.limits;
        let capture = OutputCapture::new(limits.output_bytes, None);
        let stdin = TurnInput::default();
        let mut store = live_store(&template, &spec, &capture, &stdin)?;
        let instance = match template.pre.instantiate_async(&mut store).await {
            Ok(instance) => instance,
            Err(error) => {
                let limiter = &store.data().limiter;
                let outcome = if limiter.refused() {
                    Outcome::failed(Status::MemoryLimit, refusal_message(limiter, &limits))
                } else {
                    Outcome::failed(Status::InternalError, format!("{error:#}"))
                };
                return Err(Box::new(outcome));
            }
        };
        super::prefault_working_set(&template, &instance, &mut store, super::Prefault::Written);
        if let Some(start) = spec.start_export {
            let call = async {
                let function = instance.get_typed_func::<(), ()>(&mut store, start)?;
                function.call_async(&mut store, ()).await
            };
            if let Err(error) = call.await {
                let output = capture.finish();
                let refused = store.data().limiter.refused();
                let (status, _, message) =
                    classify(Err(error), output.limit_exceeded, refused, &limits);
                let message = message.unwrap_or_else(|| "the interpreter did not start".into());
                let mut outcome = Outcome::failed(status, message);
                outcome.stderr = output.stderr;
                return Err(Box::new(outcome));
            }
        }
        Ok(Self {
            store,
            instance,
            capture,
            stdin,
            limits,
            turn_export: spec.turn_export,
            _slot: slot,
        })
    }
}

/// A store for a live instance: its WASI context over `capture` and
/// `stdin`, its memory drawn from the spec's pool, and an epoch callback
/// that reads the deadline each turn puts in the store.
fn live_store(
    template: &ProgramTemplate,
    spec: &LiveSpec,
    capture: &OutputCapture,
    stdin: &TurnInput,
) -> Result<Store<StoreState>, Box<Outcome>> {
    let limits = spec.limits;
    let stdin = Stdin::Turns(stdin.clone());
    let wasi = build_wasi(&spec.args, &spec.env, &spec.mounts, stdin, capture)
        .map_err(|e| Box::new(Outcome::failed(Status::InternalError, format!("{e:#}"))))?;
    let limiter = MemoryLimiter::new(limits.memory_bytes).drawing_on(spec.memory.clone());
    let mut store = Store::new(
        template.pre.module().engine(),
        StoreState {
            wasi,
            limiter,
            disk: spec.disk.clone().map(disk::GuestDisk::new),
            lookups: None,
            files: crate::budget::files::OpenFiles::for_execution(),
            deadline: deadline::Deadline::new(Instant::now(), limits.wall_time, false),
        },
    );
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|context| {
        if context.data().deadline.expired() {
            Ok(UpdateDeadline::Interrupt)
        } else {
            Ok(UpdateDeadline::Yield(1))
        }
    });
    Ok(store)
}

impl Engine {
    /// Instantiates an interpreter to keep, and runs its start. Fails with
    /// the outcome that says why (no slot, no memory, a start that failed).
    pub async fn start_live(&self, spec: LiveSpec) -> Result<LiveInstance, Box<Outcome>> {
        let Ok(slot) = self.live_slots.clone().try_acquire_owned() else {
            return Err(Box::new(Outcome::failed(
                Status::InternalError,
                "no room for another live instance",
            )));
        };
        let Some(template) = self.runtimes.get(&spec.runtime).cloned() else {
            let message = format!("runtime {} is not loaded", spec.runtime.name());
            return Err(Box::new(Outcome::failed(Status::InternalError, message)));
        };
        let executor = self.guest_handle()?;
        let task = executor.spawn(LiveInstance::start(template, spec, slot));
        task.await.unwrap_or_else(|error| {
            Err(Box::new(Outcome::failed(
                Status::InternalError,
                format!("the start task failed: {error}"),
            )))
        })
    }

    /// Runs one code buffer in a live instance, on the guest executor. The
    /// turn runs to its end (its limits bound it) even if the caller stops
    /// waiting, so that the instance is not torn mid-turn.
    pub async fn turn(
        &self,
        live: LiveInstance,
        code: Vec<u8>,
        stdin: Vec<u8>,
        output_bytes: usize,
    ) -> TurnResult {
        let executor = match self.guest_handle() {
            Ok(executor) => executor,
            Err(outcome) => {
                return TurnResult {
                    outcome: *outcome,
                    memory_refusal: None,
                    instance: None,
                };
            }
        };
        executor
            .spawn(live.turn(code, stdin, output_bytes))
            .await
            .unwrap_or_else(|error| TurnResult {
                outcome: Outcome::failed(
                    Status::InternalError,
                    format!("the turn's task failed: {error}"),
                ),
                memory_refusal: None,
                instance: None,
            })
    }

    fn guest_handle(&self) -> Result<tokio::runtime::Handle, Box<Outcome>> {
        self.executor
            .as_ref()
            .map(|executor| executor.handle().clone())
            .ok_or_else(|| {
                Box::new(Outcome::failed(
                    Status::InternalError,
                    "engine is shutting down",
                ))
            })
    }
}
