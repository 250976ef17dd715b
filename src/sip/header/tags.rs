//! Option-tag lists (Require, Proxy-Require, Supported, Unsupported: RFC 3261 §20.32)
//! and scalar values.

use super::Malformed;
use crate::sip::scan::{is_token, parse_u64, trim};
use bytes::Bytes;

/// Validate the comma-separated option tags of `v`, handing each to `f`.
pub(crate) fn scan_option_tags<'a>(
    v: &'a [u8],
    mut f: impl FnMut(&'a [u8]),
) -> Result<(), Malformed> {
    for part in v.split(|&c| c == b',') {
        let t = trim(part);
        if t.is_empty() {
            continue;
        }
        if !t.iter().all(|&c| is_token(c)) {
            return Err(Malformed);
        }
        f(t);
    }
    Ok(())
}

/// Append the comma-separated option tags of `v` to `out`.
pub fn parse_option_tags(v: &Bytes, out: &mut Vec<Bytes>) -> Result<(), Malformed> {
    scan_option_tags(v, |t| out.push(v.slice_ref(t)))
}

/// A 32-bit decimal scalar (Content-Length, Max-Forwards...).
pub fn parse_u32(v: &[u8]) -> Option<u32> {
    parse_u64(trim(v)).and_then(|n| u32::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        let mut v = Vec::new();
        parse_option_tags(&Bytes::from_static(b"100rel, timer ,\r\n path"), &mut v).unwrap();
        assert_eq!(v, vec!["100rel", "timer", "path"]);
        assert!(parse_option_tags(&Bytes::from_static(b"a b"), &mut v).is_err());
        assert_eq!(parse_u32(b" 0068 "), Some(68));
        assert_eq!(parse_u32(b"-999"), None);
    }
}
