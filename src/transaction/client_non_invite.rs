//! Non-INVITE client transaction (RFC 3261 §17.1.2).

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::transaction::timer::{Timer, TimerConfig, TimerTable};
use crate::transaction::{status_class, Ring, TransactionError, TuEvent};

/// States of the non-INVITE client transaction (RFC 3261 §17.1.2.2, Figure 6;
/// RFC 6026 leaves this machine unchanged).
///
/// ```text
///                                    |Request from TU
///                                    |send request
///                Timer E             V
///                send request  +-----------+
///                    +---------|           |-------------------+
///                    |         |  Trying   |  Timer F          |
///                    +-------->|           |  or Transport Err.|
///                              +-----------+  inform TU        |
///                 200-699         |  |                         |
///                 resp. to TU     |  |1xx                      |
///                 +---------------+  |resp. to TU              |
///                 |                  |                         |
///                 |   Timer E        V       Timer F           |
///                 |   send req +-----------+ or Transport Err. |
///                 |  +---------|           | inform TU         |
///                 |  |         |Proceeding |------------------>|
///                 |  +-------->|           |-----+             |
///                 |            +-----------+     |1xx          |
///                 |              |      ^        |resp to TU   |
///                 | 200-699      |      +--------+             |
///                 | resp. to TU  |                             |
///                 |              |                             |
///                 |              V                             |
///                 |            +-----------+                   |
///                 |            |           |                   |
///                 |            | Completed |                   |
///                 |            |           |                   |
///                 |            +-----------+                   |
///                 |              ^   |                         |
///                 |              |   | Timer K                 |
///                 +--------------+   | -                       |
///                                    |                         |
///                                    V                         |
///              NOTE:           +-----------+                   |
///                              |           |                   |
///          transitions         | Terminated|<------------------+
///          labeled with        |           |
///          the event           +-----------+
///          over the action
///          to take
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientNonInviteState {
    /// Request sent, no response yet; Timer E retransmits (unreliable), F runs.
    Trying,
    /// A 1xx arrived; Timer E continues at T2, F runs.
    Proceeding,
    /// Final received; Timer K absorbs response retransmissions.
    Completed,
    /// Done; the shell drops the machine.
    Terminated,
}

/// Non-INVITE client transaction machine (§17.1.2).
#[derive(Debug, Clone)]
pub struct ClientNonInvite {
    state: ClientNonInviteState,
    reliable: bool,
    /// Current Timer E interval (doubles, capped at T2).
    interval: Duration,
    t2: Duration,
    timer_k: Duration,
    timers: TimerTable,
    request: Bytes,
    transmits: Ring<Bytes, 2>,
    events: Ring<TuEvent, 4>,
}

impl ClientNonInvite {
    /// Start the transaction: `request` is queued for transmission at once,
    /// Timer F is set to 64·T1 and, on unreliable transports, Timer E to T1
    /// (§17.1.2.2).
    pub fn new(request: Bytes, reliable: bool, cfg: &TimerConfig, now: Instant) -> Self {
        let mut timers = TimerTable::new();
        timers.set(Timer::F, now + cfg.t1x64());
        if !reliable {
            timers.set(Timer::E, now + cfg.t1);
        }
        let mut transmits = Ring::new();
        transmits.push(request.clone());
        Self {
            state: ClientNonInviteState::Trying,
            reliable,
            interval: cfg.t1,
            t2: cfg.t2,
            timer_k: cfg.timer_i_k(reliable),
            timers,
            request,
            transmits,
            events: Ring::new(),
        }
    }

    /// A response matched this transaction (§17.1.3).
    ///
    /// 1xx moves Trying to Proceeding; 200-699 moves to Completed (Timer K).
    /// Every response in Trying/Proceeding is passed to the TU; retransmitted
    /// finals in Completed are absorbed.
    pub fn handle_response(&mut self, status: u16, now: Instant) -> Result<(), TransactionError> {
        let class = status_class(status)?;
        match self.state {
            ClientNonInviteState::Terminated => return Err(TransactionError::Terminated),
            ClientNonInviteState::Completed => return Ok(()),
            ClientNonInviteState::Trying | ClientNonInviteState::Proceeding => {}
        }
        self.events.push(TuEvent::Response { status });
        if class == 1 {
            // §17.1.2.2: Timer E keeps running; it is reset to T2 when it next fires.
            self.state = ClientNonInviteState::Proceeding;
        } else {
            self.timers.stop(Timer::E);
            self.timers.stop(Timer::F);
            self.state = ClientNonInviteState::Completed;
            if self.timer_k.is_zero() {
                self.terminate();
            } else {
                self.timers.set(Timer::K, now + self.timer_k);
            }
        }
        Ok(())
    }

    /// Fire every timer whose deadline is `<= now`. Idempotent.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expired(now) {
            self.timers.stop(timer);
            match (timer, self.state) {
                (Timer::E, ClientNonInviteState::Trying) => {
                    // §17.1.2.2: MIN(2·interval, T2).
                    self.interval = (self.interval * 2).min(self.t2);
                    self.retransmit(now);
                }
                (Timer::E, ClientNonInviteState::Proceeding) => {
                    self.interval = self.t2;
                    self.retransmit(now);
                }
                (Timer::F, ClientNonInviteState::Trying | ClientNonInviteState::Proceeding) => {
                    self.events.push(TuEvent::Timeout);
                    self.terminate();
                }
                (Timer::K, ClientNonInviteState::Completed) => self.terminate(),
                _ => {}
            }
        }
    }

    /// The transport failed to send the request (§17.1.4): inform the TU and terminate.
    pub fn handle_transport_error(&mut self, _now: Instant) -> Result<(), TransactionError> {
        match self.state {
            ClientNonInviteState::Terminated => Err(TransactionError::Terminated),
            // Nothing is sent in Completed; a late report is stale.
            ClientNonInviteState::Completed => Ok(()),
            _ => {
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
    pub fn state(&self) -> ClientNonInviteState {
        self.state
    }

    /// Whether the machine has reached Terminated.
    pub fn is_terminated(&self) -> bool {
        self.state == ClientNonInviteState::Terminated
    }

    /// Whether the transport is reliable (no retransmissions, K = 0).
    pub fn is_reliable(&self) -> bool {
        self.reliable
    }

    fn retransmit(&mut self, now: Instant) {
        self.transmits.push(self.request.clone());
        self.timers.set(Timer::E, now + self.interval);
    }

    fn terminate(&mut self) {
        self.state = ClientNonInviteState::Terminated;
        self.timers.stop_all();
        self.request = Bytes::new();
        self.events.push(TuEvent::Terminated);
    }
}
