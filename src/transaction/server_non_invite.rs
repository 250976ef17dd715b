//! Non-INVITE server transaction (RFC 3261 §17.2.2).

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::transaction::timer::{Timer, TimerConfig, TimerTable};
use crate::transaction::{status_class, Retransmission, Ring, TransactionError, TuEvent};

/// States of the non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8;
/// RFC 6026 leaves this machine unchanged).
///
/// ```text
///                                   |Request received
///                                   |pass to TU
///                                   V
///                             +-----------+
///                             |           |
///                             | Trying    |-------------+
///                             |           |             |
///                             +-----------+             |200-699 from TU
///                                   |                   |send response
///                                   |1xx from TU        |
///                                   |send response      |
///                                   |                   |
///                Request            V      1xx from TU  |
///                send response+-----------+send response|
///                    +--------|           |--------+    |
///                    |        | Proceeding|        |    |
///                    +------->|           |<-------+    |
///             +<--------------|           |             |
///             |Trnsprt Err    +-----------+             |
///             |Inform TU            |                   |
///             |                     |                   |
///             |                     |200-699 from TU    |
///             |                     |send response      |
///             |  Request            V                   |
///             |  send response+-----------+             |
///             |      +--------|           |             |
///             |      |        | Completed |<------------+
///             |      +------->|           |
///             +<--------------|           |
///             |Trnsprt Err    +-----------+
///             |Inform TU            |
///             |                     |Timer J fires
///             |                     |-
///             |                     |
///             |                     V
///             |               +-----------+
///             |               |           |
///             +-------------->| Terminated|
///                             |           |
///                             +-----------+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerNonInviteState {
    /// Request passed to the TU; nothing sent yet; retransmissions discarded.
    Trying,
    /// A 1xx was sent; retransmissions re-send it.
    Proceeding,
    /// The final was sent; retransmissions re-send it until Timer J.
    Completed,
    /// Done; the shell drops the machine.
    Terminated,
}

/// Non-INVITE server transaction machine (§17.2.2).
#[derive(Debug, Clone)]
pub struct ServerNonInvite {
    state: ServerNonInviteState,
    reliable: bool,
    timer_j: Duration,
    timers: TimerTable,
    /// Last response sent (provisional, then final).
    last: Option<Bytes>,
    transmits: Ring<Bytes, 3>,
    events: Ring<TuEvent, 4>,
}

impl ServerNonInvite {
    /// A new non-INVITE request was received and passed to the TU (§17.2.2).
    pub fn new(reliable: bool, cfg: &TimerConfig, _now: Instant) -> Self {
        Self {
            state: ServerNonInviteState::Trying,
            reliable,
            timer_j: cfg.timer_j(reliable),
            timers: TimerTable::new(),
            last: None,
            transmits: Ring::new(),
            events: Ring::new(),
        }
    }

    /// A retransmission of the request matched this transaction (§17.2.3).
    ///
    /// Trying: discarded. Proceeding / Completed: the last response is re-sent.
    /// Never passed to the TU.
    pub fn handle_request_retransmit(
        &mut self,
        _now: Instant,
    ) -> Result<Retransmission, TransactionError> {
        if self.is_terminated() {
            return Err(TransactionError::Terminated);
        }
        match &self.last {
            Some(last) => {
                self.transmits.push(last.clone());
                Ok(Retransmission::Resent)
            }
            None => Ok(Retransmission::Absorbed),
        }
    }

    /// The TU sends a response (`bytes` is its wire form).
    ///
    /// 1xx: Proceeding. 200-699: Completed with Timer J (64·T1 unreliable;
    /// zero on reliable transports, i.e. straight to Terminated). After the
    /// final: `FinalAlreadySent`.
    pub fn send_response(
        &mut self,
        status: u16,
        bytes: Bytes,
        now: Instant,
    ) -> Result<(), TransactionError> {
        let class = status_class(status)?;
        match self.state {
            ServerNonInviteState::Terminated => return Err(TransactionError::Terminated),
            ServerNonInviteState::Completed => return Err(TransactionError::FinalAlreadySent),
            ServerNonInviteState::Trying | ServerNonInviteState::Proceeding => {}
        }
        self.transmits.push(bytes.clone());
        if class == 1 {
            self.last = Some(bytes);
            self.state = ServerNonInviteState::Proceeding;
        } else {
            self.state = ServerNonInviteState::Completed;
            if self.timer_j.is_zero() {
                self.terminate();
            } else {
                self.last = Some(bytes);
                self.timers.set(Timer::J, now + self.timer_j);
            }
        }
        Ok(())
    }

    /// Fire every timer whose deadline is `<= now`. Idempotent.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expired(now) {
            self.timers.stop(timer);
            if timer == Timer::J && self.state == ServerNonInviteState::Completed {
                self.terminate();
            }
        }
    }

    /// The transport failed to send a response (§17.2.4): inform the TU and terminate.
    pub fn handle_transport_error(&mut self, _now: Instant) -> Result<(), TransactionError> {
        match self.state {
            ServerNonInviteState::Terminated => Err(TransactionError::Terminated),
            // Nothing has been sent in Trying; a report is stale.
            ServerNonInviteState::Trying => Ok(()),
            ServerNonInviteState::Proceeding | ServerNonInviteState::Completed => {
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
    pub fn state(&self) -> ServerNonInviteState {
        self.state
    }

    /// Whether the machine has reached Terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == ServerNonInviteState::Terminated
    }

    /// Whether the transport is reliable (J = 0).
    pub fn is_reliable(&self) -> bool {
        self.reliable
    }

    fn terminate(&mut self) {
        self.state = ServerNonInviteState::Terminated;
        self.timers.stop_all();
        self.last = None;
        self.events.push(TuEvent::Terminated);
    }
}
