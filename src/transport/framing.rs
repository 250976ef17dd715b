//! Stream framing for SIP over TCP (RFC 3261 §18.3): a message ends `Content-Length` bytes
//! after the blank line; CRLF keep-alives (RFC 5626 §4.4.1) come between messages.
//!
//! Check-then-split, as mini-redis frames: [`Framer::next_frame`] looks at the buffered bytes and
//! either returns a whole message, a keep-alive, "need more" or an error that closes the
//! connection. It remembers how far it scanned so a slow sender costs linear time.

use bytes::{Bytes, BytesMut};

/// Largest message accepted on a stream; larger ones close the connection.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// What the framer found at the head of the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// One complete SIP message (headers and body).
    Message(Bytes),
    /// A double CRLF keep-alive "ping": answer with a single CRLF "pong" (RFC 5626 §4.4.1).
    Ping,
}

/// Why a stream is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The header section grew past [`MAX_MESSAGE`] without an end.
    #[error("header section longer than {MAX_MESSAGE} bytes")]
    HeadersTooLong,
    /// Content-Length is not a number, or two disagree.
    #[error("invalid Content-Length")]
    BadContentLength,
    /// Headers plus the announced body exceed [`MAX_MESSAGE`].
    #[error("message of {0} bytes exceeds the {MAX_MESSAGE}-byte limit")]
    TooLarge(usize),
}

/// Incremental framer over a connection's receive buffer.
#[derive(Debug, Default)]
pub struct Framer {
    /// Bytes of the current message already searched for the blank line.
    scanned: usize,
    /// Once the header section is complete: the whole message's length.
    pending: Option<usize>,
    /// Length of the last header section found (for error reports).
    head_end: usize,
}

impl Framer {
    /// Takes the next frame off the front of `buf`, if a whole one is there.
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FramingError> {
        // Between messages only CRLFs may appear: "\r\n\r\n" is a ping, a lone "\r\n" is the
        // pong to one of ours (or tolerated noise) and is skipped.
        if self.scanned == 0 {
            loop {
                if buf.starts_with(b"\r\n\r\n") {
                    let _ = buf.split_to(4);
                    return Ok(Some(Frame::Ping));
                }
                if b"\r\n\r\n".starts_with(&buf[..]) {
                    // Empty, or could still become a ping.
                    return Ok(None);
                }
                if buf.starts_with(b"\r\n") {
                    let _ = buf.split_to(2);
                    continue;
                }
                if buf.first() == Some(&b'\n') {
                    let _ = buf.split_to(1);
                    continue;
                }
                break;
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(total) = self.pending {
            return Ok(self.take(buf, total));
        }
        let start = self.scanned.saturating_sub(3);
        let Some(rel) = find(&buf[start..], b"\r\n\r\n") else {
            self.scanned = buf.len();
            if buf.len() > MAX_MESSAGE {
                return Err(FramingError::HeadersTooLong);
            }
            return Ok(None);
        };
        let head_end = start + rel + 4;
        self.head_end = head_end;
        let clen = content_length(&buf[..head_end])?;
        let total = head_end
            .checked_add(clen)
            .ok_or(FramingError::TooLarge(usize::MAX))?;
        if total > MAX_MESSAGE {
            return Err(FramingError::TooLarge(total));
        }
        self.scanned = head_end;
        self.pending = Some(total);
        Ok(self.take(buf, total))
    }

    /// After a Content-Length error: the header section of the offending message.
    pub fn failed_head<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        &buf[..self.head_end.min(buf.len())]
    }

    /// The message of `total` bytes once it is all buffered.
    fn take(&mut self, buf: &mut BytesMut, total: usize) -> Option<Frame> {
        if buf.len() < total {
            return None;
        }
        self.scanned = 0;
        self.pending = None;
        Some(Frame::Message(buf.split_to(total).freeze()))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads Content-Length (or its compact form `l`) from a header section. Several equal values
/// are accepted; different ones are an error. None means no body: RFC 3261 §18.3 says senders
/// always include it on streams, but RFC 2543 peers (RFC 4475 §3.4.1) may not, and a request
/// without a body is still a message.
fn content_length(head: &[u8]) -> Result<usize, FramingError> {
    let mut found: Option<usize> = None;
    // Skip the start line; folded continuation lines cannot start a header.
    for line in head.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = trim(&line[..colon]);
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let v = trim(&line[colon + 1..]);
        if v.is_empty() || v.len() > 9 || !v.iter().all(u8::is_ascii_digit) {
            return Err(FramingError::BadContentLength);
        }
        let n = v.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
        match found {
            Some(prev) if prev != n => return Err(FramingError::BadContentLength),
            _ => found = Some(n),
        }
    }
    Ok(found.unwrap_or(0))
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[&[u8]]) -> Result<Vec<Frame>, FramingError> {
        let mut f = Framer::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in input {
            buf.extend_from_slice(chunk);
            while let Some(fr) = f.next_frame(&mut buf)? {
                out.push(fr);
            }
        }
        Ok(out)
    }

    const MSG: &[u8] = b"OPTIONS sip:a SIP/2.0\r\nl: 5\r\nVia: x\r\n\r\nhello";

    #[test]
    fn splits_pipelined_messages_byte_by_byte() {
        let mut all = MSG.to_vec();
        all.extend_from_slice(b"\r\n\r\n");
        all.extend_from_slice(MSG);
        let chunks: Vec<&[u8]> = all.chunks(1).collect();
        let got = frames(&chunks).unwrap();
        assert_eq!(
            got,
            vec![
                Frame::Message(Bytes::from_static(MSG)),
                Frame::Ping,
                Frame::Message(Bytes::from_static(MSG))
            ]
        );
    }

    #[test]
    fn single_crlf_is_skipped() {
        let got = frames(&[b"\r\n", MSG]).unwrap();
        assert_eq!(got, vec![Frame::Message(Bytes::from_static(MSG))]);
    }

    #[test]
    fn missing_length_is_no_body_bad_length_closes() {
        assert_eq!(
            frames(&[b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\nNEXT"]),
            Ok(vec![Frame::Message(Bytes::from_static(
                b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n"
            ))])
        );
        assert_eq!(
            frames(&[b"OPTIONS sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n"]),
            Err(FramingError::BadContentLength)
        );
        assert_eq!(
            frames(&[b"A\r\nContent-Length: 1\r\nl: 2\r\n\r\n"]),
            Err(FramingError::BadContentLength)
        );
        let head = b"A\r\nContent-Length: 999999999\r\n\r\n";
        assert_eq!(
            frames(&[head]),
            Err(FramingError::TooLarge(999999999 + head.len()))
        );
    }

    #[test]
    fn endless_headers_close() {
        let junk = vec![b'a'; MAX_MESSAGE + 1];
        assert_eq!(frames(&[&junk]), Err(FramingError::HeadersTooLong));
    }
}
