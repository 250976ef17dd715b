//! INVITE server transaction (RFC 3261 §17.2.1 as updated by RFC 6026 §8.7).

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::transaction::timer::{Timer, TimerConfig, TimerTable};
use crate::transaction::{status_class, Retransmission, Ring, TransactionError, TuEvent};

/// States of the INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as
/// replaced by RFC 6026 §7.1 / §8.7, Figure 7: a 2xx from the TU now leads to
/// "Accepted", where retransmitted INVITEs are absorbed until Timer L, and a
/// transport error no longer terminates the transaction).
///
/// ```text
///                                |INVITE
///                                |pass INV to TU
///             INVITE             V send 100 if TU won't in 200 ms
///             send response+------------+
///                 +--------|            |--------+ 101-199 from TU
///                 |        |            |        | send response
///                 +------->|            |<-------+
///                          | Proceeding |
///                          |            |--------+ Transport Err.
///                          |            |        | Inform TU
///                          |            |<-------+
///                          +------------+
///             300-699 from TU |    |2xx from TU
///             send response   |    |send response
///              +--------------+    +------------+
///              |                                |
/// INVITE       V          Timer G fires         |
/// send response+-----------+ send response      |
///     +--------|           |--------+           |
///     |        |           |        |           |
///     +------->| Completed |<-------+      INVITE  |  Transport Err.
///              |           |               -       |  Inform TU
///     +--------|           |----+          +-----+ |  +---+
///     |        +-----------+    | ACK      |     | v  |   v
///     |          ^   |          | -        |  +------------+
///     |          |   |          |          |  |            |---+ ACK
///     +----------+   |          |          +->|  Accepted  |   | to TU
///     Transport Err. |          |             |            |<--+
///     Inform TU      |          V             +------------+
///                    |      +-----------+        |  ^     |
///                    |      |           |        |  |     |
///                    |      | Confirmed |        |  +-----+
///                    |      |           |        |  2xx from TU
///      Timer H fires |      +-----------+        |  send response
///      -             |          |                |
///                    |          | Timer I fires  |
///                    |          | -              | Timer L fires
///                    |          V                | -
///                    |        +------------+     |
///                    |        |            |<----+
///                    +------->| Terminated |
///                             |            |
///                             +------------+
/// ```
///
/// (The machine also absorbs ACK retransmissions in Confirmed, §17.2.1.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerInviteState {
    /// INVITE passed to the TU; provisional responses may be sent.
    Proceeding,
    /// RFC 6026: a 2xx was sent; INVITE retransmissions absorbed until Timer L.
    Accepted,
    /// A 300-699 was sent; Timer G retransmits it (unreliable), Timer H waits for ACK.
    Completed,
    /// ACK received; Timer I absorbs ACK retransmissions.
    Confirmed,
    /// Done; the shell drops the machine.
    Terminated,
}

/// INVITE server transaction machine (§17.2.1, RFC 6026 §8.7).
#[derive(Debug, Clone)]
pub struct ServerInvite {
    state: ServerInviteState,
    reliable: bool,
    /// Current Timer G interval (doubles, capped at T2).
    interval: Duration,
    t2: Duration,
    timer_h: Duration,
    timer_i: Duration,
    timer_l: Duration,
    timers: TimerTable,
    /// The 100 Trying not yet sent (§17.2.1 200 ms rule).
    trying: Option<Bytes>,
    /// Last provisional sent, or the final once sent; re-sent on INVITE
    /// retransmission in Proceeding / Completed and by Timer G.
    last: Option<Bytes>,
    transmits: Ring<Bytes, 3>,
    events: Ring<TuEvent, 4>,
}

impl ServerInvite {
    /// A new INVITE was received and passed to the TU (§17.2.1).
    ///
    /// `trying` is the shell-built `100 Trying`; it is sent after
    /// `cfg.trying_delay` unless the TU sends a response first (a zero delay
    /// sends it at once). `None` disables the machine's own 100.
    pub fn new(trying: Option<Bytes>, reliable: bool, cfg: &TimerConfig, now: Instant) -> Self {
        let mut this = Self {
            state: ServerInviteState::Proceeding,
            reliable,
            interval: cfg.t1,
            t2: cfg.t2,
            timer_h: cfg.t1x64(),
            timer_i: cfg.timer_i_k(reliable),
            timer_l: cfg.t1x64(),
            timers: TimerTable::new(),
            trying: None,
            last: None,
            transmits: Ring::new(),
            events: Ring::new(),
        };
        if let Some(trying) = trying {
            if cfg.trying_delay.is_zero() {
                this.send(trying);
            } else {
                this.trying = Some(trying);
                this.timers.set(Timer::Trying, now + cfg.trying_delay);
            }
        }
        this
    }

    /// A retransmission of the INVITE matched this transaction (§17.2.3).
    ///
    /// Proceeding: the last provisional is re-sent (or the pending 100 Trying
    /// is sent early: the client is evidently retransmitting). Completed: the
    /// final is re-sent. Accepted (RFC 6026 §8.7) and Confirmed: absorbed.
    /// Never passed to the TU.
    pub fn handle_request_retransmit(
        &mut self,
        _now: Instant,
    ) -> Result<Retransmission, TransactionError> {
        match self.state {
            ServerInviteState::Terminated => Err(TransactionError::Terminated),
            ServerInviteState::Proceeding => {
                if let Some(trying) = self.trying.take() {
                    self.timers.stop(Timer::Trying);
                    self.send(trying);
                    Ok(Retransmission::Resent)
                } else {
                    Ok(self.resend_last())
                }
            }
            ServerInviteState::Completed => Ok(self.resend_last()),
            ServerInviteState::Accepted | ServerInviteState::Confirmed => {
                Ok(Retransmission::Absorbed)
            }
        }
    }

    /// The TU sends a response (`bytes` is its wire form).
    ///
    /// Proceeding: 1xx is sent and remembered; 2xx is sent and the machine
    /// enters Accepted (Timer L); 300-699 is sent and the machine enters
    /// Completed (Timer G on unreliable transports, Timer H). Accepted: further
    /// 2xx (the TU's own retransmissions, §13.3.1.4) pass through. Any other
    /// response after a final is refused with `FinalAlreadySent`.
    pub fn send_response(
        &mut self,
        status: u16,
        bytes: Bytes,
        now: Instant,
    ) -> Result<(), TransactionError> {
        let class = status_class(status)?;
        match (self.state, class) {
            (ServerInviteState::Terminated, _) => return Err(TransactionError::Terminated),
            (ServerInviteState::Accepted, 2) => {
                self.transmits.push(bytes);
                return Ok(());
            }
            (ServerInviteState::Proceeding, _) => {}
            _ => return Err(TransactionError::FinalAlreadySent),
        }
        // The TU answered: our own 100 is no longer needed (§17.2.1).
        self.trying = None;
        self.timers.stop(Timer::Trying);
        match class {
            1 => self.send(bytes),
            2 => {
                // RFC 6026 §8.7: the TU retransmits 2xx itself; no copy kept.
                self.transmits.push(bytes);
                self.last = None;
                self.state = ServerInviteState::Accepted;
                self.timers.set(Timer::L, now + self.timer_l);
            }
            _ => {
                self.send(bytes);
                self.state = ServerInviteState::Completed;
                if !self.reliable {
                    self.timers.set(Timer::G, now + self.interval);
                }
                self.timers.set(Timer::H, now + self.timer_h);
            }
        }
        Ok(())
    }

    /// An ACK matched this transaction (§17.2.3).
    ///
    /// Completed → Confirmed (Timer I, zero on reliable transports);
    /// Confirmed: absorbed; Accepted: passed to the TU as [`TuEvent::Ack`]
    /// (RFC 6026 §8.7); Proceeding: `UnexpectedAck`.
    pub fn handle_ack(&mut self, now: Instant) -> Result<(), TransactionError> {
        match self.state {
            ServerInviteState::Terminated => Err(TransactionError::Terminated),
            ServerInviteState::Proceeding => Err(TransactionError::UnexpectedAck),
            ServerInviteState::Accepted => {
                self.events.push(TuEvent::Ack);
                Ok(())
            }
            ServerInviteState::Confirmed => Ok(()),
            ServerInviteState::Completed => {
                self.timers.stop(Timer::G);
                self.timers.stop(Timer::H);
                self.state = ServerInviteState::Confirmed;
                self.last = None;
                if self.timer_i.is_zero() {
                    self.terminate();
                } else {
                    self.timers.set(Timer::I, now + self.timer_i);
                }
                Ok(())
            }
        }
    }

    /// Fire every timer whose deadline is `<= now`. Idempotent.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expired(now) {
            self.timers.stop(timer);
            match (timer, self.state) {
                (Timer::Trying, ServerInviteState::Proceeding) => {
                    if let Some(trying) = self.trying.take() {
                        self.send(trying);
                    }
                }
                (Timer::G, ServerInviteState::Completed) => {
                    // §17.2.1: MIN(2·interval, T2).
                    self.interval = (self.interval * 2).min(self.t2);
                    self.resend_last();
                    self.timers.set(Timer::G, now + self.interval);
                }
                (Timer::H, ServerInviteState::Completed) => {
                    self.events.push(TuEvent::Timeout);
                    self.terminate();
                }
                (Timer::I, ServerInviteState::Confirmed)
                | (Timer::L, ServerInviteState::Accepted) => self.terminate(),
                _ => {}
            }
        }
    }

    /// The transport failed to send a response (§17.2.4).
    ///
    /// RFC 6026 Figure 7: in Proceeding, Completed and Accepted the TU is
    /// informed and the machine **stays** (the TU may fail over to another
    /// target, §18.2.2 / RFC 3263; Timer H or L still bound the lifetime).
    /// Confirmed sends nothing, so a report there is stale and ignored.
    pub fn handle_transport_error(&mut self, _now: Instant) -> Result<(), TransactionError> {
        match self.state {
            ServerInviteState::Terminated => Err(TransactionError::Terminated),
            ServerInviteState::Confirmed => Ok(()),
            ServerInviteState::Proceeding
            | ServerInviteState::Completed
            | ServerInviteState::Accepted => {
                self.events.push(TuEvent::TransportError);
                Ok(())
            }
        }
    }

    /// Next buffer to hand to the transport.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop()
    }

    /// Earliest instant at which `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// Next event for the TU.
    pub fn poll_event(&mut self) -> Option<TuEvent> {
        self.events.pop()
    }

    /// Current state.
    pub fn state(&self) -> ServerInviteState {
        self.state
    }

    /// Whether the machine has reached Terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == ServerInviteState::Terminated
    }

    /// Whether the transport is reliable (no Timer G, I = 0).
    pub fn is_reliable(&self) -> bool {
        self.reliable
    }

    /// Queue `bytes` and remember it as the response to re-send.
    fn send(&mut self, bytes: Bytes) {
        self.transmits.push(bytes.clone());
        self.last = Some(bytes);
    }

    fn resend_last(&mut self) -> Retransmission {
        match &self.last {
            Some(last) => {
                self.transmits.push(last.clone());
                Retransmission::Resent
            }
            None => Retransmission::Absorbed,
        }
    }

    fn terminate(&mut self) {
        self.state = ServerInviteState::Terminated;
        self.timers.stop_all();
        self.trying = None;
        self.last = None;
        self.events.push(TuEvent::Terminated);
    }
}
