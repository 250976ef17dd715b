//! Transaction keys (core): which transaction a request belongs to, RFC 3261 §17.2.3.
//!
//! With a magic-cookie branch (`z9hG4bK`) the key is the branch, the sent-by of the top Via
//! and the method, where ACK counts as INVITE (an ACK for a non-2xx final matches the INVITE
//! transaction) and CANCEL keeps its own method (it is a transaction of its own that names
//! the INVITE with the same branch). Without the cookie (RFC 2543 peers) the key is built from
//! the Request-URI, From tag, Call-ID, CSeq number and the whole top Via, and the To tag is
//! left out so the ACK, whose To carries our tag, still matches its INVITE (§17.2.3).

use bytes::Bytes;

use crate::sip::{Method, Request};

/// The method part of a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyMethod {
    /// INVITE, and ACK matching it.
    Invite,
    /// CANCEL.
    Cancel,
    /// Any other method, by name.
    Other(Method),
}

/// Identifies one server transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// RFC 3261 matching by branch.
    Branch {
        /// The branch parameter, magic cookie included (compared case-sensitively, it is an
        /// opaque token).
        branch: Bytes,
        /// sent-by: host (lower-cased) and port.
        sent_by: (Bytes, Option<u16>),
        /// Method class.
        method: KeyMethod,
    },
    /// RFC 2543 backward compatibility (§17.2.3 last paragraphs); boxed, being rare and
    /// large, so every key stays small.
    Legacy(Box<LegacyKey>),
}

/// The RFC 2543 matching fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LegacyKey {
    /// Request-URI as received.
    pub request_uri: Bytes,
    /// From tag.
    pub from_tag: Option<Bytes>,
    /// Call-ID.
    pub call_id: Bytes,
    /// CSeq number.
    pub cseq: u32,
    /// Top Via, serialized.
    pub via: Bytes,
    /// Method class.
    pub method: KeyMethod,
}

impl KeyMethod {
    /// With an extension method's name copied out of the received buffer.
    fn owned(self) -> KeyMethod {
        match self {
            KeyMethod::Other(Method::Other(name)) => {
                KeyMethod::Other(Method::Other(Bytes::copy_from_slice(&name)))
            }
            other => other,
        }
    }

    fn of(m: &Method) -> KeyMethod {
        match m {
            Method::Invite | Method::Ack => KeyMethod::Invite,
            Method::Cancel => KeyMethod::Cancel,
            other => KeyMethod::Other(other.clone()),
        }
    }
}

impl Key {
    /// The key of a request; `None` when it has no Via (the parser refuses those).
    pub fn of(req: &Request) -> Option<Key> {
        Key::with_method(req, KeyMethod::of(req.method()))
    }

    /// The key of the INVITE a CANCEL (or ACK) names: the same but for the method.
    pub fn invite_of(req: &Request) -> Option<Key> {
        Key::with_method(req, KeyMethod::Invite)
    }

    fn with_method(req: &Request, method: KeyMethod) -> Option<Key> {
        // Keys own copies of their parts: a slice would keep the whole received datagram
        // alive for as long as the transaction lives (32 s of Timer J).
        let own = |b: &[u8]| Bytes::copy_from_slice(b);
        let via = req.headers.top_via()?;
        match &via.branch {
            Some(b) if via.is_rfc3261_branch() => Some(Key::Branch {
                branch: own(b),
                sent_by: (Bytes::from(via.host.to_ascii_lowercase()), via.port),
                method: method.owned(),
            }),
            _ => Some(Key::Legacy(Box::new(LegacyKey {
                request_uri: own(&req.uri().to_bytes()),
                from_tag: req.headers.from().tag.as_deref().map(own),
                call_id: own(req.headers.call_id()),
                cseq: req.headers.cseq().seq,
                via: own(&via.to_bytes()),
                method: method.owned(),
            }))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::request as req;

    fn msg(method: &str, via: &str, to_tag: &str) -> Request {
        req(&format!(
            "{method} sip:b@h SIP/2.0\nVia: SIP/2.0/UDP {via}\nFrom: <sip:a@b>;tag=1\n\
             To: <sip:b@h>{to_tag}\nCall-ID: c\nCSeq: 1 {method}\nContent-Length: 0\n\n"
        ))
    }

    /// RFC 3261 §17.2.3: ACK matches the INVITE, CANCEL does not (it is its own transaction).
    #[test]
    fn ack_matches_invite_cancel_does_not() {
        let v = "Host.Example:5060;branch=z9hG4bKabc";
        let inv = Key::of(&msg("INVITE", v, "")).unwrap();
        assert_eq!(
            Key::of(&msg("ACK", "host.example:5060;branch=z9hG4bKabc", ";tag=x")),
            Some(inv.clone())
        );
        let cancel = msg("CANCEL", v, "");
        assert_ne!(Key::of(&cancel), Some(inv.clone()));
        assert_eq!(Key::invite_of(&cancel), Some(inv.clone()));
        // Another sent-by port is another transaction.
        assert_ne!(
            Key::of(&msg("INVITE", "host.example:5070;branch=z9hG4bKabc", "")),
            Some(inv)
        );
    }

    /// RFC 3261 §17.2.3: without the magic cookie, the RFC 2543 rule, To tag left out.
    #[test]
    fn rfc2543_requests_match_without_to_tag() {
        let inv = Key::of(&msg("INVITE", "h:5060;branch=1234", "")).unwrap();
        assert!(matches!(inv, Key::Legacy(_)));
        assert_eq!(
            Key::of(&msg("ACK", "h:5060;branch=1234", ";tag=ours")),
            Some(inv)
        );
    }
}
