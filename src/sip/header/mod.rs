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

/// Case-folded key of a header name of length >= 2: its first and last (overlapping)
/// 8-, 4- or 2-byte words, each byte OR 0x20 (see `from_token`).
const fn key(s: &[u8]) -> (u64, u64) {
    let l = s.len();
    let w = if l >= 8 {
        8
    } else if l >= 4 {
        4
    } else {
        2
    };
    (word(s, 0, w), word(s, l - w, w))
}

/// Runtime `key`: unaligned word loads instead of a byte loop.
#[inline]
fn key_rt(s: &[u8]) -> (u64, u64) {
    let l = s.len();
    let rd = |at: usize, w: usize| -> u64 {
        let mut x = [0u8; 8];
        if let Some(src) = s.get(at..at + w) {
            x[..w].copy_from_slice(src);
        }
        u64::from_le_bytes(x) | (0x2020_2020_2020_2020u64 >> ((8 - w) * 8))
    };
    if l >= 8 {
        (rd(0, 8), rd(l - 8, 8))
    } else if l >= 4 {
        (rd(0, 4), rd(l - 4, 4))
    } else {
        (rd(0, 2), rd(l.saturating_sub(2), 2))
    }
}

#[inline]
const fn word(s: &[u8], at: usize, w: usize) -> u64 {
    let mut x = 0u64;
    let mut i = 0;
    while i < w {
        x |= ((s[at + i] | 0x20) as u64) << (i * 8);
        i += 1;
    }
    x
}

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
        // Fold case by OR-ing 0x20 into every byte: exact for `token` bytes (only A-Z
        // map onto a-z; '-' is fixed), so non-token names are excluded up front.
        if !n.iter().all(|&c| crate::sip::scan::is_token(c)) {
            return Other;
        }
        Self::from_token(n)
    }

    /// [`HeaderKind::from_name`] for a name already known to be a `token`.
    pub(crate) fn from_token(n: &[u8]) -> HeaderKind {
        use HeaderKind::*;
        if n.len() < 2 {
            return Self::from_name(n);
        }
        // Dispatch on length, then compare case-folded words (hot path: one call per
        // header line).
        let cands: &[((u64, u64), HeaderKind)] = match n.len() {
            2 => const { &[(key(b"to"), To)] },
            3 => const { &[(key(b"via"), Via)] },
            4 => {
                const {
                    &[
                        (key(b"from"), From),
                        (key(b"cseq"), CSeq),
                        (key(b"path"), Path),
                    ]
                }
            }
            5 => const { &[(key(b"route"), Route), (key(b"event"), Event)] },
            7 => {
                const {
                    &[
                        (key(b"call-id"), CallId),
                        (key(b"contact"), Contact),
                        (key(b"expires"), Expires),
                        (key(b"require"), Require),
                        (key(b"subject"), Subject),
                    ]
                }
            }
            8 => const { &[(key(b"refer-to"), ReferTo), (key(b"identity"), Identity)] },
            9 => {
                const {
                    &[
                        (key(b"supported"), Supported),
                        (key(b"timestamp"), Timestamp),
                    ]
                }
            }
            11 => {
                const {
                    &[
                        (key(b"min-expires"), MinExpires),
                        (key(b"unsupported"), Unsupported),
                        (key(b"referred-by"), ReferredBy),
                    ]
                }
            }
            12 => {
                const {
                    &[
                        (key(b"max-forwards"), MaxForwards),
                        (key(b"record-route"), RecordRoute),
                        (key(b"content-type"), ContentType),
                        (key(b"allow-events"), AllowEvents),
                    ]
                }
            }
            13 => {
                const {
                    &[
                        (key(b"proxy-require"), ProxyRequire),
                        (key(b"authorization"), Authorization),
                    ]
                }
            }
            14 => {
                const {
                    &[
                        (key(b"content-length"), ContentLength),
                        (key(b"accept-contact"), AcceptContact),
                        (key(b"reject-contact"), RejectContact),
                    ]
                }
            }
            15 => const { &[(key(b"session-expires"), SessionExpires)] },
            16 => {
                const {
                    &[
                        (key(b"content-encoding"), ContentEncoding),
                        (key(b"www-authenticate"), WwwAuthenticate),
                    ]
                }
            }
            18 => const { &[(key(b"proxy-authenticate"), ProxyAuthenticate)] },
            19 => {
                const {
                    &[
                        (key(b"proxy-authorization"), ProxyAuthorization),
                        (key(b"request-disposition"), RequestDisposition),
                    ]
                }
            }
            _ => return Other,
        };
        let k = key_rt(n);
        for (c, kind) in cands {
            // Two overlapping words cover up to 16 bytes; longer names are confirmed.
            if *c == k && (n.len() <= 16 || kind.canonical().as_bytes().eq_ignore_ascii_case(n)) {
                return *kind;
            }
        }
        Other
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

/// One header line as received (or added). A parsed line is three offsets into the
/// message buffer held by [`crate::sip::Headers`] (no refcount per line); a line added
/// later owns its name and value.
#[derive(Debug, Clone)]
pub struct Header {
    pub kind: HeaderKind,
    name: (u32, u32),
    value: (u32, u32),
    /// End of the exact original line (`name.0..raw_end`) for byte-identical
    /// re-serialization; 0 for synthesized or modified lines.
    raw_end: u32,
    owned: Option<Box<(Bytes, Bytes)>>,
}

/// A header line as seen by callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRef<'a> {
    pub kind: HeaderKind,
    /// Name as received (may be a compact form, any case).
    pub name: &'a [u8],
    /// Raw value, trimmed; may contain folded-line CRLF+WS sequences.
    pub value: &'a [u8],
}

#[inline]
fn span(buf: &[u8], sp: (u32, u32)) -> &[u8] {
    buf.get(sp.0 as usize..sp.1 as usize).unwrap_or(&[])
}

impl Header {
    /// A new header (serialized as `name: value`).
    pub fn new(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Header {
        let name = name.into();
        Header {
            kind: HeaderKind::from_name(&name),
            name: (0, 0),
            value: (0, 0),
            raw_end: 0,
            owned: Some(Box::new((name, value.into()))),
        }
    }
    /// A received line: spans into the message buffer (which is < 4 GiB).
    pub(crate) fn parsed(
        kind: HeaderKind,
        name: (usize, usize),
        value: (usize, usize),
        raw_end: usize,
    ) -> Header {
        Header {
            kind,
            name: (name.0 as u32, name.1 as u32),
            value: (value.0 as u32, value.1 as u32),
            raw_end: raw_end as u32,
            owned: None,
        }
    }
    pub fn name<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match &self.owned {
            Some(o) => &o.0,
            None => span(buf, self.name),
        }
    }
    pub fn value<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match &self.owned {
            Some(o) => &o.1,
            None => span(buf, self.value),
        }
    }
    /// The value as an owned zero-copy `Bytes`.
    pub fn value_bytes(&self, buf: &Bytes) -> Bytes {
        match &self.owned {
            Some(o) => o.1.clone(),
            None => {
                let (a, b) = (self.value.0 as usize, self.value.1 as usize);
                if a <= b && b <= buf.len() {
                    buf.slice(a..b)
                } else {
                    Bytes::new()
                }
            }
        }
    }
    /// Value span in the message buffer (parsed lines only).
    pub(crate) fn value_span(&self) -> (usize, usize) {
        (self.value.0 as usize, self.value.1 as usize)
    }
    pub(crate) fn raw<'a>(&'a self, buf: &'a [u8]) -> Option<&'a [u8]> {
        (self.owned.is_none() && self.raw_end > 0).then(|| span(buf, (self.name.0, self.raw_end)))
    }
    pub(crate) fn as_ref<'a>(&'a self, buf: &'a [u8]) -> HeaderRef<'a> {
        HeaderRef {
            kind: self.kind,
            name: self.name(buf),
            value: self.value(buf),
        }
    }
    /// Drop the first `n` bytes of the value (the line is no longer verbatim).
    pub(crate) fn skip_value(&mut self, n: usize) {
        match &mut self.owned {
            Some(o) => o.1 = o.1.slice(n.min(o.1.len())..),
            None => {
                self.value.0 = (self.value.0 as usize + n).min(self.value.1 as usize) as u32;
                self.raw_end = 0;
            }
        }
    }
    pub(crate) fn write_to(&self, buf: &[u8], out: &mut Vec<u8>) {
        match self.raw(buf) {
            Some(r) => out.extend_from_slice(r),
            None => {
                out.extend_from_slice(self.name(buf));
                out.extend_from_slice(b": ");
                out.extend_from_slice(self.value(buf));
            }
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
