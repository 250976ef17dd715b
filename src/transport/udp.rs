//! UDP listener (shell): one receive loop per socket, each datagram handed on whole.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::{Proto, Source, Transports};

/// Binds a UDP socket with a large receive buffer (bursts of REGISTERs must not be lost in the
/// kernel) and IPv6-only on v6 addresses, so `[::]` and `0.0.0.0` can both be listened on.
pub fn bind(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    // Best effort: the kernel caps it at net.core.rmem_max.
    let _ = s.set_recv_buffer_size(4 << 20);
    let _ = s.set_send_buffer_size(4 << 20);
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    UdpSocket::from_std(s.into())
}

/// Receives datagrams until shutdown.
pub(super) async fn recv_loop(t: Transports, local: SocketAddr, sock: Arc<UdpSocket>) {
    let mut shutdown = t.inner.shutdown.clone();
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, remote) = tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok(x) => x,
                // ICMP port unreachable from an earlier send shows up here on some systems;
                // it says nothing about this socket.
                Err(e) => {
                    tracing::trace!(%local, error = %e, "udp recv error");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        t.inner.stats.received.fetch_add(1, Ordering::Relaxed);
        let src = Source {
            proto: Proto::Udp,
            local,
            remote,
            conn: None,
        };
        // A datagram stands alone: nothing to close.
        let _ = t
            .inner
            .inbound
            .on_message(src, Bytes::copy_from_slice(&buf[..n]));
    }
}
