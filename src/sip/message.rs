//! Parsed SIP messages: raw header list in received order plus eagerly typed fields,
//! with mutators that keep both views and the serialization consistent.

use crate::sip::header::auth::Auth;
use crate::sip::header::contact::Contact;
use crate::sip::header::cseq::CSeq;
use crate::sip::header::name_addr::NameAddr;
use crate::sip::header::via::{parse_via, Via};
use crate::sip::header::{Header, HeaderKind};
use crate::sip::method::Method;
use crate::sip::scan::split_commas;
use crate::sip::uri::Uri;
use bytes::Bytes;
use std::ops::{Deref, DerefMut};

/// Headers of a message. Typed fields are read through accessors; all mutation goes
/// through methods so the raw list (what is serialized) never disagrees with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    pub(crate) list: Vec<Header>,
    pub(crate) via: Vec<Via>,
    pub(crate) from: NameAddr,
    pub(crate) to: NameAddr,
    pub(crate) call_id: Bytes,
    pub(crate) cseq: CSeq,
    pub(crate) max_forwards: Option<u32>,
    pub(crate) contact: Vec<Contact>,
    pub(crate) contact_star: bool,
    pub(crate) route: Vec<NameAddr>,
    pub(crate) record_route: Vec<NameAddr>,
    pub(crate) path: Vec<NameAddr>,
    pub(crate) content_length: Option<u32>,
    pub(crate) content_type: Option<Bytes>,
    pub(crate) expires: Option<u32>,
    pub(crate) min_expires: Option<u32>,
    pub(crate) require: Vec<Bytes>,
    pub(crate) proxy_require: Vec<Bytes>,
    pub(crate) supported: Vec<Bytes>,
    pub(crate) unsupported: Vec<Bytes>,
    pub(crate) authorization: Vec<Auth>,
    pub(crate) proxy_authorization: Vec<Auth>,
    pub(crate) www_authenticate: Vec<Auth>,
    pub(crate) proxy_authenticate: Vec<Auth>,
}

impl Headers {
    /// All header lines in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.list.iter()
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    fn matches(h: &Header, name: &str) -> bool {
        let k = HeaderKind::from_name(name.as_bytes());
        if k == HeaderKind::Other {
            h.kind == HeaderKind::Other && h.name.eq_ignore_ascii_case(name.as_bytes())
        } else {
            h.kind == k
        }
    }
    /// First raw value of a header (case-insensitive, compact forms understood).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.list
            .iter()
            .find(|h| Self::matches(h, name))
            .map(|h| &h.value)
    }
    /// All raw values of a header, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.list
            .iter()
            .filter(move |h| Self::matches(h, name))
            .map(|h| &h.value)
    }

    pub fn via(&self) -> &[Via] {
        &self.via
    }
    pub fn top_via(&self) -> Option<&Via> {
        self.via.first()
    }
    pub fn from(&self) -> &NameAddr {
        &self.from
    }
    pub fn to(&self) -> &NameAddr {
        &self.to
    }
    pub fn call_id(&self) -> &Bytes {
        &self.call_id
    }
    pub fn cseq(&self) -> &CSeq {
        &self.cseq
    }
    pub fn max_forwards(&self) -> Option<u32> {
        self.max_forwards
    }
    pub fn contact(&self) -> &[Contact] {
        &self.contact
    }
    /// `Contact: *` (RFC 3261 §10.2.2).
    pub fn contact_is_star(&self) -> bool {
        self.contact_star
    }
    pub fn route(&self) -> &[NameAddr] {
        &self.route
    }
    pub fn record_route(&self) -> &[NameAddr] {
        &self.record_route
    }
    pub fn path(&self) -> &[NameAddr] {
        &self.path
    }
    pub fn content_length(&self) -> Option<u32> {
        self.content_length
    }
    pub fn content_type(&self) -> Option<&Bytes> {
        self.content_type.as_ref()
    }
    pub fn expires(&self) -> Option<u32> {
        self.expires
    }
    pub fn min_expires(&self) -> Option<u32> {
        self.min_expires
    }
    pub fn require(&self) -> &[Bytes] {
        &self.require
    }
    pub fn proxy_require(&self) -> &[Bytes] {
        &self.proxy_require
    }
    pub fn supported(&self) -> &[Bytes] {
        &self.supported
    }
    pub fn unsupported(&self) -> &[Bytes] {
        &self.unsupported
    }
    pub fn authorization(&self) -> &[Auth] {
        &self.authorization
    }
    pub fn proxy_authorization(&self) -> &[Auth] {
        &self.proxy_authorization
    }
    pub fn www_authenticate(&self) -> &[Auth] {
        &self.www_authenticate
    }
    pub fn proxy_authenticate(&self) -> &[Auth] {
        &self.proxy_authenticate
    }

    // ---- raw-list plumbing for multi-valued headers ----

    fn first_index(&self, kind: HeaderKind) -> Option<usize> {
        self.list.iter().position(|h| h.kind == kind)
    }

    /// Insert a new first value of a list header as its own line, before the first
    /// existing line of that kind (or at `default_pos`).
    fn push_first_value(&mut self, kind: HeaderKind, value: Bytes, default_pos: usize) {
        let idx = self
            .first_index(kind)
            .unwrap_or(default_pos.min(self.list.len()));
        self.list.insert(
            idx,
            Header::new(Bytes::from_static(kind.canonical().as_bytes()), value),
        );
    }

    /// Remove the first value of a list header (splitting a comma list if needed).
    fn pop_first_value(&mut self, kind: HeaderKind) {
        let Some(idx) = self.first_index(kind) else {
            return;
        };
        let v = self.list[idx].value.clone();
        match split_commas(&v) {
            Some(parts) if parts.len() > 1 => {
                let rest_start = parts[1].as_ptr() as usize - v.as_ptr() as usize;
                let h = &mut self.list[idx];
                h.value = v.slice(rest_start..);
                h.raw = Bytes::new();
            }
            _ => {
                self.list.remove(idx);
            }
        }
    }

    /// Replace the first value of a list header by `value`.
    fn replace_first_value(&mut self, kind: HeaderKind, value: Bytes) {
        self.pop_first_value(kind);
        let pos = self.first_index(kind).unwrap_or(0);
        self.push_first_value(kind, value, pos);
    }

    /// Mutable access to the top Via; changes are written back when the guard drops.
    pub fn top_via_mut(&mut self) -> Option<TopViaMut<'_>> {
        if self.via.is_empty() {
            None
        } else {
            Some(TopViaMut { h: self })
        }
    }
    /// Push a Via on top (RFC 3261 §16.6 step 8).
    pub fn push_via(&mut self, via: Via) {
        let b = via.to_bytes();
        // Re-parse our own serialization so typed and raw views are identical.
        let via = parse_via(&b).unwrap_or(via);
        self.push_first_value(HeaderKind::Via, b, 0);
        self.via.insert(0, via);
    }
    /// Remove the top Via (RFC 3261 §16.7 step 3).
    pub fn pop_via(&mut self) -> Option<Via> {
        if self.via.is_empty() {
            return None;
        }
        self.pop_first_value(HeaderKind::Via);
        Some(self.via.remove(0))
    }
    /// Push a Route on top (e.g. strict-routing fixups, RFC 3261 §16.6 step 4).
    pub fn push_route(&mut self, r: NameAddr) {
        let pos = self.after_vias();
        self.push_first_value(HeaderKind::Route, r.to_bytes(), pos);
        self.route.insert(0, r);
    }
    /// Remove the topmost Route (RFC 3261 §16.4).
    pub fn pop_route(&mut self) -> Option<NameAddr> {
        if self.route.is_empty() {
            return None;
        }
        self.pop_first_value(HeaderKind::Route);
        Some(self.route.remove(0))
    }
    /// Insert a Record-Route at the top (RFC 3261 §16.6 step 4).
    pub fn insert_record_route(&mut self, r: NameAddr) {
        let pos = self.after_vias();
        self.push_first_value(HeaderKind::RecordRoute, r.to_bytes(), pos);
        self.record_route.insert(0, r);
    }
    fn after_vias(&self) -> usize {
        self.list
            .iter()
            .rposition(|h| h.kind == HeaderKind::Via)
            .map_or(0, |i| i + 1)
    }
    /// RFC 3261 §16.6 step 3: decrement Max-Forwards (adding `70` minus one if absent).
    /// Returns `None` if it is already 0 (the proxy must answer 483, §16.3 step 3).
    pub fn decrement_max_forwards(&mut self) -> Option<u32> {
        let cur = self.max_forwards.unwrap_or(70);
        if cur == 0 {
            return None;
        }
        let new = cur - 1;
        self.set_raw("Max-Forwards", Bytes::from(new.to_string()));
        self.max_forwards = Some(new);
        Some(new)
    }
    /// Replace all lines of `name` by one `name: value` line (in place of the first).
    /// Only for headers without typed state or whose typed state the caller updates.
    fn set_raw(&mut self, name: &str, value: Bytes) {
        let idx = self.list.iter().position(|h| Self::matches(h, name));
        self.list.retain(|h| !Self::matches(h, name));
        let h = Header::new(Bytes::copy_from_slice(name.as_bytes()), value);
        match idx {
            Some(i) => self.list.insert(i.min(self.list.len()), h),
            None => self.list.push(h),
        }
    }
    /// Append a raw header. Typed headers whose typed view this type caches (Via, From,
    /// To, Call-ID, CSeq, ...) are refused (`false`): use the dedicated mutators.
    pub fn add_raw(&mut self, name: &str, value: impl Into<Bytes>) -> bool {
        if self.is_typed(name) {
            return false;
        }
        self.list.push(Header::new(
            Bytes::copy_from_slice(name.as_bytes()),
            value.into(),
        ));
        true
    }
    /// Remove all lines of an untyped header; returns how many were removed
    /// (0 and nothing done for typed headers).
    pub fn remove_raw(&mut self, name: &str) -> usize {
        if self.is_typed(name) {
            return 0;
        }
        let before = self.list.len();
        self.list.retain(|h| !Self::matches(h, name));
        before - self.list.len()
    }
    fn is_typed(&self, name: &str) -> bool {
        use HeaderKind::*;
        matches!(
            HeaderKind::from_name(name.as_bytes()),
            Via | From
                | To
                | CallId
                | CSeq
                | MaxForwards
                | Contact
                | Route
                | RecordRoute
                | Path
                | ContentLength
                | ContentType
                | Expires
                | MinExpires
                | Require
                | ProxyRequire
                | Supported
                | Unsupported
                | Authorization
                | ProxyAuthorization
                | WwwAuthenticate
                | ProxyAuthenticate
        )
    }

    /// Serialize the header block; Content-Length is always written from `body_len`.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>, body_len: usize) {
        let mut cl_done = false;
        for h in &self.list {
            if h.kind == HeaderKind::ContentLength {
                if cl_done {
                    continue;
                }
                cl_done = true;
                if self.content_length == Some(body_len as u32) && !h.raw.is_empty() {
                    h.write_to(out);
                } else {
                    out.extend_from_slice(&h.name);
                    out.extend_from_slice(format!(": {body_len}\r\n").as_bytes());
                }
                continue;
            }
            h.write_to(out);
        }
        if !cl_done {
            out.extend_from_slice(format!("Content-Length: {body_len}\r\n").as_bytes());
        }
    }
}

/// Guard giving `&mut Via` to the top Via; re-serializes it into the raw list on drop.
pub struct TopViaMut<'a> {
    h: &'a mut Headers,
}

impl TopViaMut<'_> {
    /// RFC 3581 §4 / RFC 3261 §18.2.1: record the packet's source.
    pub fn set_received(&mut self, received: Bytes, rport: Option<u16>) {
        self.received = Some(received);
        if let Some(p) = rport {
            if self.rport != crate::sip::header::via::RPort::Absent {
                self.rport = crate::sip::header::via::RPort::Value(p);
            }
        }
    }
}

impl Deref for TopViaMut<'_> {
    type Target = Via;
    fn deref(&self) -> &Via {
        &self.h.via[0]
    }
}
impl DerefMut for TopViaMut<'_> {
    fn deref_mut(&mut self) -> &mut Via {
        &mut self.h.via[0]
    }
}
impl Drop for TopViaMut<'_> {
    fn drop(&mut self) {
        if let Some(v) = self.h.via.first() {
            let b = v.to_bytes();
            if let Ok(v2) = parse_via(&b) {
                self.h.via[0] = v2;
            }
            self.h.replace_first_value(HeaderKind::Via, b);
        }
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) version: Bytes,
    pub headers: Box<Headers>,
    pub body: Bytes,
    /// Original start line (empty once modified).
    pub(crate) start_raw: Bytes,
}

impl Request {
    pub fn method(&self) -> &Method {
        &self.method
    }
    pub fn uri(&self) -> &Uri {
        &self.uri
    }
    pub fn version(&self) -> &Bytes {
        &self.version
    }
    /// Replace the Request-URI (RFC 3261 §16.5 / §16.6 step 2).
    pub fn set_uri(&mut self, uri: Uri) {
        self.uri = uri;
        self.start_raw = Bytes::new();
    }
    pub fn top_via_mut(&mut self) -> Option<TopViaMut<'_>> {
        self.headers.top_via_mut()
    }
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.body.len() + 64 * (self.headers.len() + 2));
        if self.start_raw.is_empty() {
            out.extend_from_slice(self.method.as_bytes());
            out.push(b' ');
            self.uri.write_to(&mut out);
            out.push(b' ');
            out.extend_from_slice(&self.version);
        } else {
            out.extend_from_slice(&self.start_raw);
        }
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(&mut out, self.body.len());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        Bytes::from(out)
    }
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub(crate) version: Bytes,
    pub(crate) status: u16,
    pub(crate) reason: Bytes,
    pub headers: Box<Headers>,
    pub body: Bytes,
    pub(crate) start_raw: Bytes,
}

impl Response {
    pub fn status(&self) -> u16 {
        self.status
    }
    /// Reason phrase (may be empty, may be UTF-8).
    pub fn reason(&self) -> &Bytes {
        &self.reason
    }
    pub fn version(&self) -> &Bytes {
        &self.version
    }
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.body.len() + 64 * (self.headers.len() + 2));
        if self.start_raw.is_empty() {
            out.extend_from_slice(&self.version);
            out.extend_from_slice(format!(" {} ", self.status).as_bytes());
            out.extend_from_slice(&self.reason);
        } else {
            out.extend_from_slice(&self.start_raw);
        }
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(&mut out, self.body.len());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        Bytes::from(out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }
    /// Serialize (Content-Length always written from the body).
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}
