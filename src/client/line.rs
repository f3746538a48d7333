//! The input line: what is typed, where the cursor is, the lines typed before.
//!
//! [`LineEditor::handle`] applies one [`Key`] and says what the front end must
//! do ([`Edit`]): redraw, send a line, send the lines of a paste, list
//! completions, clear the line, quit. Emacs-style keys as readline has them
//! (Ctrl-A/E/B/F/K/U/W/Y/D/L/P/N, Alt-B/F, arrows, Home, End, Delete), Up and
//! Down through the lines typed before, and Tab completion of commands and
//! names ([`super::complete`]).
//!
//! A paste never sends half a line: its complete lines (each with its line
//! ending, the first joined to what was typed before the cursor) come out as
//! [`Edit::Paste`]; what follows the last line ending stays on the input line
//! to be edited, exactly as if it had been typed.
//!
//! Pure: it never reads or draws anything.

use super::complete::complete;
use super::keys::Key;

/// What the front end does after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Nothing changed.
    Nothing,
    /// The line or the cursor changed: redraw it.
    Redraw,
    /// Enter: this line was typed (the input line is now empty).
    Submit(String),
    /// A paste held these complete lines, in order.
    Paste(Vec<String>),
    /// Tab twice with several choices: list them.
    Choices(Vec<String>),
    /// Ctrl-C: the line was cleared.
    Interrupt,
    /// Ctrl-D on an empty line.
    Eof,
    /// Ctrl-L.
    ClearScreen,
}

/// The input line and its history. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct LineEditor {
    chars: Vec<char>,
    cursor: usize,
    history: Vec<String>,
    /// Browsing history: the entry shown, and the line being typed before.
    browsing: Option<(usize, Vec<char>)>,
    killed: Vec<char>,
    last_was_tab: bool,
}

impl LineEditor {
    /// The line being typed.
    pub fn line(&self) -> String {
        self.chars.iter().collect()
    }

    /// The line's characters and the cursor's index among them.
    pub fn chars_and_cursor(&self) -> (&[char], usize) {
        (&self.chars, self.cursor)
    }

    /// Puts `line` back on the input line, the cursor at its end (a line the
    /// client refused, to be fixed).
    pub fn restore(&mut self, line: &str) {
        self.chars = line.chars().collect();
        self.cursor = self.chars.len();
    }

    /// Adds `line` to the history, as if typed (a pasted line the client
    /// refused: Up brings it back).
    pub fn remember(&mut self, line: &str) {
        if !line.trim().is_empty() && self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_owned());
        }
    }

    /// Applies one key. `names` are the online names, for completion.
    pub fn handle(&mut self, key: Key, names: &[String]) -> Edit {
        let was_tab = std::mem::replace(&mut self.last_was_tab, key == Key::Tab);
        match key {
            Key::Char(c) => self.insert(&[c]),
            Key::Enter => self.submit(),
            Key::Paste(text) => self.paste(&text),
            Key::Tab => self.complete(names, was_tab),
            Key::Backspace | Key::Ctrl('h') => self.delete_back(1),
            Key::Delete => self.delete_forward(),
            Key::Left | Key::Ctrl('b') => self.move_to(self.cursor.saturating_sub(1)),
            Key::Right | Key::Ctrl('f') => self.move_to(self.cursor + 1),
            Key::Home | Key::Ctrl('a') => self.move_to(0),
            Key::End | Key::Ctrl('e') => self.move_to(self.chars.len()),
            Key::WordLeft => self.move_to(self.word_start()),
            Key::WordRight => self.move_to(self.word_end()),
            Key::Up | Key::Ctrl('p') => self.history_back(),
            Key::Down | Key::Ctrl('n') => self.history_forward(),
            Key::Ctrl('k') => self.kill(self.cursor..self.chars.len()),
            Key::Ctrl('u') => self.kill(0..self.cursor),
            Key::Ctrl('w') | Key::DeleteWordBefore => self.kill(self.word_start()..self.cursor),
            Key::Ctrl('y') => self.insert(&self.killed.clone()),
            Key::Ctrl('c') => {
                self.restore("");
                self.browsing = None;
                Edit::Interrupt
            }
            Key::Ctrl('d') if self.chars.is_empty() => Edit::Eof,
            Key::Ctrl('d') => self.delete_forward(),
            Key::Ctrl('l') => Edit::ClearScreen,
            _ => Edit::Nothing,
        }
    }

    fn insert(&mut self, text: &[char]) -> Edit {
        let at = self.cursor;
        self.chars.splice(at..at, text.iter().copied());
        self.cursor += text.len();
        Edit::Redraw
    }

    fn submit(&mut self) -> Edit {
        let line = self.line();
        self.restore("");
        self.browsing = None;
        self.remember(&line);
        Edit::Submit(line)
    }

    fn paste(&mut self, text: &str) -> Edit {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut parts: Vec<&str> = text.split('\n').collect();
        let last = parts.pop().unwrap_or_default();
        if parts.is_empty() {
            return self.insert(&last.chars().collect::<Vec<_>>());
        }
        let after: Vec<char> = self.chars.split_off(self.cursor);
        let mut lines: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
        lines[0].insert_str(0, &self.chars.iter().collect::<String>());
        self.chars = last.chars().collect();
        self.cursor = self.chars.len();
        self.chars.extend(after);
        self.browsing = None;
        Edit::Paste(lines)
    }

    fn complete(&mut self, names: &[String], twice: bool) -> Edit {
        let before: String = self.chars[..self.cursor].iter().collect();
        let (start, choices) = complete(&before, before.len(), names);
        let start = before[..start].chars().count();
        match choices.as_slice() {
            [] => Edit::Nothing,
            [only] => self.replace_word(start, only),
            _ if twice => Edit::Choices(choices),
            _ => {
                let common = common_prefix(&choices);
                let typed = self.cursor - start;
                if common.chars().count() > typed {
                    self.replace_word(start, &common)
                } else {
                    Edit::Nothing
                }
            }
        }
    }

    fn replace_word(&mut self, start: usize, with: &str) -> Edit {
        self.chars.splice(start..self.cursor, with.chars());
        self.cursor = start + with.chars().count();
        Edit::Redraw
    }

    fn delete_back(&mut self, count: usize) -> Edit {
        let from = self.cursor.saturating_sub(count);
        self.chars.drain(from..self.cursor);
        self.cursor = from;
        Edit::Redraw
    }

    fn delete_forward(&mut self) -> Edit {
        if self.cursor < self.chars.len() {
            self.chars.remove(self.cursor);
        }
        Edit::Redraw
    }

    fn move_to(&mut self, at: usize) -> Edit {
        self.cursor = at.min(self.chars.len());
        Edit::Redraw
    }

    fn kill(&mut self, range: std::ops::Range<usize>) -> Edit {
        if range.is_empty() {
            return Edit::Nothing;
        }
        self.cursor = range.start;
        self.killed = self.chars.drain(range).collect();
        Edit::Redraw
    }

    fn word_start(&self) -> usize {
        let mut at = self.cursor;
        while at > 0 && !self.chars[at - 1].is_alphanumeric() {
            at -= 1;
        }
        while at > 0 && self.chars[at - 1].is_alphanumeric() {
            at -= 1;
        }
        at
    }

    fn word_end(&self) -> usize {
        let mut at = self.cursor;
        let len = self.chars.len();
        while at < len && !self.chars[at].is_alphanumeric() {
            at += 1;
        }
        while at < len && self.chars[at].is_alphanumeric() {
            at += 1;
        }
        at
    }

    fn history_back(&mut self) -> Edit {
        let index = match &self.browsing {
            None if self.history.is_empty() => return Edit::Nothing,
            None => {
                self.browsing = Some((self.history.len(), self.chars.clone()));
                self.history.len() - 1
            }
            Some((0, _)) => return Edit::Nothing,
            Some((index, _)) => index - 1,
        };
        self.show_history(index)
    }

    fn history_forward(&mut self) -> Edit {
        let Some((index, draft)) = &self.browsing else {
            return Edit::Nothing;
        };
        if index + 1 >= self.history.len() {
            self.chars = draft.clone();
            self.cursor = self.chars.len();
            self.browsing = None;
            return Edit::Redraw;
        }
        self.show_history(index + 1)
    }

    fn show_history(&mut self, index: usize) -> Edit {
        if let Some((shown, _)) = &mut self.browsing {
            *shown = index;
        }
        let line = self.history[index].clone();
        self.restore(&line);
        Edit::Redraw
    }
}

fn common_prefix(choices: &[String]) -> String {
    let first = &choices[0];
    let mut end = first.len();
    for choice in &choices[1..] {
        let same = first
            .char_indices()
            .zip(choice.chars())
            .find(|((_, a), b)| !a.eq_ignore_ascii_case(b));
        if let Some(((at, _), _)) = same {
            end = end.min(at);
        }
        end = end.min(choice.len());
    }
    first[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Types `keys` into a fresh editor; returns the last edit, the line and
    /// the cursor.
    fn run(editor: &mut LineEditor, keys: Vec<Key>) -> (Edit, String, usize) {
        let names = ["alice".to_string(), "Bob".into(), "bobby".into()];
        let mut last = Edit::Nothing;
        for key in keys {
            last = editor.handle(key, &names);
        }
        (last, editor.line(), editor.cursor)
    }

    fn keys(text: &str) -> Vec<Key> {
        text.chars().map(Key::Char).collect()
    }

    fn check(input: Vec<Key>, line: &str, cursor: usize) {
        let (_, got_line, got_cursor) = run(&mut LineEditor::default(), input.clone());
        assert_eq!((got_line.as_str(), got_cursor), (line, cursor), "{input:?}");
    }

    #[test]
    fn editing_table() {
        use Key::*;
        check(keys("hello"), "hello", 5);
        check([keys("helo"), vec![Left, Char('l')]].concat(), "hello", 4);
        check([keys("hello"), vec![Ctrl('a'), Delete]].concat(), "ello", 0);
        check([keys("one two"), vec![Ctrl('w')]].concat(), "one ", 4);
        check(
            [keys("one two"), vec![Ctrl('w'), Ctrl('y'), Ctrl('y')]].concat(),
            "one twotwo",
            10,
        );
        check(
            [keys("one two"), vec![WordLeft, Ctrl('k')]].concat(),
            "one ",
            4,
        );
        check(
            [keys("one two"), vec![Home, WordRight, Ctrl('u')]].concat(),
            " two",
            0,
        );
        check([keys("李李x"), vec![Left, Backspace]].concat(), "李x", 1);
        check([keys("ab"), vec![Ctrl('c')]].concat(), "", 0);
        check([keys("/wh"), vec![Tab]].concat(), "/who ", 5);
        check([keys("hi bo"), vec![Tab]].concat(), "hi Bob", 6);
        check([keys("al"), vec![Tab]].concat(), "alice: ", 7);
    }

    #[test]
    fn enter_and_history() {
        use Key::*;
        let mut editor = LineEditor::default();
        let (edit, ..) = run(&mut editor, [keys("one"), vec![Enter]].concat());
        assert_eq!(edit, Edit::Submit("one".into()));
        run(&mut editor, [keys("two"), vec![Enter]].concat());
        assert_eq!(run(&mut editor, [keys("dra"), vec![Up]].concat()).1, "two");
        assert_eq!(run(&mut editor, vec![Up, Up]).1, "one");
        assert_eq!(run(&mut editor, vec![Down]).1, "two");
        assert_eq!(run(&mut editor, vec![Down]).1, "dra");
        assert_eq!(run(&mut editor, vec![Ctrl('u'), Ctrl('d')]).0, Edit::Eof);
        let (edit, ..) = run(&mut editor, [keys("bo"), vec![Tab, Tab]].concat());
        assert_eq!(edit, Edit::Choices(vec!["Bob: ".into(), "bobby: ".into()]));
    }

    #[test]
    fn a_paste_gives_its_complete_lines_and_keeps_the_rest() {
        let mut editor = LineEditor::default();
        run(
            &mut editor,
            [keys("say "), keys("!"), vec![Key::Left]].concat(),
        );
        let (edit, line, cursor) = run(&mut editor, vec![Key::Paste("one\r\ntwo\rthr".into())]);
        assert_eq!(edit, Edit::Paste(vec!["say one".into(), "two".into()]));
        assert_eq!((line.as_str(), cursor), ("thr!", 3));
        let (edit, line, _) = run(&mut editor, vec![Key::Paste("\tee".into())]);
        assert_eq!((edit, line.as_str()), (Edit::Redraw, "thr\tee!"));
    }
}
