//! name-addr / addr-spec with header params: From, To, Route, Record-Route, Path,
//! Contact (RFC 3261 §20.10, §20.20, §20.39, §25.1).

use super::params::{self, next_param};
use crate::sip::scan::{find_byte, is_lws, is_token, osl, sl, unquote, Scanner, Sp};
use crate::sip::uri::{parse_uri_sp, Uri, UriSp};
use bytes::Bytes;
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name as received: quoted-string (with quotes) or token sequence.
    pub display: Option<Bytes>,
    pub uri: Uri,
    /// URI was enclosed in `<>`.
    pub angle: bool,
    /// Raw header params (each with its leading `;`).
    pub params: Bytes,
    pub tag: Option<Bytes>,
}

impl NameAddr {
    /// Display name with quotes and `\` escapes removed.
    pub fn display_name(&self) -> Option<Cow<'_, [u8]>> {
        self.display.as_deref().map(unquote)
    }
    pub fn param(&self, name: &str) -> Option<Option<Bytes>> {
        params::find(&self.params, name)
    }
    /// A name-addr for a URI (`<uri>`).
    pub fn from_uri(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            angle: true,
            params: Bytes::new(),
            tag: None,
        }
    }
    pub fn to_bytes(&self) -> Bytes {
        let mut o = Vec::with_capacity(64);
        if let Some(d) = &self.display {
            o.extend_from_slice(d);
            o.push(b' ');
        }
        o.push(b'<');
        self.uri.write_to(&mut o);
        o.push(b'>');
        o.extend_from_slice(&self.params);
        Bytes::from(o)
    }
}

/// Which defect made a name-addr fail; mapped to a reason phrase by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NaError {
    UnterminatedQuote,
    AngleImbalance,
    BadUri,
    BadDisplayName,
    BadParam,
    Trailing,
    HeadersInAddrSpec,
}

/// Spans of one name-addr, relative to the parsed header value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameAddrSp {
    display: Option<Sp>,
    /// Span of the URI text; `uri_sp` is relative to it.
    uri: Sp,
    uri_sp: UriSp,
    angle: bool,
    pub(crate) params: Sp,
    tag: Option<Sp>,
}

impl NameAddrSp {
    pub(crate) fn build(&self, v: &Bytes) -> NameAddr {
        NameAddr {
            display: osl(v, self.display),
            uri: self.uri_sp.build(&sl(v, self.uri)),
            angle: self.angle,
            params: sl(v, self.params),
            tag: osl(v, self.tag),
        }
    }
}

/// Parse one name-addr at the scanner. `list`: a `,` ends the element.
pub(crate) fn parse_name_addr(sc: &mut Scanner<'_>, list: bool) -> Result<NameAddrSp, NaError> {
    parse_name_addr_with(sc, list, |_, _| Ok(()))
}

/// [`parse_name_addr`], handing every header param (name, value span) to `on_param`
/// in the same pass (Contact reads q / expires / +sip.instance / reg-id this way).
#[inline(always)]
pub(crate) fn parse_name_addr_with(
    sc: &mut Scanner<'_>,
    list: bool,
    mut on_param: impl FnMut(&[u8], Option<Sp>) -> Result<(), NaError>,
) -> Result<NameAddrSp, NaError> {
    sc.skip_lws();
    let mut display = None;
    let mut angle = false;
    if sc.peek() == Some(b'"') {
        display = Some(sc.quoted().ok_or(NaError::UnterminatedQuote)?);
        sc.skip_lws();
        if sc.peek() != Some(b'<') {
            return Err(NaError::AngleImbalance);
        }
        angle = true;
    } else {
        // *(token LWS) "<"  vs addr-spec: look ahead without consuming.
        let start = sc.pos;
        let mut last_end = start;
        loop {
            let t = sc.take_while(is_token);
            if t.1 == t.0 {
                break;
            }
            last_end = sc.pos;
            sc.skip_lws();
        }
        if sc.peek() == Some(b'<') {
            angle = true;
            if last_end > start {
                display = Some((start, last_end));
            }
        } else {
            sc.pos = start;
        }
    }
    let uri;
    let uri_sp;
    if angle {
        sc.pos += 1; // '<'
        let a = sc.pos;
        let rest = sc.rest();
        let close = find_byte(rest, b'>').ok_or(NaError::AngleImbalance)?;
        // '<' is not a URI character, so a nested '<' makes the URI parse fail; tell
        // the two defects apart only then (keeps the hot path to one scan).
        uri_sp = parse_uri_sp(&rest[..close]).map_err(|_| {
            if rest[..close].contains(&b'<') {
                NaError::AngleImbalance
            } else {
                NaError::BadUri
            }
        })?;
        uri = (a, a + close);
        sc.pos = a + close + 1;
    } else {
        let a = sc.pos;
        let rest = sc.rest();
        let mut end = rest
            .iter()
            .position(|&c| is_lws(c) || (list && c == b',') || c == b'<' || c == b'>')
            .unwrap_or(rest.len());
        if rest.get(end).is_some_and(|&c| c == b'<' || c == b'>') {
            return Err(
                if rest[..end].contains(&b'"') || rest[..end].contains(&b',') {
                    NaError::BadDisplayName
                } else {
                    NaError::AngleImbalance
                },
            );
        }
        // addr-spec: header params start at the first ';' after the userinfo.
        let cand = &rest[..end];
        let from = cand.iter().position(|&c| c == b'@').unwrap_or(0);
        if let Some(s) = cand[from..].iter().position(|&c| c == b';') {
            end = from + s;
        }
        let u = &rest[..end];
        if u.contains(&b'?') {
            // RFC 3261 §20: URIs with headers (or , ; ?) must use name-addr.
            return Err(NaError::HeadersInAddrSpec);
        }
        if u.contains(&b',') || u.contains(&b'"') {
            return Err(NaError::BadDisplayName);
        }
        uri_sp = parse_uri_sp(u).map_err(|_| NaError::BadUri)?;
        uri = (a, a + end);
        sc.pos = a + end;
    }
    let pstart = sc.pos;
    let mut tag = None;
    while let Some((n, v)) = next_param(sc).map_err(|_| NaError::BadParam)? {
        if n.eq_ignore_ascii_case(b"tag") {
            tag = Some(v.ok_or(NaError::BadParam)?);
        }
        on_param(n, v)?;
    }
    let params = (pstart, sc.pos);
    sc.skip_lws();
    if !(sc.at_end() || (list && sc.peek() == Some(b','))) {
        return Err(NaError::Trailing);
    }
    Ok(NameAddrSp {
        display,
        uri,
        uri_sp,
        angle,
        params,
        tag,
    })
}

/// Validate a single-valued From/To value.
pub(crate) fn scan_single(v: &[u8]) -> Result<NameAddrSp, NaError> {
    let mut sc = Scanner::new(v);
    parse_name_addr(&mut sc, false)
}

/// Parse a single-valued From/To value.
pub fn parse_single(v: &Bytes) -> Result<NameAddr, NaError> {
    scan_single(v).map(|s| s.build(v))
}

/// Validate a comma-separated list (Route, Record-Route, Path), handing each element
/// to `f`.
pub(crate) fn scan_list(v: &[u8], mut f: impl FnMut(NameAddrSp)) -> Result<(), NaError> {
    let mut sc = Scanner::new(v);
    loop {
        f(parse_name_addr(&mut sc, true)?);
        if !sc.eat(b',') {
            return Ok(());
        }
    }
}

/// Parse a comma-separated list (Route, Record-Route, Path) appending to `out`.
pub fn parse_list(v: &Bytes, out: &mut Vec<NameAddr>) -> Result<(), NaError> {
    scan_list(v, |s| out.push(s.build(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> NameAddr {
        parse_single(&Bytes::copy_from_slice(s.as_bytes())).expect(s)
    }

    #[test]
    fn quoted_display_with_escapes() {
        let n = one(r#""J Rosenberg \\\""       <sip:jdrosen@example.com>  ;  tag = 98asjd8"#);
        assert_eq!(&n.display_name().unwrap()[..], br#"J Rosenberg \""#);
        assert_eq!(n.tag.as_deref(), Some(&b"98asjd8"[..]));
        assert!(n.angle);
    }

    #[test]
    fn token_display_and_addr_spec() {
        let n = one("caller<sip:caller@example.com>;tag=323");
        assert_eq!(n.display.as_deref(), Some(&b"caller"[..]));
        let n = one("sip:user;par=u%40example.net@example.com;tag=1;x");
        assert_eq!(n.tag.as_deref(), Some(&b"1"[..]));
        assert_eq!(
            n.uri.as_sip().unwrap().user.as_deref(),
            Some(&b"user;par=u%40example.net"[..])
        );
        assert_eq!(n.param("x"), Some(None));
        let n = one("Alice Smith <sip:a@b;lr>;tag=9");
        assert_eq!(n.display.as_deref(), Some(&b"Alice Smith"[..]));
        assert!(n.uri.as_sip().unwrap().lr());
    }

    #[test]
    fn defects() {
        let e = |s: &str| parse_single(&Bytes::copy_from_slice(s.as_bytes())).unwrap_err();
        assert_eq!(
            e(r#""Mr. J. User <sip:j.user@example.com>"#),
            NaError::UnterminatedQuote
        );
        assert_eq!(
            e("Bell, Alexander <sip:a.g.bell@example.com>;tag=43"),
            NaError::BadDisplayName
        );
        assert_eq!(e("\"W\" < sip:t.watson@example.org >"), NaError::BadUri);
        assert_eq!(e("<sip:a@b"), NaError::AngleImbalance);
        assert_eq!(
            e("sip:user@example.com?Route=%3Csip:x%3E"),
            NaError::HeadersInAddrSpec
        );
    }

    #[test]
    fn list() {
        let mut v = Vec::new();
        parse_list(
            &Bytes::from_static(b"<sip:a@b;lr>, \"x,y\" <sip:c>;p=1"),
            &mut v,
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].param("p"), Some(Some(Bytes::from_static(b"1"))));
    }
}
