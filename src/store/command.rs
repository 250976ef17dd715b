//! What the replicated log carries, and what applying it returns.

use serde::{Deserialize, Serialize};

use crate::registrar::{Binding, RegisterOp, Reject};

/// A subscriber (the OpenSIPS `subscriber` table's columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    /// User part.
    pub username: String,
    /// Domain.
    pub domain: String,
    /// Plain-text password, when stored (OpenSIPS `calculate_ha1` mode).
    pub password: Option<String>,
    /// MD5(username:realm:password), OpenSIPS column `ha1`.
    pub ha1: Option<String>,
    /// MD5(username@domain:realm:password), OpenSIPS column `ha1b`.
    pub ha1b: Option<String>,
}

/// One entry of the replicated log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// A REGISTER, applied by the registrar rules against the AoR's bindings at this point of
    /// the log (RFC 3261 §10.3).
    Register(RegisterOp),
    /// Add or replace one binding (management `ul_add`).
    PutBinding {
        /// Address-of-record.
        aor: String,
        /// The binding; replaces one with the same contact URI.
        binding: Binding,
    },
    /// Remove every binding of an AoR (`ul_rm`).
    RemoveAor {
        /// Address-of-record.
        aor: String,
    },
    /// Remove one binding (`ul_rm_contact`).
    RemoveContact {
        /// Address-of-record.
        aor: String,
        /// Contact URI.
        contact: String,
    },
    /// Drop bindings that expired at or before `ts` (proposed by the leader from its clock,
    /// so replicas never expire on their own).
    ExpireBefore {
        /// Unix seconds.
        ts: u64,
    },
    /// Add a subscriber; fails if one exists.
    AddSubscriber(Subscriber),
    /// Remove a subscriber.
    RemoveSubscriber {
        /// User part.
        username: String,
        /// Domain.
        domain: String,
    },
    /// Change a subscriber's secrets.
    SetPassword {
        /// User part.
        username: String,
        /// Domain.
        domain: String,
        /// New plain-text password, if stored.
        password: Option<String>,
        /// New HA1.
        ha1: Option<String>,
        /// New HA1b.
        ha1b: Option<String>,
    },
}

/// The result of applying a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The AoR's bindings after a REGISTER or a binding change.
    Bindings(Vec<Binding>),
    /// The REGISTER failed; nothing changed.
    Rejected(Reject),
    /// How many bindings were removed.
    Removed(usize),
    /// Done, nothing to report.
    Done,
    /// `AddSubscriber` for an existing user.
    SubscriberExists,
    /// The subscriber does not exist.
    NoSuchSubscriber,
}
