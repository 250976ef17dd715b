//! Byte-level lexing helpers shared by the header and URI parsers.
//!
//! Values handed to these helpers may still contain folded lines (RFC 3261 §7.3.1),
//! so "LWS" here means any run of SP / HT / CR / LF.

use bytes::Bytes;

/// RFC 3261 §25.1 `token` characters.
const fn token_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
}
static TOKEN: [bool; 256] = token_table();

#[inline(always)]
pub(crate) fn is_token(c: u8) -> bool {
    TOKEN[c as usize]
}

#[inline]
pub(crate) fn is_lws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Generic parameter value chars: token plus what `host` / IPv6 needs (RFC 3261 `gen-value`).
#[inline]
pub(crate) fn is_gen_value(c: u8) -> bool {
    GEN_VALUE[c as usize]
}
const fn gen_value_table() -> [bool; 256] {
    let mut t = token_table();
    t[b':' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
}
static GEN_VALUE: [bool; 256] = gen_value_table();

/// A byte span `(start, end)` inside the slice a [`Scanner`] runs over. Parsers record
/// spans and build `Bytes` only when a typed value is materialized (hot path: no
/// refcount traffic while validating).
pub(crate) type Sp = (usize, usize);

/// Zero-copy `Bytes` of a span.
#[inline]
pub(crate) fn sl(b: &Bytes, sp: Sp) -> Bytes {
    b.slice(sp.0..sp.1)
}

/// Optional span → optional `Bytes`.
#[inline]
pub(crate) fn osl(b: &Bytes, sp: Option<Sp>) -> Option<Bytes> {
    sp.map(|sp| sl(b, sp))
}

/// Cursor over one header value; produces spans of `src`.
pub(crate) struct Scanner<'a> {
    pub src: &'a [u8],
    pub pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Scanner { src, pos: 0 }
    }
    #[inline(always)]
    pub fn rest(&self) -> &'a [u8] {
        self.src.get(self.pos..).unwrap_or(&[])
    }
    #[inline(always)]
    pub fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }
    #[inline(always)]
    pub fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }
    #[inline(always)]
    pub fn skip_lws(&mut self) {
        let r = self.rest();
        self.pos += r.iter().position(|&c| !is_lws(c)).unwrap_or(r.len());
    }
    /// Skip LWS then consume `c` if present.
    #[inline(always)]
    pub fn eat(&mut self, c: u8) -> bool {
        self.skip_lws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// A `token` at the cursor (no LWS skipping).
    #[inline(always)]
    pub fn token(&mut self) -> Option<Sp> {
        let t = self.take_while(is_token);
        (t.1 > t.0).then_some(t)
    }
    #[inline(always)]
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> Sp {
        let a = self.pos;
        let r = self.rest();
        self.pos += r.iter().position(|&c| !f(c)).unwrap_or(r.len());
        (a, self.pos)
    }
    /// A quoted-string including its quotes (RFC 3261 §25.1, `\` quoted-pair escapes).
    /// `None` if unterminated or containing a bare CR/LF inside a quoted-pair.
    pub fn quoted(&mut self) -> Option<Sp> {
        let a = self.pos;
        if self.peek() != Some(b'"') {
            return None;
        }
        let s = self.src;
        let mut i = a + 1;
        loop {
            // Jump to the next quote or backslash (everything else is qdtext).
            i += s.get(i..)?.iter().position(|&c| c == b'"' || c == b'\\')?;
            if s[i] == b'"' {
                self.pos = i + 1;
                return Some((a, self.pos));
            }
            match s.get(i + 1) {
                Some(b'\r') | Some(b'\n') | None => return None,
                Some(_) => i += 2,
            }
        }
    }
    /// Decimal digits → u64 with overflow detection (`None` = absent or overflow).
    pub fn number(&mut self) -> Option<u64> {
        let a = self.pos;
        let mut v: u64 = 0;
        while let Some(c) = self.peek() {
            if !c.is_ascii_digit() {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.pos += 1;
        }
        if self.pos == a {
            None
        } else {
            Some(v)
        }
    }
}

/// Remove the quotes and `\` escapes of a quoted-string (or return a plain token as is).
pub fn unquote(b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if b.len() >= 2 && b[0] == b'"' && b[b.len() - 1] == b'"' {
        let inner = &b[1..b.len() - 1];
        if !inner.contains(&b'\\') {
            return std::borrow::Cow::Borrowed(inner);
        }
        let mut out = Vec::with_capacity(inner.len());
        let mut it = inner.iter();
        while let Some(&c) = it.next() {
            if c == b'\\' {
                if let Some(&n) = it.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(b)
    }
}

/// Parse an all-digit slice into a u64 (`None` if empty, non-digit, or overflow).
pub(crate) fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Trim LWS on both sides.
#[inline]
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let mut s = 0;
    let mut e = b.len();
    while s < e && is_lws(b[s]) {
        s += 1;
    }
    while e > s && is_lws(b[e - 1]) {
        e -= 1;
    }
    &b[s..e]
}

/// Split `src` on top-level commas (outside quotes and `<...>`); yields trimmed slices.
/// Returns `None` on unbalanced quotes/angles.
pub(crate) fn split_commas(src: &Bytes) -> Option<Vec<Bytes>> {
    let s = src.as_ref();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut angle = false;
    while i < s.len() {
        match s[i] {
            b'"' if !angle => {
                let mut sc = Scanner { src: s, pos: i };
                sc.quoted()?;
                i = sc.pos;
                continue;
            }
            b'<' if !angle => angle = true,
            b'>' if angle => angle = false,
            b'>' => return None,
            b',' if !angle => {
                push_trimmed(src, start, i, &mut out);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if angle {
        return None;
    }
    push_trimmed(src, start, s.len(), &mut out);
    Some(out)
}

fn push_trimmed(src: &Bytes, a: usize, b: usize, out: &mut Vec<Bytes>) {
    let t = trim(&src[a..b]);
    if !t.is_empty() {
        out.push(src.slice_ref(t));
    }
}

/// First index of `needle` in `hay`, 8 bytes at a time (SWAR; RFC-agnostic hot path).
#[inline]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let rep = LO.wrapping_mul(u64::from(needle));
    let mut chunks = hay.chunks_exact(8);
    let mut i = 0;
    for c in &mut chunks {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        let x = u64::from_le_bytes(a) ^ rep;
        let t = x.wrapping_sub(LO) & !x & HI;
        if t != 0 {
            // The lowest flagged byte is always a true match (borrows only move upward).
            return Some(i + (t.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == needle)
        .map(|p| p + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_matches_position() {
        let hay: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        for n in 0..=255u8 {
            for s in 0..20 {
                assert_eq!(
                    find_byte(&hay[s..], n),
                    hay[s..].iter().position(|&c| c == n)
                );
            }
        }
    }
}
