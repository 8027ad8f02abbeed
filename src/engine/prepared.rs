//! Instances made ahead of runs: instantiated from their snapshot and with
//! their working set faulted in while nothing waits for them, so that a
//! request only runs code.
//!
//! An instance of a snapshot holds nothing of anyone's until a run hands it
//! its state (WASI context, limits, deadline), so one made in advance is as
//! fresh as one made on demand. Only runtimes with a learned working set
//! (the Python and JavaScript snapshots) keep any: for the others,
//! instantiation is already cheap. A prepared instance has both the pages
//! its run will write and those it will only read mapped, so the run
//! itself barely faults. Each prepared instance holds one of the engine's
//! instance slots, and at most [`READY`] wait per runtime; when none is
//! ready, a run makes its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{Instance, Store};
use wasmtime_wasi::WasiCtxBuilder;

use super::limits::MemoryLimiter;
use super::{Prefault, ProgramTemplate, StoreState, deadline};
use crate::budget::files::OpenFiles;

/// Instances kept ready per runtime: one for the next request, one for
/// the request that arrives while the first is being made.
const READY: usize = 2;

/// Slots left free for runs that make their own instances (other
/// runtimes, bursts): a slot is never taken to prepare one below this.
const SLOTS_LEFT_FREE: usize = 4;

/// An instance waiting for its run, with the slot it holds.
pub(super) struct Prepared {
    pub store: Store<StoreState>,
    pub instance: Instance,
    pub slot: OwnedSemaphorePermit,
}

/// A runtime's prepared instances, and the engine's slots they come from.
pub(super) struct Stash {
    ready: Mutex<Vec<Prepared>>,
    slots: Arc<Semaphore>,
}

impl Stash {
    pub fn new(slots: Arc<Semaphore>) -> Self {
        Self {
            ready: Mutex::new(Vec::new()),
            slots,
        }
    }

    /// A prepared instance, if one is ready.
    pub fn take(&self) -> Option<Prepared> {
        self.ready.lock().ok()?.pop()
    }

    fn len(&self) -> usize {
        self.ready.lock().map_or(READY, |ready| ready.len())
    }

    /// Prepares instances of `template` until [`READY`] wait, while the
    /// engine has slots free. Runtimes without a working set get none.
    pub async fn refill(template: &ProgramTemplate) {
        let stash = &template.stash;
        if template.working_set.get().is_none() {
            return;
        }
        while stash.len() < READY && stash.slots.available_permits() > SLOTS_LEFT_FREE {
            let Ok(slot) = stash.slots.clone().try_acquire_owned() else {
                return;
            };
            let preparing = std::time::Instant::now();
            match prepare(template, slot).await {
                Ok(prepared) => match stash.ready.lock() {
                    Ok(mut ready) => {
                        ready.push(prepared);
                        crate::metrics::record_phase("prepared", preparing.elapsed());
                    }
                    Err(_) => return,
                },
                Err(error) => {
                    tracing::warn!("cannot prepare an instance: {error:#}");
                    return;
                }
            }
        }
    }
}

/// How long a prepared instance's placeholder deadline is: it runs no code
/// before a run replaces it.
const IDLE_DEADLINE: Duration = Duration::from_secs(24 * 60 * 60);

async fn prepare(
    template: &ProgramTemplate,
    slot: OwnedSemaphorePermit,
) -> anyhow::Result<Prepared> {
    let idle = StoreState {
        wasi: WasiCtxBuilder::new().build_p1(),
        limiter: MemoryLimiter::new(u64::MAX),
        disk: None,
        lookups: None,
        files: OpenFiles::for_execution(),
        deadline: deadline::Deadline::new(std::time::Instant::now(), IDLE_DEADLINE, false),
    };
    let mut store = Store::new(template.pre.module().engine(), idle);
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = template
        .pre
        .instantiate_async(&mut store)
        .await
        .map_err(anyhow::Error::from)?;
    super::prefault_working_set(template, &instance, &mut store, Prefault::WrittenAndRead);
    Ok(Prepared {
        store,
        instance,
        slot,
    })
}
