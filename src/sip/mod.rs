//! SIP message layer: zero-copy parser, typed headers, mutation, serialization and
//! response building (RFC 3261, robustness per RFC 4475).
//!
//! Entry points: [`parse_message`], [`parse_uri`], [`ResponseBuilder`]. A parsed
//! message keeps one `Bytes` of the received buffer; header lines are byte offsets
//! into it. `parse_message` validates every typed header (RFC 4475) without building
//! structures; typed views (Via, From/To, Contact, ...) are built on first access as
//! zero-copy `Bytes` slices of that buffer.
//!
//! Transport notes for the caller: the parser treats its input as one complete
//! message. Over UDP, octets beyond Content-Length are discarded (RFC 3261 §18.3);
//! over a stream transport Content-Length is mandatory, so the framer (or the node)
//! must refuse `content_length() == None` there. Applicative checks (416 for
//! `Uri::Other`, 420 for unknown Require/Proxy-Require tags, 483 for Max-Forwards 0,
//! 415/406) are left to the node; see tests/data/rfc4475/expected.tsv.

pub mod builder;
pub mod error;
pub mod header;
pub mod message;
pub mod method;
pub mod parser;
pub(crate) mod scan;
pub mod status;
pub mod uri;

pub use builder::ResponseBuilder;
pub use error::{ParseError, Recovered};
pub use header::auth::Auth;
pub use header::contact::Contact;
pub use header::cseq::CSeq;
pub use header::name_addr::NameAddr;
pub use header::via::{RPort, Via};
pub use header::{Header, HeaderKind};
pub use message::{Headers, Message, Request, Response, TopViaMut};
pub use method::Method;
pub use parser::{parse_message, MAX_HEADERS, MAX_MESSAGE_SIZE};
pub use scan::unquote;
pub use status::default_reason;
pub use uri::{parse_uri, unescape, SipUri, TelUri, Uri, UriError};
