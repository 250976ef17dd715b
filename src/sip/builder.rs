//! Response construction from a request (RFC 3261 §8.2.6).

use crate::sip::header::{Header, HeaderKind};
use crate::sip::message::{Message, Request, Response};
use crate::sip::method::Method;
use crate::sip::parser::parse_message;
use crate::sip::status::default_reason;
use bytes::Bytes;

/// Builds a response: copies Via (all, in order), From, To (+ tag when code > 100),
/// Call-ID, CSeq, and Timestamp for 100 (§8.2.6.1); Content-Length always written.
pub struct ResponseBuilder<'a> {
    req: &'a Request,
    code: u16,
    reason: Bytes,
    to_tag: Option<Bytes>,
    extra: Vec<(Bytes, Bytes)>,
    body: Option<(Bytes, Bytes)>,
    cseq_method: Option<Method>,
}

impl<'a> ResponseBuilder<'a> {
    /// `reason` = `None` takes the default phrase from [`default_reason`].
    pub fn new(req: &'a Request, code: u16, reason: Option<&str>) -> Self {
        let reason = match reason {
            Some(r) => Bytes::copy_from_slice(r.as_bytes()),
            None => Bytes::from_static(default_reason(code).as_bytes()),
        };
        ResponseBuilder {
            req,
            code,
            reason,
            to_tag: None,
            extra: Vec::new(),
            body: None,
            cseq_method: None,
        }
    }
    /// Tag added to To when the code is > 100 and the request's To has none.
    pub fn to_tag(mut self, tag: impl Into<Bytes>) -> Self {
        self.to_tag = Some(tag.into());
        self
    }
    /// Extra header (e.g. Contact, WWW-Authenticate, Unsupported, Min-Expires).
    pub fn header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }
    /// Answer for another method of the same CSeq number: the 487 a CANCEL causes answers the
    /// INVITE, built from the CANCEL (RFC 3261 §9.2).
    pub fn cseq_method(mut self, method: Method) -> Self {
        self.cseq_method = Some(method);
        self
    }
    /// Body with its Content-Type.
    pub fn body(mut self, content_type: impl Into<Bytes>, body: impl Into<Bytes>) -> Self {
        self.body = Some((content_type.into(), body.into()));
        self
    }

    fn write(&self, with_extra: bool) -> Bytes {
        let mut o = Vec::with_capacity(512);
        o.extend_from_slice(format!("SIP/2.0 {} ", self.code).as_bytes());
        o.extend_from_slice(&self.reason);
        o.extend_from_slice(b"\r\n");
        let h = &self.req.headers;
        let line = |o: &mut Vec<u8>, n: &[u8], v: &[u8]| {
            o.extend_from_slice(n);
            o.extend_from_slice(b": ");
            o.extend_from_slice(v);
            o.extend_from_slice(b"\r\n");
        };
        for v in h.iter().filter(|x| x.kind == HeaderKind::Via) {
            line(&mut o, b"Via", v.value);
        }
        if let Some(f) = h.iter().find(|x| x.kind == HeaderKind::From) {
            line(&mut o, b"From", f.value);
        }
        if let Some(t) = h.iter().find(|x| x.kind == HeaderKind::To) {
            line(&mut o, b"To", t.value);
            if self.code > 100 && h.to().tag.is_none() {
                if let Some(tag) = &self.to_tag {
                    o.truncate(o.len() - 2);
                    o.extend_from_slice(b";tag=");
                    o.extend_from_slice(tag);
                    o.extend_from_slice(b"\r\n");
                }
            }
        }
        line(&mut o, b"Call-ID", h.call_id());
        match &self.cseq_method {
            Some(m) => {
                let cseq = crate::sip::CSeq {
                    seq: h.cseq().seq,
                    method: m.clone(),
                };
                line(&mut o, b"CSeq", &cseq.to_bytes());
            }
            None => line(&mut o, b"CSeq", &h.cseq().to_bytes()),
        }
        if self.code == 100 {
            if let Some(ts) = h.get("Timestamp") {
                line(&mut o, b"Timestamp", ts);
            }
        }
        if with_extra {
            for (n, v) in &self.extra {
                line(&mut o, n, v);
            }
        }
        let blen = self.body.as_ref().map_or(0, |(_, b)| b.len());
        if let Some((ct, _)) = &self.body {
            line(&mut o, b"Content-Type", ct);
        }
        o.extend_from_slice(format!("Content-Length: {blen}\r\n\r\n").as_bytes());
        if let Some((_, b)) = &self.body {
            o.extend_from_slice(b);
        }
        Bytes::from(o)
    }

    /// Serialized response.
    pub fn to_bytes(&self) -> Bytes {
        self.write(true)
    }

    /// Typed response (built by serializing then parsing, so typed and raw views agree).
    /// If a caller-supplied extra header is malformed, the extras are left out.
    pub fn build(&self) -> Response {
        for with_extra in [true, false] {
            if let Ok(Message::Response(r)) = parse_message(self.write(with_extra)) {
                return r;
            }
        }
        // Unreachable in practice (the request's own headers parsed); keep a safe path.
        let h = &self.req.headers;
        let mut headers = h.clone();
        headers.list = h
            .iter()
            .filter(|x| {
                matches!(
                    x.kind,
                    HeaderKind::Via
                        | HeaderKind::From
                        | HeaderKind::To
                        | HeaderKind::CallId
                        | HeaderKind::CSeq
                )
            })
            .map(|x| {
                Header::new(
                    Bytes::copy_from_slice(x.name),
                    Bytes::copy_from_slice(x.value),
                )
            })
            .collect();
        Response {
            version: Bytes::from_static(b"SIP/2.0"),
            status: self.code,
            reason: self.reason.clone(),
            headers,
            body: Bytes::new(),
            start_raw: Bytes::new(),
        }
    }
}
