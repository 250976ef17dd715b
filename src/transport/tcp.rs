//! TCP listener and connections (shell). Each connection is one task that frames what it reads
//! ([`super::framing`]) and writes what its channel brings; it closes on garbage, on an idle
//! timeout, or at shutdown, and removes itself from the connection table.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use bytes::{Bytes, BytesMut};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::framing::{Frame, Framer};
use super::{ConnEntry, ConnId, Flow, Proto, SendError, Source, Transmit, Transports};

/// Binds a TCP listener (address reuse so a restarted node can bind at once).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    TcpListener::from_std(s.into())
}

pub(super) async fn accept_loop(t: Transports, local: SocketAddr, l: TcpListener) {
    let mut shutdown = t.inner.shutdown.clone();
    loop {
        let (stream, remote) = tokio::select! {
            r = l.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off a little instead of spinning.
                    tracing::warn!(%local, error = %e, "tcp accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        spawn_conn(&t, stream, local, remote);
    }
}

/// Registers a connection and starts its task; returns its id and writer.
fn spawn_conn(
    t: &Transports,
    stream: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
) -> (ConnId, mpsc::Sender<Bytes>) {
    let _ = stream.set_nodelay(true);
    let id = t.new_conn_id();
    let (tx, rx) = mpsc::channel(256);
    if let Ok(mut c) = t.inner.conns.lock() {
        c.by_id.insert(id, ConnEntry { tx: tx.clone() });
        c.by_remote.insert(remote, id);
    }
    tokio::spawn(run_conn(t.clone(), id, stream, local, remote, rx));
    (id, tx)
}

async fn run_conn(
    t: Transports,
    id: ConnId,
    stream: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    mut rx: mpsc::Receiver<Bytes>,
) {
    let (mut rd, mut wr) = stream.into_split();
    let mut shutdown = t.inner.shutdown.clone();
    let mut buf = BytesMut::with_capacity(8192);
    let mut framer = Framer::default();
    let idle = t.inner.cfg.tcp_idle_timeout;
    let src = Source {
        proto: Proto::Tcp,
        local,
        remote,
        conn: Some(id),
    };
    let reason = 'conn: loop {
        tokio::select! {
            r = tokio::time::timeout(idle, rd.read_buf(&mut buf)) => {
                match r {
                    Err(_) => break 'conn "idle timeout",
                    Ok(Ok(0)) => break 'conn "closed by peer",
                    Ok(Err(_)) => break 'conn "read error",
                    Ok(Ok(_)) => {}
                }
                loop {
                    match framer.next_frame(&mut buf) {
                        Ok(Some(Frame::Message(m))) => {
                            t.inner.stats.received.fetch_add(1, Ordering::Relaxed);
                            if t.inner.inbound.on_message(src, m) == Flow::Close {
                                t.inner.stats.framing_errors.fetch_add(1, Ordering::Relaxed);
                                break 'conn "unreadable message";
                            }
                        }
                        Ok(Some(Frame::Ping)) => {
                            // RFC 5626 §4.4.1: answer a double-CRLF ping with a CRLF pong.
                            t.inner.stats.keepalives.fetch_add(1, Ordering::Relaxed);
                            if wr.write_all(b"\r\n").await.is_err() {
                                break 'conn "write error";
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            t.inner.stats.framing_errors.fetch_add(1, Ordering::Relaxed);
                            tracing::debug!(%remote, error = %e, "closing tcp connection");
                            let head = Bytes::copy_from_slice(framer.failed_head(&buf));
                            if let Some(answer) = t.inner.inbound.on_framing_error(src, head, &e) {
                                let _ = wr.write_all(&answer).await;
                            }
                            break 'conn "framing error";
                        }
                    }
                }
            }
            m = rx.recv() => match m {
                Some(bytes) => if wr.write_all(&bytes).await.is_err() {
                    break 'conn "write error";
                },
                None => break 'conn "dropped",
            },
            _ = shutdown.changed() => break 'conn "shutdown",
        }
    };
    tracing::trace!(%remote, reason, "tcp connection closed");
    // What was queued before the close still goes out (answers to earlier messages).
    rx.close();
    while let Ok(bytes) = rx.try_recv() {
        if wr.write_all(&bytes).await.is_err() {
            break;
        }
    }
    let _ = wr.shutdown().await;
    if let Ok(mut c) = t.inner.conns.lock() {
        c.by_id.remove(&id);
        if c.by_remote.get(&remote) == Some(&id) {
            c.by_remote.remove(&remote);
        }
    }
}

/// Sends over the named connection, else over any live connection to the destination, else
/// over a new one (RFC 3261 §18.2.2: a response whose connection closed opens a new one to the
/// `received`/`rport` address).
pub(super) async fn send(t: &Transports, m: Transmit) -> Result<(), SendError> {
    let existing = t.inner.conns.lock().ok().and_then(|c| {
        m.conn
            .and_then(|id| c.by_id.get(&id))
            .or_else(|| c.by_remote.get(&m.dest).and_then(|id| c.by_id.get(id)))
            .map(|e| e.tx.clone())
    });
    if let Some(tx) = existing {
        if tx.send(m.payload.clone()).await.is_ok() {
            return Ok(());
        }
    }
    let local = t
        .local_for(Proto::Tcp, m.dest)
        .ok_or(SendError::NoSocket(Proto::Tcp, m.dest))?;
    let stream = tokio::time::timeout(t.inner.cfg.tcp_connect_timeout, TcpStream::connect(m.dest))
        .await
        .map_err(|_| {
            SendError::Io(
                m.dest,
                std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
            )
        })?
        .map_err(|e| SendError::Io(m.dest, e))?;
    let (_, tx) = spawn_conn(t, stream, local, m.dest);
    tx.send(m.payload).await.map_err(|_| {
        SendError::Io(
            m.dest,
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "connection closed"),
        )
    })
}
