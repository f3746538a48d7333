//! The client's parser of server lines. Any input may be refused, but nothing
//! may panic, and a parsed line must encode to text that parses back to the
//! same encoding (encoding normalises: after one round it is a fixed point).

#![no_main]

use chatroom::protocol::ServerLine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let Ok(line) = ServerLine::parse(&text) else { return };
    let once = line.encode();
    let reparsed = ServerLine::parse(once.strip_suffix('\n').unwrap())
        .unwrap_or_else(|e| panic!("our own encoding {once:?} does not parse: {e}"));
    assert_eq!(reparsed.encode(), once, "encoding is not stable for {text:?}");
});
