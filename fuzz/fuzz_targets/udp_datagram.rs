//! The UDP datagram parser, which the server runs on every datagram anyone
//! sends it. Any input may be refused, but nothing may panic, and a parsed
//! datagram must encode to exactly the bytes it came from (the wire form has
//! one spelling per datagram).

#![no_main]

use chatroom::udp::Datagram;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(datagram) = Datagram::parse(input) else { return };
    assert_eq!(datagram.encode(), input, "not the bytes it came from");
});
