//! The node answers over real sockets: OPTIONS, Max-Forwards, Require, version, foreign
//! domains, INVITE with 100 Trying, CANCEL, retransmissions, TCP keep-alive and framing, and
//! garbage floods that must leave it answering.

mod support;

use std::time::Duration;

use support::*;

fn options(host: &str, port: u16, branch: &str, extra: &str) -> String {
    request(
        "OPTIONS",
        &format!("sip:{host}"),
        "UDP",
        port,
        branch,
        extra,
    )
}

#[tokio::test]
async fn options_over_udp_gets_200_with_allow_accept_supported() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    p.send(options(&udp.to_string(), p.port(), "o1", "").as_bytes())
        .await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(200), "{r}");
    for h in [
        "Allow",
        "Accept",
        "Supported",
        "To",
        "From",
        "Call-ID",
        "CSeq",
        "Via",
    ] {
        assert!(header(&r, h).is_some(), "missing {h}: {r}");
    }
    // RFC 3261 §8.2.6.2: a tag on To of a final response.
    assert!(header(&r, "To").unwrap().contains(";tag="), "{r}");
    // RFC 3581 §4: rport filled in with the source port.
    let via = header(&r, "Via").unwrap();
    assert!(via.contains(&format!("rport={}", p.port())), "{via}");
}

#[tokio::test]
async fn options_over_tcp_gets_200() {
    let (_node, _, tcp) = start_node().await;
    let mut p = TcpPeer::connect(tcp).await;
    let port = p.port();
    let m = request("OPTIONS", &format!("sip:{tcp}"), "TCP", port, "t1", "");
    p.send(m.as_bytes()).await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(200), "{r}");
}

#[tokio::test]
async fn max_forwards_zero_gets_483() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = options(&udp.to_string(), p.port(), "mf0", "")
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    p.send(m.as_bytes()).await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(483), "{r}");
}

#[tokio::test]
async fn unsupported_require_gets_420_with_unsupported() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = options(&udp.to_string(), p.port(), "rq", "Require: foo, bar\r\n");
    p.send(m.as_bytes()).await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(420), "{r}");
    let u = headers(&r, "Unsupported").join(",");
    assert!(u.contains("foo") && u.contains("bar"), "{r}");
    // Proxy-Require too (RFC 3261 §8.2.2.3 / §16.3 step 5).
    let m = options(&udp.to_string(), p.port(), "prq", "Proxy-Require: baz\r\n");
    p.send(m.as_bytes()).await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(420), "{r}");
}

#[tokio::test]
async fn wrong_version_gets_505() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = options(&udp.to_string(), p.port(), "v", "").replacen("SIP/2.0\r\n", "SIP/7.0\r\n", 1);
    p.send(m.as_bytes()).await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(505), "{r}");
}

#[tokio::test]
async fn foreign_domain_gets_404_with_a_reason() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    p.send(options("elsewhere.example.org", p.port(), "fd", "").as_bytes())
        .await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(404), "{r}");
    assert!(status_line(&r).len() > "SIP/2.0 404 ".len() + 3, "{r}");
}

#[tokio::test]
async fn alias_is_our_domain() {
    let (_node, udp, _) = start_node_with(|c| c.aliases.push("example.net".into())).await;
    let p = UdpPeer::new(udp).await;
    p.send(options("example.net", p.port(), "al", "").as_bytes())
        .await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(200), "{r}");
}

#[tokio::test]
async fn unknown_uri_scheme_gets_416() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = request("OPTIONS", "foo:bar@example.com", "UDP", p.port(), "sch", "");
    p.send(m.as_bytes()).await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(416), "{r}");
}

#[tokio::test]
async fn retransmitted_options_gets_the_identical_stateless_answer() {
    let (node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = options(&udp.to_string(), p.port(), "rtx", "");
    p.send(m.as_bytes()).await;
    let first = p.recv().await.expect("answer");
    p.send(m.as_bytes()).await;
    let second = p.recv().await.expect("answer again");
    // Same bytes, To tag included: the tag is a function of the request (sl semantics).
    assert_eq!(first, second);
    assert_eq!(
        node.transactions(),
        0,
        "a stateless answer keeps no transaction"
    );
}

#[tokio::test]
async fn retransmitted_invite_is_answered_from_the_transaction() {
    let (node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = request(
        "INVITE",
        &format!("sip:bob@{udp}"),
        "UDP",
        p.port(),
        "irtx",
        "",
    );
    p.send(m.as_bytes()).await;
    let first = p.recv_final().await.expect("final");
    assert_eq!(node.transactions(), 1, "INVITE is stateful");
    p.send(m.as_bytes()).await;
    // RFC 3261 §17.2.1: in Completed a retransmitted INVITE gets the final again.
    let again = p.recv_final().await.expect("final again");
    assert_eq!(header(&first, "To"), header(&again, "To"));
    assert_eq!(
        node.stats()
            .transactions
            .retransmissions
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn invite_gets_100_trying_then_a_final_and_ack_is_absorbed() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = request(
        "INVITE",
        &format!("sip:bob@{udp}"),
        "UDP",
        p.port(),
        "inv",
        "",
    );
    p.send(m.as_bytes()).await;
    let mut codes = Vec::new();
    while let Some(r) = p.recv().await {
        let s = status(&r).unwrap();
        codes.push(s);
        if s >= 200 {
            // ACK for the non-2xx final (RFC 3261 §17.1.1.3): same branch.
            let to = header(&r, "To").unwrap();
            let ack = format!(
                "ACK sip:bob@{udp} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bKinv;rport\r\n\
                 Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: {to}\r\n\
                 Call-ID: inv@test\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                p.port()
            );
            p.send(ack.as_bytes()).await;
            break;
        }
    }
    assert_eq!(codes.first(), Some(&100), "{codes:?}");
    assert!(codes.last().is_some_and(|&c| c >= 300), "{codes:?}");
    // The final is not retransmitted after the ACK (Timer G stopped, §17.2.1).
    assert!(p.recv_within(Duration::from_millis(800)).await.is_none());
}

#[tokio::test]
async fn cancel_without_transaction_gets_481() {
    let (_node, udp, _) = start_node().await;
    let p = UdpPeer::new(udp).await;
    let m = request(
        "CANCEL",
        &format!("sip:bob@{udp}"),
        "UDP",
        p.port(),
        "nocx",
        "",
    );
    p.send(m.as_bytes()).await;
    let r = p.recv().await.expect("answer");
    assert_eq!(status(&r), Some(481), "{r}");
}

#[tokio::test]
async fn tcp_double_crlf_ping_gets_crlf_pong() {
    let (_node, _, tcp) = start_node().await;
    let mut p = TcpPeer::connect(tcp).await;
    p.send(b"\r\n\r\n").await;
    assert_eq!(p.read_raw(2).await, b"\r\n");
}

#[tokio::test]
async fn tcp_garbage_closes_the_connection_but_not_the_node() {
    let (_node, udp, tcp) = start_node().await;
    let mut p = TcpPeer::connect(tcp).await;
    p.send(b"GARBAGE\r\nno length here\r\n\r\n").await;
    assert!(
        p.closed().await,
        "connection should be closed on a message without Content-Length"
    );
    let mut big = TcpPeer::connect(tcp).await;
    big.send(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 9999999\r\n\r\n")
        .await;
    assert!(big.closed().await, "over-long message should close");
    // Still answering.
    let u = UdpPeer::new(udp).await;
    u.send(options(&udp.to_string(), u.port(), "after", "").as_bytes())
        .await;
    assert_eq!(status(&u.recv().await.unwrap()), Some(200));
}

#[tokio::test]
async fn random_garbage_flood_leaves_the_node_answering() {
    let (node, udp, tcp) = start_node().await;
    let p = UdpPeer::new(udp).await;
    // Deterministic pseudo-random bytes (xorshift), bounded count.
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..2000 {
        let len = (next() % 1400) as usize + 1;
        let mut d: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if i % 3 == 0 {
            // Garbage that looks like SIP gets further into the parser.
            let mut s = b"INVITE sip:a@b SIP/2.0\r\nVia: ".to_vec();
            s.extend_from_slice(&d);
            d = s;
        }
        p.sock.send_to(&d, udp).await.unwrap();
    }
    for _ in 0..20 {
        let mut t = TcpPeer::connect(tcp).await;
        let len = (next() % 8000) as usize + 1;
        let d: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        t.send(&d).await;
    }
    // Drain whatever the node answered to the garbage, then ask.
    while p.recv_within(Duration::from_millis(200)).await.is_some() {}
    p.send(options(&udp.to_string(), p.port(), "alive", "").as_bytes())
        .await;
    let r = p.recv_final().await.expect("still answering");
    assert_eq!(status(&r), Some(200), "{r}");
    let mut t = TcpPeer::connect(tcp).await;
    let port = t.port();
    t.send(request("OPTIONS", &format!("sip:{tcp}"), "TCP", port, "alive2", "").as_bytes())
        .await;
    assert_eq!(status(&t.recv().await.expect("tcp answer")), Some(200));
    assert!(node.stats().dropped() > 0);
}

#[tokio::test]
async fn unacknowledged_invite_final_is_retransmitted_by_the_parked_machine_until_timer_h() {
    // T1 = 20 ms: Timer G fires at 20, 60, 140, 300 … ms, Timer H at 64·T1 = 1.28 s.
    let (node, udp, _) = start_node_with(|c| {
        c.timers.t1 = Duration::from_millis(20);
        c.timers.t2 = Duration::from_millis(160);
    })
    .await;
    let p = UdpPeer::new(udp).await;
    let m = request(
        "INVITE",
        &format!("sip:bob@{udp}"),
        "UDP",
        p.port(),
        "noack",
        "",
    );
    p.send(m.as_bytes()).await;
    let first = p.recv_final().await.expect("final");
    // The actor handed its machine to the table (RFC 3261 §17.2.1 Completed only waits).
    let deadline = tokio::time::Instant::now() + WAIT;
    while node.active_transactions() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "transaction never parked"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(node.transactions(), 1);
    let mut copies = 0;
    while let Some(r) = p.recv_within(Duration::from_millis(400)).await {
        assert_eq!(
            header(&r, "To"),
            header(&first, "To"),
            "same final each time"
        );
        copies += 1;
    }
    assert!(copies >= 5, "Timer G retransmissions: {copies}");
    // Timer H ended it.
    let deadline = tokio::time::Instant::now() + WAIT;
    while node.transactions() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Timer H did not end the transaction"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn options_over_ipv6_udp_and_tcp() {
    use ferrosips::config::Listen;
    use ferrosips::transport::Proto;
    let (node, _, _) = start_node_with(|c| {
        c.listen = vec![
            Listen {
                proto: Proto::Udp,
                addr: "[::1]:0".parse().unwrap(),
            },
            Listen {
                proto: Proto::Tcp,
                addr: "[::1]:0".parse().unwrap(),
            },
        ];
    })
    .await;
    let udp = node.local_addr(Proto::Udp).unwrap();
    let tcp = node.local_addr(Proto::Tcp).unwrap();
    let sock = tokio::net::UdpSocket::bind("[::1]:0").await.unwrap();
    let port = sock.local_addr().unwrap().port();
    let m = format!(
        "OPTIONS sip:[::1]:{} SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:{port};branch=z9hG4bK6u;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:a@[::1]>;tag=1\r\nTo: <sip:[::1]>\r\nCall-ID: v6@test\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        udp.port()
    );
    sock.send_to(m.as_bytes(), udp).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, _) = tokio::time::timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("answer over IPv6")
        .unwrap();
    let r = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert_eq!(status(&r), Some(200), "{r}");
    assert!(
        header(&r, "Via")
            .unwrap()
            .contains(&format!("rport={port}")),
        "{r}"
    );
    let mut t = TcpPeer::connect(tcp).await;
    let tport = t.port();
    let m = format!(
        "OPTIONS sip:[::1]:{} SIP/2.0\r\nVia: SIP/2.0/TCP [::1]:{tport};branch=z9hG4bK6t\r\n\
         Max-Forwards: 70\r\nFrom: <sip:a@[::1]>;tag=1\r\nTo: <sip:[::1]>\r\nCall-ID: v6t@test\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        tcp.port()
    );
    t.send(m.as_bytes()).await;
    assert_eq!(status(&t.recv().await.expect("tcp v6 answer")), Some(200));
}
