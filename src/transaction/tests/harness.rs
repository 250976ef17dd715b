//! Pair-style harness (modelled on quinn-proto's `tests/util.rs` `Pair`):
//! one client machine and one server machine joined by a simulated link, all
//! in virtual time. Nothing sleeps and nothing touches a socket.
//!
//! Wire format of the simulation (the machines never look inside):
//! requests are their method name (`"INVITE"`, `"OPTIONS"`, `"ACK"`),
//! responses are their status code as text (`"180"`, `"486"`).

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::transaction::{
    ClientInvite, ClientNonInvite, ServerInvite, ServerNonInvite, TimerConfig, TransactionError,
    TuEvent,
};

/// Milliseconds as a `Duration`.
pub(super) fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// Seconds-with-fraction list → durations (test readability).
pub(super) fn secs(v: &[f64]) -> Vec<Duration> {
    v.iter().map(|s| Duration::from_secs_f64(*s)).collect()
}

/// Common driving surface of the four machines.
pub(super) trait Machine {
    fn poll_transmit(&mut self) -> Option<Bytes>;
    fn poll_event(&mut self) -> Option<TuEvent>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_timeout(&mut self, now: Instant);
    fn is_terminated(&self) -> bool;
}

/// Client machines: receive responses.
pub(super) trait ClientMachine: Machine {
    fn on_response(&mut self, status: u16, now: Instant);
}

/// Server machines: receive retransmitted requests and ACKs, send TU responses.
pub(super) trait ServerMachine: Machine {
    fn on_retransmit(&mut self, now: Instant);
    fn on_ack(&mut self, now: Instant);
    fn respond(&mut self, status: u16, bytes: Bytes, now: Instant) -> Result<(), TransactionError>;
}

macro_rules! impl_machine {
    ($t:ty) => {
        impl Machine for $t {
            fn poll_transmit(&mut self) -> Option<Bytes> {
                <$t>::poll_transmit(self)
            }
            fn poll_event(&mut self) -> Option<TuEvent> {
                <$t>::poll_event(self)
            }
            fn poll_timeout(&self) -> Option<Instant> {
                <$t>::poll_timeout(self)
            }
            fn handle_timeout(&mut self, now: Instant) {
                <$t>::handle_timeout(self, now)
            }
            fn is_terminated(&self) -> bool {
                <$t>::is_terminated(self)
            }
        }
    };
}

impl_machine!(ClientInvite);
impl_machine!(ClientNonInvite);
impl_machine!(ServerInvite);
impl_machine!(ServerNonInvite);

impl ClientMachine for ClientInvite {
    fn on_response(&mut self, status: u16, now: Instant) {
        self.handle_response(status, now, || Bytes::from_static(b"ACK"))
            .expect("response accepted");
    }
}

impl ClientMachine for ClientNonInvite {
    fn on_response(&mut self, status: u16, now: Instant) {
        self.handle_response(status, now)
            .expect("response accepted");
    }
}

impl ServerMachine for ServerInvite {
    fn on_retransmit(&mut self, now: Instant) {
        self.handle_request_retransmit(now).expect("retransmit");
    }
    fn on_ack(&mut self, now: Instant) {
        self.handle_ack(now).expect("ack");
    }
    fn respond(&mut self, status: u16, bytes: Bytes, now: Instant) -> Result<(), TransactionError> {
        self.send_response(status, bytes, now)
    }
}

impl ServerMachine for ServerNonInvite {
    fn on_retransmit(&mut self, now: Instant) {
        self.handle_request_retransmit(now).expect("retransmit");
    }
    fn on_ack(&mut self, _now: Instant) {
        panic!("ACK sent to a non-INVITE server transaction");
    }
    fn respond(&mut self, status: u16, bytes: Bytes, now: Instant) -> Result<(), TransactionError> {
        self.send_response(status, bytes, now)
    }
}

/// Direction of a transmit on the simulated link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    ClientToServer,
    ServerToClient,
}

/// One transmit, as recorded by the link.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    /// Offset from the epoch at which the machine emitted it.
    pub(super) at: Duration,
    pub(super) dir: Dir,
    pub(super) bytes: Bytes,
    pub(super) dropped: bool,
}

/// A client and a server machine on a lossy, delaying link in virtual time.
pub(super) struct Pair<C: ClientMachine, S: ServerMachine> {
    pub(super) epoch: Instant,
    pub(super) time: Instant,
    /// One-way latency.
    pub(super) latency: Duration,
    pub(super) cfg: TimerConfig,
    pub(super) client: C,
    /// Created when the first request reaches the server side.
    pub(super) server: Option<S>,
    make_server: fn(&TimerConfig, Instant) -> S,
    /// 1-based ordinals of client→server transmits that the link drops.
    pub(super) drop_c2s: Vec<usize>,
    /// 1-based ordinals of server→client transmits that the link drops.
    pub(super) drop_s2c: Vec<usize>,
    count_c2s: usize,
    count_s2c: usize,
    in_flight: Vec<(Instant, Dir, Bytes)>,
    /// Server TU script: (offset from epoch, status) responses to send.
    script: Vec<(Duration, u16)>,
    /// Every transmit, in order.
    pub(super) log: Vec<Sent>,
    pub(super) client_events: Vec<(Duration, TuEvent)>,
    pub(super) server_events: Vec<(Duration, TuEvent)>,
    /// Responses the TU tried to send but the machine refused.
    pub(super) refused: Vec<(Duration, u16, TransactionError)>,
}

impl<C: ClientMachine, S: ServerMachine> Pair<C, S> {
    /// Build a pair: `make_client` creates (and thereby sends) the request at the epoch.
    pub(super) fn new(
        cfg: TimerConfig,
        latency: Duration,
        make_client: impl FnOnce(&TimerConfig, Instant) -> C,
        make_server: fn(&TimerConfig, Instant) -> S,
    ) -> Self {
        // The only clock read: a base for the virtual clock.
        let epoch = Instant::now();
        let client = make_client(&cfg, epoch);
        // The client's first transmit is flushed by the first `step`/`run_until`,
        // so loss patterns set after `new` apply to it too.
        Self {
            epoch,
            time: epoch,
            latency,
            cfg,
            client,
            server: None,
            make_server,
            drop_c2s: Vec::new(),
            drop_s2c: Vec::new(),
            count_c2s: 0,
            count_s2c: 0,
            in_flight: Vec::new(),
            script: Vec::new(),
            log: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Schedule the server TU to send `status` at `at` after the epoch.
    pub(super) fn respond_at(&mut self, at: Duration, status: u16) -> &mut Self {
        self.script.push((at, status));
        self.script.sort_by_key(|(t, _)| *t);
        self
    }

    /// Current virtual time as an offset from the epoch.
    pub(super) fn elapsed(&self) -> Duration {
        self.time - self.epoch
    }

    fn flush(&mut self) {
        let at = self.elapsed();
        while let Some(bytes) = self.client.poll_transmit() {
            self.count_c2s += 1;
            let dropped = self.drop_c2s.contains(&self.count_c2s);
            self.link(at, Dir::ClientToServer, bytes, dropped);
        }
        while let Some(ev) = self.client.poll_event() {
            self.client_events.push((at, ev));
        }
        if let Some(server) = self.server.as_mut() {
            let mut out = Vec::new();
            while let Some(bytes) = server.poll_transmit() {
                out.push(bytes);
            }
            while let Some(ev) = server.poll_event() {
                self.server_events.push((at, ev));
            }
            for bytes in out {
                self.count_s2c += 1;
                let dropped = self.drop_s2c.contains(&self.count_s2c);
                self.link(at, Dir::ServerToClient, bytes, dropped);
            }
        }
    }

    fn link(&mut self, at: Duration, dir: Dir, bytes: Bytes, dropped: bool) {
        self.log.push(Sent {
            at,
            dir,
            bytes: bytes.clone(),
            dropped,
        });
        if !dropped {
            self.in_flight.push((self.time + self.latency, dir, bytes));
        }
    }

    fn deliver(&mut self, dir: Dir, bytes: Bytes) {
        let now = self.time;
        match dir {
            Dir::ServerToClient => {
                let status: u16 = std::str::from_utf8(&bytes).unwrap().parse().unwrap();
                if !self.client.is_terminated() {
                    self.client.on_response(status, now);
                }
            }
            Dir::ClientToServer => match (&bytes[..], self.server.as_mut()) {
                (b"ACK", Some(server)) if !server.is_terminated() => server.on_ack(now),
                (b"ACK", _) => {}
                (_, None) => self.server = Some((self.make_server)(&self.cfg, now)),
                (_, Some(server)) if !server.is_terminated() => server.on_retransmit(now),
                (_, Some(_)) => {}
            },
        }
    }

    /// Process everything due at the current instant.
    fn drive_now(&mut self) {
        loop {
            let now = self.time;
            let mut progress = false;
            if let Some(i) = (0..self.in_flight.len())
                .filter(|&i| self.in_flight[i].0 <= now)
                .min_by_key(|&i| self.in_flight[i].0)
            {
                let (_, dir, bytes) = self.in_flight.remove(i);
                self.deliver(dir, bytes);
                progress = true;
            } else if self
                .script
                .first()
                .is_some_and(|(t, _)| self.epoch + *t <= now)
            {
                let (_, status) = self.script.remove(0);
                if let Some(server) = self.server.as_mut() {
                    let bytes = Bytes::from(status.to_string());
                    if let Err(e) = server.respond(status, bytes, now) {
                        self.refused.push((now - self.epoch, status, e));
                    }
                }
                progress = true;
            } else if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.handle_timeout(now);
                progress = true;
            } else if let Some(server) = self.server.as_mut() {
                if server.poll_timeout().is_some_and(|t| t <= now) {
                    server.handle_timeout(now);
                    progress = true;
                }
            }
            self.flush();
            if !progress {
                break;
            }
        }
    }

    fn next_wakeup(&self) -> Option<Instant> {
        let server_t = self.server.as_ref().and_then(|s| s.poll_timeout());
        [
            self.client.poll_timeout(),
            server_t,
            self.in_flight.iter().map(|f| f.0).min(),
            self.script.first().map(|(t, _)| self.epoch + *t),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advance to the next interesting instant; false when idle.
    pub(super) fn step(&mut self) -> bool {
        self.drive_now();
        match self.next_wakeup() {
            Some(t) => {
                self.time = self.time.max(t);
                true
            }
            None => false,
        }
    }

    /// Run until both sides are idle (bounded, so a bug cannot hang the suite).
    pub(super) fn drive(&mut self) {
        for _ in 0..10_000 {
            if !self.step() {
                return;
            }
        }
        panic!("pair never became idle");
    }

    /// Run every event due at or before `until` (offset from the epoch), then
    /// leave the clock at `until`.
    pub(super) fn run_until(&mut self, until: Duration) {
        let deadline = self.epoch + until;
        loop {
            self.drive_now();
            match self.next_wakeup() {
                Some(t) if t <= deadline => self.time = self.time.max(t),
                _ => break,
            }
        }
        self.time = self.time.max(deadline);
        self.drive_now();
    }

    /// Send offsets of the transmits in `dir` whose bytes are `what`.
    pub(super) fn sent(&self, dir: Dir, what: &str) -> Vec<Duration> {
        self.log
            .iter()
            .filter(|s| s.dir == dir && &s.bytes[..] == what.as_bytes())
            .map(|s| s.at)
            .collect()
    }

    pub(super) fn server(&self) -> &S {
        self.server.as_ref().expect("server transaction created")
    }

    /// Client events without their timestamps.
    pub(super) fn client_event_kinds(&self) -> Vec<TuEvent> {
        self.client_events.iter().map(|(_, e)| *e).collect()
    }
}

/// Constructors used as `make_client` / `make_server`.
pub(super) fn invite_client(reliable: bool) -> impl FnOnce(&TimerConfig, Instant) -> ClientInvite {
    move |cfg, now| ClientInvite::new(Bytes::from_static(b"INVITE"), reliable, cfg, now)
}

pub(super) fn non_invite_client(
    reliable: bool,
) -> impl FnOnce(&TimerConfig, Instant) -> ClientNonInvite {
    move |cfg, now| ClientNonInvite::new(Bytes::from_static(b"OPTIONS"), reliable, cfg, now)
}

pub(super) fn invite_server_udp(cfg: &TimerConfig, now: Instant) -> ServerInvite {
    ServerInvite::new(Some(Bytes::from_static(b"100")), false, cfg, now)
}

pub(super) fn invite_server_tcp(cfg: &TimerConfig, now: Instant) -> ServerInvite {
    ServerInvite::new(Some(Bytes::from_static(b"100")), true, cfg, now)
}

pub(super) fn non_invite_server_udp(cfg: &TimerConfig, now: Instant) -> ServerNonInvite {
    ServerNonInvite::new(false, cfg, now)
}

pub(super) fn non_invite_server_tcp(cfg: &TimerConfig, now: Instant) -> ServerNonInvite {
    ServerNonInvite::new(true, cfg, now)
}

/// A single machine driven alone in virtual time (for server-side and
/// error-path tests where a peer adds nothing).
pub(super) struct Solo<M: Machine> {
    pub(super) epoch: Instant,
    pub(super) m: M,
    /// Every transmit with its offset from the epoch.
    pub(super) out: Vec<(Duration, Bytes)>,
    pub(super) events: Vec<(Duration, TuEvent)>,
}

impl<M: Machine> Solo<M> {
    /// `make` receives the epoch (t = 0).
    pub(super) fn new(make: impl FnOnce(Instant) -> M) -> Self {
        let epoch = Instant::now();
        let mut solo = Self {
            epoch,
            m: make(epoch),
            out: Vec::new(),
            events: Vec::new(),
        };
        solo.flush(Duration::ZERO);
        solo
    }

    fn flush(&mut self, at: Duration) {
        while let Some(b) = self.m.poll_transmit() {
            self.out.push((at, b));
        }
        while let Some(e) = self.m.poll_event() {
            self.events.push((at, e));
        }
    }

    /// Apply an input at offset `at`, then drain outputs.
    pub(super) fn input<R>(&mut self, at: Duration, f: impl FnOnce(&mut M, Instant) -> R) -> R {
        let r = f(&mut self.m, self.epoch + at);
        self.flush(at);
        r
    }

    /// Fire timers exactly at their deadlines up to and including `until`.
    pub(super) fn run_timers_until(&mut self, until: Duration) {
        while let Some(t) = self.m.poll_timeout() {
            if t > self.epoch + until {
                break;
            }
            self.m.handle_timeout(t);
            self.flush(t - self.epoch);
        }
    }

    /// Offsets of transmits whose bytes are `what`.
    pub(super) fn sent(&self, what: &str) -> Vec<Duration> {
        self.out
            .iter()
            .filter(|(_, b)| &b[..] == what.as_bytes())
            .map(|(t, _)| *t)
            .collect()
    }

    pub(super) fn event_kinds(&self) -> Vec<TuEvent> {
        self.events.iter().map(|(_, e)| *e).collect()
    }
}
