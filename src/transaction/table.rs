//! The transaction table (shell): key → transaction. Sharded by key hash so the receive loops
//! of several sockets do not contend on one lock (quinn keeps one `ConnectionSet`; we shard
//! because every SIP message, not only a handshake, goes through the lookup).
//!
//! A transaction is an **actor** while it has work: the TU deciding, a CANCEL to weigh, a
//! 100 Trying to send. Once its machine only waits (Completed, Accepted, Confirmed: absorbing
//! retransmissions until Timer G/H/I/J/L end it), the actor **parks** the machine here and
//! stops: a parked transaction costs its machine and a timer entry, about a tenth of an actor,
//! and most transactions spend most of their life (32 s of Timer J) parked. Parked machines are
//! driven inline by the dispatcher (retransmissions, ACK) and by one timer task per node.
#![allow(clippy::disallowed_methods)] // shell: the timer task reads the clock

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ractor::ActorRef;
use tokio::sync::{mpsc, watch};

use super::actor::{ServerMachine, Step, TxnMsg};
pub use super::key::Key;
use crate::transport::{Transmit, Transports};

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

/// A transaction whose machine only waits.
#[derive(Debug)]
pub struct Parked {
    /// The machine.
    pub machine: ServerMachine,
    /// Where its responses go.
    pub reply_to: Transmit,
}

/// One table entry.
enum Slot {
    Active(ActorRef<TxnMsg>),
    Parked(Box<Parked>),
}

/// What arrived for an existing transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The request again.
    Retransmit,
    /// An ACK matching an INVITE transaction.
    Ack,
}

/// Where the INVITE a CANCEL names stands (RFC 3261 §9.2).
pub enum InviteStatus {
    /// Still being worked on: ask its actor.
    Active(ActorRef<TxnMsg>),
    /// Already answered with a final response: the CANCEL has no effect on it.
    Finished,
    /// No such transaction: 481.
    Unknown,
}

/// Live server transactions by key.
pub struct TransactionTable {
    shards: Vec<Mutex<HashMap<Key, Slot>>>,
    timers: OnceLock<mpsc::UnboundedSender<(Instant, Key)>>,
    /// Counters.
    pub stats: TxnStats,
}

impl Default for TransactionTable {
    fn default() -> Self {
        TransactionTable {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            timers: OnceLock::new(),
            stats: TxnStats::default(),
        }
    }
}

impl TransactionTable {
    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, Slot>> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    /// Starts the timer task that drives parked machines; it ends at shutdown.
    pub fn start_timers(self: &Arc<Self>, transports: Transports, shutdown: watch::Receiver<bool>) {
        let (tx, rx) = mpsc::unbounded_channel();
        if self.timers.set(tx).is_ok() {
            tokio::spawn(run_timers(self.clone(), transports, rx, shutdown));
        }
    }

    /// Delivers to the transaction of `key` if it exists, or else inserts the actor `make`
    /// creates, atomically (two copies of a request arriving together must not make two
    /// transactions). Returns whether a new transaction was inserted.
    pub fn deliver_or_insert(
        &self,
        key: Key,
        transports: &Transports,
        make: impl FnOnce() -> Option<ActorRef<TxnMsg>>,
    ) -> bool {
        let Ok(mut shard) = self.shard(&key).lock() else {
            return false;
        };
        match shard.entry(key) {
            Entry::Occupied(mut e) => {
                let step = deliver_slot(e.get_mut(), Delivery::Retransmit);
                self.stats.retransmissions_absorbed();
                self.finish_step(step, e, transports);
                false
            }
            Entry::Vacant(v) => match make() {
                Some(a) => {
                    v.insert(Slot::Active(a));
                    self.stats.uas_transactions.fetch_add(1, Ordering::Relaxed);
                    true
                }
                None => false,
            },
        }
    }

    /// Delivers to an existing transaction; false when there is none.
    pub fn deliver(&self, key: &Key, what: Delivery, transports: &Transports) -> bool {
        let Ok(mut shard) = self.shard(key).lock() else {
            return false;
        };
        let Entry::Occupied(mut e) = shard.entry(key.clone()) else {
            return false;
        };
        let step = deliver_slot(e.get_mut(), what);
        self.finish_step(step, e, transports);
        true
    }

    /// Applies a parked machine's step: removes it when terminated, re-arms its timer, sends.
    fn finish_step(
        &self,
        step: Option<Step>,
        e: std::collections::hash_map::OccupiedEntry<'_, Key, Slot>,
        transports: &Transports,
    ) {
        let Some(step) = step else { return };
        let reply_to = match e.get() {
            Slot::Parked(p) => p.reply_to.clone(),
            Slot::Active(_) => return,
        };
        if step.terminated {
            e.remove();
        } else if let (true, Some(at)) = (step.rearm, step.next_timeout) {
            self.arm(at, e.key().clone());
        }
        for bytes in step.transmits {
            let mut t = reply_to.clone();
            t.payload = bytes;
            transports.send_now(t);
        }
    }

    fn arm(&self, at: Instant, key: Key) {
        if let Some(tx) = self.timers.get() {
            let _ = tx.send((at, key));
        }
    }

    /// Where the INVITE of `key` stands, for a CANCEL.
    pub fn invite_status(&self, key: &Key) -> InviteStatus {
        let Ok(shard) = self.shard(key).lock() else {
            return InviteStatus::Unknown;
        };
        match shard.get(key) {
            Some(Slot::Active(a)) => InviteStatus::Active(a.clone()),
            Some(Slot::Parked(_)) => InviteStatus::Finished,
            None => InviteStatus::Unknown,
        }
    }

    /// The actor of `key` hands over its waiting machine (and stops right after). A message
    /// already in the actor's mailbox is lost, as if the network had lost it: SIP's
    /// retransmissions cover it.
    pub(crate) fn park(&self, key: &Key, parked: Parked, next_timeout: Option<Instant>) {
        let Some(at) = next_timeout else {
            // Nothing would ever end it.
            self.remove(key);
            return;
        };
        if let Ok(mut shard) = self.shard(key).lock() {
            shard.insert(key.clone(), Slot::Parked(Box::new(parked)));
        }
        self.arm(at, key.clone());
    }

    /// Removes the transaction of `key` if `actor` still holds it (a parked machine stays).
    pub(crate) fn remove_active(&self, key: &Key, actor: &ActorRef<TxnMsg>) {
        if let Ok(mut s) = self.shard(key).lock() {
            if matches!(s.get(key), Some(Slot::Active(a)) if a.get_id() == actor.get_id()) {
                s.remove(key);
            }
        }
    }

    fn remove(&self, key: &Key) {
        if let Ok(mut s) = self.shard(key).lock() {
            s.remove(key);
        }
    }

    /// Timer task: fires a parked machine's timer.
    fn fire(&self, key: &Key, now: Instant, transports: &Transports) -> Option<Instant> {
        let Ok(mut shard) = self.shard(key).lock() else {
            return None;
        };
        let Entry::Occupied(mut e) = shard.entry(key.clone()) else {
            return None;
        };
        let Slot::Parked(p) = e.get_mut() else {
            return None;
        };
        let step = p.machine.step_timeout(now);
        let reply_to = p.reply_to.clone();
        let next = step.next_timeout;
        if step.terminated {
            e.remove();
        }
        drop(shard);
        for bytes in step.transmits {
            let mut t = reply_to.clone();
            t.payload = bytes;
            transports.send_now(t);
        }
        if step.terminated {
            None
        } else {
            next
        }
    }

    /// Live transactions (`inuse_transactions`), actors and parked.
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

    /// Transactions currently held by an actor (the rest are parked).
    pub fn active(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .map(|s| s.values().filter(|v| matches!(v, Slot::Active(_))).count())
                    .unwrap_or(0)
            })
            .sum()
    }
}

/// Hands a delivery to an actor (a message) or to a parked machine (inline).
fn deliver_slot(slot: &mut Slot, what: Delivery) -> Option<Step> {
    match slot {
        Slot::Active(a) => {
            let _ = a.cast(match what {
                Delivery::Retransmit => TxnMsg::Retransmit,
                Delivery::Ack => TxnMsg::Ack,
            });
            None
        }
        Slot::Parked(p) => Some(p.machine.step_delivery(what, Instant::now())),
    }
}

async fn run_timers(
    table: Arc<TransactionTable>,
    transports: Transports,
    mut rx: mpsc::UnboundedReceiver<(Instant, Key)>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Deadline order; the counter keeps equal deadlines apart. Stale entries (a machine that
    // moved on or ended) are harmless: `handle_timeout` is idempotent and a missing key is
    // skipped.
    let mut due: BTreeMap<(Instant, u64), Key> = BTreeMap::new();
    let mut seq = 0u64;
    loop {
        let next = due
            .first_key_value()
            .map(|(k, _)| k.0)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            m = rx.recv() => match m {
                Some((at, key)) => {
                    seq += 1;
                    due.insert((at, seq), key);
                }
                None => return,
            },
            _ = tokio::time::sleep_until(next.into()) => {
                let now = Instant::now();
                while let Some(entry) = due.first_entry() {
                    if entry.key().0 > now {
                        break;
                    }
                    let key = entry.remove();
                    if let Some(at) = table.fire(&key, now, &transports) {
                        seq += 1;
                        due.insert((at, seq), key);
                    }
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
