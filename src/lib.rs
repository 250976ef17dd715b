//! ferrosips: a clustered SIP server programmed by an `opensips.cfg`-style script.
//!
//! # Layout
//!
//! Cores take bytes, events and *time* as arguments and return outputs; shells move data
//! between sockets, actors and cores. `docs/architecture.md` draws the path of a message:
//!
//! ```text
//! socket ─► transport ─► sip::parse_message ─► transaction table ─► transaction actor
//!                            │ (bad request: stateless 400 / drop + count)      │ TU event
//!                            ▼                                                  ▼
//!                     stateless reply                              node rules / script
//! transaction actor ◄──────────────────── response ◄───────────────────────────┘
//!         └─► poll_transmit ─► transport ─► socket
//! ```
//!
//! - [`config`]: the global section of the configuration (core).
//! - [`transport`]: UDP/TCP listeners and connections (shell), stream framing (core).
//! - [`logging`], [`shutdown`]: process edges (shell).

pub mod config;
pub mod logging;
pub mod shutdown;
pub mod transport;
