use std::time::Duration;

use bytes::Bytes;

use super::harness::{
    ms, non_invite_client, non_invite_server_tcp, non_invite_server_udp, secs, Dir, Pair, Solo,
};
use crate::transaction::{
    ClientNonInvite, ClientNonInviteState as St, ServerNonInviteState, TimerConfig,
    TransactionError, TuEvent,
};

fn solo(reliable: bool) -> Solo<ClientNonInvite> {
    Solo::new(|now| {
        ClientNonInvite::new(
            Bytes::from_static(b"OPTIONS"),
            reliable,
            &TimerConfig::default(),
            now,
        )
    })
}

/// RFC 3261 §17.1.2.2: on UDP Timer E retransmits at T1, then MIN(2^n·T1, T2): 0.5, 1.5, 3.5, 7.5, 11.5 … s; Timer F (64·T1) ends it at 32 s.
#[test]
fn udp_timer_e_schedule_until_timer_f() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        non_invite_client(false),
        non_invite_server_udp,
    );
    p.drive();
    assert_eq!(
        p.sent(Dir::ClientToServer, "OPTIONS"),
        secs(&[0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5])
    );
    assert_eq!(
        p.client_events,
        vec![
            (ms(32_000), TuEvent::Timeout),
            (ms(32_000), TuEvent::Terminated)
        ]
    );
    assert_eq!(p.client.state(), St::Terminated);
    // The server side sat in Trying, discarding every retransmission (§17.2.2).
    assert_eq!(p.server().state(), ServerNonInviteState::Trying);
    assert!(p.sent(Dir::ServerToClient, "200").is_empty());
}

/// RFC 3261 §17.1.2.2: reliable transport: no Timer E, only Timer F at 64·T1.
#[test]
fn reliable_no_retransmissions_timer_f() {
    let mut p = Pair::new(
        TimerConfig::default(),
        ms(10),
        non_invite_client(true),
        non_invite_server_tcp,
    );
    p.drive();
    assert_eq!(p.sent(Dir::ClientToServer, "OPTIONS"), secs(&[0.0]));
    assert_eq!(
        p.client_event_kinds(),
        vec![TuEvent::Timeout, TuEvent::Terminated]
    );
    assert_eq!(p.client_events[0].0, ms(32_000));
}

/// RFC 3261 §17.1.2.2: a 1xx moves Trying → Proceeding; Timer E then fires at T2 intervals.
#[test]
fn provisional_then_timer_e_at_t2() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        non_invite_client(false),
        non_invite_server_udp,
    );
    p.respond_at(ms(1000), 100);
    p.run_until(ms(999));
    assert_eq!(p.client.state(), St::Trying);
    p.run_until(ms(1000));
    assert_eq!(p.client.state(), St::Proceeding);
    p.drive();
    assert_eq!(
        p.sent(Dir::ClientToServer, "OPTIONS"),
        secs(&[0.0, 0.5, 1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5, 29.5])
    );
    // §17.2.2: the server re-sends its last provisional on every retransmission.
    assert_eq!(
        p.sent(Dir::ServerToClient, "100"),
        secs(&[1.0, 1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5, 29.5])
    );
    assert_eq!(
        p.client_events.last(),
        Some(&(ms(32_000), TuEvent::Terminated))
    );
    assert!(p.client_event_kinds().contains(&TuEvent::Timeout));
}

/// RFC 3261 §17.1.2.2: a final moves to Completed; Timer K (T4) on UDP, then Terminated. Server: Timer J = 64·T1 (§17.2.2).
#[test]
fn final_completes_then_timer_k() {
    let mut p = Pair::new(
        TimerConfig::default(),
        ms(50),
        non_invite_client(false),
        non_invite_server_udp,
    );
    p.respond_at(ms(100), 200);
    p.run_until(ms(149));
    assert_eq!(p.client.state(), St::Trying);
    assert_eq!(p.server().state(), ServerNonInviteState::Completed);
    p.run_until(ms(150));
    assert_eq!(p.client.state(), St::Completed);
    p.run_until(ms(5_149));
    assert_eq!(p.client.state(), St::Completed);
    p.run_until(ms(5_150));
    assert_eq!(p.client.state(), St::Terminated);
    p.drive();
    assert_eq!(
        p.client_events,
        vec![
            (ms(150), TuEvent::Response { status: 200 }),
            (ms(5_150), TuEvent::Terminated)
        ]
    );
    assert_eq!(p.server_events, vec![(ms(32_100), TuEvent::Terminated)]);
    assert_eq!(p.sent(Dir::ClientToServer, "OPTIONS"), secs(&[0.0]));
}

/// RFC 3261 §17.1.2.2 / §17.2.2: reliable transport: Timers K and J are zero, both sides terminate at once.
#[test]
fn reliable_k_and_j_zero() {
    let mut p = Pair::new(
        TimerConfig::default(),
        ms(20),
        non_invite_client(true),
        non_invite_server_tcp,
    );
    p.respond_at(ms(100), 404);
    p.drive();
    assert_eq!(
        p.client_events,
        vec![
            (ms(120), TuEvent::Response { status: 404 }),
            (ms(120), TuEvent::Terminated)
        ]
    );
    assert_eq!(p.server_events, vec![(ms(100), TuEvent::Terminated)]);
}

/// RFC 3261 §17.2.2: the final is lost; the retransmitted request makes the server re-send it.
#[test]
fn final_lost_request_retransmit_resends_final() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        non_invite_client(false),
        non_invite_server_udp,
    );
    p.drop_s2c = vec![1];
    p.respond_at(ms(100), 200);
    p.drive();
    assert_eq!(p.sent(Dir::ServerToClient, "200"), secs(&[0.1, 0.5]));
    assert!(p.log.iter().any(|s| s.dropped && s.at == ms(100)));
    assert_eq!(p.sent(Dir::ClientToServer, "OPTIONS"), secs(&[0.0, 0.5]));
    assert_eq!(
        p.client_events,
        vec![
            (ms(500), TuEvent::Response { status: 200 }),
            (ms(5_500), TuEvent::Terminated)
        ]
    );
}

/// RFC 3261 §17.1.2.2 / §17.2.2: 1xx arrives, the final is lost; E (now T2) recovers it.
#[test]
fn provisional_then_final_lost() {
    let mut p = Pair::new(
        TimerConfig::default(),
        Duration::ZERO,
        non_invite_client(false),
        non_invite_server_udp,
    );
    // s2c transmits: #1 100@0.1, #2 100@0.5 (re-sent), #3 200@2.0 (lost), #4 200@4.5.
    p.drop_s2c = vec![3];
    p.respond_at(ms(100), 100).respond_at(ms(2000), 200);
    p.drive();
    assert_eq!(
        p.sent(Dir::ClientToServer, "OPTIONS"),
        secs(&[0.0, 0.5, 4.5])
    );
    assert_eq!(p.sent(Dir::ServerToClient, "200"), secs(&[2.0, 4.5]));
    assert_eq!(
        p.client_events,
        vec![
            (ms(100), TuEvent::Response { status: 100 }),
            (ms(500), TuEvent::Response { status: 100 }),
            (ms(4_500), TuEvent::Response { status: 200 }),
            (ms(9_500), TuEvent::Terminated)
        ]
    );
}

/// RFC 3261 §17.1.2.2: retransmitted finals in Completed are absorbed, not passed up.
#[test]
fn completed_absorbs_final_retransmissions() {
    let mut s = solo(false);
    s.input(ms(100), |m, now| m.handle_response(200, now))
        .unwrap();
    s.input(ms(200), |m, now| m.handle_response(200, now))
        .unwrap();
    s.input(ms(300), |m, now| m.handle_response(500, now))
        .unwrap();
    assert_eq!(s.event_kinds(), vec![TuEvent::Response { status: 200 }]);
    assert_eq!(s.m.state(), St::Completed);
}

/// RFC 3261 §17.1.4: a transport error in Trying informs the TU and terminates.
#[test]
fn transport_error_terminates() {
    let mut s = solo(false);
    s.input(Duration::ZERO, |m, now| m.handle_transport_error(now))
        .unwrap();
    assert_eq!(
        s.event_kinds(),
        vec![TuEvent::TransportError, TuEvent::Terminated]
    );
    assert_eq!(s.m.poll_timeout(), None);
    assert_eq!(
        s.input(ms(1), |m, now| m.handle_transport_error(now)),
        Err(TransactionError::Terminated)
    );
}

/// Illegal inputs return an error and change nothing (§17.1.2.2 lists no such transitions).
#[test]
fn illegal_inputs_change_nothing() {
    let mut s = solo(false);
    assert_eq!(
        s.input(ms(1), |m, now| m.handle_response(99, now)),
        Err(TransactionError::InvalidStatus(99))
    );
    assert_eq!(
        s.input(ms(1), |m, now| m.handle_response(700, now)),
        Err(TransactionError::InvalidStatus(700))
    );
    assert_eq!(s.m.state(), St::Trying);
    s.run_timers_until(ms(40_000));
    assert!(s.m.is_terminated());
    let before = s.events.len();
    assert_eq!(
        s.input(ms(40_000), |m, now| m.handle_response(200, now)),
        Err(TransactionError::Terminated)
    );
    assert_eq!(s.events.len(), before);
}

/// `handle_timeout` is idempotent: early and repeated calls are harmless (sans-IO contract).
#[test]
fn handle_timeout_early_and_repeated() {
    let mut s = solo(false);
    s.input(ms(499), |m, now| m.handle_timeout(now));
    assert_eq!(s.sent("OPTIONS"), secs(&[0.0]));
    s.input(ms(500), |m, now| m.handle_timeout(now));
    s.input(ms(500), |m, now| m.handle_timeout(now));
    assert_eq!(s.sent("OPTIONS"), secs(&[0.0, 0.5]));
    assert_eq!(s.m.poll_timeout(), Some(s.epoch + ms(1500)));
    // A very late call fires the due E once, then F.
    s.input(ms(60_000), |m, now| m.handle_timeout(now));
    assert_eq!(s.sent("OPTIONS"), secs(&[0.0, 0.5, 60.0]));
    assert_eq!(s.event_kinds(), vec![TuEvent::Timeout, TuEvent::Terminated]);
}
