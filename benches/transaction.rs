//! Cost of whole transaction lifecycles on the sans-IO core (no I/O, virtual time).
#![allow(clippy::disallowed_methods)] // one base Instant for the virtual clock

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use ferrosips::transaction::{ClientInvite, ServerNonInvite, TimerConfig};

static OK: &[u8] = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
static INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
static ACK: &[u8] = b"ACK sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";

fn drain_non_invite(m: &mut ServerNonInvite) {
    while let Some(b) = m.poll_transmit() {
        black_box(b);
    }
    while let Some(e) = m.poll_event() {
        black_box(e);
    }
}

fn drain_invite(m: &mut ClientInvite) {
    while let Some(b) = m.poll_transmit() {
        black_box(b);
    }
    while let Some(e) = m.poll_event() {
        black_box(e);
    }
}

fn lifecycles(c: &mut Criterion) {
    let cfg = TimerConfig::default();
    let base = Instant::now();

    // new → send_response(200) → handle_timeout at Timer J → Terminated (UDP).
    c.bench_function("server_non_invite_lifecycle_udp", |b| {
        b.iter(|| {
            let mut m = ServerNonInvite::new(false, &cfg, base);
            m.send_response(200, Bytes::from_static(OK), base + Duration::from_millis(1))
                .unwrap();
            drain_non_invite(&mut m);
            let j = m.poll_timeout().unwrap();
            m.handle_timeout(j);
            drain_non_invite(&mut m);
            assert!(m.is_terminated());
            black_box(m);
        })
    });

    // new (INVITE sent) → Timer A once → 180 → 486 (ACK built) → retransmitted 486
    // (ACK re-sent) → Timer D → Terminated (UDP).
    c.bench_function("client_invite_lifecycle_udp", |b| {
        b.iter(|| {
            let mut m = ClientInvite::new(Bytes::from_static(INVITE), false, &cfg, base);
            drain_invite(&mut m);
            let a = m.poll_timeout().unwrap();
            m.handle_timeout(a);
            drain_invite(&mut m);
            let t = a + Duration::from_millis(100);
            m.handle_response(180, t, || Bytes::from_static(ACK))
                .unwrap();
            m.handle_response(486, t, || Bytes::from_static(ACK))
                .unwrap();
            drain_invite(&mut m);
            m.handle_response(486, t, || Bytes::from_static(ACK))
                .unwrap();
            drain_invite(&mut m);
            let d = m.poll_timeout().unwrap();
            m.handle_timeout(d);
            drain_invite(&mut m);
            assert!(m.is_terminated());
            black_box(m);
        })
    });
}

criterion_group!(benches, lifecycles);
criterion_main!(benches);
