//! Package installs: how many run at once (`MAX_CONCURRENT_INSTALLS`), and
//! the bytes one install may fetch and unpack (`PACKAGE_MAX_INSTALL_MB`).
//!
//! An install holds an HTTP connection, a file being written to the cache
//! and a blocking thread while it unpacks; a flood of `pip install` from
//! many sessions waits for a slot instead of taking them all.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Refusal;

/// The installs that may run at once, in all.
#[derive(Debug, Clone)]
pub struct InstallSlots {
    slots: Arc<Semaphore>,
    limit: usize,
}

impl InstallSlots {
    pub fn new(limit: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limit.max(1))),
            limit: limit.max(1),
        }
    }

    /// A slot, waiting at most `wait` for one to come free.
    pub async fn take(&self, wait: Duration) -> Result<OwnedSemaphorePermit, Refusal> {
        match tokio::time::timeout(wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Refusal::ServerFull {
                what: "package installs running",
                limit: self.limit,
            }),
        }
    }
}

/// The bytes one install may still fetch and unpack.
#[derive(Debug)]
pub struct InstallBytes {
    used: AtomicU64,
    limit: u64,
}

impl InstallBytes {
    pub fn new(limit: u64) -> Self {
        Self {
            used: AtomicU64::new(0),
            limit,
        }
    }

    /// Takes `bytes` more, or refuses past the cap.
    pub fn take(&self, bytes: u64) -> Result<(), Refusal> {
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let wanted = used.saturating_add(bytes);
            if wanted > self.limit {
                return Err(Refusal::TooLarge {
                    what: "an install's files",
                    requested: wanted,
                    limit: self.limit,
                });
            }
            match self
                .used
                .compare_exchange(used, wanted, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(now) => used = now,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_install_stops_at_its_bytes() {
        let bytes = InstallBytes::new(100);
        assert!(bytes.take(60).is_ok());
        assert!(bytes.take(60).is_err());
        assert!(bytes.take(40).is_ok());
    }

    #[tokio::test]
    async fn installs_wait_for_a_slot_then_give_up() {
        let slots = InstallSlots::new(1);
        let held = slots.take(Duration::from_millis(10)).await.unwrap();
        assert!(slots.take(Duration::from_millis(10)).await.is_err());
        drop(held);
        assert!(slots.take(Duration::from_millis(10)).await.is_ok());
    }
}
