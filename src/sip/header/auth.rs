//! Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate
//! (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 2617 §3.2).

use super::Malformed;
use crate::sip::scan::{is_lws, is_token, sl, unquote, Scanner, Sp};
use bytes::Bytes;
use std::borrow::Cow;

/// `scheme param=value, ...` — values kept raw (quoted ones with their quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub scheme: Bytes,
    pub params: Vec<(Bytes, Bytes)>,
    /// The whole raw header value (for digest hashing or relaying).
    pub raw: Bytes,
}

impl Auth {
    /// Raw value of a param (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<&Bytes> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }
    /// Param value with quotes and escapes removed.
    pub fn param_unquoted(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        self.param(name).map(|v| unquote(v))
    }
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case(b"digest")
    }
}

/// Validate a credentials / challenge value, handing each `name=value` pair to `f`;
/// returns the scheme span.
pub(crate) fn scan_auth(v: &[u8], mut f: impl FnMut(Sp, Sp)) -> Result<Sp, Malformed> {
    let mut sc = Scanner::new(v);
    sc.skip_lws();
    let scheme = sc.token().ok_or(Malformed)?;
    loop {
        sc.skip_lws();
        if sc.at_end() {
            break;
        }
        let name = sc.token().ok_or(Malformed)?;
        if !sc.eat(b'=') {
            return Err(Malformed);
        }
        sc.skip_lws();
        let val = if sc.peek() == Some(b'"') {
            sc.quoted().ok_or(Malformed)?
        } else {
            // token68-ish values (RFC 7235) are tolerated: anything up to , or LWS.
            let t = sc.take_while(|c| c != b',' && !is_lws(c));
            if t.1 == t.0
                || !v[t.0..t.1]
                    .iter()
                    .all(|&c| is_token(c) || matches!(c, b'/' | b'=' | b':'))
            {
                return Err(Malformed);
            }
            t
        };
        f(name, val);
        sc.skip_lws();
        if !sc.eat(b',') {
            sc.skip_lws();
            if !sc.at_end() {
                return Err(Malformed);
            }
            break;
        }
    }
    Ok(scheme)
}

pub fn parse_auth(v: &Bytes) -> Result<Auth, Malformed> {
    let mut params = Vec::with_capacity(8);
    let scheme = scan_auth(v, |n, val| params.push((sl(v, n), sl(v, val))))?;
    Ok(Auth {
        scheme: sl(v, scheme),
        params,
        raw: v.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest() {
        let a = parse_auth(&Bytes::from_static(
            b"Digest username=\"bob\", realm=\"atlanta.com\",\r\n nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", opaque=\"\",\r\n uri=\"sips:ss2.biloxi.com\", response=\"dfe56131d1958046689d83306477ecc\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", algorithm=MD5, x=\"a\\\"b\"",
        ))
        .unwrap();
        assert!(a.is_digest());
        assert_eq!(&a.param_unquoted("realm").unwrap()[..], b"atlanta.com");
        assert_eq!(&a.param("qop").unwrap()[..], b"auth");
        assert_eq!(&a.param_unquoted("x").unwrap()[..], b"a\"b");
        assert_eq!(&a.param_unquoted("opaque").unwrap()[..], b"");
        assert!(parse_auth(&Bytes::from_static(b"Digest realm=\"x")).is_err());
        let a = parse_auth(&Bytes::from_static(
            b"NoOneKnowsThisScheme opaque-data=here",
        ))
        .unwrap();
        assert_eq!(&a.scheme[..], b"NoOneKnowsThisScheme");
    }
}
