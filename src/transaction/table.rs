//! The transaction table (shell): key → actor. Sharded by key hash so the receive loops of
//! several sockets do not contend on one lock (quinn keeps one `ConnectionSet`; we shard
//! because every SIP message, not only a handshake, goes through the lookup).

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ractor::ActorRef;

use super::actor::TxnMsg;
pub use super::key::Key;

const SHARDS: usize = 16;

/// Transaction counters (OpenSIPS tm statistics names in the management interface).
#[derive(Debug, Default)]
pub struct TxnStats {
    /// Server transactions created (`UAS_transactions`).
    pub uas_transactions: AtomicU64,
    /// Requests absorbed or answered from a transaction's memory (`retransmissions`).
    pub retransmissions: AtomicU64,
}

impl TxnStats {
    pub(crate) fn retransmissions_absorbed(&self) {
        self.retransmissions.fetch_add(1, Ordering::Relaxed);
    }
}

/// Live server transactions by key.
pub struct TransactionTable {
    shards: Vec<Mutex<HashMap<Key, ActorRef<TxnMsg>>>>,
    /// Counters.
    pub stats: TxnStats,
}

impl Default for TransactionTable {
    fn default() -> Self {
        TransactionTable {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            stats: TxnStats::default(),
        }
    }
}

/// Result of [`TransactionTable::get_or_insert`].
pub enum Lookup {
    /// The transaction exists: here is its actor.
    Found(ActorRef<TxnMsg>),
    /// It did not: the new actor was inserted.
    Inserted,
}

impl TransactionTable {
    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, ActorRef<TxnMsg>>> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    /// The actor of `key`, if live.
    pub fn get(&self, key: &Key) -> Option<ActorRef<TxnMsg>> {
        self.shard(key).lock().ok()?.get(key).cloned()
    }

    /// Finds `key`, or inserts the actor `make` creates, atomically (two copies of a request
    /// arriving together must not make two transactions).
    pub fn get_or_insert(
        &self,
        key: Key,
        make: impl FnOnce() -> Option<ActorRef<TxnMsg>>,
    ) -> Lookup {
        let Ok(mut shard) = self.shard(&key).lock() else {
            return Lookup::Inserted;
        };
        match shard.entry(key) {
            Entry::Occupied(e) => Lookup::Found(e.get().clone()),
            Entry::Vacant(v) => {
                if let Some(a) = make() {
                    v.insert(a);
                    self.stats.uas_transactions.fetch_add(1, Ordering::Relaxed);
                }
                Lookup::Inserted
            }
        }
    }

    /// Removes a terminated transaction.
    pub fn remove(&self, key: &Key) {
        if let Ok(mut s) = self.shard(key).lock() {
            s.remove(key);
        }
    }

    /// Live transactions (`inuse_transactions`).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.len()).unwrap_or(0))
            .sum()
    }

    /// Whether no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
