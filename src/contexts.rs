//! Stateful contexts: notebook-style interpreters that keep their
//! variables, imports and files between runs (`/contexts`, and the MCP
//! tools).
//!
//! Each context has a sandbox of its own and one live interpreter (see
//! [`crate::engine::LiveInstance`]). Runs of a context take turns; runs of
//! different contexts share nothing. What bounds them: `MAX_CONTEXTS`
//! contexts at once, `CONTEXT_TIMEOUT` of idleness before one is deleted,
//! and `CONTEXT_MEMORY_MB` for the linear memory of all of them together.
//! A run that traps (time, memory, output, a crash) ends the interpreter;
//! the context stays, with its files, saying how it ended, until it is
//! restarted or deleted.
//!
//! A context belongs to whoever created it. Its id is a secret (24
//! random alphanumerics, about 143 bits), as execution ids are: knowing
//! one is the right to use it, and nothing lists ids to anyone else.
//! [`ContextManager::list`] gives a caller only the contexts created with
//! its own key ([`Owner`]: the bearer token it sent), and each client may
//! hold at most `MAX_CONTEXTS_PER_CLIENT` of them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rand::distr::{Alphanumeric, SampleString};
use tokio_util::sync::CancellationToken;

use sha2::{Digest as _, Sha256};

use crate::budget::slots::{Full, Slots};
use crate::engine::{Limits, LiveInstance, MemoryPool, Outcome, Status};
use crate::language::{Language, Runner};
use crate::sandbox::{Sandbox, SandboxRoot};

/// 24 alphanumerics: about 143 random bits.
const CONTEXT_ID_LENGTH: usize = 24;

/// The key of a context's creator: a digest of the bearer token it sent
/// (never the token itself). Listing shows a caller the contexts created
/// with the same key, and none created without one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Owner([u8; 32]);

impl Owner {
    pub fn from_token(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Owner(…)")
    }
}

/// Who creates a context: the client (address) whose share it takes,
/// and its key.
#[derive(Debug, Clone)]
pub struct Creator {
    pub client: IpAddr,
    pub owner: Option<Owner>,
}

/// Why a context operation was refused; the API maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("no context {0}")]
    NotFound(String),
    #[error("{0} contexts exist, the most allowed (MAX_CONTEXTS): delete one first")]
    TooMany(usize),
    #[error(
        "you hold {0} contexts, the most one client may (MAX_CONTEXTS_PER_CLIENT): delete one first"
    )]
    TooManyForClient(usize),
    #[error("{0} has no contexts; python and javascript do")]
    Unsupported(Language),
    #[error("this context is running code; wait for that run to end")]
    Busy,
    #[error("this context's interpreter has ended ({0}); restart or delete it")]
    Ended(String),
    #[error("cannot create the context's sandbox: {0}")]
    Sandbox(String),
    #[error("the interpreter did not start: {}", .0.message.as_deref().unwrap_or("unknown error"))]
    Start(Box<Outcome>),
}

/// One context.
pub struct Context {
    id: String,
    creator: Creator,
    language: Language,
    sandbox: Sandbox,
    limits: Limits,
    created: SystemTime,
    last_used: Mutex<Instant>,
    runs: AtomicU64,
    interpreter: tokio::sync::Mutex<Interpreter>,
}

enum Interpreter {
    Live(LiveInstance),
    Ended(String),
}

/// What `GET /contexts/{id}` shows.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextView {
    pub context_id: String,
    pub language: &'static str,
    pub user_directory: String,
    /// `idle`, `running`, or `ended` (its interpreter stopped; see `message`).
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Linear memory the interpreter holds now.
    pub memory_bytes: u64,
    pub runs: u64,
    /// RFC 3339.
    pub created_at: String,
    /// Milliseconds until it is deleted unless used.
    pub expires_in_ms: u64,
}

/// What a run in a context did.
pub struct ContextRun {
    pub outcome: Outcome,
    pub value: Option<String>,
    /// The run ended the interpreter.
    pub ended: bool,
}

impl Context {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn language(&self) -> Language {
        self.language
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_used
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }

    fn view(&self, idle_timeout: Duration) -> ContextView {
        let (state, message, memory_bytes) = match self.interpreter.try_lock() {
            Err(_) => ("running", None, 0),
            Ok(interpreter) => match &*interpreter {
                Interpreter::Live(live) => ("idle", None, live.memory_bytes()),
                Interpreter::Ended(reason) => ("ended", Some(reason.clone()), 0),
            },
        };
        ContextView {
            context_id: self.id.clone(),
            language: self.language.info().name,
            user_directory: self.sandbox.name().to_owned(),
            state,
            message,
            memory_bytes,
            runs: self.runs.load(Ordering::Relaxed),
            created_at: humantime::format_rfc3339_millis(self.created).to_string(),
            expires_in_ms: idle_timeout.saturating_sub(self.idle_for()).as_millis() as u64,
        }
    }
}

/// Every context of this server.
pub struct ContextManager {
    /// `None` holds the place of a context being created.
    contexts: Mutex<HashMap<String, Option<Arc<Context>>>>,
    /// `MAX_CONTEXTS` in all, `MAX_CONTEXTS_PER_CLIENT` each.
    slots: Slots<IpAddr>,
    sandboxes: Arc<SandboxRoot>,
    memory: Arc<MemoryPool>,
    idle_timeout: Duration,
}

impl ContextManager {
    pub fn new(
        sandboxes: Arc<SandboxRoot>,
        max: usize,
        idle_timeout: Duration,
        memory_bytes: u64,
    ) -> Self {
        let per_client = crate::budget::settings().contexts_per_client;
        Self {
            contexts: Mutex::new(HashMap::new()),
            slots: Slots::new("contexts", max, per_client),
            sandboxes,
            memory: MemoryPool::new(memory_bytes),
            idle_timeout,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Arc<Context>>>> {
        self.contexts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Contexts that exist now.
    pub fn count(&self) -> usize {
        self.map().len()
    }

    /// Linear memory all contexts hold now.
    pub fn memory_bytes(&self) -> u64 {
        self.memory.used()
    }

    /// Disk the contexts' sandboxes hold now.
    pub fn disk_bytes(&self) -> u64 {
        self.map()
            .values()
            .flatten()
            .map(|context| context.sandbox.quota().usage().bytes)
            .sum()
    }

    /// Creates a context: a sandbox and an interpreter over it.
    pub async fn create(
        &self,
        runner: &Runner,
        language: Language,
        limits: Limits,
        creator: Creator,
    ) -> Result<Arc<Context>, ContextError> {
        if !matches!(language, Language::Python | Language::JavaScript) {
            return Err(ContextError::Unsupported(language));
        }
        let id = self.reserve(&creator.client)?;
        let created = self.start(runner, &id, language, limits, creator).await;
        let mut contexts = self.map();
        match created {
            Ok(context) => {
                contexts.insert(id, Some(context.clone()));
                Ok(context)
            }
            Err((error, client)) => {
                contexts.remove(&id);
                self.slots.give_back(&client);
                Err(error)
            }
        }
    }

    /// Holds a place (and an id) for a context being created, so that
    /// creations at once cannot pass `MAX_CONTEXTS` (or the client's
    /// share) together.
    fn reserve(&self, client: &IpAddr) -> Result<String, ContextError> {
        let mut contexts = self.map();
        self.slots.take(client).map_err(|full| match full {
            Full::Total => ContextError::TooMany(self.slots.total()),
            Full::Client => {
                ContextError::TooManyForClient(crate::budget::settings().contexts_per_client)
            }
        })?;
        let id = Alphanumeric.sample_string(&mut rand::rng(), CONTEXT_ID_LENGTH);
        contexts.insert(id.clone(), None);
        Ok(id)
    }

    async fn start(
        &self,
        runner: &Runner,
        id: &str,
        language: Language,
        limits: Limits,
        creator: Creator,
    ) -> Result<Arc<Context>, (ContextError, IpAddr)> {
        let sandbox = self
            .sandboxes
            .create()
            .map_err(|e| (ContextError::Sandbox(e.to_string()), creator.client))?;
        let started = runner
            .start_context(language, &sandbox, limits, self.memory.clone())
            .await;
        let live = match started {
            Ok(live) => live,
            Err(outcome) => {
                self.remove_sandbox(sandbox.name().to_owned());
                return Err((ContextError::Start(outcome), creator.client));
            }
        };
        tracing::info!(
            context = id,
            %language,
            user_directory = sandbox.name(),
            "context created"
        );
        Ok(Arc::new(Context {
            id: id.to_owned(),
            creator,
            language,
            sandbox,
            limits,
            created: SystemTime::now(),
            last_used: Mutex::new(Instant::now()),
            runs: AtomicU64::new(0),
            interpreter: tokio::sync::Mutex::new(Interpreter::Live(live)),
        }))
    }

    /// The context `id`, counting this as a use.
    pub fn get(&self, id: &str) -> Result<Arc<Context>, ContextError> {
        let context = self
            .map()
            .get(id)
            .cloned()
            .flatten()
            .ok_or_else(|| ContextError::NotFound(id.to_owned()))?;
        context.touch();
        Ok(context)
    }

    pub fn view(&self, context: &Context) -> ContextView {
        context.view(self.idle_timeout)
    }

    /// The contexts created with `owner`'s key; none without a key.
    pub fn list(&self, owner: Option<&Owner>) -> Vec<ContextView> {
        let Some(owner) = owner else {
            return Vec::new();
        };
        let contexts: Vec<_> = self
            .map()
            .values()
            .flatten()
            .filter(|context| context.creator.owner.as_ref() == Some(owner))
            .cloned()
            .collect();
        contexts.iter().map(|context| self.view(context)).collect()
    }

    /// Runs `code` in the context; runs of one context take turns.
    pub async fn run(
        &self,
        runner: &Runner,
        context: &Context,
        code: &str,
        stdin: Vec<u8>,
    ) -> Result<ContextRun, ContextError> {
        let mut interpreter = context
            .interpreter
            .try_lock()
            .map_err(|_| ContextError::Busy)?;
        let live = match std::mem::replace(&mut *interpreter, Interpreter::Ended(String::new())) {
            Interpreter::Live(live) => live,
            Interpreter::Ended(reason) => {
                let error = ContextError::Ended(reason.clone());
                *interpreter = Interpreter::Ended(reason);
                return Err(error);
            }
        };
        context.runs.fetch_add(1, Ordering::Relaxed);
        let cell = runner
            .run_cell(
                context.language,
                live,
                code,
                stdin,
                context.limits.output_bytes,
            )
            .await;
        context.touch();
        let ended = cell.instance.is_none();
        *interpreter = match cell.instance {
            Some(live) => Interpreter::Live(live),
            None => Interpreter::Ended(ended_reason(&cell.outcome)),
        };
        Ok(ContextRun {
            outcome: cell.outcome,
            value: cell.value,
            ended,
        })
    }

    /// Starts a new interpreter in a context (its files stay): after one
    /// ended, or to forget its variables.
    pub async fn restart(&self, runner: &Runner, context: &Context) -> Result<(), ContextError> {
        let mut interpreter = context
            .interpreter
            .try_lock()
            .map_err(|_| ContextError::Busy)?;
        // The old interpreter's memory goes back to the pool first.
        *interpreter = Interpreter::Ended("restarting".to_owned());
        let started = runner
            .start_context(
                context.language,
                &context.sandbox,
                context.limits,
                self.memory.clone(),
            )
            .await;
        match started {
            Ok(live) => {
                *interpreter = Interpreter::Live(live);
                Ok(())
            }
            Err(outcome) => {
                *interpreter = Interpreter::Ended(ended_reason(&outcome));
                Err(ContextError::Start(outcome))
            }
        }
    }

    /// Deletes a context, its interpreter and its files.
    pub fn delete(&self, id: &str) -> Result<(), ContextError> {
        let mut contexts = self.map();
        let Some(Some(context)) = contexts.get(id).cloned() else {
            return Err(ContextError::NotFound(id.to_owned()));
        };
        contexts.remove(id);
        drop(contexts);
        self.slots.give_back(&context.creator.client);
        tracing::info!(context = id, "context deleted");
        self.remove_sandbox(context.sandbox.name().to_owned());
        Ok(())
    }

    fn remove_sandbox(&self, name: String) {
        let sandboxes = self.sandboxes.clone();
        // Deep trees take a while to remove: not on an async thread.
        drop(tokio::task::spawn_blocking(move || {
            if let Err(error) = sandboxes.remove(&name) {
                tracing::warn!(%error, "cannot remove a context's sandbox");
            }
        }));
    }

    /// Deletes the contexts idle for longer than `CONTEXT_TIMEOUT`.
    pub fn sweep(&self) {
        let expired: Vec<String> = self
            .map()
            .values()
            .flatten()
            .filter(|context| context.idle_for() >= self.idle_timeout)
            .filter(|context| context.interpreter.try_lock().is_ok())
            .map(|context| context.id.clone())
            .collect();
        for id in expired {
            tracing::info!(context = %id, "context idle past CONTEXT_TIMEOUT");
            let _ = self.delete(&id);
        }
    }

    /// Sweeps until `shutdown`.
    pub async fn sweep_until(self: Arc<Self>, shutdown: CancellationToken) {
        let interval =
            (self.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(10));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => self.sweep(),
            }
        }
    }
}

/// How an interpreter's end reads in the context's state.
fn ended_reason(outcome: &Outcome) -> String {
    let why = outcome
        .message
        .clone()
        .unwrap_or_else(|| outcome.status.as_str().to_owned());
    match outcome.status {
        Status::RuntimeError if outcome.message.is_none() => {
            format!("exited with code {}", outcome.exit_code.unwrap_or(1))
        }
        _ => why,
    }
}
