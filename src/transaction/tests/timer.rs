use std::time::Duration;

use super::harness::ms;
use crate::transaction::{Timer, TimerConfig, TimerTable};

/// RFC 3261 §17.1.1.1 / Table 4: T1 = 500 ms, T2 = 4 s, T4 = 5 s; §16.6: C > 3 min; §17.2.1: 200 ms.
#[test]
fn defaults_match_table_4() {
    let c = TimerConfig::default();
    assert_eq!(c.t1, ms(500));
    assert_eq!(c.t2, Duration::from_secs(4));
    assert_eq!(c.t4, Duration::from_secs(5));
    assert_eq!(c.timer_c, Duration::from_secs(180));
    assert_eq!(c.trying_delay, ms(200));
}

/// RFC 3261 Table 4 / RFC 6026 §8: B, F, H, J, L, M = 64·T1; D = 32 s / 0; I, K = T4 / 0; J = 64·T1 / 0.
#[test]
fn derived_durations() {
    let c = TimerConfig::default();
    assert_eq!(c.t1x64(), Duration::from_secs(32));
    assert_eq!(c.timer_d(false), Duration::from_secs(32));
    assert_eq!(c.timer_d(true), Duration::ZERO);
    assert_eq!(c.timer_i_k(false), Duration::from_secs(5));
    assert_eq!(c.timer_i_k(true), Duration::ZERO);
    assert_eq!(c.timer_j(false), Duration::from_secs(32));
    assert_eq!(c.timer_j(true), Duration::ZERO);
    assert_eq!(c.backoff_capped(ms(500)), ms(1000));
    assert_eq!(c.backoff_capped(ms(4000)), ms(4000));
}

/// The table reports the earliest deadline and the earliest expired timer.
#[test]
fn table_set_stop_expired() {
    let base = std::time::Instant::now();
    let mut t = TimerTable::new();
    assert_eq!(t.next_timeout(), None);
    t.set(Timer::F, base + ms(32_000));
    t.set(Timer::E, base + ms(500));
    assert_eq!(t.next_timeout(), Some(base + ms(500)));
    assert_eq!(t.expired(base + ms(499)), None);
    assert_eq!(t.expired(base + ms(500)), Some(Timer::E));
    assert_eq!(t.expired(base + ms(40_000)), Some(Timer::E));
    t.stop(Timer::E);
    assert_eq!(t.get(Timer::E), None);
    assert_eq!(t.expired(base + ms(40_000)), Some(Timer::F));
    t.stop_all();
    assert_eq!(t.next_timeout(), None);
}

/// RFC 3261 §17 inputs refused by a machine surface as `TransactionError`, with a plain Display (no thiserror).
#[test]
fn error_display() {
    use crate::transaction::TransactionError as E;
    assert_eq!(E::Terminated.to_string(), "transaction is terminated");
    assert_eq!(E::InvalidStatus(42).to_string(), "invalid status code 42");
    assert!(E::UnexpectedAck.to_string().contains("ACK"));
    assert!(E::FinalAlreadySent.to_string().contains("final"));
}
