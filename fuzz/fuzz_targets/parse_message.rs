//! The message parser never panics, and what it accepts serializes and parses again.
#![no_main]
use bytes::Bytes;
use ferrosips::sip::parse_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_message(Bytes::copy_from_slice(data)) {
        Ok(m) => {
            let again = parse_message(m.to_bytes());
            assert!(again.is_ok(), "serialized form of an accepted message was refused");
        }
        Err(e) => {
            let _ = e.error_response();
        }
    }
});
