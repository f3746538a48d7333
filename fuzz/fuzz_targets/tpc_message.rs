//! The 3PC message parser (the text of a private message). Any input may be
//! refused, but nothing may panic, and a parsed message must encode to text
//! that parses back to the same message.

#![no_main]

use chatroom::tpc::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let Ok(message) = Message::parse(&text) else { return };
    let encoded = message.encode();
    let reparsed = Message::parse(&encoded)
        .unwrap_or_else(|e| panic!("our own encoding {encoded:?} does not parse: {e}"));
    assert_eq!(reparsed, message, "round trip of {text:?}");
});
