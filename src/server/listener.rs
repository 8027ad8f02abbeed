//! HTTP connections: the accept loop, with caps and timeouts that keep one
//! client from holding the server.
//!
//! - A request's headers must arrive within `HTTP_HEADER_TIMEOUT` (hyper's
//!   header-read timeout), and its body within `HTTP_BODY_TIMEOUT`.
//! - At most `MAX_HTTP_CONNECTIONS` connections are open, and at most
//!   `MAX_CONNECTIONS_PER_IP` from one address. At a cap, the oldest
//!   connection with no request in flight (half-sent headers, or an idle
//!   keep-alive) is closed to make room; only when every one is busy is
//!   the new one refused. So a client holding hundreds of half-open requests loses
//!   them, while `/health` still gets in.
//! - When accepting fails for want of descriptors, an idle connection is
//!   closed and accepting resumes after a short pause.
//!
//! Upgraded connections (Socket.IO's websockets) leave this registry once
//! upgraded; `MAX_CONNECTIONS` caps those.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// The caps and timeouts of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub max_per_address: usize,
    pub header_timeout: Duration,
}

impl ConnectionLimits {
    /// Lowers the connection cap to the connections' share of the
    /// process's open-files limit (see [`crate::budget::files`]): the other
    /// share is for the files guests and shell commands open.
    pub fn within_open_files_limit(mut self) -> Self {
        let share = usize::try_from(crate::budget::files::connection_share()).unwrap_or(usize::MAX);
        self.max_connections = self.max_connections.min(share);
        self
    }
}

/// How long connections get to finish their requests at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes, then lets
/// requests in flight finish (within [`DRAIN_TIMEOUT`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let registry = Arc::new(Registry::new(limits));
    let stopping = CancellationToken::new();
    let connections = tokio_util::task::TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let Some(entry) = registry.admit(peer.ip()) else {
                    tracing::warn!(peer = %peer.ip(), "connection refused: every connection is busy");
                    continue;
                };
                let served = serve_connection(
                    stream,
                    peer,
                    router.clone(),
                    entry,
                    limits,
                    stopping.clone(),
                );
                connections.spawn(served);
            }
            Err(error) => {
                // Out of descriptors (or another passing failure): make
                // room and try again shortly, rather than spin or stop.
                tracing::warn!(%error, "accept failed; closing an idle connection");
                registry.evict_idle(None);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    drop(listener);
    stopping.cancel();
    connections.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
    }
}

/// Serves one connection until it ends, is evicted, or the server stops.
async fn serve_connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    router: Router,
    entry: Entry,
    limits: ConnectionLimits,
    stopping: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let busy = entry.busy.clone();
    let service = TowerToHyperService::new(tower::service_fn(
        move |request: hyper::Request<Incoming>| {
            let router = router.clone();
            let in_flight = InFlight::start(busy.clone());
            async move {
                let mut request = request.map(axum::body::Body::new);
                // The client's address, for the rate limit.
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let response = router.oneshot(request).await;
                drop(in_flight);
                response
            }
        },
    ));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().enable_connect_protocol();
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = entry.evict.cancelled() => {}
        () = stopping.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Counts a request in flight on its connection while it lives.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn start(busy: Arc<AtomicUsize>) -> Self {
        busy.fetch_add(1, Ordering::SeqCst);
        Self(busy)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The open connections, for the caps and for eviction.
struct Registry {
    limits: ConnectionLimits,
    open: Mutex<HashMap<u64, Open>>,
    ids: AtomicU64,
}

struct Open {
    address: IpAddr,
    since: Instant,
    busy: Arc<AtomicUsize>,
    evict: CancellationToken,
}

/// A connection's place in the registry; dropping it frees the place.
struct Entry {
    id: u64,
    registry: Arc<Registry>,
    busy: Arc<AtomicUsize>,
    evict: CancellationToken,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

impl Registry {
    fn new(limits: ConnectionLimits) -> Self {
        Self {
            limits,
            open: Mutex::new(HashMap::new()),
            ids: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Open>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes room for a connection from `address` (closing the idlest one
    /// over a cap), or refuses it when every candidate is busy.
    fn admit(self: &Arc<Self>, address: IpAddr) -> Option<Entry> {
        let from_address = self
            .lock()
            .values()
            .filter(|o| o.address == address)
            .count();
        if from_address >= self.limits.max_per_address && !self.evict_idle(Some(address)) {
            return None;
        }
        if self.lock().len() >= self.limits.max_connections && !self.evict_idle(None) {
            return None;
        }
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let busy = Arc::new(AtomicUsize::new(0));
        let evict = CancellationToken::new();
        self.lock().insert(
            id,
            Open {
                address,
                since: Instant::now(),
                busy: busy.clone(),
                evict: evict.clone(),
            },
        );
        Some(Entry {
            id,
            registry: self.clone(),
            busy,
            evict,
        })
    }

    /// Closes the oldest connection with no request in flight (from
    /// `address`, if given). Returns whether there was one.
    fn evict_idle(&self, address: Option<IpAddr>) -> bool {
        let mut open = self.lock();
        let idlest = open
            .iter()
            .filter(|(_, o)| address.is_none_or(|a| o.address == a))
            .filter(|(_, o)| o.busy.load(Ordering::SeqCst) == 0 && !o.evict.is_cancelled())
            .min_by_key(|(_, o)| o.since)
            .map(|(id, _)| *id);
        match idlest.and_then(|id| open.remove(&id)) {
            Some(evicted) => {
                evicted.evict.cancel();
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(max_connections: usize, max_per_address: usize) -> Arc<Registry> {
        Arc::new(Registry::new(ConnectionLimits {
            max_connections,
            max_per_address,
            header_timeout: Duration::from_secs(1),
        }))
    }

    #[test]
    fn over_the_per_address_cap_the_idlest_connection_of_that_address_goes() {
        let registry = registry(100, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = registry.admit(a).unwrap();
        let second = registry.admit(a).unwrap();
        let other = registry.admit(b).unwrap();
        let third = registry.admit(a).unwrap();
        assert!(first.evict.is_cancelled());
        assert!(!second.evict.is_cancelled() && !third.evict.is_cancelled());
        assert!(!other.evict.is_cancelled());
    }

    #[test]
    fn busy_connections_are_kept_and_the_newcomer_refused() {
        let registry = registry(2, 10);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let first = registry.admit(a).unwrap();
        let second = registry.admit(a).unwrap();
        let _busy = (
            InFlight::start(first.busy.clone()),
            InFlight::start(second.busy.clone()),
        );
        assert!(registry.admit(a).is_none());
        drop(_busy);
        assert!(registry.admit(a).is_some());
        assert!(first.evict.is_cancelled());
    }

    #[test]
    fn a_closed_connection_frees_its_place() {
        let registry = registry(1, 1);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let first = registry.admit(a).unwrap();
        let _busy = InFlight::start(first.busy.clone());
        assert!(registry.admit(a).is_none());
        drop(_busy);
        drop(first);
        assert_eq!(registry.lock().len(), 0);
        assert!(registry.admit(a).is_some());
    }
}
