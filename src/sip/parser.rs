//! Message parser: start line, header block (folding, compact forms), body framing and
//! the RFC 3261 / RFC 4475 semantic checks.

use crate::sip::error::{ParseError, Recovered};
use crate::sip::header::auth::scan_auth;
use crate::sip::header::contact::{delta_seconds, scan_contacts};
use crate::sip::header::cseq::{parse_cseq_sp, CSeq};
use crate::sip::header::name_addr::{scan_list, scan_single, NaError};
use crate::sip::header::tags::{parse_u32, scan_option_tags};
use crate::sip::header::via::scan_via_list;
use crate::sip::header::{Header, HeaderKind};
use crate::sip::message::{Headers, Message, Request, Response};
use crate::sip::method::Method;
use crate::sip::scan::{find_byte, is_token, trim, Sp};
use crate::sip::uri::parse_uri_sp;
use bytes::Bytes;
use std::sync::OnceLock;

/// Largest message accepted (bytes); bigger input is refused without allocation.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;
/// Most header lines accepted in one message.
pub const MAX_HEADERS: usize = 256;

type PResult<T> = Result<T, (u16, &'static str)>;

fn bad<T>(reason: &'static str) -> PResult<T> {
    Err((400, reason))
}

#[allow(clippy::large_enum_variant)] // transient local, never stored
enum Start {
    Req {
        method: Method,
        uri_sp: Sp,
        has_uri_headers: bool,
        version: Bytes,
    },
    Resp {
        version: Bytes,
        status: u16,
        reason: Bytes,
    },
}

/// Parse one complete SIP message (a UDP datagram or one framed stream message).
pub fn parse_message(buf: Bytes) -> Result<Message, ParseError> {
    if buf.len() > MAX_MESSAGE_SIZE {
        return Err(ParseError::new(513, "Message Too Large"));
    }
    // RFC 3261 §7.5: ignore CRLFs before the start line (keep-alives).
    let mut pos = 0;
    while pos < buf.len() && (buf[pos] == b'\r' || buf[pos] == b'\n') {
        pos += 1;
    }
    let Some(lf) = find_byte(&buf[pos..], b'\n').map(|p| p + pos) else {
        return Err(ParseError::bad("Bad Request - Missing header section"));
    };
    let line_end = if lf > pos && buf[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    };
    let start_raw = buf.slice(pos..line_end);
    let is_response = start_raw.len() >= 4 && start_raw[..4].eq_ignore_ascii_case(b"SIP/");
    let start = parse_start_line(&start_raw, is_response);

    let mut list: Vec<Header> = Vec::with_capacity(24);
    let (body_start, raw_err) = split_headers(&buf, lf + 1, &mut list);

    let fail = |status: u16, reason: &'static str, list: &[Header]| -> ParseError {
        let mut e = ParseError::new(status, reason);
        if !is_response {
            e.recovered = recover(&buf, list);
        }
        e
    };
    let start = match start {
        Ok(s) => s,
        Err((st, r)) => return Err(fail(st, r, &list)),
    };
    if let Some((st, r)) = raw_err {
        return Err(fail(st, r, &list));
    }
    let headers = match type_headers(&buf, &list) {
        Ok(h) => h,
        Err((st, r)) => return Err(fail(st, r, &list)),
    };
    // Body framing, RFC 3261 §18.3: extra octets after Content-Length are discarded
    // (datagram); fewer octets than announced is an error.
    let avail = buf.len().saturating_sub(body_start);
    let body = match headers.content_length {
        Some(cl) => {
            let cl = cl as usize;
            if cl > avail {
                return Err(fail(400, "Bad Request - Content-Length mismatch", &list));
            }
            buf.slice(body_start..body_start + cl)
        }
        None => buf.slice(body_start.min(buf.len())..),
    };
    let finish = |mut headers: Box<Headers>, list: Vec<Header>| {
        headers.list = list;
        headers
    };
    Ok(match start {
        Start::Req {
            method,
            uri_sp,
            has_uri_headers,
            version,
        } => {
            // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI.
            if has_uri_headers {
                return Err(fail(
                    400,
                    "Bad Request - Request-URI contains escaped headers",
                    &list,
                ));
            }
            if headers.cseq.method != method {
                return Err(fail(
                    400,
                    "Bad Request - CSeq method does not match request method",
                    &list,
                ));
            }
            Message::Request(Request {
                method,
                uri: OnceLock::new(),
                uri_sp,
                version,
                headers: finish(headers, list),
                body,
                start_raw,
            })
        }
        Start::Resp {
            version,
            status,
            reason,
        } => Message::Response(Response {
            version,
            status,
            reason,
            headers: finish(headers, list),
            body,
            start_raw,
        }),
    })
}

fn parse_start_line(line: &Bytes, is_response: bool) -> PResult<Start> {
    if is_response {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
        let sp = line
            .iter()
            .position(|&c| c == b' ')
            .ok_or((400, "Bad Request - Malformed Status-Line"))?;
        let version = line.slice(..sp);
        if !version.eq_ignore_ascii_case(b"SIP/2.0") {
            return Err((505, "Version Not Supported"));
        }
        let rest = &line[sp + 1..];
        if rest.len() < 3
            || !rest[..3].iter().all(u8::is_ascii_digit)
            || rest.get(3).is_some_and(|&c| c != b' ')
        {
            return bad("Bad Request - Malformed Status-Code");
        }
        let status = u16::from(rest[0] - b'0') * 100
            + u16::from(rest[1] - b'0') * 10
            + u16::from(rest[2] - b'0');
        if !(100..=699).contains(&status) {
            return bad("Bad Request - Status-Code out of range");
        }
        let reason = if rest.len() > 4 {
            line.slice(sp + 5..)
        } else {
            Bytes::new()
        };
        return Ok(Start::Resp {
            version,
            status,
            reason,
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly two
    // single SPs; RFC 4475 lwsstart / trws / lwsruri are all refused here.
    let first = line
        .iter()
        .position(|&c| c == b' ')
        .ok_or((400, "Bad Request - Malformed Request-Line"))?;
    let last = line.iter().rposition(|&c| c == b' ').unwrap_or(first);
    let version = line.slice(last + 1..);
    if version.len() > 4
        && version[..4].eq_ignore_ascii_case(b"SIP/")
        && !version.eq_ignore_ascii_case(b"SIP/2.0")
    {
        return Err((505, "Version Not Supported"));
    }
    if last == first || !version.eq_ignore_ascii_case(b"SIP/2.0") {
        return bad("Bad Request - Malformed Request-Line");
    }
    let m = &line[..first];
    if m.is_empty() || !m.iter().all(|&c| is_token(c)) {
        return bad("Bad Request - Malformed method");
    }
    let u = &line[first + 1..last];
    if u.is_empty() {
        return bad("Bad Request - Malformed Request-Line");
    }
    // SP / HT are not URI characters: look for them only when the URI is refused.
    let uri = parse_uri_sp(u).map_err(|_| {
        if u.iter().any(|&c| c == b' ' || c == b'\t') {
            (400, "Bad Request - Malformed Request-Line")
        } else {
            (400, "Bad Request - Malformed Request-URI")
        }
    })?;
    Ok(Start::Req {
        method: Method::from_slice(line, (0, first)),
        uri_sp: (first + 1, last),
        has_uri_headers: uri.has_headers(),
        version,
    })
}

/// Split the header block into raw lines, joining folded continuation lines
/// (RFC 3261 §7.3.1). Returns the body offset and the first defect, if any (parsing
/// continues past defects so a request's Via/From/To/... can still be recovered).
fn split_headers(
    buf: &Bytes,
    mut pos: usize,
    list: &mut Vec<Header>,
) -> (usize, Option<(u16, &'static str)>) {
    let b = buf.as_ref();
    let n = b.len();
    let mut err = None;
    loop {
        if pos >= n {
            return (n, err);
        }
        // Blank line ends the header block (CRLF or bare LF tolerated).
        if b[pos] == b'\n' {
            return (pos + 1, err);
        }
        if b[pos] == b'\r' && b.get(pos + 1) == Some(&b'\n') {
            return (pos + 2, err);
        }
        let start = pos;
        // Find the end of this logical line: LF not followed by SP/HT.
        let mut end;
        loop {
            match find_byte(&b[pos..], b'\n') {
                Some(p) => {
                    let lf = pos + p;
                    end = lf;
                    pos = lf + 1;
                    if pos < n && (b[pos] == b' ' || b[pos] == b'\t') {
                        continue;
                    }
                }
                None => {
                    end = n;
                    pos = n;
                }
            }
            break;
        }
        if end > start && b[end - 1] == b'\r' {
            end -= 1;
        }
        if b[start] == b' ' || b[start] == b'\t' {
            err.get_or_insert((400, "Bad Request - Folded line without header"));
            continue;
        }
        let line = &b[start..end];
        // Fast path: token name, optional SP/HT, colon (RFC 3261 §7.3.1).
        let nl = line
            .iter()
            .position(|&c| !is_token(c))
            .unwrap_or(line.len());
        let mut j = nl;
        while j < line.len() && (line[j] == b' ' || line[j] == b'\t') {
            j += 1;
        }
        if nl > 0 && line.get(j) == Some(&b':') {
            if list.len() >= MAX_HEADERS {
                err.get_or_insert((400, "Bad Request - Too many header fields"));
                continue;
            }
            let value = trim(&line[j + 1..]);
            let vs = if value.is_empty() {
                start + j + 1
            } else {
                value.as_ptr() as usize - b.as_ptr() as usize
            };
            list.push(Header::parsed(
                HeaderKind::from_token(&line[..nl]),
                (start, start + nl),
                (vs, vs + value.len()),
                end,
            ));
            continue;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            err.get_or_insert((400, "Bad Request - Malformed header line"));
            continue;
        };
        let mut ne = colon;
        while ne > 0 && (line[ne - 1] == b' ' || line[ne - 1] == b'\t') {
            ne -= 1;
        }
        let name = &line[..ne];
        if name.is_empty() || !name.iter().all(|&c| is_token(c)) {
            err.get_or_insert((400, "Bad Request - Malformed header name"));
            continue;
        }
        if list.len() >= MAX_HEADERS {
            err.get_or_insert((400, "Bad Request - Too many header fields"));
            continue;
        }
        let value = trim(&line[colon + 1..]);
        let vs = if value.is_empty() {
            start + colon + 1
        } else {
            value.as_ptr() as usize - b.as_ptr() as usize
        };
        list.push(Header::parsed(
            HeaderKind::from_name(name),
            (start, start + ne),
            (vs, vs + value.len()),
            end,
        ));
    }
}

fn recover(buf: &Bytes, list: &[Header]) -> Option<Box<Recovered>> {
    let mut r = Recovered::default();
    for h in list {
        let v = || h.value_bytes(buf);
        match h.kind {
            HeaderKind::Via if r.via.len() < 32 => r.via.push(v()),
            HeaderKind::From => {
                r.from.get_or_insert_with(v);
            }
            HeaderKind::To => {
                r.to.get_or_insert_with(v);
            }
            HeaderKind::CallId => {
                r.call_id.get_or_insert_with(v);
            }
            HeaderKind::CSeq => {
                r.cseq.get_or_insert_with(v);
            }
            _ => {}
        }
    }
    if r.via.is_empty() {
        None
    } else {
        Some(Box::new(r))
    }
}

fn na_reason(kind: HeaderKind, e: NaError) -> &'static str {
    use HeaderKind as K;
    match (e, kind) {
        (NaError::UnterminatedQuote, _) => "Bad Request - Unterminated quoted string",
        (NaError::AngleImbalance, _) => "Bad Request - Unbalanced < > in name-addr",
        (NaError::BadDisplayName, _) => "Bad Request - Malformed display name",
        (NaError::HeadersInAddrSpec, _) => "Bad Request - URI with headers must be enclosed in < >",
        (NaError::BadUri, K::From) => "Bad Request - Malformed From URI",
        (NaError::BadUri, K::To) => "Bad Request - Malformed To URI",
        (NaError::BadUri, K::Contact) => "Bad Request - Malformed Contact URI",
        (NaError::BadUri, _) => "Bad Request - Malformed URI in header",
        (_, K::From) => "Bad Request - Malformed From header",
        (_, K::To) => "Bad Request - Malformed To header",
        (_, K::Contact) => "Bad Request - Malformed Contact header",
        (_, K::Route) => "Bad Request - Malformed Route header",
        (_, K::RecordRoute) => "Bad Request - Malformed Record-Route header",
        _ => "Bad Request - Malformed Path header",
    }
}

/// Validate every typed header (RFC 3261 §20 grammars, RFC 4475 torture cases) and keep
/// the scalars; structured values are rebuilt lazily by the `Headers` accessors.
fn type_headers(buf: &Bytes, list: &[Header]) -> PResult<Box<Headers>> {
    let mut vias = 0usize;
    let (mut from, mut to) = (false, false);
    let mut call_id = None;
    let mut cseq = None;
    let mut max_forwards = None;
    let (mut contact_star, mut contact_any) = (false, false);
    let mut content_length: Option<u32> = None;
    let mut content_type = false;
    let mut expires = None;
    let mut min_expires = None;

    for h in list {
        let v: &[u8] = h.value(buf);
        use HeaderKind as K;
        match h.kind {
            K::Via => scan_via_list(v, |_| vias += 1)
                .map_err(|_| (400, "Bad Request - Malformed Via header"))?,
            K::From => {
                if from {
                    return bad("Bad Request - Multiple From headers");
                }
                scan_single(v).map_err(|e| (400, na_reason(K::From, e)))?;
                from = true;
            }
            K::To => {
                if to {
                    return bad("Bad Request - Multiple To headers");
                }
                scan_single(v).map_err(|e| (400, na_reason(K::To, e)))?;
                to = true;
            }
            K::CallId => {
                if call_id.is_some() {
                    return bad("Bad Request - Multiple Call-ID headers");
                }
                // callid = word [ "@" word ] (RFC 3261 §25.1): no whitespace inside.
                if v.is_empty() || v.iter().any(|&c| c <= b' ' || c >= 0x7f) {
                    return bad("Bad Request - Malformed Call-ID header");
                }
                call_id = Some(h.value_bytes(buf));
            }
            K::CSeq => {
                if cseq.is_some() {
                    return bad("Bad Request - Multiple CSeq headers");
                }
                let vs = h.value_span().0;
                let (n, m) =
                    parse_cseq_sp(v).map_err(|_| (400, "Bad Request - Malformed CSeq header"))?;
                cseq = Some(CSeq {
                    seq: n,
                    method: Method::from_slice(buf, (vs + m.0, vs + m.1)),
                });
            }
            K::MaxForwards => {
                if max_forwards.is_some() {
                    return bad("Bad Request - Multiple Max-Forwards headers");
                }
                // RFC 3261 §20.22: 0-255 (RFC 4475 scalar02).
                let n = parse_u32(v).filter(|&n| n <= 255);
                max_forwards = Some(n.ok_or((400, "Bad Request - Malformed Max-Forwards header"))?);
            }
            K::Contact => {
                contact_star |= scan_contacts(v, |_| contact_any = true)
                    .map_err(|e| (400, na_reason(K::Contact, e)))?;
                if contact_star && contact_any {
                    return bad("Bad Request - Contact * mixed with addresses");
                }
            }
            K::Route | K::RecordRoute | K::Path => {
                scan_list(v, |_| ()).map_err(|e| (400, na_reason(h.kind, e)))?
            }
            K::ContentLength => {
                let n = parse_u32(v).ok_or((400, "Bad Request - Malformed Content-Length"))?;
                if content_length.is_some_and(|c| c != n) {
                    return bad("Bad Request - Multiple conflicting Content-Length values");
                }
                content_length = Some(n);
            }
            K::ContentType => {
                if content_type {
                    return bad("Bad Request - Multiple Content-Type headers");
                }
                if !v.contains(&b'/') {
                    return bad("Bad Request - Malformed Content-Type header");
                }
                content_type = true;
            }
            K::Expires => expires = Some(delta_seconds(v)),
            K::MinExpires => min_expires = Some(delta_seconds(v)),
            K::Require => scan_option_tags(v, |_| ())
                .map_err(|_| (400, "Bad Request - Malformed Require header"))?,
            K::ProxyRequire => scan_option_tags(v, |_| ())
                .map_err(|_| (400, "Bad Request - Malformed Proxy-Require header"))?,
            K::Supported => scan_option_tags(v, |_| ())
                .map_err(|_| (400, "Bad Request - Malformed Supported header"))?,
            K::Unsupported => scan_option_tags(v, |_| ())
                .map_err(|_| (400, "Bad Request - Malformed Unsupported header"))?,
            K::Authorization => scan_auth(v, |_, _| ())
                .map(drop)
                .map_err(|_| (400, "Bad Request - Malformed Authorization header"))?,
            K::ProxyAuthorization => scan_auth(v, |_, _| ())
                .map(drop)
                .map_err(|_| (400, "Bad Request - Malformed Proxy-Authorization header"))?,
            K::WwwAuthenticate => scan_auth(v, |_, _| ())
                .map(drop)
                .map_err(|_| (400, "Bad Request - Malformed WWW-Authenticate header"))?,
            K::ProxyAuthenticate => scan_auth(v, |_, _| ())
                .map(drop)
                .map_err(|_| (400, "Bad Request - Malformed Proxy-Authenticate header"))?,
            _ => {}
        }
    }
    // RFC 3261 §8.1.1: mandatory headers (Max-Forwards is tolerated when absent).
    if vias == 0 {
        return bad("Bad Request - Missing Via header");
    }
    if !from {
        return bad("Bad Request - Missing From header");
    }
    if !to {
        return bad("Bad Request - Missing To header");
    }
    let call_id = call_id.ok_or((400, "Bad Request - Missing Call-ID header"))?;
    let cseq = cseq.ok_or((400, "Bad Request - Missing CSeq header"))?;
    let mut h = Box::new(Headers::from_list(buf.clone(), Vec::new(), call_id, cseq));
    h.max_forwards = max_forwards;
    h.contact_star = contact_star;
    h.content_length = content_length;
    h.expires = expires;
    h.min_expires = min_expires;
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_bare_lf() {
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n ;branch=z9hG4bK1\r\nFrom: <sip:c@d>\r\n\t;tag=1\nTo: sip:a@b\r\nCall-ID: x@y\r\nCSeq:\r\n 1\r\n OPTIONS\r\nX-Long: one\r\n  two\r\n\r\n";
        let m = parse_message(Bytes::from_static(m)).unwrap();
        let h = m.headers();
        assert_eq!(
            h.top_via().unwrap().branch.as_deref(),
            Some(&b"z9hG4bK1"[..])
        );
        assert_eq!(h.from().tag.as_deref(), Some(&b"1"[..]));
        assert_eq!(h.cseq().seq, 1);
        assert_eq!(h.get("x-long").unwrap(), b"one\r\n  two");
        assert_eq!(h.len(), 6);
    }

    #[test]
    fn start_line_errors() {
        let st = |s: &'static str| parse_message(Bytes::from_static(s.as_bytes())).unwrap_err();
        assert_eq!(
            st("INVITE sip:a@b SIP/3.0\r\nVia: SIP/2.0/UDP h\r\n\r\n").status,
            505
        );
        assert!(st("INVITE sip:a@b SIP/3.0\r\nVia: SIP/2.0/UDP h\r\n\r\n")
            .error_response()
            .is_some());
        assert!(st("SIP/2.0 099 Low\r\n\r\n").error_response().is_none());
        assert_eq!(
            st("SIP/2.0 700 High\r\n\r\n").reason,
            "Bad Request - Status-Code out of range"
        );
        assert!(st("garbage").error_response().is_none());
        assert!(st("").error_response().is_none());
    }
}
