//! Registrar (core): the RFC 3261 §10.3 rules as pure functions. [`rules::prepare`] checks a
//! REGISTER on the node that received it (what needs no stored state: `*`, Expires, 423) and
//! builds a [`rules::RegisterOp`]; [`rules::apply`] runs inside the store's deterministic
//! `apply`, against the bindings as they are at that point of the replicated log, so two
//! REGISTERs arriving at two nodes are ordered by the log, never by a stale read.

pub mod binding;
pub mod rules;

pub use binding::{Binding, Flow};
pub use rules::{prepare, ContactOp, Limits, RegisterOp, RegisterRequest, Reject};
