//! Parsed SIP messages: raw header list in received order plus eagerly typed fields,
//! with mutators that keep both views and the serialization consistent.

use crate::sip::header::auth::{parse_auth, Auth};
use crate::sip::header::contact::{parse_contacts, Contact};
use crate::sip::header::cseq::CSeq;
use crate::sip::header::name_addr::{parse_list, parse_single, NameAddr};
use crate::sip::header::tags::parse_option_tags;
use crate::sip::header::via::{parse_via, parse_via_list, Via};
use crate::sip::header::{Header, HeaderKind, HeaderRef};
use crate::sip::method::Method;
use crate::sip::scan::split_commas;
use crate::sip::scan::Sp;
use crate::sip::uri::{parse_uri, Uri};
use bytes::Bytes;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

/// Headers of a message. Typed fields are read through accessors; all mutation goes
/// through methods so the raw list (what is serialized) never disagrees with them.
///
/// `parse_message` validates every typed header but only keeps scalars; structured
/// values (Via, From/To, Contact, routes, credentials, option tags) are built from the
/// raw list on first access, so parsing does no per-field refcounting or allocation.
#[derive(Debug, Clone)]
pub struct Headers {
    /// The whole received message; parsed `Header`s are spans into it.
    pub(crate) buf: Bytes,
    pub(crate) list: Vec<Header>,
    pub(crate) call_id: Bytes,
    pub(crate) via: OnceLock<Vec<Via>>,
    // Boxed: keeps `Headers` small (it is built on every parse; these only on access).
    pub(crate) from: OnceLock<Box<NameAddr>>,
    pub(crate) to: OnceLock<Box<NameAddr>>,
    pub(crate) cseq: CSeq,
    pub(crate) max_forwards: Option<u32>,
    pub(crate) contact: OnceLock<Vec<Contact>>,
    pub(crate) contact_star: bool,
    pub(crate) route: OnceLock<Vec<NameAddr>>,
    pub(crate) record_route: OnceLock<Vec<NameAddr>>,
    pub(crate) path: OnceLock<Vec<NameAddr>>,
    pub(crate) content_length: Option<u32>,
    pub(crate) expires: Option<u32>,
    pub(crate) min_expires: Option<u32>,
    pub(crate) require: OnceLock<Vec<Bytes>>,
    pub(crate) proxy_require: OnceLock<Vec<Bytes>>,
    pub(crate) supported: OnceLock<Vec<Bytes>>,
    pub(crate) unsupported: OnceLock<Vec<Bytes>>,
    pub(crate) authorization: OnceLock<Vec<Auth>>,
    pub(crate) proxy_authorization: OnceLock<Vec<Auth>>,
    pub(crate) www_authenticate: OnceLock<Vec<Auth>>,
    pub(crate) proxy_authenticate: OnceLock<Vec<Auth>>,
}

/// The typed views are functions of the raw list, so equality is on the list.
impl PartialEq for Headers {
    fn eq(&self, o: &Self) -> bool {
        let (x, y) = (&self.buf[..], &o.buf[..]);
        self.list.len() == o.list.len()
            && self
                .list
                .iter()
                .zip(&o.list)
                .all(|(a, b)| a.as_ref(x) == b.as_ref(y) && a.raw(x) == b.raw(y))
    }
}
impl Eq for Headers {}

fn matches(buf: &[u8], h: &Header, name: &str) -> bool {
    let k = HeaderKind::from_name(name.as_bytes());
    if k == HeaderKind::Other {
        h.kind == HeaderKind::Other && h.name(buf).eq_ignore_ascii_case(name.as_bytes())
    } else {
        h.kind == k
    }
}

/// Placeholder for a value that failed to re-parse (cannot happen for a list that
/// `parse_message` validated; keeps the accessors total without panicking).
fn empty_name_addr() -> NameAddr {
    NameAddr::from_uri(Uri::Other {
        scheme: Bytes::new(),
        raw: Bytes::new(),
    })
}

impl Headers {
    /// Headers with the given raw list and mandatory scalars; typed views are lazy.
    pub(crate) fn from_list(buf: Bytes, list: Vec<Header>, call_id: Bytes, cseq: CSeq) -> Headers {
        Headers {
            buf,
            list,
            call_id,
            via: OnceLock::new(),
            from: OnceLock::new(),
            to: OnceLock::new(),
            cseq,
            max_forwards: None,
            contact: OnceLock::new(),
            contact_star: false,
            route: OnceLock::new(),
            record_route: OnceLock::new(),
            path: OnceLock::new(),
            content_length: None,
            expires: None,
            min_expires: None,
            require: OnceLock::new(),
            proxy_require: OnceLock::new(),
            supported: OnceLock::new(),
            unsupported: OnceLock::new(),
            authorization: OnceLock::new(),
            proxy_authorization: OnceLock::new(),
            www_authenticate: OnceLock::new(),
            proxy_authenticate: OnceLock::new(),
        }
    }
    /// All header lines in order.
    pub fn iter(&self) -> impl Iterator<Item = HeaderRef<'_>> {
        self.list.iter().map(|h| h.as_ref(&self.buf))
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    /// First raw value of a header (case-insensitive, compact forms understood).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.list
            .iter()
            .find(|h| matches(&self.buf, h, name))
            .map(|h| h.value(&self.buf))
    }
    /// All raw values of a header, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.list
            .iter()
            .filter(move |h| matches(&self.buf, h, name))
            .map(|h| h.value(&self.buf))
    }
    fn values(&self, kind: HeaderKind) -> impl Iterator<Item = Bytes> + '_ {
        self.list
            .iter()
            .filter(move |h| h.kind == kind)
            .map(|h| h.value_bytes(&self.buf))
    }
    fn first_value(&self, kind: HeaderKind) -> Option<&[u8]> {
        self.list
            .iter()
            .find(|h| h.kind == kind)
            .map(|h| h.value(&self.buf))
    }
    /// Build a list view from every line of `kind` (values were validated at parse).
    fn collect<T, E>(
        &self,
        kind: HeaderKind,
        f: impl Fn(&Bytes, &mut Vec<T>) -> Result<(), E>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for v in self.values(kind) {
            let _ = f(&v, &mut out);
        }
        out
    }
    fn build_vias(buf: &Bytes, list: &[Header]) -> Vec<Via> {
        let mut out = Vec::with_capacity(list.iter().filter(|h| h.kind == HeaderKind::Via).count());
        for h in list.iter().filter(|h| h.kind == HeaderKind::Via) {
            let _ = parse_via_list(&h.value_bytes(buf), &mut out);
        }
        out
    }
    fn name_addr(&self, kind: HeaderKind) -> NameAddr {
        self.values(kind)
            .next()
            .and_then(|v| parse_single(&v).ok())
            .unwrap_or_else(empty_name_addr)
    }

    pub fn via(&self) -> &[Via] {
        self.via
            .get_or_init(|| Self::build_vias(&self.buf, &self.list))
    }
    pub fn top_via(&self) -> Option<&Via> {
        self.via().first()
    }
    pub fn from(&self) -> &NameAddr {
        self.from
            .get_or_init(|| Box::new(self.name_addr(HeaderKind::From)))
    }
    pub fn to(&self) -> &NameAddr {
        self.to
            .get_or_init(|| Box::new(self.name_addr(HeaderKind::To)))
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
        self.contact.get_or_init(|| {
            if self.contact_star {
                return Vec::new();
            }
            self.collect(HeaderKind::Contact, |v, o| parse_contacts(v, o).map(|_| ()))
        })
    }
    /// `Contact: *` (RFC 3261 §10.2.2).
    pub fn contact_is_star(&self) -> bool {
        self.contact_star
    }
    pub fn route(&self) -> &[NameAddr] {
        self.route
            .get_or_init(|| self.collect(HeaderKind::Route, parse_list))
    }
    pub fn record_route(&self) -> &[NameAddr] {
        self.record_route
            .get_or_init(|| self.collect(HeaderKind::RecordRoute, parse_list))
    }
    pub fn path(&self) -> &[NameAddr] {
        self.path
            .get_or_init(|| self.collect(HeaderKind::Path, parse_list))
    }
    pub fn content_length(&self) -> Option<u32> {
        self.content_length
    }
    pub fn content_type(&self) -> Option<&[u8]> {
        self.first_value(HeaderKind::ContentType)
    }
    pub fn expires(&self) -> Option<u32> {
        self.expires
    }
    pub fn min_expires(&self) -> Option<u32> {
        self.min_expires
    }
    pub fn require(&self) -> &[Bytes] {
        self.require
            .get_or_init(|| self.collect(HeaderKind::Require, parse_option_tags))
    }
    pub fn proxy_require(&self) -> &[Bytes] {
        self.proxy_require
            .get_or_init(|| self.collect(HeaderKind::ProxyRequire, parse_option_tags))
    }
    pub fn supported(&self) -> &[Bytes] {
        self.supported
            .get_or_init(|| self.collect(HeaderKind::Supported, parse_option_tags))
    }
    pub fn unsupported(&self) -> &[Bytes] {
        self.unsupported
            .get_or_init(|| self.collect(HeaderKind::Unsupported, parse_option_tags))
    }
    fn auths(&self, kind: HeaderKind) -> Vec<Auth> {
        self.collect(kind, |v, o| parse_auth(v).map(|a| o.push(a)))
    }
    pub fn authorization(&self) -> &[Auth] {
        self.authorization
            .get_or_init(|| self.auths(HeaderKind::Authorization))
    }
    pub fn proxy_authorization(&self) -> &[Auth] {
        self.proxy_authorization
            .get_or_init(|| self.auths(HeaderKind::ProxyAuthorization))
    }
    pub fn www_authenticate(&self) -> &[Auth] {
        self.www_authenticate
            .get_or_init(|| self.auths(HeaderKind::WwwAuthenticate))
    }
    pub fn proxy_authenticate(&self) -> &[Auth] {
        self.proxy_authenticate
            .get_or_init(|| self.auths(HeaderKind::ProxyAuthenticate))
    }

    /// Run `f` on the materialized Via list (building it first if needed).
    fn with_vias<R>(&mut self, f: impl FnOnce(&mut Vec<Via>) -> R) -> R {
        let mut v = match self.via.take() {
            Some(v) => v,
            None => Self::build_vias(&self.buf, &self.list),
        };
        let r = f(&mut v);
        self.via = OnceLock::from(v);
        r
    }
    /// Run `f` on a materialized Route / Record-Route list.
    fn with_routes<R>(&mut self, kind: HeaderKind, f: impl FnOnce(&mut Vec<NameAddr>) -> R) -> R {
        let cell = if kind == HeaderKind::Route {
            &mut self.route
        } else {
            &mut self.record_route
        };
        let mut v = match cell.take() {
            Some(v) => v,
            None => self.collect(kind, parse_list),
        };
        let r = f(&mut v);
        let cell = if kind == HeaderKind::Route {
            &mut self.route
        } else {
            &mut self.record_route
        };
        *cell = OnceLock::from(v);
        r
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
        let v = self.list[idx].value_bytes(&self.buf);
        match split_commas(&v) {
            Some(parts) if parts.len() > 1 => {
                let rest_start = parts[1].as_ptr() as usize - v.as_ptr() as usize;
                self.list[idx].skip_value(rest_start);
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
        let v = self.with_vias(|v| v.first().cloned())?;
        Some(TopViaMut { h: self, v })
    }
    /// Push a Via on top (RFC 3261 §16.6 step 8).
    pub fn push_via(&mut self, via: Via) {
        let b = via.to_bytes();
        // Re-parse our own serialization so typed and raw views are identical.
        let via = parse_via(&b).unwrap_or(via);
        self.with_vias(|v| v.insert(0, via));
        self.push_first_value(HeaderKind::Via, b, 0);
    }
    /// Remove the top Via (RFC 3261 §16.7 step 3).
    pub fn pop_via(&mut self) -> Option<Via> {
        let top = self.with_vias(|v| (!v.is_empty()).then(|| v.remove(0)))?;
        self.pop_first_value(HeaderKind::Via);
        Some(top)
    }
    /// Push a Route on top (e.g. strict-routing fixups, RFC 3261 §16.6 step 4).
    pub fn push_route(&mut self, r: NameAddr) {
        let pos = self.after_vias();
        let b = r.to_bytes();
        self.with_routes(HeaderKind::Route, |v| v.insert(0, r));
        self.push_first_value(HeaderKind::Route, b, pos);
    }
    /// Remove the topmost Route (RFC 3261 §16.4).
    pub fn pop_route(&mut self) -> Option<NameAddr> {
        let top = self.with_routes(HeaderKind::Route, |v| (!v.is_empty()).then(|| v.remove(0)))?;
        self.pop_first_value(HeaderKind::Route);
        Some(top)
    }
    /// Insert a Record-Route at the top (RFC 3261 §16.6 step 4).
    pub fn insert_record_route(&mut self, r: NameAddr) {
        let pos = self.after_vias();
        let b = r.to_bytes();
        self.with_routes(HeaderKind::RecordRoute, |v| v.insert(0, r));
        self.push_first_value(HeaderKind::RecordRoute, b, pos);
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
        let buf = &self.buf;
        let idx = self.list.iter().position(|h| matches(buf, h, name));
        self.list.retain(|h| !matches(buf, h, name));
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
        let buf = &self.buf;
        self.list.retain(|h| !matches(buf, h, name));
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
                if self.content_length == Some(body_len as u32) && h.raw(&self.buf).is_some() {
                    h.write_to(&self.buf, out);
                } else {
                    out.extend_from_slice(h.name(&self.buf));
                    out.extend_from_slice(format!(": {body_len}\r\n").as_bytes());
                }
                continue;
            }
            h.write_to(&self.buf, out);
        }
        if !cl_done {
            out.extend_from_slice(format!("Content-Length: {body_len}\r\n").as_bytes());
        }
    }
}

/// Guard giving `&mut Via` to (a copy of) the top Via; written back into both the
/// typed list and the raw list when it drops.
pub struct TopViaMut<'a> {
    h: &'a mut Headers,
    v: Via,
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
        &self.v
    }
}
impl DerefMut for TopViaMut<'_> {
    fn deref_mut(&mut self) -> &mut Via {
        &mut self.v
    }
}
impl Drop for TopViaMut<'_> {
    fn drop(&mut self) {
        let b = self.v.to_bytes();
        let v2 = parse_via(&b).unwrap_or_else(|_| self.v.clone());
        self.h.with_vias(|v| {
            if let Some(top) = v.first_mut() {
                *top = v2;
            }
        });
        self.h.replace_first_value(HeaderKind::Via, b);
    }
}

/// A SIP request.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    /// Request-URI, built on first access from `uri_sp` (validated at parse time).
    pub(crate) uri: OnceLock<Box<Uri>>,
    /// Span of the Request-URI inside `start_raw`.
    pub(crate) uri_sp: Sp,
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
        self.uri.get_or_init(|| {
            let raw = self
                .start_raw
                .get(self.uri_sp.0..self.uri_sp.1)
                .map(|r| self.start_raw.slice_ref(r))
                .unwrap_or_default();
            Box::new(parse_uri(raw).unwrap_or(Uri::Other {
                scheme: Bytes::new(),
                raw: Bytes::new(),
            }))
        })
    }
    pub fn version(&self) -> &Bytes {
        &self.version
    }
    /// Replace the Request-URI (RFC 3261 §16.5 / §16.6 step 2).
    pub fn set_uri(&mut self, uri: Uri) {
        self.uri = OnceLock::from(Box::new(uri));
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
            self.uri().write_to(&mut out);
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

impl PartialEq for Request {
    fn eq(&self, o: &Self) -> bool {
        self.method == o.method
            && self.uri() == o.uri()
            && self.version == o.version
            && self.headers == o.headers
            && self.body == o.body
            && self.start_raw == o.start_raw
    }
}
impl Eq for Request {}

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
