//! Virtual-time tests of the four transaction machines.
//!
//! Every test takes one base `Instant` and adds durations to it; nothing
//! sleeps, nothing opens a socket.

// The base of each virtual clock is read once from the real clock; nothing else is.
#![allow(clippy::disallowed_methods)]

mod client_invite;
mod client_non_invite;
mod harness;
mod server_invite;
mod server_non_invite;
mod size;
mod timer;
