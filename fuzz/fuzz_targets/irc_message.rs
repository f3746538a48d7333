//! The IRC front's parser of client lines. Any input may be refused, but
//! nothing may panic; a parsed message must encode (nothing IRC cannot carry
//! gets through), and its encoding must parse back to the same message and
//! encode to the same line (after one round it is a fixed point).

#![no_main]

use chatroom::protocol::irc::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let Ok(message) = Message::parse(&text) else { return };
    let once = message
        .encode()
        .unwrap_or_else(|e| panic!("{text:?} parsed but does not encode: {e}"));
    let reparsed = Message::parse(once.strip_suffix("\r\n").unwrap())
        .unwrap_or_else(|e| panic!("our own encoding {once:?} does not parse: {e}"));
    assert_eq!(reparsed, message, "{text:?} changed through {once:?}");
    assert_eq!(reparsed.encode().unwrap(), once, "encoding is not stable for {text:?}");
});
