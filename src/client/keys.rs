//! Bytes from a terminal in raw mode, made keys.
//!
//! [`KeyDecoder::feed`] takes whatever one read returned (any number of keys,
//! or part of one) and gives every complete key in order; an incomplete UTF-8
//! character or escape sequence waits for the next read. Nothing is ever
//! dropped between reads: that is what lets a burst of typed-ahead lines
//! arrive whole. A bracketed paste (`ESC [200~` ... `ESC [201~`) becomes one
//! [`Key::Paste`] with its text as pasted, however many reads it spans.
//!
//! A lone ESC is ambiguous (the Escape key, or the start of a sequence whose
//! rest has not arrived yet): [`KeyDecoder::is_waiting`] says so, and the
//! driver calls [`KeyDecoder::flush`] when no more bytes came for a moment.
//!
//! Pure: it never reads anything itself.

/// One key (or paste) from the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A printable character (or TAB inside a paste).
    Char(char),
    /// Enter (CR, or LF as some terminals paste it).
    Enter,
    Tab,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    /// Ctrl-Left or Alt-B.
    WordLeft,
    /// Ctrl-Right or Alt-F.
    WordRight,
    /// Alt-Backspace: delete the word before the cursor.
    DeleteWordBefore,
    /// Ctrl and a letter, given in lower case (`'a'` for Ctrl-A).
    Ctrl(char),
    /// Alt and a digit from 1 to 9: show that room.
    AltDigit(u8),
    /// The Escape key on its own.
    Esc,
    /// A bracketed paste, its text as pasted.
    Paste(String),
    /// A key or sequence this client has no use for.
    Other,
}

const ESC: u8 = 0x1b;
const PASTE_END: &[u8] = b"\x1b[201~";

/// Turns bytes into keys. See the module docs.
#[derive(Debug, Default)]
pub struct KeyDecoder {
    pending: Vec<u8>,
    /// Inside a bracketed paste: the bytes pasted so far.
    paste: Option<Vec<u8>>,
}

/// What the bytes at the front make.
enum Parsed {
    /// A key, from this many bytes.
    Key(Key, usize),
    /// The start of a bracketed paste, this many bytes long.
    PasteStart(usize),
    /// More bytes are needed.
    Incomplete,
}

impl KeyDecoder {
    /// Every key the bytes read so far complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        self.pending.extend_from_slice(bytes);
        let mut keys = Vec::new();
        loop {
            if let Some(paste) = &mut self.paste {
                let Some(end) = find(&self.pending, PASTE_END) else {
                    // Keep a possible start of the end marker for next time.
                    let keep = self.pending.len().saturating_sub(PASTE_END.len() - 1);
                    paste.extend(self.pending.drain(..keep));
                    return keys;
                };
                paste.extend(self.pending.drain(..end));
                self.pending.drain(..PASTE_END.len());
                let text = String::from_utf8_lossy(paste).into_owned();
                keys.push(Key::Paste(text));
                self.paste = None;
                continue;
            }
            if self.pending.is_empty() {
                return keys;
            }
            match parse(&self.pending) {
                Parsed::Key(key, used) => {
                    self.pending.drain(..used);
                    keys.push(key);
                }
                Parsed::PasteStart(used) => {
                    self.pending.drain(..used);
                    self.paste = Some(Vec::new());
                }
                Parsed::Incomplete => return keys,
            }
        }
    }

    /// Whether bytes wait for more to make a key (a lone ESC, say).
    pub fn is_waiting(&self) -> bool {
        self.paste.is_none() && !self.pending.is_empty()
    }

    /// No more bytes came: what waits is taken as it is (a lone ESC is the
    /// Escape key; the rest of a cut sequence is dropped).
    pub fn flush(&mut self) -> Vec<Key> {
        if self.paste.is_some() {
            return Vec::new();
        }
        let pending = std::mem::take(&mut self.pending);
        let mut keys = Vec::new();
        if pending.first() == Some(&ESC) {
            keys.push(Key::Esc);
            keys.extend(self.feed(&pending[1..]));
        }
        keys
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse(bytes: &[u8]) -> Parsed {
    let key = match bytes[0] {
        b'\r' | b'\n' => Key::Enter,
        b'\t' => Key::Tab,
        0x7f | 0x08 => Key::Backspace,
        ESC => return escape(bytes),
        byte @ 0x01..=0x1a => Key::Ctrl(char::from(b'a' + byte - 1)),
        0x00..=0x1f => Key::Other,
        _ => return utf8(bytes),
    };
    Parsed::Key(key, 1)
}

fn utf8(bytes: &[u8]) -> Parsed {
    let width = match bytes[0] {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        0x00..=0x7f => 1,
        _ => return Parsed::Key(Key::Other, 1),
    };
    let Some(encoded) = bytes.get(..width) else {
        return Parsed::Incomplete;
    };
    match std::str::from_utf8(encoded)
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => Parsed::Key(Key::Char(c), width),
        None => Parsed::Key(Key::Other, 1),
    }
}

fn escape(bytes: &[u8]) -> Parsed {
    match bytes.get(1) {
        None => Parsed::Incomplete,
        Some(b'[') => csi(bytes),
        Some(b'O') => match bytes.get(2) {
            None => Parsed::Incomplete,
            Some(&last) => Parsed::Key(final_key(last, ""), 3),
        },
        Some(digit @ b'1'..=b'9') => Parsed::Key(Key::AltDigit(digit - b'0'), 2),
        Some(b'b') => Parsed::Key(Key::WordLeft, 2),
        Some(b'f') => Parsed::Key(Key::WordRight, 2),
        Some(0x7f | 0x08) => Parsed::Key(Key::DeleteWordBefore, 2),
        Some(_) => Parsed::Key(Key::Esc, 1),
    }
}

/// `ESC [ params final`.
fn csi(bytes: &[u8]) -> Parsed {
    let body = &bytes[2..];
    let Some(end) = body.iter().position(|b| (0x40..=0x7e).contains(b)) else {
        let all_params = body.iter().all(|b| (0x20..=0x3f).contains(b));
        return if all_params {
            Parsed::Incomplete
        } else {
            Parsed::Key(Key::Other, 2)
        };
    };
    let params = std::str::from_utf8(&body[..end]).unwrap_or("");
    let used = 2 + end + 1;
    if body[end] == b'~' && params == "200" {
        return Parsed::PasteStart(used);
    }
    Parsed::Key(final_key(body[end], params), used)
}

fn final_key(last: u8, params: &str) -> Key {
    let ctrl = params.ends_with(";5");
    match (last, params) {
        (b'A', _) => Key::Up,
        (b'B', _) => Key::Down,
        (b'C', _) if ctrl => Key::WordRight,
        (b'D', _) if ctrl => Key::WordLeft,
        (b'C', _) => Key::Right,
        (b'D', _) => Key::Left,
        (b'H', _) => Key::Home,
        (b'M', "") => Key::Enter, // keypad Enter in application mode
        (b'F', _) => Key::End,
        (b'~', "1" | "7") => Key::Home,
        (b'~', "4" | "8") => Key::End,
        (b'~', "3") => Key::Delete,
        _ => Key::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks` one read each and checks every key that came out.
    fn check(chunks: &[&[u8]], expected: &[Key]) {
        let mut decoder = KeyDecoder::default();
        let keys: Vec<Key> = chunks.iter().flat_map(|c| decoder.feed(c)).collect();
        assert_eq!(keys, expected, "{chunks:?}");
    }

    fn chars(text: &str) -> Vec<Key> {
        text.chars().map(Key::Char).collect()
    }

    #[test]
    fn key_table() {
        use Key::*;
        let typed_ahead = [chars("ab"), vec![Enter], chars("c"), vec![Enter]].concat();
        check(&[b"ab\rc\r"], &typed_ahead);
        check(&[b"ab\nc\n"], &typed_ahead);
        check(
            &[b"\x01\x05\x17\x03\x04\x7f\t"],
            &[
                Ctrl('a'),
                Ctrl('e'),
                Ctrl('w'),
                Ctrl('c'),
                Ctrl('d'),
                Backspace,
                Tab,
            ],
        );
        check(
            &[b"\x1b[A\x1b[B\x1b[C\x1b[D\x1bOH\x1b[F\x1b[3~"],
            &[Up, Down, Right, Left, Home, End, Delete],
        );
        check(
            &[b"\x1b[1;5C\x1b[1;5D\x1bb\x1bf\x1b\x7f"],
            &[WordRight, WordLeft, WordLeft, WordRight, DeleteWordBefore],
        );
        check(&["李x".as_bytes()], &chars("李x"));
        check(&[b"\xe6", b"\x9d", b"\x8e"], &chars("李"));
        check(&[b"\x1b[", b"1;5", b"C"], &[WordRight]);
        check(&[b"\x1b[99Zq"], &[Other, Char('q')]);
        check(&[b"\x1bOM"], &[Enter]);
        check(
            &[b"\x1b2\x1b9\x1b0"],
            &[AltDigit(2), AltDigit(9), Esc, Char('0')],
        );
    }

    #[test]
    fn a_bracketed_paste_is_one_key_across_reads() {
        use Key::*;
        check(
            &[b"x\x1b[200~one\rtwo\r\tt", b"hree\x1b[2", b"01~y"],
            &[Char('x'), Paste("one\rtwo\r\tthree".into()), Char('y')],
        );
        check(&[b"\x1b[200~\x1b[201~"], &[Paste(String::new())]);
    }

    #[test]
    fn a_lone_escape_waits_for_a_flush() {
        let mut decoder = KeyDecoder::default();
        assert_eq!(decoder.feed(b"\x1b"), []);
        assert!(decoder.is_waiting());
        assert_eq!(decoder.flush(), [Key::Esc]);
        assert!(!decoder.is_waiting());
        assert_eq!(decoder.feed(b"\x1b"), []);
        assert_eq!(decoder.feed(b"[A"), [Key::Up]);
    }
}
