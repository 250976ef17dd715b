//! INVITE client transaction (RFC 3261 §17.1.1 as updated by RFC 6026 §8.4).

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::transaction::timer::{Timer, TimerConfig, TimerTable};
use crate::transaction::{status_class, Ring, TransactionError, TuEvent};

/// States of the INVITE client transaction (RFC 3261 §17.1.1.2, Figure 5, as
/// replaced by RFC 6026 §7.2 / §8.4, Figure 5: a 2xx now leads to "Accepted"
/// instead of straight to Terminated).
///
/// ```text
///                                |INVITE from TU
///              Timer A fires     |INVITE sent      Timer B fires
///              Reset A,          V                 or Transport Err.
///              INVITE sent +-----------+           inform TU
///                +---------|           |--------------------------+
///                |         |  Calling  |                          |
///                +-------->|           |-----------+              |
///   300-699                +-----------+ 2xx       |              |
///   ACK sent                  |  |       2xx to TU |              |
///   resp. to TU               |  |1xx              |              |
///   +-------------------------+  |1xx to TU        |              |
///   |                            |                 |              |
///   |                1xx         V                 |              |
///   |                1xx to TU +-----------+       |              |
///   |                +---------|           |       |              |
///   |                |         |Proceeding |       |              |
///   |                +-------->|           |       |              |
///   |                          +-----------+ 2xx   |              |
///   |         300-699             |    |   2xx to TU              |
///   |         ACK sent,  +--------+    +---------->+              |
///   |         resp. to TU|                         |              |
///   |                    |                         V              |
///   |                    |                   +-----------+        |
///   |                    |                   |           |        |
///   |                    |                   | Accepted  |---+ 2xx|
///   |                    |                   |           |   | 2xx to TU
///   |                    |                   |           |<--+    |
///   |                    |                   +-----------+        |
///   |                    |                         |              |
///   |  300-699           V                         | Timer M fires|
///   |  ACK sent    +-----------+ Transport Err.    | -            |
///   |  +-----------|           | Inform TU         |              |
///   |  |           | Completed |------------------------------->|
///   |  +---------->|           |                   |              |
///   |              +-----------+                   |              |
///   |                ^   |                         |              |
///   |                |   | Timer D fires           |              |
///   +----------------+   | -                       |              |
///                        |                         |              |
///                        V                         |              |
///                  +-----------+                   |              |
///                  |           |<------------------+              |
///                  | Terminated|                                  |
///                  |           |<---------------------------------+
///                  +-----------+
///
///          NOTE: transitions labeled with the event over the action to take
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientInviteState {
    /// INVITE sent; Timer A retransmits (unreliable), Timer B runs.
    Calling,
    /// A 1xx arrived; no more retransmissions (the proxy's Timer C takes over).
    Proceeding,
    /// RFC 6026: a 2xx arrived; further 2xx go to the TU until Timer M.
    Accepted,
    /// A 300-699 arrived and was ACKed; Timer D absorbs retransmissions.
    Completed,
    /// Done; the shell drops the machine.
    Terminated,
}

/// INVITE client transaction machine (§17.1.1, RFC 6026 §8.4).
#[derive(Debug, Clone)]
pub struct ClientInvite {
    state: ClientInviteState,
    reliable: bool,
    /// Current Timer A interval (doubles, uncapped: §17.1.1.2).
    interval: Duration,
    timer_d: Duration,
    timer_m: Duration,
    timers: TimerTable,
    /// The INVITE, kept for Timer A retransmissions.
    request: Bytes,
    /// The ACK for the non-2xx final, built once, re-sent on each retransmitted final.
    ack: Option<Bytes>,
    transmits: Ring<Bytes, 2>,
    events: Ring<TuEvent, 4>,
}

impl ClientInvite {
    /// Start the transaction: the INVITE is queued for transmission, Timer B is
    /// set to 64·T1 and, on unreliable transports, Timer A to T1 (§17.1.1.2).
    pub fn new(request: Bytes, reliable: bool, cfg: &TimerConfig, now: Instant) -> Self {
        let mut timers = TimerTable::new();
        timers.set(Timer::B, now + cfg.t1x64());
        if !reliable {
            timers.set(Timer::A, now + cfg.t1);
        }
        let mut transmits = Ring::new();
        transmits.push(request.clone());
        Self {
            state: ClientInviteState::Calling,
            reliable,
            interval: cfg.t1,
            timer_d: cfg.timer_d(reliable),
            timer_m: cfg.t1x64(),
            timers,
            request,
            ack: None,
            transmits,
            events: Ring::new(),
        }
    }

    /// A response matched this transaction (§17.1.3).
    ///
    /// `ack` builds the ACK for a 300-699 final (§17.1.1.3); it is called only
    /// for the first such final, and the machine keeps the bytes to re-send on
    /// each retransmission of that final (which is not passed to the TU).
    pub fn handle_response(
        &mut self,
        status: u16,
        now: Instant,
        ack: impl FnOnce() -> Bytes,
    ) -> Result<(), TransactionError> {
        let class = status_class(status)?;
        match (self.state, class) {
            (ClientInviteState::Terminated, _) => return Err(TransactionError::Terminated),
            (ClientInviteState::Calling | ClientInviteState::Proceeding, 1) => {
                // §17.1.1.2: stop retransmitting; Timer B only guards Calling.
                self.timers.stop(Timer::A);
                self.timers.stop(Timer::B);
                self.state = ClientInviteState::Proceeding;
                self.events.push(TuEvent::Response { status });
            }
            (ClientInviteState::Calling | ClientInviteState::Proceeding, 2) => {
                // RFC 6026 §8.4: the TU ACKs 2xx itself; we linger in Accepted.
                self.timers.stop(Timer::A);
                self.timers.stop(Timer::B);
                self.state = ClientInviteState::Accepted;
                self.timers.set(Timer::M, now + self.timer_m);
                self.events.push(TuEvent::Response { status });
            }
            (ClientInviteState::Calling | ClientInviteState::Proceeding, _) => {
                self.timers.stop(Timer::A);
                self.timers.stop(Timer::B);
                let ack = ack();
                self.transmits.push(ack.clone());
                self.ack = Some(ack);
                self.request = Bytes::new();
                self.state = ClientInviteState::Completed;
                self.events.push(TuEvent::Response { status });
                if self.timer_d.is_zero() {
                    self.terminate();
                } else {
                    self.timers.set(Timer::D, now + self.timer_d);
                }
            }
            // RFC 6026 §8.4: retransmitted (or forked) 2xx go to the TU.
            (ClientInviteState::Accepted, 2) => self.events.push(TuEvent::Response { status }),
            (ClientInviteState::Accepted, _) => {}
            // §17.1.1.2: retransmitted finals are ACKed again, not passed up.
            (ClientInviteState::Completed, 3..=6) => {
                if let Some(ack) = &self.ack {
                    self.transmits.push(ack.clone());
                }
            }
            (ClientInviteState::Completed, _) => {}
        }
        Ok(())
    }

    /// Fire every timer whose deadline is `<= now`. Idempotent.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expired(now) {
            self.timers.stop(timer);
            match (timer, self.state) {
                (Timer::A, ClientInviteState::Calling) => {
                    // §17.1.1.2: 2·previous interval, no T2 cap for INVITE.
                    self.interval *= 2;
                    self.transmits.push(self.request.clone());
                    self.timers.set(Timer::A, now + self.interval);
                }
                (Timer::B, ClientInviteState::Calling) => {
                    self.events.push(TuEvent::Timeout);
                    self.terminate();
                }
                (Timer::D, ClientInviteState::Completed)
                | (Timer::M, ClientInviteState::Accepted) => self.terminate(),
                _ => {}
            }
        }
    }

    /// The transport failed to send the INVITE or the ACK (§17.1.4, Figure 5):
    /// inform the TU and terminate.
    pub fn handle_transport_error(&mut self, _now: Instant) -> Result<(), TransactionError> {
        match self.state {
            ClientInviteState::Terminated => Err(TransactionError::Terminated),
            // The machine sends nothing in these states; a late report is stale.
            ClientInviteState::Proceeding | ClientInviteState::Accepted => Ok(()),
            ClientInviteState::Calling | ClientInviteState::Completed => {
                self.events.push(TuEvent::TransportError);
                self.terminate();
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
    pub fn state(&self) -> ClientInviteState {
        self.state
    }

    /// Whether the machine has reached Terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == ClientInviteState::Terminated
    }

    /// Whether the transport is reliable (no Timer A, D = 0).
    pub fn is_reliable(&self) -> bool {
        self.reliable
    }

    fn terminate(&mut self) {
        self.state = ClientInviteState::Terminated;
        self.timers.stop_all();
        self.request = Bytes::new();
        self.ack = None;
        self.events.push(TuEvent::Terminated);
    }
}
