//! ferrosips: a clustered SIP server programmed by an `opensips.cfg`-style script.
//!
//! # Layout
//!
//! Cores take bytes, events and *time* as arguments and return outputs; shells move data
//! between sockets, actors and cores (`clippy.toml` forbids reading the clock outside shells).
//! `docs/architecture.md` draws the path of a message:
//!
//! ```text
//! socket ─► transport ─► node::dispatch ─► sip::parse_message ─► transaction table
//!                             │ (bad request: stateless 400/505, or drop + count)  │
//!                             ▼                                                    ▼
//!                        stateless reply                        transaction actor (machine)
//!                                                                      │ request   ▲ response
//!                                                                      ▼           │
//!                                                         TU: node::rules (the routing script's place)
//! transaction actor ─► poll_transmit ─► transport ─► socket
//! ```
//!
//! - [`sip`] (core): message model, parser, URIs, serializer, response builder.
//! - [`transaction`] (core machines + shell actors): RFC 3261 §17 with RFC 6026.
//! - [`transport`] (shell; framing is core): UDP/TCP listeners and connections.
//! - [`node`] (shell; rules are core): wiring, the receive path, the built-in answers.
//! - [`registrar`] (core): RFC 3261 §10.3 as pure functions; the store applies them.
//! - [`store`] (core): the replicated tables and their deterministic `apply`.
//! - [`config`] (core): the global section of the configuration.
//! - [`logging`], [`shutdown`]: process edges.

pub mod config;
pub mod logging;
pub mod node;
pub mod registrar;
pub mod shutdown;
pub mod sip;
pub mod store;
pub mod transaction;
pub mod transport;

#[cfg(test)]
mod testutil;
