//! SIP transaction layer core: the four state machines of RFC 3261 §17, with
//! the RFC 6026 corrections (the "Accepted" state and Timers L and M).
//!
//! # Layout
//!
//! - [`timer`]: [`Timer`] names (RFC 3261 Table 4 + RFC 6026), the fixed
//!   [`TimerTable`] every machine embeds, and [`TimerConfig`] (T1, T2, T4, …).
//! - [`client_invite`]: INVITE client transaction (§17.1.1, RFC 6026 §8.4).
//! - [`client_non_invite`]: non-INVITE client transaction (§17.1.2).
//! - [`server_invite`]: INVITE server transaction (§17.2.1, RFC 6026 §8.7).
//! - [`server_non_invite`]: non-INVITE server transaction (§17.2.2).
//!
//! # Sans-IO
//!
//! The machines do no I/O and never read the clock: every input carries the
//! current time as a [`std::time::Instant`], and every output is pulled with a
//! `poll_*` method (the quinn-proto model). They do not parse SIP either: they
//! see opaque wire bytes ([`bytes::Bytes`]) and status codes; the shell parses,
//! matches messages to transactions (§17.1.3, §17.2.3) and builds messages.
//!
//! # Driving a machine
//!
//! After **every** `new` / `handle_*` / `send_response` call the shell must:
//!
//! 1. drain `poll_transmit()` and hand each buffer to the transport (on the
//!    transaction's flow); if the send fails, call `handle_transport_error(now)`
//!    (and drain again);
//! 2. drain `poll_event()` and dispatch each [`TuEvent`] to the TU; after
//!    [`TuEvent::Terminated`] the shell removes the transaction from its table;
//! 3. re-arm its single per-transaction timer to `poll_timeout()` (or cancel it
//!    on `None`). When that timer fires, call `handle_timeout(now)` and repeat
//!    from 1 — quinn's `drive_timer`.
//!
//! `handle_timeout` is idempotent: calling it early, late or twice is harmless;
//! it fires exactly the timers whose deadline is `<= now`.
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! use bytes::Bytes;
//! use ferrosips::transaction::{ServerNonInvite, TimerConfig, TuEvent};
//!
//! /// The shell's flush after every input: send, dispatch, return the deadline
//! /// to arm the transaction's one timer with.
//! fn drive(m: &mut ServerNonInvite, wire: &mut Vec<Bytes>, tu: &mut Vec<TuEvent>) -> Option<Instant> {
//!     while let Some(bytes) = m.poll_transmit() {
//!         wire.push(bytes); // transport.send(flow, bytes); on Err: m.handle_transport_error(now)
//!     }
//!     while let Some(event) = m.poll_event() {
//!         tu.push(event); // on Terminated: remove from the transaction table
//!     }
//!     m.poll_timeout()
//! }
//!
//! /// A 200 to a MESSAGE over UDP; `t0` comes from the shell's clock.
//! fn lifecycle(t0: Instant) {
//!     let (mut wire, mut tu) = (Vec::new(), Vec::new());
//!     let mut m = ServerNonInvite::new(false, &TimerConfig::default(), t0);
//!     assert_eq!(drive(&mut m, &mut wire, &mut tu), None);
//!     m.send_response(200, Bytes::from_static(b"SIP/2.0 200 OK\r\n..."), t0).unwrap();
//!     let j = drive(&mut m, &mut wire, &mut tu).unwrap(); // Timer J: t0 + 32 s
//!     assert_eq!(j, t0 + Duration::from_secs(32));
//!     m.handle_timeout(j); // the shell's timer fired
//!     assert_eq!(drive(&mut m, &mut wire, &mut tu), None);
//!     assert_eq!(tu, [TuEvent::Terminated]);
//! }
//! # lifecycle(Instant::now()); // doctest only: base of the clock
//! ```
//!
//! Inputs that are illegal in the current state (a response from the TU after
//! the final one, an ACK before any final, anything after Terminated) return a
//! [`TransactionError`] and change nothing.

pub mod actor;
pub mod client_invite;
pub mod client_non_invite;
pub mod key;
pub mod server_invite;
pub mod server_non_invite;
pub mod table;
pub mod timer;

#[cfg(test)]
mod tests;

use std::fmt;

pub use client_invite::{ClientInvite, ClientInviteState};
pub use client_non_invite::{ClientNonInvite, ClientNonInviteState};
pub use key::Key;
pub use server_invite::{ServerInvite, ServerInviteState};
pub use server_non_invite::{ServerNonInvite, ServerNonInviteState};
pub use timer::{Timer, TimerConfig, TimerTable};

/// Which side of the transaction a machine implements (§17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the request, receives responses (§17.1).
    Client,
    /// Receives the request, sends responses (§17.2).
    Server,
}

/// INVITE and non-INVITE transactions follow different machines (§17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// INVITE (ACK for non-2xx belongs to the transaction).
    Invite,
    /// Every other method except ACK (which never creates a transaction).
    NonInvite,
}

/// Something the transaction reports to its TU.
///
/// Request retransmissions received by a server transaction are **never**
/// passed to the TU (§17.2.1, §17.2.2, RFC 6026 §8.7): the machine either
/// re-sends the last response or absorbs them. No event is raised; the return
/// value of `handle_request_retransmit` ([`Retransmission`]) says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TuEvent {
    /// Client: pass this response up to the TU. Retransmitted non-2xx finals
    /// are absorbed; retransmitted 2xx to INVITE in Accepted are passed up
    /// (RFC 6026 §8.4) so the TU/UA core re-sends its ACK.
    Response {
        /// Status code of the response.
        status: u16,
    },
    /// INVITE server in Accepted: an ACK (for the 2xx) matched this
    /// transaction and is passed to the TU (RFC 6026 §8.7).
    Ack,
    /// Timer B, F or H fired (§17.1.1.2, §17.1.2.2, §17.2.1). For a client,
    /// the TU treats it as a 408 (§8.1.3.1).
    Timeout,
    /// The transport reported a fatal error for a send of this transaction
    /// (§17.1.4, §17.2.4).
    TransportError,
    /// The machine reached Terminated; the shell drops it. Raised exactly once,
    /// always as the last event.
    Terminated,
}

/// What a server transaction did with a retransmitted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retransmission {
    /// The last response was queued again on `poll_transmit`.
    Resent,
    /// Nothing to re-send (Trying, Accepted, Confirmed): swallowed.
    Absorbed,
}

/// An input was illegal in the machine's current state; the machine is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionError {
    /// The transaction is already Terminated.
    Terminated,
    /// Status code outside 100..=699.
    InvalidStatus(u16),
    /// The TU tried to send a response after the final one (only further 2xx
    /// in the INVITE server's Accepted state are allowed, RFC 6026 §8.7).
    FinalAlreadySent,
    /// ACK received before any final response was sent (INVITE server,
    /// Proceeding state): it does not belong to this transaction.
    UnexpectedAck,
}

impl fmt::Display for TransactionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionError::Terminated => f.write_str("transaction is terminated"),
            TransactionError::InvalidStatus(s) => write!(f, "invalid status code {s}"),
            TransactionError::FinalAlreadySent => {
                f.write_str("a final response was already sent on this transaction")
            }
            TransactionError::UnexpectedAck => {
                f.write_str("ACK received before a final response was sent")
            }
        }
    }
}

impl std::error::Error for TransactionError {}

/// Validate a status code and return its class (1..=6).
#[inline]
pub(crate) fn status_class(status: u16) -> Result<u16, TransactionError> {
    if (100..=699).contains(&status) {
        Ok(status / 100)
    } else {
        Err(TransactionError::InvalidStatus(status))
    }
}

/// Tiny fixed-capacity FIFO (no allocation) for queued transmits and events.
///
/// Shells drain after every call (the driving contract above), and no single
/// call queues more than two transmits or three events, so a handful of slots
/// suffices. A shell that breaks the contract loses the oldest entries.
#[derive(Debug, Clone)]
pub(crate) struct Ring<T, const N: usize> {
    buf: [Option<T>; N],
    head: u8,
    len: u8,
}

impl<T, const N: usize> Ring<T, N> {
    pub(crate) fn new() -> Self {
        Self {
            buf: std::array::from_fn(|_| None),
            head: 0,
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, v: T) {
        if self.len as usize == N {
            self.pop();
        }
        let idx = (self.head as usize + self.len as usize) % N;
        self.buf[idx] = Some(v);
        self.len += 1;
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let v = self.buf[self.head as usize].take();
        self.head = ((self.head as usize + 1) % N) as u8;
        self.len -= 1;
        v
    }
}
