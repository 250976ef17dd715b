//! The node's built-in answers (core): the checks every request passes before routing logic
//! (as OpenSIPS's `maxfwd` and `sanity` modules do) and the answer a node without a routing
//! script gives. A pure function of the request and who we are.

use std::borrow::Cow;
use std::net::SocketAddr;

use crate::sip::{Method, Request, Uri};

/// Methods this node handles as a UAS (the `Allow` header).
pub const ALLOW: &str = "INVITE, ACK, CANCEL, OPTIONS, BYE";
/// Body types we accept (the `Accept` header).
pub const ACCEPT: &str = "application/sdp";
/// Option tags we implement (the `Supported` header); anything in Require is refused with 420.
pub const SUPPORTED: &[&str] = &[];

/// Who this node is: the hosts and ports a Request-URI may name to mean "this node".
#[derive(Debug, Clone, Default)]
pub struct Myself {
    hosts: Vec<String>,
    ports: Vec<u16>,
    aliases: Vec<String>,
}

impl Myself {
    /// From the bound listeners and the configured aliases (`alias=host` or `alias=host:port`).
    pub fn new(listeners: &[SocketAddr], aliases: &[String]) -> Myself {
        let mut m = Myself::default();
        for a in listeners {
            let host = match a {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            };
            if !m.hosts.contains(&host) {
                m.hosts.push(host);
            }
            if !m.ports.contains(&a.port()) {
                m.ports.push(a.port());
            }
        }
        m.aliases = aliases.iter().map(|a| a.to_ascii_lowercase()).collect();
        m
    }

    /// OpenSIPS 1.x `uri == myself`: the host is ours and the port (default 5060/5061) is one
    /// we listen on; an alias given without a port matches any port.
    pub fn is_myself(&self, uri: &Uri) -> bool {
        let Some(sip) = uri.as_sip() else {
            return false;
        };
        let host = String::from_utf8_lossy(&sip.host).to_ascii_lowercase();
        let port = sip
            .port
            .unwrap_or(if sip.is_secure() { 5061 } else { 5060 });
        if self.hosts.contains(&host) && self.ports.contains(&port) {
            return true;
        }
        self.aliases.iter().any(|a| match a.rsplit_once(':') {
            Some((h, p)) if !a.ends_with(']') => h == host && p.parse() == Ok(port),
            _ => *a == host,
        })
    }
}

/// The built-in answer to a request: status, reason and extra header lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: Cow<'static, str>,
    /// Extra headers (name, value).
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn new(status: u16, reason: impl Into<Cow<'static, str>>) -> Answer {
        Answer {
            status,
            reason: reason.into(),
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

/// Answers a request (never ACK: it gets no response) the way a node with no routing script
/// does. The checks come in RFC 3261 §8.2 / §16.3 order.
pub fn answer(req: &Request, me: &Myself) -> Answer {
    let h = &req.headers;
    // RFC 3261 §8.2.2.1: a scheme we do not understand.
    if matches!(req.uri(), Uri::Other { .. }) {
        return Answer::new(416, "Unsupported URI Scheme");
    }
    // RFC 3261 §16.3 step 3 (maxfwd module): nothing may travel further.
    if h.max_forwards() == Some(0) {
        return Answer::new(483, "Too Many Hops");
    }
    // RFC 3261 §8.2.2.3: CANCEL and ACK never fail on Require.
    if !matches!(req.method(), Method::Cancel | Method::Ack) {
        let unsupported: Vec<String> = h
            .require()
            .iter()
            .chain(h.proxy_require().iter())
            .filter(|t| {
                !SUPPORTED
                    .iter()
                    .any(|s| t.eq_ignore_ascii_case(s.as_bytes()))
            })
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect();
        if !unsupported.is_empty() {
            let mut a = Answer::new(420, "Bad Extension");
            for t in unsupported {
                a = a.with("Unsupported", t);
            }
            return a;
        }
    }
    // RFC 3261 §8.2.1: a method we do not know gets 405 with Allow.
    if matches!(req.method(), Method::Other(_)) {
        return Answer::new(405, "Method Not Allowed").with("Allow", ALLOW);
    }
    // RFC 3261 §8.2.3: a body we cannot read gets 415 with Accept.
    if matches!(req.method(), Method::Invite | Method::Options) && !req.body.is_empty() {
        let ct = h.content_type().map(media_type).unwrap_or_default();
        if ct != "application/sdp" && !ct.starts_with("multipart/") {
            return Answer::new(415, "Unsupported Media Type").with("Accept", ACCEPT);
        }
    }
    // RFC 3261 §21.4.7: an INVITE whose answer (SDP) the caller says it cannot accept.
    if *req.method() == Method::Invite {
        if let Some(accept) = h.get("Accept") {
            if !accepts_sdp(accept) {
                return Answer::new(406, "Not Acceptable").with("Accept", ACCEPT);
            }
        }
    }
    let mine = me.is_myself(req.uri());
    match req.method() {
        Method::Options if mine => Answer::new(200, "OK")
            .with("Allow", ALLOW)
            .with("Accept", ACCEPT)
            .with("Accept-Language", "en")
            .with("Supported", SUPPORTED.join(", ")),
        Method::Cancel => Answer::new(481, "Call/Transaction Does Not Exist"),
        _ if mine => Answer::new(404, "Not Found - no routing script and no user here"),
        _ => Answer::new(404, "Not Found - domain not served here"),
    }
}

/// Whether an Accept value admits `application/sdp` (an empty Accept admits nothing, §20.1).
fn accepts_sdp(accept: &[u8]) -> bool {
    String::from_utf8_lossy(accept).split(',').any(|m| {
        let m = m
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        matches!(m.as_str(), "application/sdp" | "application/*" | "*/*")
    })
}

/// `Application/SDP; charset=x` → `application/sdp`.
fn media_type(ct: &[u8]) -> String {
    let s = String::from_utf8_lossy(ct);
    s.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::request as req;
    use bytes::Bytes;

    fn me() -> Myself {
        Myself::new(
            &[
                "127.0.0.1:5060".parse().unwrap(),
                "[::1]:5070".parse().unwrap(),
            ],
            &["example.net".into(), "pbx.test:5099".into()],
        )
    }

    fn msg(method: &str, ruri: &str, extra: &str) -> Request {
        req(&format!(
            "{method} {ruri} SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nFrom: <sip:a@b>;tag=1\n\
             To: <sip:c@d>\nCall-ID: c\nCSeq: 1 {method}\n{extra}Content-Length: 0\n\n"
        ))
    }

    #[test]
    fn myself_matches_hosts_ports_and_aliases() {
        let me = me();
        let u = |s: &str| crate::sip::parse_uri(Bytes::from(s.to_string())).unwrap();
        assert!(me.is_myself(&u("sip:127.0.0.1")));
        assert!(me.is_myself(&u("sip:x@[::1]:5070")));
        assert!(!me.is_myself(&u("sip:127.0.0.1:5071")));
        assert!(me.is_myself(&u("sip:EXAMPLE.net:1234")));
        assert!(me.is_myself(&u("sip:pbx.test:5099")));
        assert!(!me.is_myself(&u("sip:pbx.test")));
        assert!(!me.is_myself(&u("tel:+123")));
    }

    #[test]
    fn checks_come_in_order() {
        let me = me();
        assert_eq!(
            answer(&msg("OPTIONS", "sip:127.0.0.1", ""), &me).status,
            200
        );
        assert_eq!(
            answer(&msg("OPTIONS", "sip:127.0.0.1", "Max-Forwards: 0\n"), &me).status,
            483
        );
        let a = answer(&msg("INVITE", "sip:127.0.0.1", "Require: 100rel\n"), &me);
        assert_eq!((a.status, a.headers[0].1.as_str()), (420, "100rel"));
        // RFC 3261 §8.2.2.3: CANCEL ignores Require.
        assert_eq!(
            answer(&msg("CANCEL", "sip:127.0.0.1", "Require: x\n"), &me).status,
            481
        );
        assert_eq!(answer(&msg("FOO", "sip:127.0.0.1", ""), &me).status, 405);
        assert_eq!(
            answer(&msg("INVITE", "sip:x@far", "Accept: text/plain\n"), &me).status,
            406
        );
        assert_eq!(
            answer(
                &msg("INVITE", "sip:x@far", "Accept: application/SDP;q=1\n"),
                &me
            )
            .status,
            404
        );
        assert_eq!(answer(&msg("OPTIONS", "sip:far.away", ""), &me).status, 404);
        assert_eq!(answer(&msg("INVITE", "sip:127.0.0.1", ""), &me).status, 404);
    }
}
