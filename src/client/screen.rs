//! What terminal mode writes: messages scrolling up above a bottom area that
//! is always redrawn whole.
//!
//! The bottom area is, from top to bottom: the user's lines still waiting for
//! the server (at most [`WAITING_SHOWN`], then a count of the rest), a status
//! row when there is something to say (a question, a line over the limit),
//! the rooms row when the server has rooms, and the input line. Every row of it is narrower than the screen, and the
//! input line scrolls sideways rather than wrapping, so the area's height is
//! known exactly and nothing of it is ever left behind: before anything is
//! printed the area is erased, and after it the area is drawn again.
//!
//! Messages are wrapped here, continuation rows indented under the text
//! (after `<name> `), and the last screenful is remembered, so a resize
//! redraws the screen from memory at the new width.
//!
//! Pure: [`Screen`] returns the bytes to write; it never writes them.

use std::collections::VecDeque;

use unicode_width::UnicodeWidthChar;

/// How many waiting lines the bottom area shows; the rest are counted.
pub const WAITING_SHOWN: usize = 3;
/// How many printed lines are remembered for redrawing after a resize.
const REMEMBERED: usize = 500;

/// The narrowest screen laid out; a narrower terminal cuts the rows.
pub const MIN_COLS: u16 = 8;

/// What the bottom area shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bottom {
    /// Lines sent and not yet stored, as display lines, oldest first (the
    /// first [`WAITING_SHOWN`] at most).
    pub waiting: Vec<String>,
    /// How many lines are sent and not yet stored in all.
    pub waiting_total: usize,
    /// A question or a warning, shown above the input line.
    pub status: Option<String>,
    /// The rooms and their unread counts, right above the input line.
    pub rooms: Option<String>,
    /// The prompt before the typed text, e.g. `[alice] `.
    pub prompt: String,
    /// The typed text.
    pub chars: Vec<char>,
    /// The cursor, as an index into `chars`.
    pub cursor: usize,
}

/// The screen as this client drew it. See the module docs.
#[derive(Debug, Clone)]
pub struct Screen {
    rows: u16,
    cols: u16,
    /// Rows of the bottom area drawn last; the cursor is on its last one.
    drawn: usize,
    printed: VecDeque<String>,
}

impl Screen {
    /// A screen of `rows` by `cols`, with nothing drawn yet.
    pub fn new(rows: u16, cols: u16) -> Screen {
        Screen {
            rows: rows.max(2),
            cols: cols.max(8),
            drawn: 0,
            printed: VecDeque::new(),
        }
    }

    /// The size drawn for, as (rows, columns).
    pub fn size(&self) -> (u16, u16) {
        (self.rows, self.cols)
    }

    /// Prints `line` above the bottom area, then draws the area again.
    pub fn print(&mut self, line: &str, bottom: &Bottom) -> String {
        let mut out = self.erase_bottom();
        for row in wrap(line, usize::from(self.cols)) {
            out.push_str(&row);
            out.push_str("\r\n");
        }
        self.printed.push_back(line.to_owned());
        if self.printed.len() > REMEMBERED {
            self.printed.pop_front();
        }
        out + &self.draw_bottom(bottom)
    }

    /// Draws the bottom area again in place.
    pub fn redraw(&mut self, bottom: &Bottom) -> String {
        self.erase_bottom() + &self.draw_bottom(bottom)
    }

    /// The terminal is now `rows` by `cols`: redraws the whole screen, the
    /// last lines printed re-wrapped above the bottom area. Overwrites the
    /// rows rather than clearing the screen, so no terminal pushes a stale
    /// copy of the old screen into its scrollback.
    pub fn resize(&mut self, rows: u16, cols: u16, bottom: &Bottom) -> String {
        (self.rows, self.cols) = (rows.max(2), cols.max(MIN_COLS));
        let bottom_rows = self.bottom_rows(bottom).len();
        let room = usize::from(self.rows).saturating_sub(bottom_rows);
        let mut shown: Vec<String> = Vec::new();
        for line in self.printed.iter().rev() {
            if shown.len() >= room {
                break;
            }
            let rows = wrap(line, usize::from(self.cols));
            shown.splice(0..0, rows);
        }
        let skip = shown.len().saturating_sub(room);
        let mut out = String::from("\x1b[H");
        for row in &shown[skip..] {
            out.push_str(row);
            out.push_str("\x1b[K\r\n");
        }
        self.drawn = 0;
        out + "\x1b[J" + &self.draw_bottom(bottom)
    }

    /// Shows `lines` alone above the bottom area, as if they were all that
    /// was ever printed (another room shown): the whole screen is redrawn.
    pub fn refill(&mut self, lines: Vec<String>, bottom: &Bottom) -> String {
        self.printed = lines.into();
        while self.printed.len() > REMEMBERED {
            self.printed.pop_front();
        }
        self.resize(self.rows, self.cols, bottom)
    }

    /// Clears the screen (Ctrl-L) and draws the bottom area at the top.
    pub fn clear(&mut self, bottom: &Bottom) -> String {
        self.drawn = 0;
        self.printed.clear();
        String::from("\x1b[H\x1b[2J") + &self.draw_bottom(bottom)
    }

    /// Erases the bottom area; the cursor ends where its first row was.
    pub fn erase_bottom(&mut self) -> String {
        let mut out = String::from("\r");
        if self.drawn > 1 {
            out.push_str(&format!("\x1b[{}A", self.drawn - 1));
        }
        self.drawn = 0;
        out + "\x1b[J"
    }

    fn draw_bottom(&mut self, bottom: &Bottom) -> String {
        let rows = self.bottom_rows(bottom);
        self.drawn = rows.len();
        let (input, cursor_col) = input_row(bottom, usize::from(self.cols));
        let mut out = rows[..rows.len() - 1]
            .iter()
            .fold(String::new(), |out, row| out + row + "\r\n");
        out.push_str(&input);
        out.push('\r');
        if cursor_col > 0 {
            out.push_str(&format!("\x1b[{cursor_col}C"));
        }
        out
    }

    /// The bottom area's rows (the input line last, unscrolled here).
    fn bottom_rows(&self, bottom: &Bottom) -> Vec<String> {
        let width = usize::from(self.cols) - 1;
        let room = usize::from(self.rows).saturating_sub(3).min(WAITING_SHOWN);
        let mut rows: Vec<String> = Vec::new();
        let total = bottom.waiting_total.max(bottom.waiting.len());
        let shown = if total > room {
            room.saturating_sub(1)
        } else {
            room
        };
        for line in bottom.waiting.iter().take(shown) {
            rows.push(cut(line, width));
        }
        let more = total.saturating_sub(shown);
        if more > 0 {
            let more = super::render::count(more as u64, "more line");
            rows.push(cut(&format!("*** {more} still to go"), width));
        }
        for row in [&bottom.status, &bottom.rooms].into_iter().flatten() {
            rows.push(cut(row, width));
        }
        rows.push(String::new());
        rows
    }
}

/// The input line, scrolled sideways so the cursor shows, and the cursor's
/// column.
fn input_row(bottom: &Bottom, cols: usize) -> (String, usize) {
    let prompt_width = width(&bottom.prompt);
    let room = cols.saturating_sub(prompt_width + 1).max(1);
    let shown = |c: char| if c == '\t' { ' ' } else { c };
    let char_width = |c: char| shown(c).width().unwrap_or(0);
    // Walk back from the cursor while the text before it still fits.
    let mut start = bottom.cursor;
    let mut before = 0;
    while start > 0 && before + char_width(bottom.chars[start - 1]) < room {
        start -= 1;
        before += char_width(bottom.chars[start]);
    }
    let mut row = bottom.prompt.clone();
    let mut used = 0;
    for &c in &bottom.chars[start..] {
        if used + char_width(c) > room {
            break;
        }
        used += char_width(c);
        row.push(shown(c));
    }
    (row, prompt_width + before)
}

/// The display width of `text`, escape sequences not counted.
pub fn width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
            continue;
        }
        width += c.width().unwrap_or(0);
    }
    width
}

/// `text` cut to `max` columns (escape sequences kept, colours reset).
fn cut(text: &str, max: usize) -> String {
    wrap_rows(text, max, 0)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Where a message's text starts: after `<name> `, after the leading
/// `[..] ` groups, or after `*** `; at most half the width.
fn indent(text: &str, cols: usize) -> usize {
    let plain: String = strip(text);
    let at = if let Some(at) = plain.find("> ") {
        width(&plain[..at + 2])
    } else if plain.starts_with('[') {
        let mut end = 0;
        while plain[end..].starts_with('[') {
            match plain[end..].find("] ") {
                Some(close) => end += close + 2,
                None => break,
            }
        }
        width(&plain[..end])
    } else if plain.starts_with("*** ") || plain.starts_with("!!! ") {
        4
    } else {
        0
    };
    if at > cols / 2 { 2 } else { at }
}

fn strip(text: &str) -> String {
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            plain.push(c);
        }
    }
    plain
}

/// `line` as screen rows of at most `cols` columns, continuation rows
/// indented under the text.
pub fn wrap(line: &str, cols: usize) -> Vec<String> {
    wrap_rows(line, cols, indent(line, cols))
}

/// Wraps at the last space that fits, or inside a word longer than a row.
fn wrap_rows(line: &str, cols: usize, indent: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    let mut style = String::new();
    // The last space on this row: where it is, the width before it, the
    // style in force there.
    let mut space: Option<(usize, usize, String)> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            let sequence: String = std::iter::once(c)
                .chain(chars.by_ref().take_while(|c| !c.is_ascii_alphabetic()))
                .collect();
            let sequence = sequence + "m";
            style = if sequence == "\x1b[0m" {
                String::new()
            } else {
                style + &sequence
            };
            row.push_str(&sequence);
            continue;
        }
        let w = c.width().unwrap_or(0);
        if used + w > cols {
            let (tail, tail_style, tail_width) = match space.take() {
                Some((at, before, style_there)) => {
                    let tail = row.split_off(at + 1);
                    row.truncate(at);
                    (tail, style_there, used - before - 1)
                }
                None => (String::new(), style.clone(), 0),
            };
            if !tail_style.is_empty() || !style.is_empty() {
                row.push_str("\x1b[0m");
            }
            rows.push(std::mem::take(&mut row));
            row = " ".repeat(indent) + &tail_style + &tail;
            used = indent + tail_width;
        }
        if c == ' ' && used > indent {
            space = Some((row.len(), used, style.clone()));
        }
        row.push(c);
        used += w;
    }
    rows.push(row);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_are_indented_under_the_text() {
        let check = |line: &str, cols: usize, expected: &[&str]| {
            assert_eq!(wrap(line, cols), expected, "{line:?}");
        };
        check("[09:30] <bob> short", 40, &["[09:30] <bob> short"]);
        check(
            "[09:30] <bob> one two three four",
            28,
            &["[09:30] <bob> one two three", "              four"],
        );
        check("[09:30] <bob> one two", 20, &["[09:30] <bob> one", "  two"]);
        check(
            "[09:30] * bob waves a lot",
            16,
            &["[09:30] * bob", "        waves a", "        lot"],
        );
        check(
            "*** a long notice here",
            12,
            &["*** a long", "    notice", "    here"],
        );
        check(
            "*** abcdefghijklmnop",
            10,
            &["*** abcdef", "    ghijkl", "    mnop"],
        );
        check(
            "[11-21 09:30] <averyveryverylongname> x",
            30,
            &["[11-21 09:30]", "  <averyveryverylongname> x"],
        );
        check(
            "\x1b[1mbold text\x1b[0m",
            5,
            &["\x1b[1mbold\x1b[0m", "\x1b[1mtext\x1b[0m"],
        );
        check("李李李", 4, &["李李", "李"]);
    }

    fn bottom(chars: &str, cursor: usize) -> Bottom {
        Bottom {
            prompt: "[al] ".into(),
            chars: chars.chars().collect(),
            cursor,
            ..Bottom::default()
        }
    }

    #[test]
    fn the_input_line_scrolls_sideways_to_the_cursor() {
        let check = |b: Bottom, cols: usize, row: &str, col: usize| {
            assert_eq!(input_row(&b, cols), (row.to_string(), col), "{b:?}");
        };
        check(bottom("hello", 5), 20, "[al] hello", 10);
        check(bottom("abcdefghij", 10), 12, "[al] fghij", 10);
        check(bottom("abcdefghij", 0), 12, "[al] abcdef", 5);
        check(bottom("李李李李", 4), 12, "[al] 李李", 9);
    }

    #[test]
    fn the_bottom_area_is_erased_before_a_line_and_drawn_after() {
        let mut screen = Screen::new(24, 40);
        let mut b = bottom("hi", 2);
        b.waiting = vec!["[--:--] <al> sent".into()];
        assert_eq!(
            screen.redraw(&b),
            "\r\x1b[J[--:--] <al> sent\r\n[al] hi\r\x1b[7C"
        );
        let out = screen.print("[09:30] <bob> yo", &b);
        assert_eq!(
            out,
            "\r\x1b[1A\x1b[J[09:30] <bob> yo\r\n[--:--] <al> sent\r\n[al] hi\r\x1b[7C"
        );
        b.waiting = (0..3).map(|i| format!("w{i}")).collect();
        b.waiting_total = 5;
        let out = screen.redraw(&b);
        assert_eq!(
            out,
            "\r\x1b[1A\x1b[Jw0\r\nw1\r\n*** 3 more lines still to go\r\n[al] hi\r\x1b[7C"
        );
        let out = screen.resize(4, 40, &bottom("", 0));
        assert_eq!(out, "\x1b[H[09:30] <bob> yo\x1b[K\r\n\x1b[J[al] \r\x1b[5C");
        let mut with_rooms = bottom("", 0);
        with_rooms.rooms = Some("[1:#a] 2:#b(1)".into());
        let out = screen.refill(vec!["one".into(), "two".into()], &with_rooms);
        assert_eq!(
            out,
            "\x1b[Hone\x1b[K\r\ntwo\x1b[K\r\n\x1b[J[1:#a] 2:#b(1)\r\n[al] \r\x1b[5C"
        );
    }
}
