//! Via header (RFC 3261 §20.42, §18.2.1; rport RFC 3581).

use super::params::{self, next_param};
use super::Malformed;
use crate::sip::scan::{parse_u64, Scanner};
use bytes::Bytes;

/// The `rport` parameter (RFC 3581 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RPort {
    #[default]
    Absent,
    /// `;rport` without value (client asks for it).
    Flag,
    Value(u16),
}

/// One via-parm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// "SIP/2.0" as received (protocol name and version, without LWS).
    pub protocol: Bytes,
    pub version: Bytes,
    /// Transport token as received ("UDP", "TCP", "TLS", "SCTP", "WS", unknown...).
    pub transport: Bytes,
    /// sent-by host (IPv6 with brackets).
    pub host: Bytes,
    pub port: Option<u16>,
    pub branch: Option<Bytes>,
    pub received: Option<Bytes>,
    pub rport: RPort,
    pub maddr: Option<Bytes>,
    pub ttl: Option<u8>,
    /// Raw params (each with its leading `;`), including the ones extracted above.
    pub params: Bytes,
}

impl Via {
    /// A fresh Via for pushing on top of a request (RFC 3261 §16.6 step 8).
    pub fn new(
        transport: &str,
        host: impl Into<Bytes>,
        port: Option<u16>,
        branch: impl Into<Bytes>,
    ) -> Via {
        Via {
            protocol: Bytes::from_static(b"SIP"),
            version: Bytes::from_static(b"2.0"),
            transport: Bytes::copy_from_slice(transport.as_bytes()),
            host: host.into(),
            port,
            branch: Some(branch.into()),
            received: None,
            rport: RPort::Absent,
            maddr: None,
            ttl: None,
            params: Bytes::new(),
        }
    }

    /// Transport compared case-insensitively.
    pub fn transport_is(&self, t: &str) -> bool {
        self.transport.eq_ignore_ascii_case(t.as_bytes())
    }

    /// Does the branch carry the RFC 3261 magic cookie (§8.1.1.7)?
    pub fn is_rfc3261_branch(&self) -> bool {
        self.branch
            .as_ref()
            .is_some_and(|b| b.starts_with(b"z9hG4bK"))
    }

    /// Look up any param by name (`Some(None)` = flag).
    pub fn param(&self, name: &str) -> Option<Option<Bytes>> {
        params::find(&self.params, name)
    }

    /// Serialize (params other than the typed ones are kept verbatim and in order).
    pub fn to_bytes(&self) -> Bytes {
        let mut o = Vec::with_capacity(96);
        o.extend_from_slice(&self.protocol);
        o.push(b'/');
        o.extend_from_slice(&self.version);
        o.push(b'/');
        o.extend_from_slice(&self.transport);
        o.push(b' ');
        o.extend_from_slice(&self.host);
        if let Some(p) = self.port {
            o.extend_from_slice(format!(":{p}").as_bytes());
        }
        let mut done = [false; 5];
        let emit = |o: &mut Vec<u8>, idx: usize, done: &mut [bool; 5]| {
            if done[idx] {
                return;
            }
            done[idx] = true;
            match idx {
                0 => {
                    if let Some(b) = &self.branch {
                        o.extend_from_slice(b";branch=");
                        o.extend_from_slice(b);
                    }
                }
                1 => {
                    if let Some(b) = &self.received {
                        o.extend_from_slice(b";received=");
                        o.extend_from_slice(b);
                    }
                }
                2 => match self.rport {
                    RPort::Absent => {}
                    RPort::Flag => o.extend_from_slice(b";rport"),
                    RPort::Value(v) => o.extend_from_slice(format!(";rport={v}").as_bytes()),
                },
                3 => {
                    if let Some(b) = &self.maddr {
                        o.extend_from_slice(b";maddr=");
                        o.extend_from_slice(b);
                    }
                }
                _ => {
                    if let Some(t) = self.ttl {
                        o.extend_from_slice(format!(";ttl={t}").as_bytes());
                    }
                }
            }
        };
        for (n, v) in params::iter(&self.params) {
            match known(&n) {
                Some(i) => emit(&mut o, i, &mut done),
                None => {
                    o.push(b';');
                    o.extend_from_slice(&n);
                    if let Some(v) = v {
                        o.push(b'=');
                        o.extend_from_slice(&v);
                    }
                }
            }
        }
        for i in 0..5 {
            emit(&mut o, i, &mut done);
        }
        Bytes::from(o)
    }
}

fn known(n: &[u8]) -> Option<usize> {
    const K: [&[u8]; 5] = [b"branch", b"received", b"rport", b"maddr", b"ttl"];
    K.iter().position(|k| k.eq_ignore_ascii_case(n))
}

/// Parse one complete via-parm.
pub fn parse_via(v: &Bytes) -> Result<Via, Malformed> {
    let mut sc = Scanner::new(v);
    let via = parse_via_at(&mut sc)?;
    if !sc.at_end() {
        return Err(Malformed);
    }
    Ok(via)
}

/// Parse one via-parm at the scanner; stops before a `,` separator or at the end.
fn parse_via_at(sc: &mut Scanner<'_>) -> Result<Via, Malformed> {
    sc.skip_lws();
    let protocol = sc.token().ok_or(Malformed)?;
    if !sc.eat(b'/') {
        return Err(Malformed);
    }
    sc.skip_lws();
    let version = sc.token().ok_or(Malformed)?;
    if !sc.eat(b'/') {
        return Err(Malformed);
    }
    sc.skip_lws();
    let transport = sc.token().ok_or(Malformed)?;
    sc.skip_lws();
    let host = if sc.peek() == Some(b'[') {
        let a = sc.pos;
        let h = sc.take_while(|c| c != b']');
        if sc.peek() != Some(b']') || h.len() < 2 {
            return Err(Malformed);
        }
        sc.pos += 1;
        sc.slice(a, sc.pos)
    } else {
        sc.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
    };
    if host.is_empty() {
        return Err(Malformed);
    }
    let save = sc.pos;
    let mut port = None;
    if sc.eat(b':') {
        sc.skip_lws();
        let n = sc.number().ok_or(Malformed)?;
        port = Some(u16::try_from(n).map_err(|_| Malformed)?);
    } else {
        sc.pos = save;
    }
    let pstart = sc.pos;
    let mut via = Via {
        protocol,
        version,
        transport,
        host,
        port,
        branch: None,
        received: None,
        rport: RPort::Absent,
        maddr: None,
        ttl: None,
        params: Bytes::new(),
    };
    while let Some((n, val)) = next_param(sc)? {
        match known(n) {
            Some(0) => via.branch = Some(val.ok_or(Malformed)?),
            Some(1) => via.received = Some(val.ok_or(Malformed)?),
            Some(2) => {
                via.rport = match val {
                    None => RPort::Flag,
                    Some(v) => RPort::Value(
                        parse_u64(&v)
                            .and_then(|n| u16::try_from(n).ok())
                            .ok_or(Malformed)?,
                    ),
                }
            }
            Some(3) => via.maddr = Some(val.ok_or(Malformed)?),
            Some(4) => {
                via.ttl = Some(
                    val.as_deref()
                        .and_then(parse_u64)
                        .and_then(|n| u8::try_from(n).ok())
                        .ok_or(Malformed)?,
                )
            }
            _ => {}
        }
    }
    via.params = sc.slice(pstart, sc.pos);
    sc.skip_lws();
    if !(sc.at_end() || sc.peek() == Some(b',')) {
        return Err(Malformed);
    }
    Ok(via)
}

/// Parse a whole Via header value (one or more comma-separated via-parms).
pub fn parse_via_list(v: &Bytes, out: &mut Vec<Via>) -> Result<(), Malformed> {
    let mut sc = Scanner::new(v);
    loop {
        out.push(parse_via_at(&mut sc)?);
        if !sc.eat(b',') {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> Vec<Via> {
        let mut v = Vec::new();
        parse_via_list(&Bytes::copy_from_slice(s.as_bytes()), &mut v).expect(s);
        v
    }

    #[test]
    fn multiple_per_line_and_lws() {
        let v = list("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239");
        assert_eq!(v.len(), 2);
        assert_eq!(&v[0].transport[..], b"TCP");
        assert_eq!(&v[0].host[..], b"spindle.example.com");
        assert_eq!(v[0].branch.as_deref(), Some(&b"z9hG4bK9ikj8"[..]));
        assert_eq!(v[1].branch.as_deref(), Some(&b"z9hG4bK30239"[..]));
    }

    #[test]
    fn rport_forms_and_ipv6() {
        let v =
            list("SIP/2.0/UDP [2001:db8::9]:5070;rport;branch=z9hG4bKa;ttl=16;maddr=224.2.0.1;x=y");
        assert_eq!(&v[0].host[..], b"[2001:db8::9]");
        assert_eq!(v[0].port, Some(5070));
        assert_eq!(v[0].rport, RPort::Flag);
        assert_eq!(v[0].ttl, Some(16));
        assert_eq!(v[0].param("x"), Some(Some(Bytes::from_static(b"y"))));
        let v = list("SIP/2.0/UDP h;rport=5062;received=10.0.0.1");
        assert_eq!(v[0].rport, RPort::Value(5062));
        assert_eq!(v[0].received.as_deref(), Some(&b"10.0.0.1"[..]));
        assert!(v[0].branch.is_none());
    }

    #[test]
    fn serialize_modified() {
        let mut v = list("SIP/2.0/UDP h:5060;rport;x;branch=z9hG4bKa").remove(0);
        v.received = Some(Bytes::from_static(b"1.2.3.4"));
        v.rport = RPort::Value(3333);
        assert_eq!(
            v.to_bytes(),
            "SIP/2.0/UDP h:5060;rport=3333;x;branch=z9hG4bKa;received=1.2.3.4"
        );
    }

    #[test]
    fn rejects() {
        for s in [
            "SIP/2.0/UDP 192.0.2.15;;,;,,",
            "SIP/2.0 host",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP h;rport=x",
            "SIP/2.0/UDP h:99999",
        ] {
            let mut v = Vec::new();
            assert!(
                parse_via_list(&Bytes::copy_from_slice(s.as_bytes()), &mut v).is_err(),
                "{s}"
            );
        }
    }
}
