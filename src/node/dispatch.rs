//! The receive path (shell): bytes from a socket → parse → transaction table → transaction
//! actor, with the TU's answer sent back to that actor. Bad input is answered statelessly
//! (400/505 naming the defect) or dropped, and counted; it never reaches a transaction.
#![allow(clippy::disallowed_methods)] // shell: stamps arrival time for the machines

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use ractor::{ActorRef, ActorRuntime};

use super::rules::{self, Myself};
use crate::sip::{parse_message, Message, Method, RPort, Request, ResponseBuilder, Via};
use crate::transaction::actor::{ServerMachine, ServerTxn, ServerTxnArgs, TxnMsg};
use crate::transaction::table::{Delivery, InviteStatus, TransactionTable};
use crate::transaction::{Key, TimerConfig};
use crate::transport::framing::FramingError;
use crate::transport::{Flow, Inbound, Source, Transmit, Transports};

/// Core counters, named as OpenSIPS names them in `get_statistics core:`.
#[derive(Debug, Default)]
pub struct CoreStats {
    /// Requests received and parsed (`rcv_requests`).
    pub rcv_requests: AtomicU64,
    /// Responses received and parsed (`rcv_replies`).
    pub rcv_replies: AtomicU64,
    /// Malformed requests answered with 400/505 (`err_requests`).
    pub err_requests: AtomicU64,
    /// Messages dropped: unparsable with nothing to answer, stray ACKs and responses
    /// (`drop_requests` + `drop_replies`).
    pub dropped: AtomicU64,
    /// Requests with a method we do not know (`unsupported_methods`).
    pub unsupported_methods: AtomicU64,
    /// Replies sent without a transaction (`sl:sent_replies`).
    pub sl_replies: AtomicU64,
}

/// Turns received bytes into transactions.
pub struct Dispatcher {
    pub(super) me: Myself,
    pub(super) server_header: Option<String>,
    pub(super) force_rport: bool,
    pub(super) timers: TimerConfig,
    pub(super) table: Arc<TransactionTable>,
    pub(super) transports: OnceLock<Transports>,
    pub(super) stats: CoreStats,
}

impl Inbound for Dispatcher {
    fn on_message(&self, src: Source, data: Bytes) -> Flow {
        let Some(transports) = self.transports.get() else {
            return Flow::Keep;
        };
        match parse_message(data) {
            Err(e) => match e.error_response() {
                Some(resp) => {
                    tracing::debug!(remote = %src.remote, error = %e, "malformed request answered");
                    self.stats.err_requests.fetch_add(1, Ordering::Relaxed);
                    // By default the source address: the one place known to reach the sender
                    // of a message we could not read (its Via may be the broken part).
                    let t = Transmit {
                        proto: src.proto,
                        local: src.local,
                        dest: error_dest(&e, &src, self.force_rport),
                        conn: src.conn,
                        payload: resp,
                    };
                    let transports = transports.clone();
                    tokio::spawn(async move {
                        let _ = transports.send(t).await;
                    });
                }
                None => {
                    tracing::debug!(remote = %src.remote, error = %e, "malformed message dropped");
                    self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    // On a stream, a message we cannot even answer means we lost the framing.
                    return Flow::Close;
                }
            },
            Ok(Message::Response(r)) => {
                self.stats.rcv_replies.fetch_add(1, Ordering::Relaxed);
                // No client transactions originate here yet (the proxy adds them): a response
                // matches nothing and is dropped (RFC 3261 §18.1.2 hands it to the core,
                // which as a UAS has no use for it).
                tracing::debug!(status = r.status(), remote = %src.remote, "stray response dropped");
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Message::Request(mut req)) => {
                self.stats.rcv_requests.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    method = %req.method(),
                    uri = %String::from_utf8_lossy(&req.uri().to_bytes()),
                    call_id = %String::from_utf8_lossy(req.headers.call_id()),
                    remote = %src.remote,
                    proto = %src.proto,
                    "request"
                );
                stamp_via(&mut req, &src, self.force_rport);
                self.on_request(req, src, transports);
            }
        }
        Flow::Keep
    }

    /// RFC 3261 §18.3: a stream message whose length cannot be known is answered 400 (when
    /// it is a request we can answer) before the connection closes.
    fn on_framing_error(&self, _src: Source, head: Bytes, err: &FramingError) -> Option<Bytes> {
        if matches!(
            err,
            FramingError::HeadersTooLong | FramingError::TooLarge(_)
        ) {
            // Nothing useful to say to a peer that sends unbounded data.
            return None;
        }
        self.stats.err_requests.fetch_add(1, Ordering::Relaxed);
        let reason = "Bad Request - Invalid Content-Length";
        // Parse the header section alone (as if the body were empty) to learn what to copy.
        let head = strip_content_length(&head);
        match parse_message(head) {
            Ok(Message::Request(req)) => Some(self.build(&req, 400, reason, &[])),
            Ok(Message::Response(_)) => None,
            Err(e) => e.error_response(),
        }
    }
}

/// The header section with its Content-Length lines removed (so it parses as a message with
/// no body).
fn strip_content_length(head: &[u8]) -> Bytes {
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(head.len());
    for line in text.split_inclusive('\n') {
        let name = line.split(':').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            continue;
        }
        out.push_str(line);
    }
    Bytes::from(out)
}

/// RFC 3261 §18.2.1 and RFC 3581 §4: record where the request really came from. With
/// `force_rport` every UDP request is treated as if its Via asked for `rport`.
fn stamp_via(req: &mut Request, src: &Source, force_rport: bool) {
    let ip = src.remote.ip();
    let Some(mut via) = req.top_via_mut() else {
        return;
    };
    if force_rport && via.rport == RPort::Absent && !src.proto.is_reliable() {
        via.rport = RPort::Flag;
    }
    let wants_rport = via.rport != RPort::Absent;
    let sent_by_is_source = std::str::from_utf8(&via.host)
        .ok()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        == Some(ip);
    if wants_rport || !sent_by_is_source {
        via.set_received(
            Bytes::from(ip.to_string()),
            wants_rport.then_some(src.remote.port()),
        );
    }
}

/// Where responses to this request go, RFC 3261 §18.2.2 (after [`stamp_via`]).
fn reply_to(req: &Request, src: &Source) -> Transmit {
    let mut t = Transmit {
        proto: src.proto,
        local: src.local,
        dest: src.remote,
        conn: src.conn,
        payload: Bytes::new(),
    };
    // Reliable: back over the connection it came on (if that closed, to the source address).
    if !src.proto.is_reliable() {
        if let Some(via) = req.headers.top_via() {
            t.dest = udp_dest(via, src);
        }
    }
    t
}

/// RFC 3261 §18.2.2 for unreliable transports, with RFC 3581's rport: maddr, else the
/// source IP and the rport value (or flag), else `received` (or the source, which is what
/// `received` would say) and the sent-by port.
fn udp_dest(via: &Via, src: &Source) -> SocketAddr {
    let ip_of = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
            .and_then(|h| h.parse::<IpAddr>().ok())
    };
    let port = via.port.unwrap_or(5060);
    if let Some(maddr) = via.maddr.as_deref().and_then(ip_of) {
        return SocketAddr::new(maddr, port);
    }
    match via.rport {
        RPort::Value(p) => SocketAddr::new(src.remote.ip(), p),
        RPort::Flag => src.remote,
        RPort::Absent => {
            let ip = via
                .received
                .as_deref()
                .and_then(ip_of)
                .unwrap_or(src.remote.ip());
            SocketAddr::new(ip, port)
        }
    }
}

/// Where the answer to a message we could not parse goes: its source, unless strict routing
/// is asked for and its top Via can still be read.
fn error_dest(e: &crate::sip::ParseError, src: &Source, force_rport: bool) -> SocketAddr {
    if force_rport || src.proto.is_reliable() {
        return src.remote;
    }
    let mut vias = Vec::new();
    match e.recovered.as_ref().and_then(|r| r.via.first()) {
        Some(raw) if crate::sip::header::via::parse_via_list(raw, &mut vias).is_ok() => {
            vias.first().map(|v| udp_dest(v, src)).unwrap_or(src.remote)
        }
        _ => src.remote,
    }
}

/// A To tag for our responses: random, so two nodes never pick the same one.
fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The To tag of a stateless reply: the same for every retransmission of a request (its
/// Call-ID, From tag, CSeq and top branch), as OpenSIPS's sl module derives its tags.
fn sl_tag(req: &Request) -> String {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same request gives the same tag on every node.
    let mut h = std::hash::DefaultHasher::new();
    let hd = &req.headers;
    hd.call_id().hash(&mut h);
    hd.from().tag.hash(&mut h);
    hd.cseq().seq.hash(&mut h);
    hd.top_via().map(|v| &v.branch).hash(&mut h);
    format!("sl{:016x}", h.finish())
}

impl Dispatcher {
    fn on_request(&self, req: Request, src: Source, transports: &Transports) {
        let Some(key) = Key::of(&req) else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if *req.method() == Method::Ack {
            // An ACK for a non-2xx final belongs to the INVITE transaction (§17.2.3); any
            // other ACK (for a 2xx, or stray) has nothing to do on a node without dialogs.
            if !self.table.deliver(&key, Delivery::Ack, transports) {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        if matches!(req.method(), Method::Other(_)) {
            self.stats
                .unsupported_methods
                .fetch_add(1, Ordering::Relaxed);
        }
        if !matches!(req.method(), Method::Invite | Method::Cancel) {
            // The built-in answers to non-INVITE requests are stateless, as OpenSIPS's
            // `sl_send_reply` is: the answer is a function of the request, and the To tag a
            // hash of it, so a retransmission gets the same answer without any state kept.
            let a = rules::answer(&req, &self.me);
            let bytes = self
                .builder(&req, a.status, &a.reason, &a.headers, sl_tag(&req))
                .to_bytes();
            self.stats.sl_replies.fetch_add(1, Ordering::Relaxed);
            let mut t = reply_to(&req, &src);
            t.payload = bytes;
            transports.send_now(t);
            return;
        }
        let now = Instant::now();
        let invite = *req.method() == Method::Invite;
        let mut spawned: Option<ActorRef<TxnMsg>> = None;
        let inserted = self.table.deliver_or_insert(key.clone(), transports, || {
            // RFC 3261 §17.2.1: the INVITE server transaction sends 100 Trying itself. We
            // send it at once: the routing logic may wait on a cluster write.
            let trying = invite.then(|| ResponseBuilder::new(&req, 100, None).to_bytes());
            let machine =
                ServerMachine::new(invite, trying, src.proto.is_reliable(), &self.timers, now);
            let args = ServerTxnArgs {
                machine,
                reply_to: reply_to(&req, &src),
                key: key.clone(),
                table: self.table.clone(),
                transports: transports.clone(),
            };
            match ActorRuntime::spawn_instant(None, ServerTxn, args) {
                Ok((actor, _)) => {
                    spawned = Some(actor.clone());
                    Some(actor)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot start a transaction actor");
                    None
                }
            }
        });
        if inserted {
            if let Some(actor) = spawned {
                self.run_tu(req, actor);
            }
        }
    }

    /// The transaction user: the node's built-in rules (the routing script takes this place).
    fn run_tu(&self, req: Request, actor: ActorRef<TxnMsg>) {
        let a = rules::answer(&req, &self.me);
        if *req.method() == Method::Cancel && a.status == 481 {
            // RFC 3261 §9.2: a CANCEL that matches a pending INVITE gets 200 and the INVITE
            // gets 487; the INVITE's actor decides, as only it knows its state.
            let status = Key::invite_of(&req)
                .map(|k| self.table.invite_status(&k))
                .unwrap_or(InviteStatus::Unknown);
            match status {
                InviteStatus::Active(invite) => {
                    let ok = self.build(&req, 200, "OK", &[]);
                    // The 487 answers the INVITE: the CANCEL carries the same Via, From, To,
                    // Call-ID and CSeq number (§9.1), only the CSeq method differs.
                    let terminated = self
                        .builder(&req, 487, "Request Terminated", &[], new_tag())
                        .cseq_method(Method::Invite)
                        .to_bytes();
                    tokio::spawn(async move {
                        let _ = ractor::call!(invite, |reply| TxnMsg::Cancel { terminated, reply });
                        let _ = actor.cast(TxnMsg::Respond {
                            status: 200,
                            bytes: ok,
                        });
                    });
                    return;
                }
                InviteStatus::Finished => {
                    // §9.2: the INVITE already has its final; the CANCEL matched, so 200.
                    let ok = self.build(&req, 200, "OK", &[]);
                    let _ = actor.cast(TxnMsg::Respond {
                        status: 200,
                        bytes: ok,
                    });
                    return;
                }
                InviteStatus::Unknown => {}
            }
        }
        let bytes = self.build(&req, a.status, &a.reason, &a.headers);
        let _ = actor.cast(TxnMsg::Respond {
            status: a.status,
            bytes,
        });
    }

    fn builder<'r>(
        &self,
        req: &'r Request,
        status: u16,
        reason: &str,
        headers: &[(&'static str, String)],
        to_tag: String,
    ) -> ResponseBuilder<'r> {
        let mut b = ResponseBuilder::new(req, status, Some(reason)).to_tag(to_tag);
        for (n, v) in headers {
            b = b.header(*n, v.clone());
        }
        if let Some(s) = &self.server_header {
            b = b.header("Server", s.clone());
        }
        b
    }

    fn build(
        &self,
        req: &Request,
        status: u16,
        reason: &str,
        headers: &[(&'static str, String)],
    ) -> Bytes {
        self.builder(req, status, reason, headers, new_tag())
            .to_bytes()
    }
}
