//! Timers of RFC 3261 §17 (Table 4, Appendix A) plus RFC 6026 Timers L and M.
//!
//! A machine owns one [`TimerTable`]; the shell only ever sees the earliest
//! deadline through `poll_timeout()` and arms a single OS timer for it.

use std::time::{Duration, Instant};

/// The transaction timers, named after RFC 3261 Table 4 and RFC 6026 §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Timer {
    /// INVITE request retransmit interval, unreliable transports (§17.1.1.2).
    A,
    /// INVITE transaction timeout, 64·T1 (§17.1.1.2).
    B,
    /// Proxy INVITE transaction timeout, > 3 min (§16.6 bullet 11); proxy core only.
    C,
    /// Wait time for response retransmits, ≥ 32 s unreliable / 0 reliable (§17.1.1.2).
    D,
    /// Non-INVITE request retransmit interval, unreliable only (§17.1.2.2).
    E,
    /// Non-INVITE transaction timeout, 64·T1 (§17.1.2.2).
    F,
    /// INVITE response retransmit interval, unreliable only (§17.2.1).
    G,
    /// Wait time for ACK receipt, 64·T1 (§17.2.1).
    H,
    /// Wait time for ACK retransmits, T4 unreliable / 0 reliable (§17.2.1).
    I,
    /// Wait time for non-INVITE request retransmits, 64·T1 / 0 (§17.2.2).
    J,
    /// Wait time for response retransmits, T4 / 0 (§17.1.2.2).
    K,
    /// Wait time for accepted INVITE request retransmits, 64·T1 (RFC 6026 §8.7).
    L,
    /// Wait time for retransmissions of 2xx to INVITE, 64·T1 (RFC 6026 §8.4).
    M,
    /// The "send 100 Trying if the TU won't in 200 ms" rule of §17.2.1.
    Trying,
}

impl Timer {
    /// Number of distinct timers.
    pub const COUNT: usize = 14;
    /// All timers, in declaration order (the tie-break order of [`TimerTable::expired`]).
    pub const ALL: [Timer; Timer::COUNT] = [
        Timer::A,
        Timer::B,
        Timer::C,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
        Timer::Trying,
    ];

    #[inline]
    fn index(self) -> usize {
        self as usize
    }
}

/// How many timers a machine can have armed at once: at most two are in the RFC machines
/// (E+F, A+B, G+H), with room to spare.
const ARMED: usize = 4;

/// Small fixed table of armed deadlines; no allocation. Four slots of (deadline, timer)
/// instead of one slot per [`Timer`]: every machine waits on at most two timers at once, and
/// a parked transaction's size matters (see `docs/benchmarks.md`).
#[derive(Debug, Clone, Default)]
pub struct TimerTable {
    slots: [Option<(Instant, Timer)>; ARMED],
}

impl TimerTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arm (or re-arm) `timer` to fire at `at`.
    #[inline]
    pub fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.slots.iter_mut().flatten().find(|(_, t)| *t == timer) {
            slot.0 = at;
            return;
        }
        if let Some(free) = self.slots.iter_mut().find(|s| s.is_none()) {
            *free = Some((at, timer));
            return;
        }
        // More timers than any machine arms: a bug in a machine, caught by its tests.
        debug_assert!(false, "more than {ARMED} timers armed");
        if let Some(last) = self.slots.iter_mut().max_by_key(|s| s.map(|(at, _)| at)) {
            *last = Some((at, timer));
        }
    }

    /// Disarm `timer`; harmless if it was not armed.
    #[inline]
    pub fn stop(&mut self, timer: Timer) {
        for s in self.slots.iter_mut() {
            if matches!(s, Some((_, t)) if *t == timer) {
                *s = None;
            }
        }
    }

    /// Disarm every timer.
    pub fn stop_all(&mut self) {
        self.slots = [None; ARMED];
    }

    /// Deadline of `timer`, if armed.
    #[inline]
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots
            .iter()
            .flatten()
            .find(|(_, t)| *t == timer)
            .map(|(at, _)| *at)
    }

    /// Earliest armed deadline.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.slots.iter().flatten().map(|(at, _)| *at).min()
    }

    /// The armed timer with the earliest deadline `<= now` (ties broken by
    /// declaration order), without disarming it.
    pub fn expired(&self, now: Instant) -> Option<Timer> {
        self.slots
            .iter()
            .flatten()
            .filter(|(at, _)| *at <= now)
            .min_by_key(|(at, t)| (*at, t.index()))
            .map(|(_, t)| *t)
    }
}

/// Timer base values (RFC 3261 §17.1.1.1, Table 4) and the derived durations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate, default 500 ms.
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s.
    pub t2: Duration,
    /// Maximum duration a message will remain in the network, default 5 s.
    pub t4: Duration,
    /// Proxy INVITE timeout (§16.6), default 180 s. Not used by the four
    /// machines: it belongs to the proxy core, which restarts it on each 1xx.
    pub timer_c: Duration,
    /// Delay before the INVITE server sends its own 100 Trying (§17.2.1), default 200 ms.
    pub trying_delay: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_c: Duration::from_secs(180),
            trying_delay: Duration::from_millis(200),
        }
    }
}

impl TimerConfig {
    /// 64·T1: Timers B, F, H, L, M (and J on unreliable transports).
    #[inline]
    pub fn t1x64(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: 32 s on unreliable transports, 0 on reliable (§17.1.1.2).
    #[inline]
    pub fn timer_d(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            Duration::from_secs(32)
        }
    }

    /// Timers I and K: T4 on unreliable transports, 0 on reliable (§17.2.1, §17.1.2.2).
    #[inline]
    pub fn timer_i_k(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t4
        }
    }

    /// Timer J: 64·T1 on unreliable transports, 0 on reliable (§17.2.2).
    #[inline]
    pub fn timer_j(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t1x64()
        }
    }

    /// Next doubling retransmit interval, capped at T2 (Timers E and G).
    #[inline]
    pub fn backoff_capped(&self, interval: Duration) -> Duration {
        (interval * 2).min(self.t2)
    }
}
