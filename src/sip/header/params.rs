//! Generic `*( SEMI generic-param )` parsing (RFC 3261 §25.1), tolerant of LWS.

use super::Malformed;
use crate::sip::scan::{is_gen_value, Scanner};
use bytes::Bytes;

/// A parameter as parsed: borrowed name, optional zero-copy value.
pub(crate) type RawParam<'a> = (&'a [u8], Option<Bytes>);

/// Parse one `; name [= value]` at the scanner. `Ok(None)` at end / no `;`.
/// Value is a token/host or a quoted-string (kept with quotes).
pub(crate) fn next_param<'a>(sc: &mut Scanner<'a>) -> Result<Option<RawParam<'a>>, Malformed> {
    if !sc.eat(b';') {
        return Ok(None);
    }
    sc.skip_lws();
    // Name is borrowed, not sliced: most callers only compare it (hot path).
    let src: &'a Bytes = sc.src;
    let a = sc.pos;
    let name_len = sc
        .rest()
        .iter()
        .take_while(|&&c| crate::sip::scan::is_token(c))
        .count();
    if name_len == 0 {
        return Err(Malformed);
    }
    sc.pos += name_len;
    let name: &'a [u8] = &src[a..a + name_len];
    let save = sc.pos;
    if sc.eat(b'=') {
        sc.skip_lws();
        let v = if sc.peek() == Some(b'"') {
            sc.quoted().ok_or(Malformed)?
        } else {
            let v = sc.take_while(is_gen_value);
            if v.is_empty() {
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
        sc: Scanner::new(raw),
    }
}

pub struct ParamIter<'a> {
    sc: Scanner<'a>,
}

impl Iterator for ParamIter<'_> {
    type Item = (Bytes, Option<Bytes>);
    fn next(&mut self) -> Option<Self::Item> {
        let src = self.sc.src;
        next_param(&mut self.sc)
            .ok()
            .flatten()
            .map(|(n, v)| (src.slice_ref(n), v))
    }
}

/// Find a parameter by case-insensitive name: `Some(None)` means a flag.
pub fn find(raw: &Bytes, name: &str) -> Option<Option<Bytes>> {
    iter(raw)
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v)
}
