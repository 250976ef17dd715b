//! The location and subscriber store. Its core is [`tables::Tables::apply`]: a pure,
//! deterministic function from a [`command::Command`] to a new state and an
//! [`command::Outcome`], so the same log gives the same tables on every node (the Raft state
//! machine applies exactly this). Time inside a command is the proposing node's clock,
//! carried in the command; replicas never read their own.

pub mod command;
pub mod tables;

pub use command::{Command, Outcome, Subscriber};
pub use tables::Tables;
