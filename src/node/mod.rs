//! A node (shell): binds the listeners, wires transports → dispatcher → transaction actors,
//! and stops cleanly.

pub mod dispatch;
pub mod rules;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

use crate::config::Config;
use crate::transaction::table::{TransactionTable, TxnStats};
use crate::transaction::TimerConfig;
use crate::transport::{Bound, Proto, TransportConfig, Transports};
use dispatch::{CoreStats, Dispatcher};
use rules::Myself;

/// Why a node did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener could not be bound.
    #[error("cannot listen: {0}")]
    Bind(#[from] std::io::Error),
}

/// A running node.
pub struct Node {
    dispatcher: Arc<Dispatcher>,
    transports: Transports,
    addrs: Vec<(Proto, SocketAddr)>,
    shutdown: watch::Sender<bool>,
}

/// Counters of a node.
pub struct Stats<'a> {
    /// Core counters.
    pub core: &'a CoreStats,
    /// Transaction counters.
    pub transactions: &'a TxnStats,
}

impl Stats<'_> {
    /// Messages dropped without an answer (unreadable, stray).
    pub fn dropped(&self) -> u64 {
        self.core.dropped.load(Ordering::Relaxed)
    }
}

impl Node {
    /// Binds every listener of `cfg` and starts answering.
    pub async fn start(cfg: Config) -> Result<Node, StartError> {
        let bound = Bound::bind(&cfg.listen).await?;
        let addrs = bound.local_addrs();
        let listen_addrs: Vec<SocketAddr> = addrs.iter().map(|(_, a)| *a).collect();
        let timers = TimerConfig {
            t1: cfg.timers.t1,
            t2: cfg.timers.t2,
            t4: cfg.timers.t4,
            // We send 100 Trying at once (see the dispatcher).
            trying_delay: std::time::Duration::ZERO,
            ..TimerConfig::default()
        };
        let dispatcher = Arc::new(Dispatcher {
            me: Myself::new(&listen_addrs, &cfg.aliases),
            server_header: cfg.server_header.clone(),
            force_rport: cfg.force_rport,
            timers,
            table: Arc::new(TransactionTable::default()),
            transports: OnceLock::new(),
            stats: CoreStats::default(),
        });
        let (shutdown, rx) = watch::channel(false);
        let transports = bound.start(dispatcher.clone(), TransportConfig::default(), rx.clone());
        let _ = dispatcher.transports.set(transports.clone());
        dispatcher.table.start_timers(transports.clone(), rx);
        for (proto, addr) in &addrs {
            tracing::info!(%proto, %addr, "listening");
        }
        Ok(Node {
            dispatcher,
            transports,
            addrs,
            shutdown,
        })
    }

    /// The first bound address of a protocol.
    pub fn local_addr(&self, proto: Proto) -> Option<SocketAddr> {
        self.addrs
            .iter()
            .find(|(p, _)| *p == proto)
            .map(|(_, a)| *a)
    }

    /// All bound addresses.
    pub fn local_addrs(&self) -> &[(Proto, SocketAddr)] {
        &self.addrs
    }

    /// Counters.
    pub fn stats(&self) -> Stats<'_> {
        Stats {
            core: &self.dispatcher.stats,
            transactions: &self.dispatcher.table.stats,
        }
    }

    /// Live transactions (held by an actor or parked).
    pub fn transactions(&self) -> usize {
        self.dispatcher.table.len()
    }

    /// Live transactions held by an actor (the rest are parked, waiting on timers).
    pub fn active_transactions(&self) -> usize {
        self.dispatcher.table.active()
    }

    /// The transports (for counters and connection counts).
    pub fn transports(&self) -> &Transports {
        &self.transports
    }

    /// Stops the listeners and connections. Transactions in flight finish on their timers
    /// only if the runtime keeps running; the process exits right after.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        tokio::task::yield_now().await;
    }
}
