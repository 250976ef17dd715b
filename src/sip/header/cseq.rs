//! CSeq header (RFC 3261 §20.16).

use super::Malformed;
use crate::sip::method::Method;
use crate::sip::scan::{Scanner, Sp};
use bytes::Bytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn to_bytes(&self) -> Bytes {
        let mut v = self.seq.to_string().into_bytes();
        v.push(b' ');
        v.extend_from_slice(self.method.as_bytes());
        Bytes::from(v)
    }
}

/// `1*DIGIT LWS Method`; the number must fit 32 bits (RFC 3261 §8.1.1.5).
/// Returns the number and the span of the method token.
pub(crate) fn parse_cseq_sp(v: &[u8]) -> Result<(u32, Sp), Malformed> {
    let mut sc = Scanner::new(v);
    sc.skip_lws();
    let n = sc.number().ok_or(Malformed)?;
    let seq = u32::try_from(n).map_err(|_| Malformed)?;
    let before = sc.pos;
    sc.skip_lws();
    if sc.pos == before {
        return Err(Malformed);
    }
    let m = sc.token().ok_or(Malformed)?;
    sc.skip_lws();
    if !sc.at_end() {
        return Err(Malformed);
    }
    Ok((seq, m))
}

/// Parse a CSeq value.
pub fn parse_cseq(v: &Bytes) -> Result<CSeq, Malformed> {
    let (seq, m) = parse_cseq_sp(v)?;
    Ok(CSeq {
        seq,
        method: Method::from_slice(v, m),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        let c = parse_cseq(&Bytes::from_static(b"0009\r\n  INVITE")).unwrap();
        assert_eq!(c.seq, 9);
        assert_eq!(c.method, Method::Invite);
        assert!(parse_cseq(&Bytes::from_static(b"36893488147419103232 REGISTER")).is_err());
        assert!(parse_cseq(&Bytes::from_static(b"1INVITE")).is_err());
        assert!(parse_cseq(&Bytes::from_static(b"-1 INVITE")).is_err());
    }
}
