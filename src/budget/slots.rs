//! Things a client opens and leaves open: MCP sessions, contexts.
//!
//! Each holds memory (and for contexts, an interpreter) for minutes. A
//! [`Slots`] counts them in all and per client, and refuses one more past
//! either cap; the caller decides what to do then (close the oldest idle
//! one, or answer 429). The server counts clients by address: every
//! holder of the one `API_TOKEN` is a different user, and a made-up
//! token must not buy a share of its own.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;

use super::Refusal;

/// The client an address belongs to: an IPv4 address, or an IPv6
/// address's /64 (one host may hold the whole /64, and take a new address
/// for every request).
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
        v4 => v4,
    }
}

/// Counts per client, within a total and a per-client cap.
#[derive(Debug)]
pub struct Slots<K> {
    what: &'static str,
    total_limit: usize,
    per_client: usize,
    counts: Mutex<Counts<K>>,
}

#[derive(Debug)]
struct Counts<K> {
    total: usize,
    by_client: HashMap<K, usize>,
}

/// Where a refused slot would have gone over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The client holds its share.
    Client,
    /// Every slot is taken.
    Total,
}

impl<K: Hash + Eq + Clone> Slots<K> {
    pub fn new(what: &'static str, total_limit: usize, per_client: usize) -> Self {
        Self {
            what,
            total_limit,
            per_client,
            counts: Mutex::new(Counts {
                total: 0,
                by_client: HashMap::new(),
            }),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts<K>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `client` could take a slot now, or which cap is in the way.
    pub fn check(&self, client: &K) -> Result<(), Full> {
        Self::room(&self.counts(), client, self.per_client, self.total_limit)
    }

    fn room(counts: &Counts<K>, client: &K, per_client: usize, total: usize) -> Result<(), Full> {
        if counts.by_client.get(client).copied().unwrap_or(0) >= per_client {
            return Err(Full::Client);
        }
        if counts.total >= total {
            return Err(Full::Total);
        }
        Ok(())
    }

    /// Takes a slot for `client`, or says which cap is in the way.
    pub fn take(&self, client: &K) -> Result<(), Full> {
        let mut counts = self.counts();
        Self::room(&counts, client, self.per_client, self.total_limit)?;
        counts.total += 1;
        *counts.by_client.entry(client.clone()).or_default() += 1;
        Ok(())
    }

    /// Gives `client`'s slot back.
    pub fn give_back(&self, client: &K) {
        let mut counts = self.counts();
        if let Some(held) = counts.by_client.get_mut(client) {
            *held -= 1;
            if *held == 0 {
                counts.by_client.remove(client);
            }
            counts.total -= 1;
        }
    }

    /// Slots taken now.
    pub fn total(&self) -> usize {
        self.counts().total
    }

    /// The refusal for `full`, as users read it.
    pub fn refusal(&self, full: Full) -> Refusal {
        match full {
            Full::Client => Refusal::TooManyForClient {
                what: self.what,
                limit: self.per_client,
            },
            Full::Total => Refusal::ServerFull {
                what: self.what,
                limit: self.total_limit,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_is_one_client() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:1234".parse().unwrap();
        let other: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_client_stops_at_its_share_and_all_stop_at_the_total() {
        let slots = Slots::new("sessions", 3, 2);
        assert_eq!(slots.take(&"a"), Ok(()));
        assert_eq!(slots.take(&"a"), Ok(()));
        assert_eq!(slots.take(&"a"), Err(Full::Client));
        assert_eq!(slots.take(&"b"), Ok(()));
        assert_eq!(slots.take(&"c"), Err(Full::Total));
        slots.give_back(&"a");
        assert_eq!(slots.take(&"c"), Ok(()));
        assert_eq!(slots.total(), 3);
    }
}
