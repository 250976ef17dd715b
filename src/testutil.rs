//! Helpers for unit tests.

use bytes::Bytes;

use crate::sip::{parse_message, Message, Request};

/// Parses a request written with `\n` line ends (turned into CRLF); panics if it is not one.
pub(crate) fn request(s: &str) -> Request {
    match parse_message(Bytes::from(s.replace('\n', "\r\n"))) {
        Ok(Message::Request(r)) => r,
        other => panic!("not a request: {other:?}"),
    }
}
