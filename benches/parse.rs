//! Parser throughput: ferrosips vs rsip on a realistic INVITE and a REGISTER.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n\
Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds8;received=192.0.2.101\r\n\
Max-Forwards: 69\r\n\
Route: <sip:proxy1.example.com;lr>\r\n\
Route: <sip:proxy2.example.com;lr>\r\n\
Record-Route: <sip:edge.atlanta.example.com;lr>\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@192.0.2.101:5060;transport=udp;ob>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1;expires=3600\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE, PRACK\r\n\
Supported: replaces, timer, 100rel\r\n\
User-Agent: ferrosips-bench/1.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 238\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n\
s=Session SDP\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n";

const REGISTER: &[u8] = b"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n\
Call-ID: 843817637684230@998sdasdh09\r\n\
CSeq: 1826 REGISTER\r\n\
Contact: <sip:bob@192.0.2.4>;expires=7200\r\n\
Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:registrar.biloxi.example.com\", response=\"245f23415f11432b3434341c022\", algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, nc=00000001, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n\
Content-Length: 0\r\n\
\r\n";

fn bench(c: &mut Criterion) {
    assert!(INVITE.len() > 900, "INVITE is {} bytes", INVITE.len());
    for (name, msg) in [("invite", INVITE), ("register", REGISTER)] {
        let buf = Bytes::from_static(msg);
        ferrosips::sip::parse_message(buf.clone()).expect("ferrosips parses");
        rsip::SipMessage::try_from(msg).expect("rsip parses");
        let mut g = c.benchmark_group(format!("parse/{name}"));
        g.bench_function("ferrosips", |b| {
            b.iter(|| ferrosips::sip::parse_message(black_box(buf.clone())))
        });
        g.bench_function("rsip", |b| {
            b.iter(|| rsip::SipMessage::try_from(black_box(msg)))
        });
        g.finish();
    }
    let buf = Bytes::from_static(INVITE);
    let m = ferrosips::sip::parse_message(buf).expect("parses");
    c.bench_function("serialize/invite/ferrosips", |b| {
        b.iter(|| black_box(&m).to_bytes())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
