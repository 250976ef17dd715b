//! Generic `*( SEMI generic-param )` parsing (RFC 3261 §25.1), tolerant of LWS.

use super::Malformed;
use crate::sip::scan::{is_gen_value, is_token, Scanner, Sp};
use bytes::Bytes;

/// A parameter as parsed: borrowed name, optional value span.
pub(crate) type RawParam<'a> = (&'a [u8], Option<Sp>);

/// Parse one `; name [= value]` at the scanner. `Ok(None)` at end / no `;`.
/// Value is a token/host or a quoted-string (kept with quotes).
#[inline]
pub(crate) fn next_param<'a>(sc: &mut Scanner<'a>) -> Result<Option<RawParam<'a>>, Malformed> {
    if !sc.eat(b';') {
        return Ok(None);
    }
    sc.skip_lws();
    let (a, e) = sc.take_while(is_token);
    if e == a {
        return Err(Malformed);
    }
    let src: &'a [u8] = sc.src;
    let name: &'a [u8] = &src[a..e];
    let save = sc.pos;
    if sc.eat(b'=') {
        sc.skip_lws();
        let v = if sc.peek() == Some(b'"') {
            sc.quoted().ok_or(Malformed)?
        } else {
            let v = sc.take_while(is_gen_value);
            if v.1 == v.0 {
                return Err(Malformed);
            }
            v
        };
        Ok(Some((name, Some(v))))
    } else {
        sc.pos = save;
        Ok(Some((name, None)))
    }
}

/// Iterate over a raw `;a=b;c` parameter string (already validated at parse time).
pub fn iter(raw: &Bytes) -> ParamIter<'_> {
    ParamIter {
        raw,
        sc: Scanner::new(raw),
    }
}

pub struct ParamIter<'a> {
    raw: &'a Bytes,
    sc: Scanner<'a>,
}

impl Iterator for ParamIter<'_> {
    type Item = (Bytes, Option<Bytes>);
    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.raw;
        next_param(&mut self.sc)
            .ok()
            .flatten()
            .map(|(n, v)| (raw.slice_ref(n), v.map(|v| raw.slice(v.0..v.1))))
    }
}

/// Find a parameter by case-insensitive name: `Some(None)` means a flag.
pub fn find(raw: &Bytes, name: &str) -> Option<Option<Bytes>> {
    iter(raw)
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v)
}
