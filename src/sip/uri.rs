//! SIP / SIPS / tel / absolute URIs (RFC 3261 §19.1, §25.1; RFC 3966).
//!
//! All parts are zero-copy `Bytes` slices of the input; %-escapes are kept raw
//! (see [`unescape`]).

use crate::sip::scan::{find_byte, osl, sl, Sp};
use bytes::Bytes;
use std::borrow::Cow;
use std::fmt;

/// Why a URI was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed URI: {0}")]
pub struct UriError(pub &'static str);

/// A parsed URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    Sip(SipUri),
    Tel(TelUri),
    /// Any other scheme, kept verbatim so the node can answer 416 (RFC 3261 §8.2.2.1).
    Other {
        scheme: Bytes,
        raw: Bytes,
    },
}

/// `sip:` / `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// Scheme as received ("sip", "SIPS", ...).
    pub scheme: Bytes,
    pub user: Option<Bytes>,
    pub password: Option<Bytes>,
    /// Hostname, IPv4, or IPv6 reference including the brackets.
    pub host: Bytes,
    pub port: Option<u16>,
    /// Raw uri-parameters including each leading `;` (empty if none).
    pub params: Bytes,
    /// Raw headers after `?` (without the `?`; empty if none).
    pub headers: Bytes,
}

/// `tel:` URI (RFC 3966): number plus raw `;params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    pub number: Bytes,
    pub params: Bytes,
}

impl SipUri {
    /// Is this a `sips:` URI?
    pub fn is_secure(&self) -> bool {
        self.scheme.eq_ignore_ascii_case(b"sips")
    }
    /// Iterate over `;name[=value]` uri-parameters.
    pub fn param_iter(&self) -> impl Iterator<Item = (Bytes, Option<Bytes>)> + '_ {
        split_kv(&self.params, b';')
    }
    /// Look up a uri-parameter by (case-insensitive) name: `Some(None)` for a flag.
    pub fn param(&self, name: &str) -> Option<Option<Bytes>> {
        self.param_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }
    pub fn transport(&self) -> Option<Bytes> {
        self.param("transport").flatten()
    }
    pub fn maddr(&self) -> Option<Bytes> {
        self.param("maddr").flatten()
    }
    /// Loose-routing flag (RFC 3261 §19.1.1 `lr`).
    pub fn lr(&self) -> bool {
        self.param("lr").is_some()
    }
    /// Iterate `name=value` pairs of the `?headers` part.
    pub fn header_iter(&self) -> impl Iterator<Item = (Bytes, Option<Bytes>)> + '_ {
        let h = self.headers.clone();
        let mut v: Vec<(Bytes, Option<Bytes>)> = Vec::new();
        if !h.is_empty() {
            for part in h.split(|&c| c == b'&') {
                let part = h.slice_ref(part);
                match part.iter().position(|&c| c == b'=') {
                    Some(i) => v.push((part.slice(..i), Some(part.slice(i + 1..)))),
                    None => v.push((part, None)),
                }
            }
        }
        v.into_iter()
    }
    /// Port to use: explicit one, or 5060 / 5061 for sips (RFC 3263 default).
    pub fn port_or_default(&self) -> u16 {
        self.port
            .unwrap_or(if self.is_secure() { 5061 } else { 5060 })
    }
    /// Host with IPv6 brackets removed.
    pub fn host_bare(&self) -> &[u8] {
        strip_brackets(&self.host)
    }
}

pub(crate) fn strip_brackets(h: &[u8]) -> &[u8] {
    if h.len() >= 2 && h[0] == b'[' && h[h.len() - 1] == b']' {
        &h[1..h.len() - 1]
    } else {
        h
    }
}

/// Split `;a;b=c` (leading separator optional) into name / optional value.
fn split_kv(raw: &Bytes, sep: u8) -> impl Iterator<Item = (Bytes, Option<Bytes>)> + '_ {
    raw.split(move |&c| c == sep)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let p = raw.slice_ref(p);
            match p.iter().position(|&c| c == b'=') {
                Some(i) => (p.slice(..i), Some(p.slice(i + 1..))),
                None => (p, None),
            }
        })
}

impl Uri {
    pub fn scheme(&self) -> &[u8] {
        match self {
            Uri::Sip(s) => &s.scheme,
            Uri::Tel(_) => b"tel",
            Uri::Other { scheme, .. } => scheme,
        }
    }
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_sip_mut(&mut self) -> Option<&mut SipUri> {
        match self {
            Uri::Sip(s) => Some(s),
            _ => None,
        }
    }
    /// Serialize.
    pub fn to_bytes(&self) -> Bytes {
        let mut v = Vec::with_capacity(64);
        self.write_to(&mut v);
        Bytes::from(v)
    }
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Uri::Sip(s) => {
                out.extend_from_slice(&s.scheme);
                out.push(b':');
                if let Some(u) = &s.user {
                    out.extend_from_slice(u);
                    if let Some(p) = &s.password {
                        out.push(b':');
                        out.extend_from_slice(p);
                    }
                    out.push(b'@');
                }
                out.extend_from_slice(&s.host);
                if let Some(p) = s.port {
                    out.push(b':');
                    out.extend_from_slice(p.to_string().as_bytes());
                }
                out.extend_from_slice(&s.params);
                if !s.headers.is_empty() {
                    out.push(b'?');
                    out.extend_from_slice(&s.headers);
                }
            }
            Uri::Tel(t) => {
                out.extend_from_slice(b"tel:");
                out.extend_from_slice(&t.number);
                out.extend_from_slice(&t.params);
            }
            Uri::Other { raw, .. } => out.extend_from_slice(raw),
        }
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// Decode %-escapes (RFC 3261 §19.1.2). Invalid escapes are kept literally.
pub fn unescape(b: &[u8]) -> Cow<'_, [u8]> {
    if !b.contains(&b'%') {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(out)
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Characters never allowed anywhere inside a URI (whitespace, controls, delimiters).
const fn forbidden(c: u8) -> bool {
    c <= b' '
        || c >= 0x7f
        || matches!(
            c,
            b'<' | b'>' | b'"' | b'\\' | b'{' | b'}' | b'|' | b'^' | b'`'
        )
}

/// Spans of a parsed URI, relative to the parsed slice (see [`parse_uri_sp`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum UriSp {
    Sip {
        scheme: Sp,
        user: Option<Sp>,
        password: Option<Sp>,
        host: Sp,
        port: Option<u16>,
        params: Sp,
        headers: Sp,
    },
    Tel {
        number: Sp,
        params: Sp,
    },
    Other {
        scheme: Sp,
    },
}

impl UriSp {
    /// Materialize from the same bytes that were parsed.
    pub(crate) fn build(&self, b: &Bytes) -> Uri {
        match *self {
            UriSp::Sip {
                scheme,
                user,
                password,
                host,
                port,
                params,
                headers,
            } => Uri::Sip(SipUri {
                scheme: sl(b, scheme),
                user: osl(b, user),
                password: osl(b, password),
                host: sl(b, host),
                port,
                params: sl(b, params),
                headers: sl(b, headers),
            }),
            UriSp::Tel { number, params } => Uri::Tel(TelUri {
                number: sl(b, number),
                params: sl(b, params),
            }),
            UriSp::Other { scheme } => Uri::Other {
                scheme: sl(b, scheme),
                raw: b.clone(),
            },
        }
    }
    /// Does a SIP URI carry `?headers`?
    pub(crate) fn has_headers(&self) -> bool {
        matches!(self, UriSp::Sip { headers, .. } if headers.1 > headers.0)
    }
}

/// Parse a complete URI. Standalone entry point (fuzz-friendly).
pub fn parse_uri(b: Bytes) -> Result<Uri, UriError> {
    parse_uri_sp(&b).map(|u| u.build(&b))
}

/// Validate a URI and record its parts as spans (no allocation, no refcounting).
#[inline]
pub(crate) fn parse_uri_sp(b: &[u8]) -> Result<UriSp, UriError> {
    // Fast path for the common "sip:" (hot: every Request-URI and name-addr).
    let sip4 = b.len() > 4 && b[..4].eq_ignore_ascii_case(b"sip:");
    let colon = if sip4 {
        3
    } else {
        find_byte(b, b':').ok_or(UriError("missing scheme"))?
    };
    let scheme = &b[..colon];
    if sip4 {
        // Scheme already known to be valid.
    } else if scheme.is_empty()
        || !scheme[0].is_ascii_alphabetic()
        || !scheme
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return Err(UriError("bad scheme"));
    }
    let is_sip =
        sip4 || scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips");
    // SIP URIs check illegal characters per part (host and port have stricter
    // grammars of their own), others over the whole text.
    if !is_sip && any_forbidden(b) {
        return Err(UriError("illegal character"));
    }
    if colon + 1 >= b.len() {
        return Err(UriError("empty URI"));
    }
    let rest = colon + 1;
    if is_sip {
        parse_sip(b, colon)
    } else if scheme.eq_ignore_ascii_case(b"tel") {
        let semi = find_byte(&b[rest..], b';').map_or(b.len(), |p| p + rest);
        if semi == rest {
            return Err(UriError("empty tel number"));
        }
        Ok(UriSp::Tel {
            number: (rest, semi),
            params: (semi, b.len()),
        })
    } else {
        Ok(UriSp::Other { scheme: (0, colon) })
    }
}

/// Any byte never allowed in a URI? Branch-free OR over 16-byte chunks.
#[inline]
fn any_forbidden(b: &[u8]) -> bool {
    b.chunks(16)
        .any(|ch| ch.iter().fold(0u8, |a, &c| a | FORBIDDEN[c as usize]) != 0)
}

/// `forbidden` as a table (hot: every URI byte is checked).
const fn forbidden_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = forbidden(i as u8) as u8;
        i += 1;
    }
    t
}
static FORBIDDEN: [u8; 256] = forbidden_table();

const fn host_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_');
        i += 1;
    }
    t
}
static HOST: [bool; 256] = host_table();

#[inline]
pub(crate) fn is_host_char(c: u8) -> bool {
    HOST[c as usize]
}

#[inline]
fn parse_sip(b: &[u8], colon: usize) -> Result<UriSp, UriError> {
    let rest = colon + 1;
    let n = b.len();
    // userinfo cannot contain '@' (it must be escaped), so the first '@' ends it.
    let (user, password, hp) = match find_byte(&b[rest..], b'@') {
        Some(at) => {
            let at = at + rest;
            if at == rest {
                return Err(UriError("empty user"));
            }
            if any_forbidden(&b[rest..at]) {
                return Err(UriError("illegal character"));
            }
            match b[rest..at].iter().position(|&c| c == b':') {
                Some(c) => (Some((rest, rest + c)), Some((rest + c + 1, at)), at + 1),
                None => (Some((rest, at)), None, at + 1),
            }
        }
        None => (None, None, rest),
    };
    let (host, mut i) = if b.get(hp) == Some(&b'[') {
        let close = b[hp..]
            .iter()
            .position(|&c| c == b']')
            .ok_or(UriError("unterminated IPv6 reference"))?
            + hp;
        let inner = &b[hp + 1..close];
        if inner.is_empty()
            || !inner
                .iter()
                .all(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
        {
            return Err(UriError("bad IPv6 reference"));
        }
        ((hp, close + 1), close + 1)
    } else {
        let end = hp
            + b[hp..]
                .iter()
                .position(|&c| !is_host_char(c))
                .unwrap_or(n - hp);
        if end == hp || (end < n && !matches!(b[end], b':' | b';' | b'?')) {
            return Err(UriError("bad host"));
        }
        ((hp, end), end)
    };
    let mut port = None;
    if b.get(i) == Some(&b':') {
        let s = i + 1;
        let mut e = s;
        while e < n && b[e].is_ascii_digit() {
            e += 1;
        }
        let p = crate::sip::scan::parse_u64(&b[s..e]).ok_or(UriError("bad port"))?;
        port = Some(u16::try_from(p).map_err(|_| UriError("port out of range"))?);
        i = e;
    }
    if any_forbidden(&b[i..]) {
        return Err(UriError("illegal character"));
    }
    let qpos = find_byte(&b[i..], b'?').map(|p| p + i);
    let pend = qpos.unwrap_or(n);
    let params = &b[i..pend];
    if !params.is_empty() && params[0] != b';' {
        return Err(UriError("garbage after host"));
    }
    if params.windows(2).any(|w| w == b";;") || params.last() == Some(&b';') && params.len() == 1 {
        return Err(UriError("empty uri-parameter"));
    }
    let headers = match qpos {
        Some(q) => (q + 1, n),
        None => (n, n),
    };
    Ok(UriSp::Sip {
        scheme: (0, colon),
        user,
        password,
        host,
        port,
        params: (i, pend),
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Uri {
        parse_uri(Bytes::copy_from_slice(s.as_bytes())).expect(s)
    }

    #[test]
    fn basic_sip() {
        let u = p("sip:alice:secret@example.com:5070;transport=tcp;lr?subject=hi&priority=urgent");
        let s = u.as_sip().unwrap();
        assert_eq!(s.user.as_deref(), Some(&b"alice"[..]));
        assert_eq!(s.password.as_deref(), Some(&b"secret"[..]));
        assert_eq!(&s.host[..], b"example.com");
        assert_eq!(s.port, Some(5070));
        assert_eq!(s.transport().as_deref(), Some(&b"tcp"[..]));
        assert!(s.lr());
        let h: Vec<_> = s.header_iter().collect();
        assert_eq!(h.len(), 2);
        assert_eq!(&h[1].0[..], b"priority");
        assert_eq!(
            u.to_bytes(),
            "sip:alice:secret@example.com:5070;transport=tcp;lr?subject=hi&priority=urgent"
        );
    }

    #[test]
    fn ipv6_and_sips() {
        let u = p("SIPS:[2001:db8::10]:5061;maddr=[2001:db8::1]");
        let s = u.as_sip().unwrap();
        assert!(s.is_secure());
        assert_eq!(&s.host[..], b"[2001:db8::10]");
        assert_eq!(s.host_bare(), b"2001:db8::10");
        assert_eq!(s.port, Some(5061));
        assert_eq!(s.maddr().as_deref(), Some(&b"[2001:db8::1]"[..]));
        assert!(parse_uri(Bytes::from_static(b"sip:[2001:db8::10")).is_err());
    }

    #[test]
    fn escapes() {
        let u = p("sip:sips%3Auser%40example.com@example.net");
        let s = u.as_sip().unwrap();
        assert_eq!(s.user.as_deref(), Some(&b"sips%3Auser%40example.com"[..]));
        assert_eq!(
            &unescape(s.user.as_ref().unwrap())[..],
            b"sips:user@example.com"
        );
        assert_eq!(&unescape(b"null-%00-null")[..], b"null-\0-null");
        assert_eq!(&unescape(b"100%")[..], b"100%");
    }

    #[test]
    fn tel_and_other() {
        match p("tel:+1-201-555-0123;phone-context=example.com") {
            Uri::Tel(t) => {
                assert_eq!(&t.number[..], b"+1-201-555-0123");
                assert_eq!(&t.params[..], b";phone-context=example.com");
            }
            u => panic!("{u:?}"),
        }
        let u = p("nobodyKnowsThisScheme:totallyopaque");
        assert_eq!(u.scheme(), b"nobodyKnowsThisScheme");
        assert!(matches!(u, Uri::Other { .. }));
    }

    #[test]
    fn rejects() {
        for s in [
            "<sip:a@b>",
            "sip:",
            "sip:a@",
            "sip:a b@c",
            "sip:host:99999",
            "sip:host:x",
            "1ab:foo",
        ] {
            assert!(
                parse_uri(Bytes::copy_from_slice(s.as_bytes())).is_err(),
                "{s}"
            );
        }
    }
}
