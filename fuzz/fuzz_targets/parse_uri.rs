//! The URI parser never panics, and an accepted URI serializes to something it accepts.
#![no_main]
use bytes::Bytes;
use ferrosips::sip::parse_uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(u) = parse_uri(Bytes::copy_from_slice(data)) {
        assert!(parse_uri(u.to_bytes()).is_ok());
    }
});
