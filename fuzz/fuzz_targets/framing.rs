//! TCP framing never panics, never returns more than the cap, and frames the same whatever
//! the chunking (the first byte of input picks a chunk size).
#![no_main]
use bytes::BytesMut;
use ferrosips::transport::framing::{Frame, Framer, MAX_MESSAGE};
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8], chunk: usize) -> (Vec<Frame>, bool) {
    let mut f = Framer::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for c in data.chunks(chunk) {
        buf.extend_from_slice(c);
        loop {
            match f.next_frame(&mut buf) {
                Ok(Some(fr)) => {
                    if let Frame::Message(m) = &fr {
                        assert!(m.len() <= MAX_MESSAGE);
                    }
                    out.push(fr)
                }
                Ok(None) => break,
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;
    let whole = run(rest, rest.len().max(1));
    let pieces = run(rest, chunk);
    // Without an error both ways, the frames are the same.
    if !whole.1 && !pieces.1 {
        assert_eq!(whole.0, pieces.0);
    }
});
