//! Transports (shell): UDP and TCP listeners on IPv4 and IPv6. They only move bytes: a received
//! datagram or framed stream message goes to an [`Inbound`] handler with its [`Source`]; a
//! [`Transmit`] goes out of the socket (or connection) it names.
//!
//! Connection reuse: a message that arrived on a TCP connection carries its [`ConnId`]; a
//! response, or a request to a UA that registered over that connection (a flow, RFC 5626),
//! sends back over it. When the connection is gone, a response opens a new one to the
//! `received`/`rport` address (RFC 3261 §18.2.2).

pub mod framing;
pub mod tcp;
pub mod udp;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use crate::config::Listen;

/// Transport protocol of a socket or a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
}

impl Proto {
    /// Reliable transports need no retransmissions (RFC 3261 §17.1.1.2).
    pub fn is_reliable(self) -> bool {
        matches!(self, Proto::Tcp)
    }

    /// The name used in Via and in `transport=` parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Udp => "UDP",
            Proto::Tcp => "TCP",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifies one TCP connection for the life of the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

/// Where a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// Transport it arrived on.
    pub proto: Proto,
    /// Our socket's address (the listener).
    pub local: SocketAddr,
    /// The peer's address as seen on the wire.
    pub remote: SocketAddr,
    /// The connection, for stream transports.
    pub conn: Option<ConnId>,
}

/// Bytes to send and where.
#[derive(Debug, Clone)]
pub struct Transmit {
    /// Transport to use.
    pub proto: Proto,
    /// Our socket to send from (for UDP, the listener bound to this address).
    pub local: SocketAddr,
    /// Destination.
    pub dest: SocketAddr,
    /// Preferred connection (stream transports).
    pub conn: Option<ConnId>,
    /// The serialized message.
    pub payload: Bytes,
}

/// What a stream connection does after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on reading.
    Keep,
    /// The stream cannot be trusted any more (unreadable message, nothing to answer): close.
    Close,
}

/// Receives what the transports read.
pub trait Inbound: Send + Sync + 'static {
    /// One datagram or one framed stream message.
    fn on_message(&self, src: Source, data: Bytes) -> Flow;

    /// A stream message could not be framed (bad or missing Content-Length): `head` is its
    /// header section. Returns what to write before the connection closes (e.g. a 400).
    fn on_framing_error(
        &self,
        _src: Source,
        _head: Bytes,
        _err: &framing::FramingError,
    ) -> Option<Bytes> {
        None
    }
}

/// Counters the transports keep; read by the management interface.
#[derive(Debug, Default)]
pub struct TransportStats {
    /// Datagrams and stream messages received.
    pub received: AtomicU64,
    /// Messages sent.
    pub sent: AtomicU64,
    /// Sends that failed (no route, connection refused, message too large for UDP, …).
    pub send_errors: AtomicU64,
    /// Stream connections closed because of garbage or over-long messages.
    pub framing_errors: AtomicU64,
    /// Keep-alive pings answered.
    pub keepalives: AtomicU64,
}

/// Transport settings.
#[derive(Debug, Clone, Copy)]
pub struct TransportConfig {
    /// A TCP connection with no traffic for this long is closed.
    pub tcp_idle_timeout: Duration,
    /// Bound on connecting to a peer.
    pub tcp_connect_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            tcp_idle_timeout: Duration::from_secs(120),
            tcp_connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a send did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No listener of that protocol and address family.
    #[error("no {0} socket for {1}")]
    NoSocket(Proto, SocketAddr),
    /// A UDP payload larger than a datagram can carry; never truncated.
    #[error("{0} bytes do not fit in a UDP datagram")]
    TooLarge(usize),
    /// The operating system refused.
    #[error("send to {0}: {1}")]
    Io(SocketAddr, std::io::Error),
}

/// Largest UDP payload (65535 − IP and UDP headers).
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// The node's sockets and live connections. Cheap to clone.
#[derive(Clone)]
pub struct Transports {
    inner: Arc<Inner>,
}

struct Inner {
    udp: Vec<(SocketAddr, Arc<tokio::net::UdpSocket>)>,
    tcp_listeners: Vec<SocketAddr>,
    conns: Mutex<Conns>,
    next_conn: AtomicU64,
    stats: TransportStats,
    cfg: TransportConfig,
    inbound: Arc<dyn Inbound>,
    shutdown: watch::Receiver<bool>,
}

#[derive(Default)]
struct Conns {
    by_id: HashMap<ConnId, ConnEntry>,
    by_remote: HashMap<SocketAddr, ConnId>,
}

struct ConnEntry {
    tx: mpsc::Sender<Bytes>,
}

/// The bound sockets, before the receive loops start.
pub struct Bound {
    udp: Vec<(SocketAddr, Arc<tokio::net::UdpSocket>)>,
    tcp: Vec<(SocketAddr, tokio::net::TcpListener)>,
}

impl Bound {
    /// Binds every listener; fails on the first that cannot be bound.
    pub async fn bind(listen: &[Listen]) -> std::io::Result<Bound> {
        let mut b = Bound {
            udp: Vec::new(),
            tcp: Vec::new(),
        };
        for l in listen {
            match l.proto {
                Proto::Udp => {
                    let s = udp::bind(l.addr)?;
                    b.udp.push((s.local_addr()?, Arc::new(s)));
                }
                Proto::Tcp => {
                    let s = tcp::bind(l.addr)?;
                    b.tcp.push((s.local_addr()?, s));
                }
            }
        }
        Ok(b)
    }

    /// The bound addresses (with the ports the OS picked for port 0).
    pub fn local_addrs(&self) -> Vec<(Proto, SocketAddr)> {
        self.udp
            .iter()
            .map(|(a, _)| (Proto::Udp, *a))
            .chain(self.tcp.iter().map(|(a, _)| (Proto::Tcp, *a)))
            .collect()
    }

    /// Starts the receive loops; they stop when `shutdown` turns true.
    pub fn start(
        self,
        inbound: Arc<dyn Inbound>,
        cfg: TransportConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Transports {
        let t = Transports {
            inner: Arc::new(Inner {
                udp: self.udp.clone(),
                tcp_listeners: self.tcp.iter().map(|(a, _)| *a).collect(),
                conns: Mutex::new(Conns::default()),
                next_conn: AtomicU64::new(1),
                stats: TransportStats::default(),
                cfg,
                inbound,
                shutdown,
            }),
        };
        for (addr, sock) in self.udp {
            tokio::spawn(udp::recv_loop(t.clone(), addr, sock));
        }
        for (addr, l) in self.tcp {
            tokio::spawn(tcp::accept_loop(t.clone(), addr, l));
        }
        t
    }
}

impl Transports {
    /// Counters.
    pub fn stats(&self) -> &TransportStats {
        &self.inner.stats
    }

    /// Sends a message; failures are counted and returned, never panic.
    pub async fn send(&self, t: Transmit) -> Result<(), SendError> {
        let r = match t.proto {
            Proto::Udp => self.send_udp(&t).await,
            Proto::Tcp => tcp::send(self, t).await,
        };
        match &r {
            Ok(()) => self.inner.stats.sent.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.inner.stats.send_errors.fetch_add(1, Ordering::Relaxed),
        };
        r
    }

    /// Sends without waiting when the socket can take it at once (the common case for UDP
    /// and for a live TCP connection), else hands the send to a task. For the receive loop's
    /// stateless replies: no task per reply.
    pub fn send_now(&self, t: Transmit) {
        if t.proto == Proto::Udp && t.payload.len() <= MAX_UDP_PAYLOAD {
            if let Some(sock) = self.udp_socket(t.local, t.dest) {
                match sock.try_send_to(&t.payload, t.dest) {
                    Ok(_) => {
                        self.inner.stats.sent.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => {
                        self.inner.stats.send_errors.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Err(_) => {}
                }
            }
        }
        if t.proto == Proto::Tcp {
            // Queue on the live connection now, so the reply is ahead of anything the
            // connection does next (even closing on the following message's garbage).
            let tx = self.inner.conns.lock().ok().and_then(|c| {
                t.conn
                    .and_then(|id| c.by_id.get(&id))
                    .or_else(|| c.by_remote.get(&t.dest).and_then(|id| c.by_id.get(id)))
                    .map(|e| e.tx.clone())
            });
            if let Some(tx) = tx {
                if tx.try_send(t.payload.clone()).is_ok() {
                    self.inner.stats.sent.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.send(t).await;
        });
    }

    async fn send_udp(&self, t: &Transmit) -> Result<(), SendError> {
        if t.payload.len() > MAX_UDP_PAYLOAD {
            return Err(SendError::TooLarge(t.payload.len()));
        }
        let sock = self
            .udp_socket(t.local, t.dest)
            .ok_or(SendError::NoSocket(Proto::Udp, t.dest))?;
        sock.send_to(&t.payload, t.dest)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Io(t.dest, e))
    }

    /// The UDP socket bound to `local`, or else any of the destination's address family.
    fn udp_socket(
        &self,
        local: SocketAddr,
        dest: SocketAddr,
    ) -> Option<&Arc<tokio::net::UdpSocket>> {
        let udp = &self.inner.udp;
        udp.iter()
            .find(|(a, _)| *a == local)
            .or_else(|| udp.iter().find(|(a, _)| a.is_ipv4() == dest.is_ipv4()))
            .map(|(_, s)| s)
    }

    /// A local address we can send from with `proto` towards `dest` (for Via sent-by).
    pub fn local_for(&self, proto: Proto, dest: SocketAddr) -> Option<SocketAddr> {
        match proto {
            Proto::Udp => self
                .inner
                .udp
                .iter()
                .find(|(a, _)| a.is_ipv4() == dest.is_ipv4())
                .map(|(a, _)| *a),
            Proto::Tcp => self
                .inner
                .tcp_listeners
                .iter()
                .find(|a| a.is_ipv4() == dest.is_ipv4())
                .copied(),
        }
    }

    /// Number of live TCP connections.
    pub fn connection_count(&self) -> usize {
        self.inner.conns.lock().map(|c| c.by_id.len()).unwrap_or(0)
    }

    fn new_conn_id(&self) -> ConnId {
        ConnId(self.inner.next_conn.fetch_add(1, Ordering::Relaxed))
    }
}
