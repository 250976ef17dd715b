//! Via header (RFC 3261 §20.42, §18.2.1; rport RFC 3581).

use super::params::{self, next_param};
use super::Malformed;
use crate::sip::scan::{osl, parse_u64, sl, Scanner, Sp};
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
    // Length first: at most two candidates share a length.
    let eq = |k: &[u8]| k.eq_ignore_ascii_case(n);
    match n.len() {
        6 if eq(b"branch") => Some(0),
        8 if eq(b"received") => Some(1),
        5 if eq(b"rport") => Some(2),
        5 if eq(b"maddr") => Some(3),
        3 if eq(b"ttl") => Some(4),
        _ => None,
    }
}

/// Spans of one via-parm, relative to the parsed header value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ViaSp {
    protocol: Sp,
    version: Sp,
    transport: Sp,
    host: Sp,
    port: Option<u16>,
    branch: Option<Sp>,
    received: Option<Sp>,
    rport: RPort,
    maddr: Option<Sp>,
    ttl: Option<u8>,
    params: Sp,
}

impl ViaSp {
    pub(crate) fn build(&self, v: &Bytes) -> Via {
        Via {
            protocol: sl(v, self.protocol),
            version: sl(v, self.version),
            transport: sl(v, self.transport),
            host: sl(v, self.host),
            port: self.port,
            branch: osl(v, self.branch),
            received: osl(v, self.received),
            rport: self.rport,
            maddr: osl(v, self.maddr),
            ttl: self.ttl,
            params: sl(v, self.params),
        }
    }
}

/// Parse one complete via-parm.
pub fn parse_via(v: &Bytes) -> Result<Via, Malformed> {
    let mut sc = Scanner::new(v);
    let via = parse_via_at(&mut sc)?;
    if !sc.at_end() {
        return Err(Malformed);
    }
    Ok(via.build(v))
}

/// Parse one via-parm at the scanner; stops before a `,` separator or at the end.
#[inline]
fn parse_via_at(sc: &mut Scanner<'_>) -> Result<ViaSp, Malformed> {
    sc.skip_lws();
    let (protocol, version);
    let r = sc.rest();
    if r.len() > 8 && r[..8].eq_ignore_ascii_case(b"SIP/2.0/") {
        // Fast path for the usual compact "SIP/2.0/" (no LWS around the slashes).
        protocol = (sc.pos, sc.pos + 3);
        version = (sc.pos + 4, sc.pos + 7);
        sc.pos += 8;
    } else {
        protocol = sc.token().ok_or(Malformed)?;
        if !sc.eat(b'/') {
            return Err(Malformed);
        }
        sc.skip_lws();
        version = sc.token().ok_or(Malformed)?;
        if !sc.eat(b'/') {
            return Err(Malformed);
        }
    }
    sc.skip_lws();
    let transport = sc.token().ok_or(Malformed)?;
    sc.skip_lws();
    let host = if sc.peek() == Some(b'[') {
        let a = sc.pos;
        let h = sc.take_while(|c| c != b']');
        if sc.peek() != Some(b']') || h.1 - h.0 < 2 {
            return Err(Malformed);
        }
        sc.pos += 1;
        (a, sc.pos)
    } else {
        sc.take_while(crate::sip::uri::is_host_char)
    };
    if host.1 == host.0 {
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
    let mut via = ViaSp {
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
        params: (pstart, pstart),
    };
    let src = sc.src;
    let val_of = |v: Sp| &src[v.0..v.1];
    while let Some((n, val)) = next_param(sc)? {
        match known(n) {
            Some(0) => via.branch = Some(val.ok_or(Malformed)?),
            Some(1) => via.received = Some(val.ok_or(Malformed)?),
            Some(2) => {
                via.rport = match val {
                    None => RPort::Flag,
                    Some(v) => RPort::Value(
                        parse_u64(val_of(v))
                            .and_then(|n| u16::try_from(n).ok())
                            .ok_or(Malformed)?,
                    ),
                }
            }
            Some(3) => via.maddr = Some(val.ok_or(Malformed)?),
            Some(4) => {
                via.ttl = Some(
                    val.map(val_of)
                        .and_then(parse_u64)
                        .and_then(|n| u8::try_from(n).ok())
                        .ok_or(Malformed)?,
                )
            }
            _ => {}
        }
    }
    via.params = (pstart, sc.pos);
    sc.skip_lws();
    if !(sc.at_end() || sc.peek() == Some(b',')) {
        return Err(Malformed);
    }
    Ok(via)
}

/// Validate a whole Via header value (one or more comma-separated via-parms), handing
/// each via-parm's spans to `f`.
pub(crate) fn scan_via_list(v: &[u8], mut f: impl FnMut(ViaSp)) -> Result<(), Malformed> {
    let mut sc = Scanner::new(v);
    loop {
        f(parse_via_at(&mut sc)?);
        if !sc.eat(b',') {
            return Ok(());
        }
    }
}

/// Parse a whole Via header value (one or more comma-separated via-parms).
pub fn parse_via_list(v: &Bytes, out: &mut Vec<Via>) -> Result<(), Malformed> {
    scan_via_list(v, |s| out.push(s.build(v)))
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
