//! Contact header (RFC 3261 §20.10; +sip.instance / reg-id RFC 5626).

use super::name_addr::{parse_name_addr_with, NaError, NameAddr, NameAddrSp};
use crate::sip::scan::{osl, parse_u64, trim, Scanner, Sp};
use bytes::Bytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub addr: NameAddr,
    /// q-value ×1000 (0..=1000).
    pub q: Option<u16>,
    /// expires param; out-of-range / malformed ⇒ 3600 (RFC 3261 §20.19, RFC 4475 §3.1.2.4).
    pub expires: Option<u32>,
    /// `+sip.instance` value, quotes kept.
    pub instance: Option<Bytes>,
    pub reg_id: Option<u32>,
}

/// A Contact header value: `*` or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contacts {
    Star,
    List(Vec<Contact>),
}

/// Delta-seconds with the RFC's fallback for garbage / overflow.
pub(crate) fn delta_seconds(b: &[u8]) -> u32 {
    parse_u64(trim(b))
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(3600)
}

fn parse_q(b: &[u8]) -> Option<u16> {
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b""[..]),
    };
    if int.len() != 1 || frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u16 = match int[0] {
        b'0' => 0,
        b'1' => 1000,
        _ => return None,
    };
    let mut mul = 100;
    for &c in frac {
        v += u16::from(c - b'0') * mul;
        mul /= 10;
    }
    (v <= 1000).then_some(v)
}

/// Spans of one Contact element, relative to the parsed header value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContactSp {
    addr: NameAddrSp,
    q: Option<u16>,
    expires: Option<u32>,
    instance: Option<Sp>,
    reg_id: Option<u32>,
}

impl ContactSp {
    pub(crate) fn build(&self, v: &Bytes) -> Contact {
        Contact {
            addr: self.addr.build(v),
            q: self.q,
            expires: self.expires,
            instance: osl(v, self.instance),
            reg_id: self.reg_id,
        }
    }
}

/// Validate one Contact header value, handing each element to `f`. Returns true for `*`.
pub(crate) fn scan_contacts(v: &[u8], mut f: impl FnMut(ContactSp)) -> Result<bool, NaError> {
    if trim(v) == b"*" {
        return Ok(true);
    }
    let mut sc = Scanner::new(v);
    loop {
        let (mut q, mut expires, mut instance, mut reg_id) = (None, None, None, None);
        let addr = parse_name_addr_with(&mut sc, true, |n, vs| {
            let val: &[u8] = vs.map_or(&[], |(a, e)| &v[a..e]);
            if n.eq_ignore_ascii_case(b"q") {
                q = Some(parse_q(val).ok_or(NaError::BadParam)?);
            } else if n.eq_ignore_ascii_case(b"expires") {
                expires = Some(delta_seconds(val));
            } else if n.eq_ignore_ascii_case(b"+sip.instance") {
                instance = Some(vs.unwrap_or((0, 0)));
            } else if n.eq_ignore_ascii_case(b"reg-id") {
                reg_id = parse_u64(val).and_then(|n| u32::try_from(n).ok());
            }
            Ok(())
        })?;
        let c = ContactSp {
            addr,
            q,
            expires,
            instance,
            reg_id,
        };
        f(c);
        if !sc.eat(b',') {
            return Ok(false);
        }
    }
}

/// Parse one Contact header value, appending to `out`. Returns true for `*`.
pub fn parse_contacts(v: &Bytes, out: &mut Vec<Contact>) -> Result<bool, NaError> {
    scan_contacts(v, |c| out.push(c.build(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params() {
        let mut v = Vec::new();
        let star = parse_contacts(
            &Bytes::from_static(
                b"<sip:a@10.0.0.1:5060;ob>;q=0.7;expires=60;+sip.instance=\"<urn:uuid:1>\";reg-id=1, sip:b@c;q=1",
            ),
            &mut v,
        )
        .unwrap();
        assert!(!star);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].q, Some(700));
        assert_eq!(v[0].expires, Some(60));
        assert_eq!(v[0].instance.as_deref(), Some(&b"\"<urn:uuid:1>\""[..]));
        assert_eq!(v[0].reg_id, Some(1));
        assert_eq!(v[1].q, Some(1000));
        assert!(parse_contacts(&Bytes::from_static(b" * "), &mut v).unwrap());
        let mut v = Vec::new();
        parse_contacts(
            &Bytes::from_static(b"<sip:u@h>\r\n  ;expires=280297596632815"),
            &mut v,
        )
        .unwrap();
        assert_eq!(v[0].expires, Some(3600));
    }
}
