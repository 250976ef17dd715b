//! A binding: one Contact registered for an address-of-record (RFC 3261 §10).

use serde::{Deserialize, Serialize};

/// How the registering UA was reached, so `lookup` can send back through the same flow (the
/// NAT binding or TCP connection it registered over, RFC 5626 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// Transport: "udp" or "tcp".
    pub proto: String,
    /// The node's socket the REGISTER arrived on (`ip:port`).
    pub local: String,
    /// The source address of the REGISTER (`ip:port`).
    pub remote: String,
}

/// One registered contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The Contact URI as registered.
    pub contact: String,
    /// Absolute expiry, Unix seconds.
    pub expires_at: u64,
    /// q-value × 1000 (RFC 3261 §20.10); 1000 when absent.
    pub q: u16,
    /// Call-ID of the REGISTER that last refreshed it (§10.3 step 7).
    pub call_id: String,
    /// CSeq of that REGISTER.
    pub cseq: u32,
    /// Path header values (RFC 3327), in order.
    pub path: Vec<String>,
    /// RFC 5626 `+sip.instance`.
    pub instance: Option<String>,
    /// RFC 5626 `reg-id`.
    pub reg_id: Option<u32>,
    /// Where the REGISTER came from.
    pub flow: Option<Flow>,
    /// User-Agent header, for operators (`ul show`).
    pub user_agent: Option<String>,
    /// Node id that received the REGISTER (the cluster routes INVITEs through it).
    pub ingress_node: u64,
    /// When the binding was first created, Unix seconds.
    pub registered_at: u64,
}

impl Binding {
    /// Seconds left at `now` (0 once expired).
    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }

    /// Whether the binding is still valid at `now`.
    pub fn is_live(&self, now: u64) -> bool {
        self.expires_at > now
    }
}
