use std::cell::Cell;
use std::time::Duration;

use bytes::Bytes;

use super::harness::{
    invite_client, invite_server_tcp, invite_server_udp, ms, secs, Dir, Pair, Solo,
};
use crate::transaction::{
    ClientInvite, ClientInviteState as St, ServerInviteState, TimerConfig, TransactionError,
    TuEvent,
};

fn solo(reliable: bool) -> Solo<ClientInvite> {
    Solo::new(|now| {
        ClientInvite::new(
            Bytes::from_static(b"INVITE"),
            reliable,
            &TimerConfig::default(),
            now,
        )
    })
}

fn ack() -> Bytes {
    Bytes::from_static(b"ACK")
}

/// RFC 3261 §17.1.1.2: Timer A doubles without cap: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; Timer B (64·T1) at 32 s.
#[test]
fn udp_timer_a_schedule_until_timer_b() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        invite_client(false),
        invite_server_udp,
    );
    p.drop_c2s = (1..=20).collect();
    p.drive();
    assert_eq!(
        p.sent(Dir::ClientToServer, "INVITE"),
        secs(&[0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5])
    );
    assert_eq!(
        p.client_events,
        vec![
            (ms(32_000), TuEvent::Timeout),
            (ms(32_000), TuEvent::Terminated)
        ]
    );
    assert!(p.server.is_none());
}

/// RFC 3261 §17.1.1.2: reliable transport: no Timer A; Timer B still fires at 64·T1.
#[test]
fn reliable_no_timer_a() {
    let mut s = solo(true);
    assert_eq!(s.m.poll_timeout(), Some(s.epoch + ms(32_000)));
    s.run_timers_until(ms(100_000));
    assert_eq!(s.sent("INVITE"), secs(&[0.0]));
    assert_eq!(
        s.events,
        vec![
            (ms(32_000), TuEvent::Timeout),
            (ms(32_000), TuEvent::Terminated)
        ]
    );
}

/// RFC 3261 §17.1.1.2 / §17.2.1: the server's 100 Trying (after 200 ms) moves Calling → Proceeding and stops Timer A; a 486 is ACKed, Completed, Timer D = 32 s.
#[test]
fn trying_then_486_completed_timer_d_32s() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        invite_client(false),
        invite_server_udp,
    );
    p.respond_at(ms(1000), 486);
    p.run_until(ms(199));
    assert_eq!(p.client.state(), St::Calling);
    p.run_until(ms(200));
    assert_eq!(p.client.state(), St::Proceeding);
    p.run_until(ms(1000));
    assert_eq!(p.client.state(), St::Completed);
    assert_eq!(p.server().state(), ServerInviteState::Confirmed);
    p.run_until(ms(32_999));
    assert_eq!(p.client.state(), St::Completed);
    p.run_until(ms(33_000));
    assert_eq!(p.client.state(), St::Terminated);
    p.drive();
    assert_eq!(p.sent(Dir::ClientToServer, "INVITE"), secs(&[0.0]));
    assert_eq!(p.sent(Dir::ClientToServer, "ACK"), secs(&[1.0]));
    assert_eq!(
        p.client_events,
        vec![
            (ms(200), TuEvent::Response { status: 100 }),
            (ms(1000), TuEvent::Response { status: 486 }),
            (ms(33_000), TuEvent::Terminated)
        ]
    );
    // §17.2.1: Timer I = T4 after the ACK.
    assert_eq!(p.server_events, vec![(ms(6_000), TuEvent::Terminated)]);
}

/// RFC 3261 §17.1.1.2 / §17.2.1: lost ACKs: every Timer G retransmission of the 486 (0.5 s, 1 s, 2 s, 4 s apart) is answered by re-sending the same ACK.
#[test]
fn ack_resent_on_each_final_retransmission() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        invite_client(false),
        invite_server_udp,
    );
    // c2s: #1 INVITE, #2.. ACKs; the first four ACKs are lost.
    p.drop_c2s = vec![2, 3, 4, 5];
    p.respond_at(ms(1000), 486);
    p.drive();
    assert_eq!(
        p.sent(Dir::ServerToClient, "486"),
        secs(&[1.0, 1.5, 2.5, 4.5, 8.5])
    );
    assert_eq!(
        p.sent(Dir::ClientToServer, "ACK"),
        secs(&[1.0, 1.5, 2.5, 4.5, 8.5])
    );
    assert_eq!(
        p.client_event_kinds(),
        vec![
            TuEvent::Response { status: 100 },
            TuEvent::Response { status: 486 },
            TuEvent::Terminated
        ]
    );
    assert_eq!(p.client_events[2].0, ms(33_000));
    assert_eq!(p.server_events, vec![(ms(13_500), TuEvent::Terminated)]);
}

/// RFC 3261 §17.1.1.3: the ACK is built once (closure called once) and the same bytes re-sent.
#[test]
fn ack_closure_called_once() {
    let calls = Cell::new(0);
    let mut s = solo(false);
    for i in 0..3u64 {
        s.input(ms(100 + i * 100), |m, now| {
            m.handle_response(503, now, || {
                calls.set(calls.get() + 1);
                ack()
            })
        })
        .unwrap();
    }
    assert_eq!(calls.get(), 1);
    assert_eq!(s.sent("ACK"), secs(&[0.1, 0.2, 0.3]));
    assert_eq!(s.event_kinds(), vec![TuEvent::Response { status: 503 }]);
    assert_eq!(s.m.state(), St::Completed);
    // 1xx/2xx in Completed are absorbed without an ACK.
    s.input(ms(400), |m, now| m.handle_response(180, now, ack))
        .unwrap();
    assert_eq!(s.sent("ACK").len(), 3);
}

/// RFC 3261 §17.1.1.2: reliable transport: Timer D is zero, Completed → Terminated at once. Server: Timer I zero (§17.2.1).
#[test]
fn reliable_timer_d_and_i_zero() {
    let mut p = Pair::new(
        TimerConfig::default(),
        ms(10),
        invite_client(true),
        invite_server_tcp,
    );
    p.respond_at(ms(500), 603);
    p.drive();
    assert_eq!(
        p.client_events,
        vec![
            (ms(220), TuEvent::Response { status: 100 }),
            (ms(510), TuEvent::Response { status: 603 }),
            (ms(510), TuEvent::Terminated)
        ]
    );
    assert_eq!(p.sent(Dir::ServerToClient, "603"), secs(&[0.5]));
    assert_eq!(p.server_events, vec![(ms(520), TuEvent::Terminated)]);
}

/// RFC 6026 §8.4: a 2xx moves to Accepted (no ACK from the transaction), further 2xx are passed to the TU, Timer M = 64·T1. Server: Accepted, Timer L (RFC 6026 §8.7).
#[test]
fn accepted_passes_further_2xx_timer_m() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        invite_client(false),
        invite_server_udp,
    );
    // The TU retransmits its 2xx itself (§13.3.1.4); the server machine passes it through.
    p.respond_at(ms(1000), 200).respond_at(ms(1500), 200);
    p.run_until(ms(1000));
    assert_eq!(p.client.state(), St::Accepted);
    assert_eq!(p.server().state(), ServerInviteState::Accepted);
    p.run_until(ms(32_999));
    assert_eq!(p.client.state(), St::Accepted);
    p.run_until(ms(33_000));
    assert_eq!(p.client.state(), St::Terminated);
    p.drive();
    assert!(p.sent(Dir::ClientToServer, "ACK").is_empty());
    assert_eq!(p.sent(Dir::ServerToClient, "200"), secs(&[1.0, 1.5]));
    assert_eq!(
        p.client_events,
        vec![
            (ms(200), TuEvent::Response { status: 100 }),
            (ms(1000), TuEvent::Response { status: 200 }),
            (ms(1500), TuEvent::Response { status: 200 }),
            (ms(33_000), TuEvent::Terminated)
        ]
    );
    assert_eq!(p.server_events, vec![(ms(33_000), TuEvent::Terminated)]);
}

/// RFC 6026 §8.7: 100 and 2xx lost; the retransmitted INVITE is absorbed by the server in Accepted (nothing re-sent); the TU's 2xx retransmission gets through.
#[test]
fn accepted_server_absorbs_invite_retransmission() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        invite_client(false),
        invite_server_udp,
    );
    p.drop_s2c = vec![1, 2];
    p.respond_at(ms(300), 200).respond_at(ms(800), 200);
    p.run_until(ms(500));
    assert_eq!(p.client.state(), St::Calling);
    assert_eq!(p.server().state(), ServerInviteState::Accepted);
    p.drive();
    assert_eq!(p.sent(Dir::ClientToServer, "INVITE"), secs(&[0.0, 0.5]));
    assert_eq!(p.sent(Dir::ServerToClient, "100"), secs(&[0.2]));
    assert_eq!(p.sent(Dir::ServerToClient, "200"), secs(&[0.3, 0.8]));
    assert_eq!(
        p.client_events,
        vec![
            (ms(800), TuEvent::Response { status: 200 }),
            (ms(32_800), TuEvent::Terminated)
        ]
    );
}

/// RFC 6026 §8.4: non-2xx responses in Accepted are discarded.
#[test]
fn accepted_discards_non_2xx() {
    let mut s = solo(false);
    s.input(ms(10), |m, now| m.handle_response(200, now, ack))
        .unwrap();
    s.input(ms(20), |m, now| m.handle_response(180, now, ack))
        .unwrap();
    s.input(ms(30), |m, now| m.handle_response(486, now, ack))
        .unwrap();
    s.input(ms(40), |m, now| m.handle_response(202, now, ack))
        .unwrap();
    assert!(s.sent("ACK").is_empty());
    assert_eq!(
        s.event_kinds(),
        vec![
            TuEvent::Response { status: 200 },
            TuEvent::Response { status: 202 }
        ]
    );
    assert_eq!(s.m.poll_timeout(), Some(s.epoch + ms(32_010)));
}

/// RFC 3261 §17.1.1.2 (Figure 5): transport error in Calling → inform TU, Terminated.
#[test]
fn transport_error_in_calling() {
    let mut s = solo(false);
    s.input(Duration::ZERO, |m, now| m.handle_transport_error(now))
        .unwrap();
    assert_eq!(
        s.event_kinds(),
        vec![TuEvent::TransportError, TuEvent::Terminated]
    );
    assert_eq!(
        s.input(ms(1), |m, now| m.handle_response(200, now, ack)),
        Err(TransactionError::Terminated)
    );
    assert_eq!(s.m.poll_timeout(), None);
}

/// RFC 3261 §17.1.1.2: invalid status codes are refused and change nothing.
#[test]
fn invalid_status_refused() {
    let mut s = solo(false);
    assert_eq!(
        s.input(ms(1), |m, now| m.handle_response(42, now, ack)),
        Err(TransactionError::InvalidStatus(42))
    );
    assert_eq!(s.m.state(), St::Calling);
    assert!(s.events.is_empty());
}

/// RFC 3261 §17.1.1.2: after a 1xx the transaction neither retransmits nor times out (Timer B only guards Calling); bounding the wait is the proxy's Timer C (§16.6) or the UAC's business.
#[test]
fn proceeding_has_no_timers() {
    let mut s = solo(false);
    s.input(ms(100), |m, now| m.handle_response(180, now, ack))
        .unwrap();
    assert_eq!(s.m.state(), St::Proceeding);
    assert_eq!(s.m.poll_timeout(), None);
    s.input(ms(1_000_000), |m, now| m.handle_timeout(now));
    assert_eq!(s.sent("INVITE"), secs(&[0.0]));
    assert_eq!(s.m.state(), St::Proceeding);
    // §17.1.1.2: further 1xx go to the TU.
    s.input(ms(1_000_001), |m, now| m.handle_response(183, now, ack))
        .unwrap();
    assert_eq!(
        s.event_kinds(),
        vec![
            TuEvent::Response { status: 180 },
            TuEvent::Response { status: 183 }
        ]
    );
}

/// RFC 3261 §17.1.1.2: a very late `handle_timeout` fires the due Timer A once, then Timer B; repeating it is harmless.
#[test]
fn late_handle_timeout_fires_a_once_then_b() {
    let mut s = solo(false);
    s.input(ms(50_000), |m, now| m.handle_timeout(now));
    s.input(ms(50_000), |m, now| m.handle_timeout(now));
    assert_eq!(s.sent("INVITE"), secs(&[0.0, 50.0]));
    assert_eq!(s.event_kinds(), vec![TuEvent::Timeout, TuEvent::Terminated]);
}

/// RFC 3261 §17.1.1.1: T1 is configurable (e.g. a known-RTT network); Timer A and B scale with it.
#[test]
fn custom_t1_scales_timers_a_and_b() {
    let cfg = TimerConfig {
        t1: ms(100),
        ..TimerConfig::default()
    };
    let mut p = Pair::new(cfg, Duration::ZERO, invite_client(false), invite_server_udp);
    p.drop_c2s = (1..=20).collect();
    p.drive();
    assert_eq!(
        p.sent(Dir::ClientToServer, "INVITE"),
        secs(&[0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3])
    );
    assert_eq!(p.client_events[0], (ms(6_400), TuEvent::Timeout));
}
