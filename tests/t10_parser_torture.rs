//! RFC 4475 torture tests: one test per message; expected outcomes in
//! tests/data/rfc4475/expected.tsv.

use bytes::Bytes;
use ferrosips::sip::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc4475");

fn load(name: &str) -> Bytes {
    Bytes::from(std::fs::read(format!("{DIR}/{name}.dat")).expect("test file"))
}

fn expected(name: &str) -> (String, u16) {
    let tsv = std::fs::read_to_string(format!("{DIR}/expected.tsv")).expect("expected.tsv");
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f[0] == name {
            return (f[1].to_string(), f[2].parse().expect("status"));
        }
    }
    panic!("{name} missing from expected.tsv");
}

/// Check the table's outcome; returns the message for valid/app ones.
fn outcome(name: &str) -> Option<Message> {
    let (class, status) = expected(name);
    let raw = load(name);
    match class.as_str() {
        "valid" | "app" => {
            let m = parse_message(raw.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Round trip: unmodified serialization is byte-identical (up to the
            // Content-Length truncation of extra datagram octets) and re-parses equal.
            let ser = m.to_bytes();
            if m.headers().content_length().is_some() {
                assert!(raw.starts_with(&ser), "{name}: serialization differs");
            } else {
                // No Content-Length received: the serializer adds one (RFC 3261 §20.14).
                let end = raw
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .expect("blank line")
                    + 2;
                let mut exp = raw[..end].to_vec();
                exp.extend_from_slice(
                    format!("Content-Length: {}\r\n\r\n", m.body().len()).as_bytes(),
                );
                exp.extend_from_slice(m.body());
                assert_eq!(ser, Bytes::from(exp), "{name}: serialization differs");
            }
            let again = parse_message(ser.clone()).expect("reparse");
            assert_eq!(again.to_bytes(), ser, "{name}: not idempotent");
            let (a, b) = (again.headers(), m.headers());
            assert_eq!(a.via(), b.via());
            assert_eq!(a.from(), b.from());
            assert_eq!(a.to(), b.to());
            assert_eq!(a.call_id(), b.call_id());
            assert_eq!(a.cseq(), b.cseq());
            assert_eq!(a.contact(), b.contact());
            assert_eq!(again.body(), m.body());
            if m.headers().content_length().is_some() {
                assert_eq!(again, m, "{name}: reparse differs");
            }
            Some(m)
        }
        "invalid" => {
            let e = parse_message(raw).expect_err(name);
            assert_eq!(e.status, status, "{name}: {e}");
            // The error response copies the (possibly malformed) raw headers, so it is
            // checked textually rather than re-parsed (RFC 3261 §8.2.6).
            let resp = e.error_response().expect("error response");
            let text = String::from_utf8_lossy(&resp).to_string();
            assert!(
                text.starts_with(&format!("SIP/2.0 {status} ")),
                "{name}: {text}"
            );
            assert!(text.contains("\r\nVia: "), "{name}: Via copied");
            assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
            if let Some(to) = text.lines().find(|l| l.starts_with("To: ")) {
                assert!(to.contains("tag="), "{name}: To tag");
            }
            None
        }
        "drop" => {
            let e = parse_message(raw).expect_err(name);
            assert!(e.error_response().is_none(), "{name} must be dropped");
            None
        }
        c => panic!("bad class {c}"),
    }
}

fn req(name: &str) -> Request {
    match outcome(name) {
        Some(Message::Request(r)) => r,
        other => panic!("{name}: {other:?}"),
    }
}

fn resp(name: &str) -> Response {
    match outcome(name) {
        Some(Message::Response(r)) => r,
        other => panic!("{name}: {other:?}"),
    }
}

fn reason_of(name: &str) -> &'static str {
    parse_message(load(name)).expect_err(name).reason
}

#[test]
fn table_covers_every_file() {
    let tsv = std::fs::read_to_string(format!("{DIR}/expected.tsv")).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(DIR).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "dat") {
            let stem = p.file_stem().unwrap().to_string_lossy().to_string();
            assert!(
                tsv.lines()
                    .any(|l| l.split('\t').next() == Some(stem.as_str())),
                "{stem}"
            );
            n += 1;
        }
    }
    assert_eq!(n, 49);
    assert_eq!(tsv.lines().count(), 50);
}

// ---- §3.1.1 valid ----

#[test]
fn rfc4475_wsinv() {
    let r = req("wsinv");
    let h = &r.headers;
    assert_eq!(*r.method(), Method::Invite);
    assert_eq!(h.via().len(), 3);
    assert_eq!(&h.via()[0].branch.as_ref().unwrap()[..], b"390skdjuw");
    assert_eq!(&h.via()[1].transport[..], b"TCP");
    assert_eq!(&h.via()[2].host[..], b"192.168.255.111");
    assert_eq!(&h.via()[2].branch.as_ref().unwrap()[..], b"z9hG4bK30239");
    assert_eq!(h.to().tag.as_deref(), Some(&b"1918181833n"[..]));
    assert_eq!(h.from().tag.as_deref(), Some(&b"98asjd8"[..]));
    assert_eq!(&h.from().display_name().unwrap()[..], br#"J Rosenberg \""#);
    assert_eq!(h.max_forwards(), Some(68));
    assert_eq!(h.cseq().seq, 9);
    assert_eq!(h.cseq().method, Method::Invite);
    assert_eq!(h.content_length(), Some(150));
    assert_eq!(r.body.len(), 150);
    assert_eq!(h.route().len(), 1);
    assert!(h.route()[0].uri.as_sip().unwrap().lr());
    assert_eq!(h.contact().len(), 1);
    assert_eq!(h.contact()[0].q, Some(330));
    assert_eq!(
        &h.contact()[0].addr.display_name().unwrap()[..],
        b"Quoted string \"\""
    );
    assert_eq!(h.get("Subject").map(|v| v.len()), Some(0));
    assert!(h
        .get("NewFangledHeader")
        .unwrap()
        .ends_with(b"continued newfangled value"));
    assert_eq!(h.get("unknownheaderwithunusualvalue").unwrap(), b";;,,;;,;");
}

#[test]
fn rfc4475_intmeth() {
    let r = req("intmeth");
    assert_eq!(
        r.method().as_bytes(),
        b"!interesting-Method0123456789_*+`.%indeed'~"
    );
    assert!(matches!(r.method(), Method::Other(_)));
    let u = r.uri().as_sip().unwrap();
    assert_eq!(
        &u.user.as_ref().unwrap()[..],
        b"1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    );
    assert_eq!(
        &u.password.as_ref().unwrap()[..],
        b"&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    );
    let h = &r.headers;
    assert_eq!(
        &h.call_id()[..],
        b"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    assert_eq!(h.max_forwards(), Some(255));
    assert_eq!(&h.from().tag.as_ref().unwrap()[..], b"_token~1'+`*%!-.");
    assert_eq!(
        &h.from().display.as_ref().unwrap()[..],
        b"token1~` token2'+_ token3*%!.-"
    );
    assert!(h.to().display_name().unwrap().contains(&0u8));
    assert!(h.get("extensionHeader-!.%*+_`'~").is_some());
}

#[test]
fn rfc4475_esc01() {
    let r = req("esc01");
    let u = r.uri().as_sip().unwrap();
    assert_eq!(
        &unescape(u.user.as_ref().unwrap())[..],
        b"sips:user@example.com"
    );
    let h = &r.headers;
    assert_eq!(
        &unescape(h.to().uri.as_sip().unwrap().user.as_ref().unwrap())[..],
        b"user"
    );
    assert_eq!(
        &unescape(h.from().uri.as_sip().unwrap().user.as_ref().unwrap())[..],
        b"I have spaces"
    );
    let c = h.contact()[0].addr.uri.as_sip().unwrap();
    assert_eq!(&unescape(&c.params)[..], b";lr;name=value%41");
    assert_eq!(h.content_type(), Some(&b"application/sdp"[..]));
}

#[test]
fn rfc4475_escnull() {
    let r = req("escnull");
    let h = &r.headers;
    assert_eq!(
        &unescape(h.to().uri.as_sip().unwrap().user.as_ref().unwrap())[..],
        b"null-\0-null"
    );
    assert_eq!(h.contact().len(), 2);
    assert_eq!(
        &unescape(
            h.contact()[1]
                .addr
                .uri
                .as_sip()
                .unwrap()
                .user
                .as_ref()
                .unwrap()
        )[..],
        b"\0\0"
    );
}

#[test]
fn rfc4475_esc02() {
    let r = req("esc02");
    assert_eq!(r.method().as_bytes(), b"RE%47IST%45R");
    let h = &r.headers;
    // "C%6Fntact" is an extension header, not Contact.
    assert_eq!(h.contact().len(), 2);
    assert!(h.get("C%6Fntact").is_some());
    assert_eq!(&h.to().display_name().unwrap()[..], b"%Z%45");
    assert_eq!(
        &h.via()[0].branch.as_ref().unwrap()[..],
        b"z9hG4bK209%fzsnel234"
    );
}

#[test]
fn rfc4475_lwsdisp() {
    let r = req("lwsdisp");
    assert_eq!(r.headers.from().display.as_deref(), Some(&b"caller"[..]));
    assert_eq!(r.headers.from().tag.as_deref(), Some(&b"323"[..]));
}

#[test]
fn rfc4475_longreq() {
    let r = req("longreq");
    let h = &r.headers;
    assert_eq!(h.via().len(), 34);
    assert!(h.from().tag.as_ref().unwrap().len() > 50);
    assert!(h.to().display_name().unwrap().len() > 100);
    assert!(h
        .to()
        .uri
        .as_sip()
        .unwrap()
        .param("unknownparam1")
        .is_some());
    assert!(r.uri().as_sip().is_some());
    assert_eq!(r.body.len(), h.content_length().unwrap() as usize);
}

#[test]
fn rfc4475_dblreq() {
    let r = req("dblreq");
    assert_eq!(*r.method(), Method::Register);
    assert!(
        r.body.is_empty(),
        "extra octets after Content-Length 0 are discarded"
    );
    assert_eq!(
        &r.headers.call_id()[..],
        b"dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    );
    assert!(!r.to_bytes().windows(6).any(|w| w == b"INVITE"));
}

#[test]
fn rfc4475_semiuri() {
    let r = req("semiuri");
    let u = r.uri().as_sip().unwrap();
    assert_eq!(&u.user.as_ref().unwrap()[..], b"user;par=u%40example.net");
    assert_eq!(&u.host[..], b"example.com");
    assert!(u.params.is_empty());
    assert!(r
        .headers
        .get("Accept")
        .unwrap()
        .ends_with(b"message/sipfrag"));
}

#[test]
fn rfc4475_transports() {
    let r = req("transports");
    let t: Vec<&[u8]> = r.headers.via().iter().map(|v| &v.transport[..]).collect();
    assert_eq!(t, vec![&b"UDP"[..], b"SCTP", b"TLS", b"UNKNOWN", b"TCP"]);
}

#[test]
fn rfc4475_mpart01() {
    let r = req("mpart01");
    assert_eq!(*r.method(), Method::Message);
    assert_eq!(r.headers.via()[0].rport, RPort::Flag);
    assert!(r
        .headers
        .content_type()
        .unwrap()
        .starts_with(b"multipart/mixed"));
    assert_eq!(r.body.len(), 553);
}

#[test]
fn rfc4475_unreason() {
    let r = resp("unreason");
    assert_eq!(r.status(), 200);
    assert!(std::str::from_utf8(r.reason()).unwrap().contains("простое"));
}

#[test]
fn rfc4475_noreason() {
    let r = resp("noreason");
    assert_eq!(r.status(), 100);
    assert!(r.reason().is_empty());
}

// ---- §3.1.2 invalid ----

#[test]
fn rfc4475_badinv01() {
    outcome("badinv01");
    assert!(reason_of("badinv01").contains("Via"));
}

#[test]
fn rfc4475_clerr() {
    outcome("clerr");
    assert!(reason_of("clerr").contains("Content-Length mismatch"));
}

#[test]
fn rfc4475_ncl() {
    outcome("ncl");
    assert!(reason_of("ncl").contains("Content-Length"));
}

#[test]
fn rfc4475_scalar02() {
    outcome("scalar02");
    assert!(reason_of("scalar02").contains("CSeq"));
}

#[test]
fn rfc4475_scalarlg() {
    outcome("scalarlg");
}

#[test]
fn rfc4475_quotbal() {
    outcome("quotbal");
    assert!(reason_of("quotbal").contains("quoted string"));
}

#[test]
fn rfc4475_ltgtruri() {
    outcome("ltgtruri");
    assert!(reason_of("ltgtruri").contains("Request-URI"));
}

#[test]
fn rfc4475_lwsruri() {
    outcome("lwsruri");
    assert!(reason_of("lwsruri").contains("Request-Line"));
}

#[test]
fn rfc4475_lwsstart() {
    outcome("lwsstart");
    assert!(reason_of("lwsstart").contains("Request-Line"));
}

#[test]
fn rfc4475_trws() {
    outcome("trws");
    assert!(reason_of("trws").contains("Request-Line"));
}

#[test]
fn rfc4475_escruri() {
    outcome("escruri");
    assert!(reason_of("escruri").contains("Request-URI contains escaped headers"));
}

#[test]
fn rfc4475_baddate() {
    let r = req("baddate");
    assert!(r.headers.get("Date").unwrap().ends_with(b"EST"));
}

#[test]
fn rfc4475_regbadct() {
    outcome("regbadct");
    assert!(reason_of("regbadct").contains("< >"));
}

#[test]
fn rfc4475_badaspec() {
    outcome("badaspec");
    assert!(reason_of("badaspec").contains("To URI"));
}

#[test]
fn rfc4475_baddn() {
    outcome("baddn");
    assert!(reason_of("baddn").contains("display name"));
}

#[test]
fn rfc4475_badvers() {
    outcome("badvers");
    assert!(reason_of("badvers").contains("Version"));
}

#[test]
fn rfc4475_mismatch01() {
    outcome("mismatch01");
    assert!(reason_of("mismatch01").contains("CSeq method does not match"));
}

#[test]
fn rfc4475_mismatch02() {
    outcome("mismatch02");
    assert!(reason_of("mismatch02").contains("CSeq method does not match"));
}

#[test]
fn rfc4475_bigcode() {
    outcome("bigcode");
    assert!(reason_of("bigcode").contains("Status-Code"));
}

// ---- §3.2 transaction layer, §3.4 backward compatibility ----

#[test]
fn rfc4475_badbranch() {
    let r = req("badbranch");
    let v = r.headers.top_via().unwrap();
    assert_eq!(v.branch.as_deref(), Some(&b"z9hG4bK"[..]));
}

#[test]
fn rfc4475_inv2543() {
    let r = req("inv2543");
    let v = r.headers.top_via().unwrap();
    assert!(v.branch.is_none());
    assert!(!v.is_rfc3261_branch());
    assert_eq!(r.headers.max_forwards(), None);
    assert_eq!(r.headers.record_route().len(), 1);
}

// ---- §3.3 application layer ----

#[test]
fn rfc4475_insuf() {
    outcome("insuf");
    assert!(reason_of("insuf").contains("Missing"));
}

#[test]
fn rfc4475_unkscm() {
    let r = req("unkscm");
    assert!(matches!(r.uri(), Uri::Other { .. }));
    assert_eq!(r.uri().scheme(), b"nobodyKnowsThisScheme");
    assert_eq!(expected("unkscm").1, 416);
}

#[test]
fn rfc4475_novelsc() {
    let r = req("novelsc");
    assert_eq!(r.uri().scheme(), b"soap.beep");
    assert_eq!(expected("novelsc").1, 416);
}

#[test]
fn rfc4475_unksm2() {
    let r = req("unksm2");
    assert_eq!(r.headers.to().uri.scheme(), b"isbn");
    assert_eq!(r.headers.from().uri.scheme(), b"http");
    assert_eq!(r.headers.contact()[0].addr.uri.scheme(), b"name");
}

#[test]
fn rfc4475_bext01() {
    let r = req("bext01");
    assert_eq!(r.headers.require().len(), 2);
    assert_eq!(
        &r.headers.proxy_require()[1][..],
        b"norDoAnyProxiesSupportThis"
    );
    assert_eq!(expected("bext01").1, 420);
}

#[test]
fn rfc4475_invut() {
    let r = req("invut");
    assert_eq!(
        r.headers.content_type(),
        Some(&b"application/unknownformat"[..])
    );
}

#[test]
fn rfc4475_regaut01() {
    let r = req("regaut01");
    let a = &r.headers.authorization()[0];
    assert_eq!(&a.scheme[..], b"NoOneKnowsThisScheme");
    assert_eq!(a.param("opaque-data").map(|b| &b[..]), Some(&b"here"[..]));
}

#[test]
fn rfc4475_multi01() {
    outcome("multi01");
    assert!(reason_of("multi01").contains("Multiple"));
}

#[test]
fn rfc4475_mcl01() {
    outcome("mcl01");
    assert!(reason_of("mcl01").contains("Content-Length"));
}

#[test]
fn rfc4475_bcast() {
    let r = resp("bcast");
    assert_eq!(&r.headers.via()[1].host[..], b"255.255.255.255");
}

#[test]
fn rfc4475_zeromf() {
    let mut r = req("zeromf");
    assert_eq!(r.headers.max_forwards(), Some(0));
    assert_eq!(r.headers.decrement_max_forwards(), None);
}

#[test]
fn rfc4475_cparam01() {
    let r = req("cparam01");
    let c = &r.headers.contact()[0];
    assert!(!c.addr.angle);
    assert_eq!(c.addr.param("unknownparam"), Some(None));
    assert!(c.addr.uri.as_sip().unwrap().params.is_empty());
}

#[test]
fn rfc4475_cparam02() {
    let r = req("cparam02");
    let c = &r.headers.contact()[0];
    assert!(c.addr.params.is_empty());
    assert_eq!(
        c.addr.uri.as_sip().unwrap().param("unknownparam"),
        Some(None)
    );
}

#[test]
fn rfc4475_regescrt() {
    let r = req("regescrt");
    let u = r.headers.contact()[0].addr.uri.as_sip().unwrap();
    let h: Vec<_> = u.header_iter().collect();
    assert_eq!(&h[0].0[..], b"Route");
    assert_eq!(
        &unescape(h[0].1.as_ref().unwrap())[..],
        b"<sip:sip.example.com>"
    );
}

#[test]
fn rfc4475_sdp01() {
    let r = req("sdp01");
    assert_eq!(r.headers.get("Accept").unwrap(), b"text/nobodyKnowsThis");
}

// ---- mutation, builder, robustness ----

#[test]
fn mutation_keeps_serialization_consistent() {
    let mut r = req("wsinv");
    {
        let mut v = r.top_via_mut().unwrap();
        v.set_received(Bytes::from_static(b"203.0.113.9"), Some(4000));
    }
    r.headers.push_via(Via::new(
        "UDP",
        Bytes::from_static(b"proxy.example.org"),
        Some(5060),
        Bytes::from_static(b"z9hG4bKnew"),
    ));
    r.headers.insert_record_route(NameAddr::from_uri(
        parse_uri(Bytes::from_static(b"sip:proxy.example.org;lr")).unwrap(),
    ));
    let popped = r.headers.pop_route().unwrap();
    assert!(popped.uri.as_sip().unwrap().lr());
    assert_eq!(r.headers.decrement_max_forwards(), Some(67));
    r.set_uri(parse_uri(Bytes::from_static(b"sip:vivekg@10.0.0.7:5070")).unwrap());
    assert!(r.headers.add_raw("X-Test", "1"));
    assert!(!r.headers.add_raw("Via", "SIP/2.0/UDP x"));
    let ser = r.to_bytes();
    let again = match parse_message(ser).unwrap() {
        Message::Request(q) => q,
        _ => panic!(),
    };
    let h = &again.headers;
    assert_eq!(h.via().len(), 4);
    assert_eq!(&h.via()[0].host[..], b"proxy.example.org");
    assert_eq!(h.via()[1].received.as_deref(), Some(&b"203.0.113.9"[..]));
    assert_eq!(h.via()[1].branch.as_deref(), Some(&b"390skdjuw"[..]));
    assert_eq!(h.record_route().len(), 1);
    assert!(h.route().is_empty());
    assert_eq!(h.max_forwards(), Some(67));
    assert_eq!(again.uri().as_sip().unwrap().port, Some(5070));
    assert_eq!(h.get("x-test"), Some(&b"1"[..]));
    assert_eq!(again.body, r.body);
    assert_eq!(again.headers.via(), r.headers.via());
    // Popping the pushed Via and a value out of a comma list.
    let mut r2 = again.clone();
    r2.headers.pop_via();
    r2.headers.pop_via();
    r2.headers.pop_via();
    let rr = match parse_message(r2.to_bytes()).unwrap() {
        Message::Request(q) => q,
        _ => panic!(),
    };
    assert_eq!(rr.headers.via().len(), 1);
    assert_eq!(
        rr.headers.via()[0].branch.as_deref(),
        Some(&b"z9hG4bK30239"[..])
    );
}

#[test]
fn builder_response() {
    let r = req("wsinv");
    let b = ResponseBuilder::new(&r, 486, None)
        .to_tag("abc")
        .header("Retry-After", "30")
        .header("Contact", "<sip:x@y>");
    let resp = b.build();
    assert_eq!(resp.status(), 486);
    assert_eq!(&resp.reason()[..], b"Busy Here");
    assert_eq!(resp.headers.via(), r.headers.via());
    assert_eq!(
        resp.headers.to().tag.as_deref(),
        Some(&b"1918181833n"[..]),
        "existing tag kept"
    );
    assert_eq!(resp.headers.contact().len(), 1);
    assert_eq!(resp.headers.content_length(), Some(0));
    let r = req("lwsdisp");
    let resp = ResponseBuilder::new(&r, 200, Some("OK"))
        .to_tag("t1")
        .body("application/sdp", Bytes::from_static(b"v=0\r\n"))
        .build();
    assert_eq!(resp.headers.to().tag.as_deref(), Some(&b"t1"[..]));
    assert_eq!(resp.body.len(), 5);
    let t = ResponseBuilder::new(&r, 100, None).to_tag("t1").build();
    assert!(t.headers.to().tag.is_none(), "no To tag on 100");
    assert_eq!(&t.reason()[..], b"Trying");
}

#[test]
fn never_panics_on_truncations_and_mutations() {
    for e in std::fs::read_dir(DIR).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "dat") {
            continue;
        }
        let raw = std::fs::read(&p).unwrap();
        for cut in (0..raw.len()).step_by(7) {
            let _ = parse_message(Bytes::copy_from_slice(&raw[..cut]));
        }
        let mut m = raw.clone();
        for i in (0..m.len()).step_by(13) {
            let old = m[i];
            for c in [b'\r', b'\n', b'"', b'<', b';', b',', b':', 0u8, 0xff] {
                m[i] = c;
                if let Err(e) = parse_message(Bytes::copy_from_slice(&m)) {
                    let _ = e.error_response();
                }
            }
            m[i] = old;
        }
    }
    assert_eq!(
        parse_message(Bytes::from(vec![b'a'; MAX_MESSAGE_SIZE + 1]))
            .unwrap_err()
            .status,
        513
    );
}

#[test]
fn bare_lf_and_compact_forms() {
    let m = "OPTIONS sip:a@b SIP/2.0\nv: SIP/2.0/UDP h;branch=z9hG4bK1\nf: <sip:c@d>;tag=1\nt: sip:a@b\ni: x@y\nCSeq: 1 OPTIONS\nk: path, gruu\nl: 0\n\n";
    let r = match parse_message(Bytes::from_static(m.as_bytes())).unwrap() {
        Message::Request(r) => r,
        _ => panic!(),
    };
    assert_eq!(&r.headers.call_id()[..], b"x@y");
    assert_eq!(r.headers.supported().len(), 2);
}
