use bytes::Bytes;

use super::harness::{ms, non_invite_client, non_invite_server_udp, secs, Dir, Pair, Solo};
use crate::transaction::{
    Retransmission, ServerNonInvite, ServerNonInviteState as St, TimerConfig, TransactionError,
    TuEvent,
};

fn solo(reliable: bool) -> Solo<ServerNonInvite> {
    Solo::new(|now| ServerNonInvite::new(reliable, &TimerConfig::default(), now))
}

fn resp(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// RFC 3261 §17.2.2: in Trying, retransmitted requests are discarded; nothing is sent and no timer runs.
#[test]
fn trying_discards_retransmissions() {
    let mut s = solo(false);
    assert_eq!(s.m.state(), St::Trying);
    assert_eq!(s.m.poll_timeout(), None);
    assert_eq!(
        s.input(ms(500), |m, now| m.handle_request_retransmit(now)),
        Ok(Retransmission::Absorbed)
    );
    assert!(s.out.is_empty());
    assert!(s.events.is_empty());
}

/// RFC 3261 §17.2.2: Proceeding re-sends the last provisional on each retransmission; further 1xx allowed.
#[test]
fn proceeding_resends_last_provisional() {
    let mut s = solo(false);
    s.input(ms(100), |m, now| m.send_response(100, resp("100"), now))
        .unwrap();
    assert_eq!(s.m.state(), St::Proceeding);
    s.input(ms(500), |m, now| m.handle_request_retransmit(now))
        .unwrap();
    s.input(ms(600), |m, now| m.send_response(183, resp("183"), now))
        .unwrap();
    s.input(ms(1500), |m, now| m.handle_request_retransmit(now))
        .unwrap();
    assert_eq!(s.sent("100"), secs(&[0.1, 0.5]));
    assert_eq!(s.sent("183"), secs(&[0.6, 1.5]));
}

/// RFC 3261 §17.2.2: Completed re-sends the final on each retransmission; Timer J = 64·T1 on UDP.
#[test]
fn completed_resends_final_timer_j() {
    let mut s = solo(false);
    s.input(ms(100), |m, now| m.send_response(202, resp("202"), now))
        .unwrap();
    assert_eq!(s.m.state(), St::Completed);
    s.input(ms(500), |m, now| m.handle_request_retransmit(now))
        .unwrap();
    assert_eq!(s.m.poll_timeout(), Some(s.epoch + ms(32_100)));
    s.input(ms(32_099), |m, now| m.handle_timeout(now));
    assert_eq!(s.m.state(), St::Completed);
    s.run_timers_until(ms(100_000));
    assert_eq!(s.sent("202"), secs(&[0.1, 0.5]));
    assert_eq!(s.events, vec![(ms(32_100), TuEvent::Terminated)]);
}

/// RFC 3261 §17.2.2: reliable transport: Timer J is zero; the final terminates at once.
#[test]
fn reliable_timer_j_zero() {
    let mut s = solo(true);
    s.input(ms(100), |m, now| m.send_response(200, resp("200"), now))
        .unwrap();
    assert!(s.m.is_terminated());
    assert_eq!(s.sent("200"), secs(&[0.1]));
    assert_eq!(s.events, vec![(ms(100), TuEvent::Terminated)]);
}

/// RFC 3261 §17.2.2 (Figure 8): no response after the final; errors change nothing.
#[test]
fn illegal_inputs_change_nothing() {
    let mut s = solo(false);
    assert_eq!(
        s.input(ms(1), |m, now| m.send_response(0, resp("0"), now)),
        Err(TransactionError::InvalidStatus(0))
    );
    s.input(ms(2), |m, now| m.send_response(200, resp("200"), now))
        .unwrap();
    assert_eq!(
        s.input(ms(3), |m, now| m.send_response(180, resp("180"), now)),
        Err(TransactionError::FinalAlreadySent)
    );
    assert_eq!(s.out.len(), 1);
    assert_eq!(s.m.state(), St::Completed);
    assert_eq!(
        TransactionError::FinalAlreadySent.to_string(),
        "a final response was already sent on this transaction"
    );
}

/// RFC 3261 §17.2.2: transport error in Proceeding/Completed → inform TU, Terminated.
#[test]
fn transport_error_terminates() {
    let mut s = solo(false);
    s.input(ms(1), |m, now| m.handle_transport_error(now))
        .unwrap();
    assert!(s.events.is_empty(), "nothing sent in Trying: stale report");
    s.input(ms(2), |m, now| m.send_response(100, resp("100"), now))
        .unwrap();
    s.input(ms(3), |m, now| m.handle_transport_error(now))
        .unwrap();
    assert_eq!(
        s.event_kinds(),
        vec![TuEvent::TransportError, TuEvent::Terminated]
    );
    assert_eq!(
        s.input(ms(4), |m, now| m.handle_request_retransmit(now)),
        Err(TransactionError::Terminated)
    );
}

/// RFC 3261 §17.2.2 / §17.1.2.2: full UDP exchange with 40 ms one-way latency; the client's first retransmission crosses the final.
#[test]
fn pair_lifecycle_udp_with_latency() {
    let mut p = Pair::new(
        TimerConfig::default(),
        ms(40),
        non_invite_client(false),
        non_invite_server_udp,
    );
    p.respond_at(ms(480), 200);
    p.drive();
    // The 200 (sent 0.48 s) reaches the client at 0.52 s, after its E retransmit at 0.5 s,
    // which reaches the Completed server at 0.54 s and makes it re-send the 200.
    assert_eq!(p.sent(Dir::ClientToServer, "OPTIONS"), secs(&[0.0, 0.5]));
    assert_eq!(p.sent(Dir::ServerToClient, "200"), secs(&[0.48, 0.54]));
    assert_eq!(
        p.client_events,
        vec![
            (ms(520), TuEvent::Response { status: 200 }),
            (ms(5_520), TuEvent::Terminated)
        ]
    );
    assert_eq!(p.server_events, vec![(ms(32_480), TuEvent::Terminated)]);
    assert_eq!(p.server().state(), St::Terminated);
    assert_eq!(p.elapsed(), ms(32_480));
}
