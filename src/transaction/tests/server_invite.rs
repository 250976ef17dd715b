use std::time::Duration;

use bytes::Bytes;

use super::harness::{invite_client, invite_server_udp, ms, secs, Dir, Pair, Solo};
use crate::transaction::{
    Retransmission, ServerInvite, ServerInviteState as St, TimerConfig, TransactionError, TuEvent,
};

fn solo_with(trying: bool, reliable: bool, cfg: TimerConfig) -> Solo<ServerInvite> {
    Solo::new(move |now| {
        ServerInvite::new(
            trying.then(|| Bytes::from_static(b"100")),
            reliable,
            &cfg,
            now,
        )
    })
}

fn solo(reliable: bool) -> Solo<ServerInvite> {
    solo_with(true, reliable, TimerConfig::default())
}

fn resp(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// RFC 3261 §17.2.1: the machine sends 100 Trying itself if the TU has not answered within 200 ms.
#[test]
fn trying_sent_after_200ms() {
    let mut s = solo(false);
    assert_eq!(s.m.poll_timeout(), Some(s.epoch + ms(200)));
    s.input(ms(199), |m, now| m.handle_timeout(now));
    assert!(s.out.is_empty());
    s.run_timers_until(ms(10_000));
    assert_eq!(s.sent("100"), secs(&[0.2]));
    assert_eq!(s.m.poll_timeout(), None);
    assert_eq!(s.m.state(), St::Proceeding);
    // §17.2.1: a retransmitted INVITE re-sends the last provisional (the 100).
    assert_eq!(
        s.input(ms(500), |m, now| m.handle_request_retransmit(now)),
        Ok(Retransmission::Resent)
    );
    assert_eq!(s.sent("100"), secs(&[0.2, 0.5]));
}

/// RFC 3261 §17.2.1: a TU provisional before 200 ms suppresses the machine's 100; a retransmitted INVITE re-sends the TU's provisional.
#[test]
fn tu_answer_suppresses_trying() {
    let mut s = solo(false);
    s.input(ms(100), |m, now| m.send_response(180, resp("180"), now))
        .unwrap();
    assert_eq!(s.m.poll_timeout(), None);
    s.input(ms(300), |m, now| m.handle_timeout(now));
    assert!(s.sent("100").is_empty());
    s.input(ms(400), |m, now| m.handle_request_retransmit(now))
        .unwrap();
    assert_eq!(s.sent("180"), secs(&[0.1, 0.4]));
}

/// RFC 3261 §17.2.1: a zero trying delay sends the 100 at construction; `None` never sends one; an early retransmission sends the pending 100 at once.
#[test]
fn trying_delay_variants() {
    let cfg = TimerConfig {
        trying_delay: Duration::ZERO,
        ..TimerConfig::default()
    };
    let s = solo_with(true, false, cfg);
    assert_eq!(s.sent("100"), secs(&[0.0]));
    let mut s = solo_with(false, false, TimerConfig::default());
    assert_eq!(s.m.poll_timeout(), None);
    assert_eq!(
        s.input(ms(50), |m, now| m.handle_request_retransmit(now)),
        Ok(Retransmission::Absorbed)
    );
    let mut s = solo(false);
    assert_eq!(
        s.input(ms(50), |m, now| m.handle_request_retransmit(now)),
        Ok(Retransmission::Resent)
    );
    assert_eq!(s.sent("100"), secs(&[0.05]));
    assert_eq!(s.m.poll_timeout(), None);
}

/// RFC 3261 §17.2.1: Timer G retransmits the final at T1, then doubling capped at T2 (0.5, 1.5, 3.5, 7.5, 11.5 … s) until Timer H (64·T1) fires without ACK.
#[test]
fn timer_g_capped_at_t2_until_timer_h() {
    let mut s = solo(false);
    s.input(Duration::ZERO, |m, now| {
        m.send_response(486, resp("486"), now)
    })
    .unwrap();
    assert_eq!(s.m.state(), St::Completed);
    s.run_timers_until(ms(100_000));
    assert_eq!(
        s.sent("486"),
        secs(&[0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5])
    );
    assert_eq!(
        s.events,
        vec![
            (ms(32_000), TuEvent::Timeout),
            (ms(32_000), TuEvent::Terminated)
        ]
    );
    assert!(s.sent("100").is_empty());
}

/// RFC 3261 §17.2.1: reliable transport: no Timer G, Timer H still 64·T1.
#[test]
fn reliable_no_timer_g() {
    let mut s = solo(true);
    s.input(ms(10), |m, now| m.send_response(500, resp("500"), now))
        .unwrap();
    s.run_timers_until(ms(100_000));
    assert_eq!(s.sent("500"), secs(&[0.01]));
    assert_eq!(
        s.events,
        vec![
            (ms(32_010), TuEvent::Timeout),
            (ms(32_010), TuEvent::Terminated)
        ]
    );
}

/// RFC 3261 §17.2.1: ACK in Completed → Confirmed (G and H stop), ACKs absorbed, Timer I = T4 → Terminated.
#[test]
fn ack_confirms_then_timer_i() {
    let mut s = solo(false);
    s.input(ms(10), |m, now| m.send_response(404, resp("404"), now))
        .unwrap();
    // §17.2.1: a retransmitted INVITE in Completed re-sends the final.
    assert_eq!(
        s.input(ms(100), |m, now| m.handle_request_retransmit(now)),
        Ok(Retransmission::Resent)
    );
    s.input(ms(200), |m, now| m.handle_ack(now)).unwrap();
    assert_eq!(s.m.state(), St::Confirmed);
    s.input(ms(300), |m, now| m.handle_ack(now)).unwrap();
    assert_eq!(
        s.input(ms(400), |m, now| m.handle_request_retransmit(now)),
        Ok(Retransmission::Absorbed)
    );
    assert_eq!(s.m.poll_timeout(), Some(s.epoch + ms(5_200)));
    s.run_timers_until(ms(100_000));
    assert_eq!(s.sent("404"), secs(&[0.01, 0.1]));
    assert_eq!(s.events, vec![(ms(5_200), TuEvent::Terminated)]);
}

/// RFC 3261 §17.2.1: reliable transport: Timer I is zero; the ACK terminates at once.
#[test]
fn reliable_timer_i_zero() {
    let mut s = solo(true);
    s.input(ms(10), |m, now| m.send_response(404, resp("404"), now))
        .unwrap();
    s.input(ms(20), |m, now| m.handle_ack(now)).unwrap();
    assert!(s.m.is_terminated());
    assert_eq!(s.events, vec![(ms(20), TuEvent::Terminated)]);
}

/// RFC 6026 §8.7: Accepted absorbs INVITE retransmissions, passes further TU 2xx, passes the ACK to the TU, refuses non-2xx; Timer L = 64·T1.
#[test]
fn accepted_state() {
    let mut s = solo(false);
    s.input(ms(100), |m, now| m.send_response(200, resp("200"), now))
        .unwrap();
    assert_eq!(s.m.state(), St::Accepted);
    assert_eq!(
        s.input(ms(500), |m, now| m.handle_request_retransmit(now)),
        Ok(Retransmission::Absorbed)
    );
    s.input(ms(600), |m, now| m.send_response(200, resp("200"), now))
        .unwrap();
    assert_eq!(
        s.input(ms(700), |m, now| m.send_response(486, resp("486"), now)),
        Err(TransactionError::FinalAlreadySent)
    );
    assert_eq!(
        s.input(ms(700), |m, now| m.send_response(180, resp("180"), now)),
        Err(TransactionError::FinalAlreadySent)
    );
    s.input(ms(800), |m, now| m.handle_ack(now)).unwrap();
    s.run_timers_until(ms(100_000));
    assert_eq!(s.sent("200"), secs(&[0.1, 0.6]));
    assert_eq!(s.out.len(), 2);
    assert_eq!(
        s.events,
        vec![(ms(800), TuEvent::Ack), (ms(32_100), TuEvent::Terminated)]
    );
}

/// RFC 3261 §17.2.1 (Figure 7): ACK before any final does not belong here; responses after a non-2xx final are refused; nothing changes.
#[test]
fn illegal_inputs_change_nothing() {
    let mut s = solo(false);
    assert_eq!(
        s.input(ms(1), |m, now| m.handle_ack(now)),
        Err(TransactionError::UnexpectedAck)
    );
    assert_eq!(
        s.input(ms(1), |m, now| m.send_response(1000, resp("x"), now)),
        Err(TransactionError::InvalidStatus(1000))
    );
    assert_eq!(s.m.state(), St::Proceeding);
    assert_eq!(s.m.poll_timeout(), Some(s.epoch + ms(200)));
    s.input(ms(2), |m, now| m.send_response(480, resp("480"), now))
        .unwrap();
    assert_eq!(
        s.input(ms(3), |m, now| m.send_response(200, resp("200"), now)),
        Err(TransactionError::FinalAlreadySent)
    );
    assert_eq!(s.m.state(), St::Completed);
    assert_eq!(s.out.len(), 1);
    s.run_timers_until(ms(100_000));
    assert_eq!(s.event_kinds(), vec![TuEvent::Timeout, TuEvent::Terminated]);
    assert_eq!(
        s.input(ms(5), |m, now| m.handle_ack(now)),
        Err(TransactionError::Terminated)
    );
    assert_eq!(
        s.input(ms(5), |m, now| m.handle_request_retransmit(now)),
        Err(TransactionError::Terminated)
    );
}

/// RFC 6026 §7.1 (Figure 7): a transport error in Proceeding, Completed or Accepted informs the TU and the machine stays; only Timers H/L/I end it.
#[test]
fn transport_error_informs_tu_and_stays() {
    let mut s = solo(false);
    s.input(ms(1), |m, now| m.send_response(180, resp("180"), now))
        .unwrap();
    s.input(ms(2), |m, now| m.handle_transport_error(now))
        .unwrap();
    assert_eq!(s.m.state(), St::Proceeding);
    s.input(ms(3), |m, now| m.send_response(486, resp("486"), now))
        .unwrap();
    s.input(ms(4), |m, now| m.handle_transport_error(now))
        .unwrap();
    assert_eq!(s.m.state(), St::Completed);
    // Timer G keeps retransmitting (the TU may have repaired the flow); H ends it.
    s.run_timers_until(ms(100_000));
    assert_eq!(s.sent("486").len(), 11);
    assert_eq!(
        s.event_kinds(),
        vec![
            TuEvent::TransportError,
            TuEvent::TransportError,
            TuEvent::Timeout,
            TuEvent::Terminated
        ]
    );

    let mut s = solo(false);
    s.input(ms(1), |m, now| m.send_response(200, resp("200"), now))
        .unwrap();
    s.input(ms(2), |m, now| m.handle_transport_error(now))
        .unwrap();
    assert_eq!(s.m.state(), St::Accepted);
    s.run_timers_until(ms(100_000));
    assert_eq!(
        s.events,
        vec![
            (ms(2), TuEvent::TransportError),
            (ms(32_001), TuEvent::Terminated)
        ]
    );
}

/// RFC 3261 §17.2.1: a transport error in Confirmed is stale (nothing is sent there) and ignored.
#[test]
fn transport_error_in_confirmed_ignored() {
    let mut s = solo(false);
    s.input(ms(1), |m, now| m.send_response(486, resp("486"), now))
        .unwrap();
    s.input(ms(2), |m, now| m.handle_ack(now)).unwrap();
    s.input(ms(3), |m, now| m.handle_transport_error(now))
        .unwrap();
    assert_eq!(s.m.state(), St::Confirmed);
    assert!(s.events.is_empty());
}

/// RFC 3261 §17.2.1: 1xx, then the 486 is lost; the client no longer retransmits (Proceeding), so Timer G recovers the final.
#[test]
fn provisional_then_final_lost_timer_g_recovers() {
    let mut p = Pair::new(
        TimerConfig::default(),
        ms(5),
        invite_client(false),
        invite_server_udp,
    );
    // s2c: #1 100@0.205, #2 180@0.3, #3 486@1.0 lost, #4 486@1.5 (G).
    p.drop_s2c = vec![3];
    p.respond_at(ms(300), 180).respond_at(ms(1000), 486);
    p.drive();
    assert_eq!(p.sent(Dir::ClientToServer, "INVITE"), secs(&[0.0]));
    assert_eq!(p.sent(Dir::ServerToClient, "486"), secs(&[1.0, 1.5]));
    assert_eq!(p.sent(Dir::ClientToServer, "ACK"), secs(&[1.505]));
    assert_eq!(
        p.client_event_kinds(),
        vec![
            TuEvent::Response { status: 100 },
            TuEvent::Response { status: 180 },
            TuEvent::Response { status: 486 },
            TuEvent::Terminated
        ]
    );
    // Confirmed at 1.51 s, Timer I = T4.
    assert_eq!(p.server_events, vec![(ms(6_510), TuEvent::Terminated)]);
    assert!(p.refused.is_empty());
}

/// RFC 3261 §17.2.1: Timer G caps at a configured T2 (T1 = 100 ms, T2 = 400 ms: 0.1, 0.3, 0.7, 1.1 …), Timer H = 64·T1 = 6.4 s.
#[test]
fn timer_g_cap_follows_configured_t2() {
    let cfg = TimerConfig {
        t1: ms(100),
        t2: ms(400),
        ..TimerConfig::default()
    };
    let mut s = solo_with(false, false, cfg);
    s.input(Duration::ZERO, |m, now| {
        m.send_response(486, resp("486"), now)
    })
    .unwrap();
    s.run_timers_until(ms(100_000));
    let expected: Vec<Duration> = [0u64, 100, 300, 700]
        .into_iter()
        .chain((1..=14).map(|k| 700 + 400 * k))
        .map(ms)
        .collect();
    assert_eq!(s.sent("486"), expected);
    assert_eq!(s.events[0], (ms(6_400), TuEvent::Timeout));
}
