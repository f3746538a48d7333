//! Bounded line framing: bytes in, validated lines out.
//!
//! [`LineReader`] reads from any [`Read`] and yields one [`Frame`] per LF-ended
//! line. It never holds more than `max_line` bytes, whatever the peer sends: a line
//! that does not fit is reported once as [`Frame::TooLong`] and the rest of it, up to
//! the next LF, is thrown away as it arrives. A read that times out or would block
//! leaves the reader's state intact, so the caller may simply call again.

use std::io::{self, Read};

/// One line of input, or the reason it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A valid line: UTF-8, no control characters (unless the reader keeps
    /// them), trailing CR and LF removed.
    /// Never empty.
    Line(String),
    /// The line was longer than the limit. Its bytes are being discarded up to
    /// the next LF.
    TooLong,
    /// The line was not valid UTF-8 and was dropped.
    BadEncoding,
    /// The line held a control character and was dropped.
    BadText,
}

/// Reads bounded lines from a byte stream. See the module docs.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    /// Empty while nothing is held (see [`LineReader::fill`]), else `max_line` bytes.
    buf: Box<[u8]>,
    max_line: usize,
    /// Start of the unconsumed bytes in `buf`.
    start: usize,
    /// End of the bytes read into `buf`.
    end: usize,
    /// Bytes in `start..scanned` are known to hold no LF.
    scanned: usize,
    /// A too-long line was reported; drop bytes until the next LF.
    discarding: bool,
    /// The stream ended.
    eof: bool,
    /// Control characters are left in lines (see [`LineReader::keeping_control_chars`]).
    keep_controls: bool,
}

impl<R: Read> LineReader<R> {
    /// A reader that accepts lines of at most `max_line` bytes, LF included.
    pub fn new(inner: R, max_line: usize) -> LineReader<R> {
        assert!(
            max_line >= 2,
            "a line needs room for at least one byte and LF"
        );
        LineReader {
            inner,
            buf: Box::default(),
            max_line,
            start: 0,
            end: 0,
            scanned: 0,
            discarding: false,
            eof: false,
            keep_controls: false,
        }
    }

    /// The same reader, taking lines of at most `max_line` bytes (LF
    /// included) and leaving control characters in them, for a front whose
    /// wire format carries some (IRC's formatting and CTCP) and that removes
    /// them itself before any text reaches another user. Called before the
    /// first read.
    pub fn keeping_control_chars(mut self, max_line: usize) -> LineReader<R> {
        assert!(
            max_line >= 2,
            "a line needs room for at least one byte and LF"
        );
        self.max_line = max_line;
        self.keep_controls = true;
        self
    }

    /// The longest line accepted, LF included.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying reader, mutably (for example to change a socket timeout).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The next frame, or `Ok(None)` once the stream has ended. Empty lines are
    /// skipped. A partial last line before the end of the stream counts as a line.
    pub fn read_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            if let Some(frame) = self.next_buffered() {
                match frame {
                    Some(frame) => return Ok(Some(frame)),
                    None => continue, // an empty or discarded line
                }
            }
            if self.eof {
                return Ok(None);
            }
            self.fill()?;
        }
    }

    /// Takes one line out of the buffer if a whole one is there.
    /// `Some(None)` means a line was consumed but yields no frame.
    fn next_buffered(&mut self) -> Option<Option<Frame>> {
        if let Some(offset) = self.buf[self.scanned..self.end]
            .iter()
            .position(|&b| b == b'\n')
        {
            let lf = self.scanned + offset;
            let (start, discarding) = (self.start, self.discarding);
            self.consume_to(lf + 1);
            if discarding {
                return Some(None);
            }
            return Some(classify(&self.buf[start..lf], self.keep_controls));
        }
        self.scanned = self.end;
        if self.end - self.start == self.max_line {
            // The buffer is full and holds no LF: the line is too long.
            let first_report = !self.discarding;
            self.consume_to(self.end);
            self.discarding = true;
            return Some(first_report.then_some(Frame::TooLong));
        }
        if self.eof && self.end > self.start {
            let (start, end, discarding) = (self.start, self.end, self.discarding);
            self.consume_to(end);
            self.discarding = false;
            return Some(if discarding {
                None
            } else {
                classify(&self.buf[start..end], self.keep_controls)
            });
        }
        None
    }

    fn consume_to(&mut self, position: usize) {
        self.start = position;
        self.scanned = position;
        self.discarding = false;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.scanned = 0;
        }
    }

    /// Reads more bytes, first moving unconsumed bytes to the front if needed.
    fn fill(&mut self) -> io::Result<()> {
        if self.start == self.end {
            return self.fill_empty();
        }
        if self.end == self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned -= self.start;
            self.start = 0;
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads when nothing is held: frees the buffer and waits for bytes in a
    /// small one on the stack, allocating the full buffer only once they come.
    /// A reader that waits (a server thread for a client who is thinking) so
    /// holds no heap buffer: with thousands of idle clients that is 4 KiB each.
    fn fill_empty(&mut self) -> io::Result<()> {
        const FIRST_READ: usize = 512;
        self.buf = Box::default();
        let mut first = [0u8; FIRST_READ];
        let want = FIRST_READ.min(self.max_line);
        let n = loop {
            match self.inner.read(&mut first[..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            self.eof = true;
            return Ok(());
        }
        let mut buf = vec![0; self.max_line].into_boxed_slice();
        buf[..n].copy_from_slice(&first[..n]);
        self.buf = buf;
        self.end = n;
        Ok(())
    }
}

impl Frame {
    /// The frame for one line that arrived whole in a datagram, at most
    /// `max_line` bytes long without its ending. A trailing LF (or CR LF) is
    /// dropped; an LF anywhere else is a control character like any other.
    /// `None` for an empty line.
    pub fn from_datagram(bytes: &[u8], max_line: usize) -> Option<Frame> {
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.len() > max_line {
            return Some(Frame::TooLong);
        }
        classify(bytes, false)
    }
}

/// Validates one line's bytes (LF already removed), refusing control
/// characters unless `keep_controls`. `None` for an empty line.
fn classify(bytes: &[u8], keep_controls: bool) -> Option<Frame> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.is_empty() {
        return None;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some(Frame::BadEncoding);
    };
    if !keep_controls && text.chars().any(is_forbidden_char) {
        return Some(Frame::BadText);
    }
    Some(Frame::Line(text.to_owned()))
}

/// Control characters that may never travel from one user to another: C0 except
/// TAB, DEL, and C1.
pub fn is_forbidden_char(c: char) -> bool {
    (c.is_control() && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its input in fixed-size pieces, to exercise every
    /// split of a line across reads.
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

    fn frames(input: &[u8], max_line: usize, chunk: usize) -> Vec<Frame> {
        let mut reader = LineReader::new(Chunked { data: input, chunk }, max_line);
        let mut out = Vec::new();
        while let Some(frame) = reader.read_frame().unwrap() {
            out.push(frame);
        }
        out
    }

    fn line(s: &str) -> Frame {
        Frame::Line(s.to_owned())
    }

    fn check(input: &[u8], max_line: usize, expected: &[Frame]) {
        for chunk in [1, 2, 3, 7, 4096] {
            assert_eq!(
                frames(input, max_line, chunk),
                expected,
                "input {input:?}, chunk {chunk}"
            );
        }
    }

    #[test]
    fn framing_table() {
        check(b"hello\n", 16, &[line("hello")]);
        check(b"a\nb\r\nc", 16, &[line("a"), line("b"), line("c")]);
        check(b"\n\r\n\nx\n", 16, &[line("x")]);
        check(b"tab\there\n", 16, &[line("tab\there")]);
        check(b"  \n", 16, &[line("  ")]);
        // Exactly the limit, LF included, fits; one byte more does not.
        check(b"abcdefg\nz\n", 8, &[line("abcdefg"), line("z")]);
        check(b"abcdefgh\nz\n", 8, &[Frame::TooLong, line("z")]);
        check(b"abcdefgh\rz\n", 8, &[Frame::TooLong]);
        check(&[b'x'; 100], 8, &[Frame::TooLong]);
        check(
            b"0123456789012345678901234\nok\n",
            8,
            &[Frame::TooLong, line("ok")],
        );
        check(b"\xff\xfe\nok\n", 16, &[Frame::BadEncoding, line("ok")]);
        check(b"a\x1b[31mb\n", 16, &[Frame::BadText]);
        check(b"a\rb\n", 16, &[Frame::BadText]);
        check(b"a\x7f\n", 16, &[Frame::BadText]);
        check("a\u{85}b\n".as_bytes(), 16, &[Frame::BadText]);
        check(
            "caf\u{e9} \u{1F600}\n".as_bytes(),
            16,
            &[line("caf\u{e9} \u{1F600}")],
        );
        check(b"", 16, &[]);
    }

    #[test]
    fn buffer_never_grows_past_the_limit() {
        let input = vec![b'x'; 1 << 20];
        let mut reader = LineReader::new(input.as_slice(), 4096);
        assert_eq!(reader.read_frame().unwrap(), Some(Frame::TooLong));
        assert!(reader.buf.len() <= 4096);
        assert_eq!(reader.read_frame().unwrap(), None);
    }

    proptest::proptest! {
        /// Whatever arrives, in whatever pieces: lines stay within the limit,
        /// hold no LF, CR or control character, and the buffer never grows.
        #[test]
        fn framing_invariants(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000), max_line in 2usize..80, chunk in 1usize..100) {
            let mut reader = LineReader::new(Chunked { data: &input, chunk }, max_line);
            while let Some(frame) = reader.read_frame().unwrap() {
                if let Frame::Line(line) = frame {
                    proptest::prop_assert!(!line.is_empty() && line.len() < max_line);
                    proptest::prop_assert!(!line.chars().any(|c| c == '\n' || c == '\r' || is_forbidden_char(c)));
                }
                proptest::prop_assert_eq!(reader.buf.len(), max_line);
            }
        }

        /// Valid lines that fit come out exactly as they went in.
        #[test]
        fn framing_is_lossless_for_valid_lines(lines in proptest::collection::vec("[^\\p{C}]{1,30}", 0..20), crlf in proptest::prelude::any::<bool>(), chunk in 1usize..50) {
            let lines: Vec<String> = lines.into_iter().filter(|l| !l.trim_end_matches('\r').is_empty()).collect();
            let ending = if crlf { "\r\n" } else { "\n" };
            let input: String = lines.iter().map(|l| format!("{l}{ending}")).collect();
            let expected: Vec<Frame> = lines.iter().map(|l| Frame::Line(l.clone())).collect();
            proptest::prop_assert_eq!(frames(input.as_bytes(), 200, chunk), expected);
        }
    }

    #[test]
    fn datagram_lines() {
        assert_eq!(Frame::from_datagram(b"hi\r\n", 4), Some(line("hi")));
        assert_eq!(Frame::from_datagram(b"", 4), None);
        assert_eq!(Frame::from_datagram(b"\n", 4), None);
        assert_eq!(Frame::from_datagram(b"four\n", 4), Some(line("four")));
        assert_eq!(Frame::from_datagram(b"five!", 4), Some(Frame::TooLong));
        assert_eq!(Frame::from_datagram(b"a\nb", 4), Some(Frame::BadText));
        assert_eq!(Frame::from_datagram(b"\xff", 4), Some(Frame::BadEncoding));
    }

    #[test]
    fn holds_no_buffer_between_lines() {
        let mut reader = LineReader::new(b"hi\n".as_slice(), 4096);
        assert_eq!(reader.read_frame().unwrap(), Some(line("hi")));
        assert_eq!(reader.read_frame().unwrap(), None);
        assert!(reader.buf.is_empty(), "freed before waiting for more");
    }

    #[test]
    fn resumes_after_a_timeout() {
        struct Stutter(Vec<io::Result<&'static [u8]>>);
        impl Read for Stutter {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Ok(0);
                }
                let bytes = self.0.remove(0)?;
                out[..bytes.len()].copy_from_slice(bytes);
                Ok(bytes.len())
            }
        }
        let timeout = || Err(io::Error::from(io::ErrorKind::TimedOut));
        let mut reader = LineReader::new(Stutter(vec![Ok(b"hel"), timeout(), Ok(b"lo\n")]), 16);
        assert_eq!(
            reader.read_frame().unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
        assert_eq!(reader.read_frame().unwrap(), Some(line("hello")));
    }

    #[test]
    fn a_reader_keeping_control_chars_passes_them_and_still_bounds_lines() {
        let input: &[u8] = b"\x01ACTION waves\x01\r\n\x02bold\x02\nxxxxxxxxxx\n";
        for chunk in [1, 3, 4096] {
            let reader = LineReader::new(Chunked { data: input, chunk }, 4);
            let mut reader = reader.keeping_control_chars(18);
            let mut got = Vec::new();
            while let Some(frame) = reader.read_frame().unwrap() {
                got.push(frame);
            }
            let expected = [
                line("\u{1}ACTION waves\u{1}"),
                line("\u{2}bold\u{2}"),
                line("xxxxxxxxxx"),
            ];
            assert_eq!(got, expected, "chunk {chunk}");
        }
        check(b"\x01x\n", 16, &[Frame::BadText]);
    }
}
