use std::mem::size_of;

use crate::transaction::{ClientInvite, ClientNonInvite, ServerInvite, ServerNonInvite};

/// RFC 3261 §17 state per transaction, budget ≤ 2 KiB per live transaction, stored `Bytes` handles included
/// (the buffers they point to are shared with the shell and not counted).
#[test]
fn machines_fit_in_2_kib() {
    let sizes = [
        ("ClientInvite", size_of::<ClientInvite>()),
        ("ClientNonInvite", size_of::<ClientNonInvite>()),
        ("ServerInvite", size_of::<ServerInvite>()),
        ("ServerNonInvite", size_of::<ServerNonInvite>()),
    ];
    for (name, size) in sizes {
        println!("size_of::<{name}>() = {size}");
        assert!(size <= 2048, "{name} is {size} bytes");
    }
}
