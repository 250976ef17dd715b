//! Memory per live server transaction, in both of its phases, measured as the growth of the
//! process's resident set (VmRSS) per transaction:
//! - **parked**: N INVITEs over UDP to a running node, never ACKed: each transaction waits in
//!   Completed (Timer H, 32 s) as a parked machine;
//! - **actor**: N transaction actors holding an INVITE machine in Proceeding (the TU still
//!   deciding).
//!
//! `cargo bench --bench txn_memory` (N = 20000 unless `TXN_MEMORY_N` says otherwise).
#![allow(clippy::disallowed_methods)] // a measurement shell: real clock, real sockets

use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrosips::config::{Config, Listen};
use ferrosips::node::Node;
use ferrosips::transaction::actor::{ServerMachine, ServerTxn, ServerTxnArgs};
use ferrosips::transaction::table::TransactionTable;
use ferrosips::transaction::{Key, TimerConfig};
use ferrosips::transport::{Proto, Transmit};

fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

fn invite(i: usize, port: u16) -> String {
    format!(
        "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKmem{i};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a{i}\r\nTo: <sip:bob@127.0.0.1>\r\n\
         Call-ID: mem{i}@bench\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:{port}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("TXN_MEMORY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let cfg = Config {
        listen: vec![Listen {
            proto: Proto::Udp,
            addr: "127.0.0.1:0".parse().unwrap(),
        }],
        log_level: 0,
        ..Config::default()
    };
    let node = Node::start(cfg).await.expect("node");
    let server = node.local_addr(Proto::Udp).unwrap();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = sock.local_addr().unwrap().port();

    // Parked phase. Drain replies as we go so the socket never backs up.
    let before = rss_bytes();
    let mut buf = vec![0u8; 65536];
    for i in 0..n {
        sock.send_to(invite(i, port).as_bytes(), server)
            .await
            .unwrap();
        while let Ok(Ok(_)) =
            tokio::time::timeout(Duration::from_micros(1), sock.recv_from(&mut buf)).await
        {}
        if i % 1000 == 999 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while (node.transactions() < n || node.active_transactions() > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let parked = node.transactions() - node.active_transactions();
    let after = rss_bytes();
    println!(
        "parked: {parked} transactions, RSS +{} KiB, {} bytes per parked transaction",
        (after - before) / 1024,
        (after - before) / parked.max(1) as u64
    );

    // Actor phase: actors holding an INVITE machine in Proceeding.
    let table = std::sync::Arc::new(TransactionTable::default());
    let cfg = TimerConfig::default();
    let before = rss_bytes();
    let mut actors = Vec::with_capacity(n);
    for i in 0..n {
        let req = match ferrosips::sip::parse_message(Bytes::from(invite(i, port))) {
            Ok(ferrosips::sip::Message::Request(r)) => r,
            _ => unreachable!("our own INVITE parses"),
        };
        let args = ServerTxnArgs {
            machine: ServerMachine::new(true, None, false, &cfg, Instant::now()),
            reply_to: Transmit {
                proto: Proto::Udp,
                local: server,
                dest: sock.local_addr().unwrap(),
                conn: None,
                payload: Bytes::new(),
            },
            key: Key::of(&req).unwrap(),
            table: table.clone(),
            transports: node.transports().clone(),
        };
        let (a, _) = ractor::ActorRuntime::spawn_instant(None, ServerTxn, args).unwrap();
        actors.push(a);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes();
    println!(
        "actor:  {n} transactions, RSS +{} KiB, {} bytes per transaction actor",
        (after - before) / 1024,
        (after - before) / n as u64
    );
    for a in actors {
        a.stop(None);
    }
}
