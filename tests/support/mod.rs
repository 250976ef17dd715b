//! Test support: start a node on loopback port 0, talk to it with raw SIP over UDP and TCP,
//! wait with bounds (never fixed sleeps).
#![allow(dead_code, clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::time::Duration;

use ferrosips::config::{Config, Listen};
use ferrosips::node::Node;
use ferrosips::transport::Proto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Bound on every wait for an answer.
pub const WAIT: Duration = Duration::from_secs(5);

/// A node listening on UDP and TCP on 127.0.0.1 with OS-chosen ports.
pub async fn start_node() -> (Node, SocketAddr, SocketAddr) {
    start_node_with(|_| {}).await
}

/// Same, with a hook to change the configuration first.
pub async fn start_node_with(f: impl FnOnce(&mut Config)) -> (Node, SocketAddr, SocketAddr) {
    let mut cfg = Config {
        listen: vec![
            Listen {
                proto: Proto::Udp,
                addr: "127.0.0.1:0".parse().unwrap(),
            },
            Listen {
                proto: Proto::Tcp,
                addr: "127.0.0.1:0".parse().unwrap(),
            },
        ],
        ..Config::default()
    };
    f(&mut cfg);
    let node = Node::start(cfg).await.expect("node starts");
    let udp = node.local_addr(Proto::Udp).expect("udp listener");
    let tcp = node.local_addr(Proto::Tcp).expect("tcp listener");
    (node, udp, tcp)
}

/// A UDP peer.
pub struct UdpPeer {
    pub sock: UdpSocket,
    pub server: SocketAddr,
}

impl UdpPeer {
    pub async fn new(server: SocketAddr) -> UdpPeer {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        UdpPeer { sock, server }
    }

    pub fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
    }

    pub async fn send(&self, msg: &[u8]) {
        self.sock.send_to(msg, self.server).await.unwrap();
    }

    /// The next datagram, or None after `WAIT`.
    pub async fn recv(&self) -> Option<String> {
        self.recv_within(WAIT).await
    }

    pub async fn recv_within(&self, d: Duration) -> Option<String> {
        let mut buf = vec![0u8; 65536];
        match tokio::time::timeout(d, self.sock.recv_from(&mut buf)).await {
            Ok(Ok((n, _))) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            _ => None,
        }
    }

    /// The next final (≥ 200) response, skipping provisionals.
    pub async fn recv_final(&self) -> Option<String> {
        loop {
            let r = self.recv().await?;
            if status(&r).is_some_and(|s| s >= 200) {
                return Some(r);
            }
        }
    }
}

/// A TCP peer.
pub struct TcpPeer {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl TcpPeer {
    pub async fn connect(server: SocketAddr) -> TcpPeer {
        let stream = TcpStream::connect(server).await.unwrap();
        TcpPeer {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn port(&self) -> u16 {
        self.stream.local_addr().unwrap().port()
    }

    pub async fn send(&mut self, msg: &[u8]) {
        self.stream.write_all(msg).await.unwrap();
    }

    /// Reads until `n` bytes are buffered or the bound passes; returns what was read.
    pub async fn read_raw(&mut self, n: usize) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut chunk = [0u8; 4096];
        while self.buf.len() < n {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(k)) => self.buf.extend_from_slice(&chunk[..k]),
            }
        }
        let take = n.min(self.buf.len());
        self.buf.drain(..take).collect()
    }

    /// The next SIP message on the stream (framed by Content-Length), or None.
    pub async fn recv(&mut self) -> Option<String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                let clen = header(&head, "content-length")
                    .or_else(|| header(&head, "l"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if self.buf.len() >= end + 4 + clen {
                    let m: Vec<u8> = self.buf.drain(..end + 4 + clen).collect();
                    return Some(String::from_utf8_lossy(&m).into_owned());
                }
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(k)) => self.buf.extend_from_slice(&chunk[..k]),
            }
        }
    }

    pub async fn recv_final(&mut self) -> Option<String> {
        loop {
            let r = self.recv().await?;
            if status(&r).is_some_and(|s| s >= 200) {
                return Some(r);
            }
        }
    }

    /// Whether the server closed the connection (EOF) within the bound.
    pub async fn closed(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Status code of a response.
pub fn status(msg: &str) -> Option<u16> {
    let rest = msg.strip_prefix("SIP/2.0 ")?;
    rest.get(..3)?.parse().ok()
}

/// The status line.
pub fn status_line(msg: &str) -> &str {
    msg.lines().next().unwrap_or("")
}

/// First value of a header (case-insensitive name).
pub fn header(msg: &str, name: &str) -> Option<String> {
    msg.split("\r\n").skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// All values of a header.
pub fn headers(msg: &str, name: &str) -> Vec<String> {
    msg.split("\r\n")
        .skip(1)
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
        .collect()
}

/// A request with the usual headers; `extra` lines end with CRLF.
pub fn request(
    method: &str,
    ruri: &str,
    proto: &str,
    port: u16,
    branch: &str,
    extra: &str,
) -> String {
    format!(
        "{method} {ruri} SIP/2.0\r\n\
         Via: SIP/2.0/{proto} 127.0.0.1:{port};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=a1\r\n\
         To: <{ruri}>\r\n\
         Call-ID: {branch}@test\r\n\
         CSeq: 1 {method}\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}
