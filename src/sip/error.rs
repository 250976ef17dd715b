//! Parse errors carrying the SIP status to answer with (RFC 3261 §8.2, §16.3).

use bytes::Bytes;

/// Raw header values recovered from a request that failed to parse, enough to build
/// an error response (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq are copied).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// All Via header values (raw, in order).
    pub via: Vec<Bytes>,
    pub from: Option<Bytes>,
    pub to: Option<Bytes>,
    pub call_id: Option<Bytes>,
    pub cseq: Option<Bytes>,
}

/// Why a message was refused. `status` is what to answer (400, 505, 513); responses
/// that fail to parse are never answered (`error_response()` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {reason}")]
pub struct ParseError {
    /// Status code to answer with.
    pub status: u16,
    /// Reason phrase naming the defect, e.g. "Bad Request - Malformed Via header".
    pub reason: &'static str,
    /// Present only when the input was a request with at least one Via.
    pub recovered: Option<Box<Recovered>>,
}

impl ParseError {
    pub(crate) fn new(status: u16, reason: &'static str) -> Self {
        ParseError {
            status,
            reason,
            recovered: None,
        }
    }
    pub(crate) fn bad(reason: &'static str) -> Self {
        Self::new(400, reason)
    }

    /// The serialized error response to send back, or `None` when the message must be
    /// dropped silently (a response, or a request with no recoverable Via).
    pub fn error_response(&self) -> Option<Bytes> {
        let r = self.recovered.as_ref()?;
        if r.via.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(format!("SIP/2.0 {} {}\r\n", self.status, self.reason).as_bytes());
        for v in &r.via {
            push_hdr(&mut out, b"Via", v);
        }
        if let Some(f) = &r.from {
            push_hdr(&mut out, b"From", f);
        }
        if let Some(t) = &r.to {
            // RFC 3261 §8.2.6.2: a non-100 response needs a To tag. Derive a stable one.
            push_hdr(&mut out, b"To", t);
            if !has_tag(t) {
                out.truncate(out.len() - 2);
                let h = fnv(r.call_id.as_deref().unwrap_or(b"")) ^ fnv(&r.via[0]);
                out.extend_from_slice(format!(";tag=e{h:x}\r\n").as_bytes());
            }
        }
        if let Some(c) = &r.call_id {
            push_hdr(&mut out, b"Call-ID", c);
        }
        if let Some(c) = &r.cseq {
            push_hdr(&mut out, b"CSeq", c);
        }
        out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
        Some(Bytes::from(out))
    }
}

fn push_hdr(out: &mut Vec<u8>, name: &[u8], v: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(v);
    out.extend_from_slice(b"\r\n");
}

fn has_tag(v: &[u8]) -> bool {
    v.windows(4).any(|w| w.eq_ignore_ascii_case(b"tag="))
}

fn fnv(b: &[u8]) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for &c in b {
        h = (h ^ u32::from(c)).wrapping_mul(0x01000193);
    }
    h
}
