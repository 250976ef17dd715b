//! Header names, raw header entries, and the typed header parsers.

pub mod auth;
pub mod contact;
pub mod cseq;
pub mod name_addr;
pub mod params;
pub mod tags;
pub mod via;

use bytes::Bytes;

/// A typed header value did not match its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed header value")]
pub struct Malformed;

/// Known header kinds (RFC 3261 §20 and extensions); lookup is case-insensitive and
/// understands compact forms (RFC 3261 §7.3.3, RFC 3265, RFC 3515, RFC 4028, RFC 3841...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderKind {
    Via,
    From,
    To,
    CallId,
    CSeq,
    MaxForwards,
    Contact,
    Route,
    RecordRoute,
    Path,
    ContentLength,
    ContentType,
    ContentEncoding,
    Expires,
    MinExpires,
    Require,
    ProxyRequire,
    Supported,
    Unsupported,
    Authorization,
    ProxyAuthorization,
    WwwAuthenticate,
    ProxyAuthenticate,
    Subject,
    Event,
    ReferTo,
    AllowEvents,
    ReferredBy,
    SessionExpires,
    Identity,
    AcceptContact,
    RejectContact,
    RequestDisposition,
    Timestamp,
    Other,
}

impl HeaderKind {
    /// Classify a header name.
    pub fn from_name(n: &[u8]) -> HeaderKind {
        use HeaderKind::*;
        if n.is_empty() {
            return Other;
        }
        if n.len() == 1 {
            return match n[0].to_ascii_lowercase() {
                b'i' => CallId,
                b'm' => Contact,
                b'e' => ContentEncoding,
                b'l' => ContentLength,
                b'c' => ContentType,
                b'f' => From,
                b's' => Subject,
                b'k' => Supported,
                b't' => To,
                b'v' => Via,
                b'o' => Event,
                b'r' => ReferTo,
                b'u' => AllowEvents,
                b'b' => ReferredBy,
                b'x' => SessionExpires,
                b'y' => Identity,
                b'a' => AcceptContact,
                b'j' => RejectContact,
                b'd' => RequestDisposition,
                _ => Other,
            };
        }
        // Lower-case into a stack buffer, then a compiled byte-string match (hot path).
        if n.len() > 19 {
            return Other;
        }
        let mut buf = [0u8; 19];
        for (d, s) in buf.iter_mut().zip(n) {
            *d = s.to_ascii_lowercase();
        }
        match &buf[..n.len()] {
            b"via" => Via,
            b"from" => From,
            b"to" => To,
            b"call-id" => CallId,
            b"cseq" => CSeq,
            b"max-forwards" => MaxForwards,
            b"contact" => Contact,
            b"route" => Route,
            b"record-route" => RecordRoute,
            b"path" => Path,
            b"content-length" => ContentLength,
            b"content-type" => ContentType,
            b"content-encoding" => ContentEncoding,
            b"expires" => Expires,
            b"min-expires" => MinExpires,
            b"require" => Require,
            b"proxy-require" => ProxyRequire,
            b"supported" => Supported,
            b"unsupported" => Unsupported,
            b"authorization" => Authorization,
            b"proxy-authorization" => ProxyAuthorization,
            b"www-authenticate" => WwwAuthenticate,
            b"proxy-authenticate" => ProxyAuthenticate,
            b"subject" => Subject,
            b"event" => Event,
            b"refer-to" => ReferTo,
            b"allow-events" => AllowEvents,
            b"referred-by" => ReferredBy,
            b"session-expires" => SessionExpires,
            b"identity" => Identity,
            b"accept-contact" => AcceptContact,
            b"reject-contact" => RejectContact,
            b"request-disposition" => RequestDisposition,
            b"timestamp" => Timestamp,
            _ => Other,
        }
    }

    /// Canonical (long) name used when we synthesize a header.
    pub fn canonical(self) -> &'static str {
        use HeaderKind::*;
        match self {
            Via => "Via",
            From => "From",
            To => "To",
            CallId => "Call-ID",
            CSeq => "CSeq",
            MaxForwards => "Max-Forwards",
            Contact => "Contact",
            Route => "Route",
            RecordRoute => "Record-Route",
            Path => "Path",
            ContentLength => "Content-Length",
            ContentType => "Content-Type",
            ContentEncoding => "Content-Encoding",
            Expires => "Expires",
            MinExpires => "Min-Expires",
            Require => "Require",
            ProxyRequire => "Proxy-Require",
            Supported => "Supported",
            Unsupported => "Unsupported",
            Authorization => "Authorization",
            ProxyAuthorization => "Proxy-Authorization",
            WwwAuthenticate => "WWW-Authenticate",
            ProxyAuthenticate => "Proxy-Authenticate",
            Subject => "Subject",
            Event => "Event",
            ReferTo => "Refer-To",
            AllowEvents => "Allow-Events",
            ReferredBy => "Referred-By",
            SessionExpires => "Session-Expires",
            Identity => "Identity",
            AcceptContact => "Accept-Contact",
            RejectContact => "Reject-Contact",
            RequestDisposition => "Request-Disposition",
            Timestamp => "Timestamp",
            Other => "",
        }
    }
}

/// One header line as received (or added): name and raw value, both zero-copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub kind: HeaderKind,
    /// Name as received (may be a compact form, any case).
    pub name: Bytes,
    /// Raw value, trimmed; may contain folded-line CRLF+WS sequences.
    pub value: Bytes,
    /// Exact original line (name … value) for byte-identical re-serialization; empty
    /// for synthesized headers.
    pub(crate) raw: Bytes,
}

impl Header {
    /// A new header (serialized as `name: value`).
    pub fn new(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Header {
        let name = name.into();
        Header {
            kind: HeaderKind::from_name(&name),
            name,
            value: value.into(),
            raw: Bytes::new(),
        }
    }
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        if !self.raw.is_empty() {
            out.extend_from_slice(&self.raw);
        } else {
            out.extend_from_slice(&self.name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(&self.value);
        }
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderKind as K;

    #[test]
    fn compact_forms_and_case() {
        let cases: &[(&str, K)] = &[
            ("i", K::CallId),
            ("M", K::Contact),
            ("e", K::ContentEncoding),
            ("l", K::ContentLength),
            ("c", K::ContentType),
            ("f", K::From),
            ("s", K::Subject),
            ("k", K::Supported),
            ("T", K::To),
            ("v", K::Via),
            ("o", K::Event),
            ("r", K::ReferTo),
            ("u", K::AllowEvents),
            ("b", K::ReferredBy),
            ("x", K::SessionExpires),
            ("y", K::Identity),
            ("a", K::AcceptContact),
            ("j", K::RejectContact),
            ("d", K::RequestDisposition),
            ("z", K::Other),
            ("MaX-fOrWaRdS", K::MaxForwards),
            ("www-authenticate", K::WwwAuthenticate),
            ("C%6Fntact", K::Other),
            ("", K::Other),
        ];
        for (n, k) in cases {
            assert_eq!(K::from_name(n.as_bytes()), *k, "{n}");
        }
    }
}
