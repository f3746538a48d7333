//! The server's read path: arbitrary bytes, in arbitrary read sizes, through
//! `LineReader` and `Command::parse`. Checks the framing invariants: no line
//! over the limit, no LF, CR or control character in a line, and no panic.

#![no_main]

use std::io::{self, Read};

use chatroom::protocol::frame::is_forbidden_char;
use chatroom::protocol::{Command, Frame, LineReader};
use libfuzzer_sys::fuzz_target;

/// Hands out the input `chunk` bytes at a time.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&settings, data)) = input.split_first() else { return };
    let max_line = 2 + usize::from(settings & 0x3f);
    let chunk = 1 + usize::from(settings >> 6) * 7;
    let mut reader = LineReader::new(Chunked { data, chunk }, max_line);
    while let Some(frame) = reader.read_frame().expect("reading a slice cannot fail") {
        if let Frame::Line(line) = frame {
            assert!(!line.is_empty());
            assert!(line.len() < max_line, "a line of {} bytes passed a limit of {max_line}", line.len());
            assert!(!line.chars().any(|c| c == '\n' || c == '\r' || is_forbidden_char(c)));
            let _ = Command::parse(&line);
        }
    }
});
