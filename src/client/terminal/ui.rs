//! The terminal's side of a session: keys become edits and typed lines,
//! network lines are drawn above the bottom area, rooms are switched. See
//! the module docs of [`super`]; this thread is the only writer to the
//! terminal.

use std::time::Duration;

use chrono::Local;
use crossbeam_channel::{Receiver, Sender, select};

use super::super::attention::Attention;
use super::super::input::{HELP, TypedLine, overflow, parse_input, too_long};
use super::super::keys::{Key, KeyDecoder};
use super::super::line::{Edit, LineEditor};
use super::super::net::{SharedNames, ToNet};
use super::super::raw::{self, RawMode, Watched};
use super::super::render::{Renderer, View, count};
use super::super::rooms::{RoomChange, RoomList, Shown};
use super::super::screen::{Bottom, MIN_COLS, Screen};
use super::super::{ClientError, ClientOptions};
use super::{ESC_WAIT, FromNet};

/// A long paste waiting for the user's yes or no.
struct PasteQuestion {
    /// The pasted lines, to send on yes.
    lines: Vec<String>,
    /// The input line before the paste, put back on no.
    before: String,
}

/// The terminal's side of a session. See the module docs.
pub(super) struct Ui {
    editor: LineEditor,
    decoder: KeyDecoder,
    /// Keys decoded and not handled yet (after a name was typed, say).
    keys: Vec<Key>,
    pub(super) screen: Screen,
    bottom: Bottom,
    /// A long paste, waiting for the user's yes or no.
    confirm: Option<PasteQuestion>,
    /// The typed or pasted lines the client refused, in order, to put back
    /// once every key that came with them is handled (see
    /// [`Ui::settle_refusal`]).
    refused: Vec<String>,
    /// Keys that came while the question was asked, to handle after it.
    held: Vec<Key>,
    /// Lines pasted with the name, to send once joined.
    held_lines: Vec<String>,
    /// Raw mode, once the session runs (for Ctrl-Z).
    pub(super) raw_mode: Option<RawMode>,
    pub(super) names: SharedNames,
    to_net: Option<Sender<ToNet>>,
    interrupted: bool,
    unread: usize,
    title: String,
    bell: bool,
    paste_max_lines: usize,
    max_line: usize,
    renderer: Renderer<Local>,
    colour: bool,
    rooms: RoomList,
}

impl Ui {
    pub(super) fn new(config: &ClientOptions, screen: Screen) -> Ui {
        Ui {
            editor: LineEditor::default(),
            decoder: KeyDecoder::default(),
            keys: Vec::new(),
            screen,
            bottom: Bottom::default(),
            confirm: None,
            refused: Vec::new(),
            held: Vec::new(),
            held_lines: Vec::new(),
            raw_mode: None,
            names: SharedNames::default(),
            to_net: None,
            interrupted: false,
            unread: 0,
            title: String::new(),
            bell: config.bell,
            paste_max_lines: config.paste_max_lines,
            max_line: config.max_line(),
            renderer: Renderer::new("", config.colour, Local),
            colour: config.colour,
            rooms: RoomList::default(),
        }
    }

    pub(super) fn out(&mut self, text: String) {
        if let Err(error) = raw::write_now(&text) {
            log::warn!("could not write to the terminal: {error}");
        }
    }

    /// Shows the client's own line; it is kept, so it shows again whatever
    /// room is shown next.
    fn show(&mut self, view: View) {
        let shown = Shown::plain(view);
        self.rooms.arrived(&shown, Attention::None);
        let line = self.render(&shown);
        self.print(&line);
    }

    pub(super) fn print(&mut self, line: &str) {
        self.sync_bottom();
        let out = self.screen.print(line, &self.bottom);
        self.out(out);
    }

    fn redraw(&mut self) {
        self.sync_bottom();
        let out = self.screen.redraw(&self.bottom);
        self.out(out);
    }

    /// The bottom area as the editor and the questions have it now.
    fn sync_bottom(&mut self) {
        self.sync_bottom_at(self.screen.size().1);
    }

    /// The bottom area for a screen `cols` wide: the rooms row is laid out
    /// for the width it will be drawn at, which a resize changes.
    fn sync_bottom_at(&mut self, cols: u16) {
        let (chars, cursor) = self.editor.chars_and_cursor();
        self.bottom.chars = chars.to_vec();
        self.bottom.cursor = cursor;
        self.bottom.status = self.status();
        let width = usize::from(cols.max(MIN_COLS)) - 1;
        self.bottom.rooms = self.rooms.status(self.colour, width);
    }

    /// A question waiting for an answer, or how far a line is over the limit.
    fn status(&self) -> Option<String> {
        if let Some(question) = &self.confirm {
            let pasted = count(question.lines.len() as u64, "pasted line");
            return Some(format!("*** send {pasted}? y sends them, n drops them"));
        }
        overflow(&self.editor.line(), self.max_line, self.rooms.current()).map(|o| o.status())
    }

    /// Asks for one line (the name) before the session starts.
    pub(super) fn ask(&mut self, prompt: &str) -> Result<Option<String>, ClientError> {
        self.bottom.prompt = prompt.to_owned();
        self.redraw();
        loop {
            if self.keys.is_empty() {
                let wait = self.decoder.is_waiting().then_some(ESC_WAIT);
                match raw::read_stdin(wait)? {
                    Some(bytes) if bytes.is_empty() => return Ok(None),
                    Some(bytes) => self.keys = self.decoder.feed(&bytes),
                    None => self.keys = self.decoder.flush(),
                }
            }
            while !self.keys.is_empty() {
                let key = self.keys.remove(0);
                match self.editor.handle(key, &[]) {
                    Edit::Submit(line) => {
                        self.print(&format!("{prompt}{line}"));
                        return Ok(Some(line.trim().to_owned()));
                    }
                    Edit::Paste(mut lines) => {
                        // The first line is the name; the rest are sent
                        // once joined.
                        let name = lines.remove(0);
                        self.held_lines.extend(lines);
                        return Ok(Some(name.trim().to_owned()));
                    }
                    Edit::Eof | Edit::Interrupt => return Ok(None),
                    _ => self.redraw(),
                }
            }
        }
    }

    pub(super) fn start_session(&mut self, name: &str, renderer: &Renderer<Local>, online: u64) {
        self.bottom.prompt = format!("[{name}] ");
        self.title = format!("{name} - chat-client");
        self.set_title();
        self.renderer = renderer.clone();
        let joined = format!("joined as {name} ({online} online); /help lists the commands");
        self.show(View::Notice(joined));
    }

    fn set_title(&mut self) {
        let title = match self.unread {
            0 => self.title.clone(),
            n => format!("({n}) {}", self.title),
        };
        self.out(format!("\x1b]2;{title}\x07"));
    }

    /// Runs until the user quit and the network thread is done.
    pub(super) fn run(
        &mut self,
        watched: &Receiver<Watched>,
        from_net: &Receiver<FromNet>,
        to_net: Sender<ToNet>,
    ) {
        self.to_net = Some(to_net);
        let lines = std::mem::take(&mut self.held_lines);
        lines.iter().for_each(|line| self.submit(line, false));
        let pending = std::mem::take(&mut self.keys);
        pending.into_iter().for_each(|key| self.key(key));
        self.settle_refusal();
        // A resize while joining went unwatched.
        if raw::size() != self.screen.size() {
            self.resized();
        }
        self.redraw();
        loop {
            let wait = if self.decoder.is_waiting() {
                ESC_WAIT
            } else {
                Duration::from_secs(3600)
            };
            select! {
                recv(watched) -> event => match event {
                    Ok(Watched::Bytes(bytes)) => {
                        let keys = self.decoder.feed(&bytes);
                        keys.into_iter().for_each(|key| self.key(key));
                        self.settle_refusal();
                        self.redraw();
                    }
                    Ok(Watched::Resized) => self.resized(),
                    Ok(Watched::Closed | Watched::Ended) | Err(_) => self.quit("/quit".into()),
                },
                recv(from_net) -> event => match event {
                    Ok(event) => self.network_event(event),
                    Err(_) => return,
                },
                default(wait) => {
                    let keys = self.decoder.flush();
                    keys.into_iter().for_each(|key| self.key(key));
                    self.settle_refusal();
                    self.redraw();
                }
            }
        }
    }

    fn network_event(&mut self, event: FromNet) {
        match event {
            FromNet::Show(shown, attention) => {
                if attention >= Attention::Unread {
                    self.unread += 1;
                    self.set_title();
                }
                if attention == Attention::Bell && self.bell {
                    self.out("\x07".into());
                }
                if self.rooms.arrived(&shown, attention) {
                    self.refill();
                    // Leaving the room shown: the line that says so goes
                    // where the user now looks, marked with the room left.
                    if matches!(shown.change, Some(RoomChange::Left(_))) {
                        let line = self.render(&shown);
                        self.print(&line);
                    }
                    return;
                }
                let line = self.render(&shown);
                self.print(&line);
            }
            FromNet::Waiting(oldest, total) => {
                (self.bottom.waiting, self.bottom.waiting_total) = (oldest, total);
                self.redraw();
            }
        }
    }

    /// A line as shown now: marked with its room unless that room is shown.
    fn render(&mut self, shown: &Shown) -> String {
        self.renderer.set_today(Local::now().date_naive());
        let marker = self.rooms.marker(shown.room.as_deref());
        self.renderer.render_in(&shown.view, marker)
    }

    /// Another room is shown: the screen holds its recent lines.
    fn refill(&mut self) {
        let recent: Vec<Shown> = self.rooms.recent(200).into_iter().cloned().collect();
        let lines = recent.iter().map(|shown| self.render(shown)).collect();
        self.sync_bottom();
        let out = self.screen.refill(lines, &self.bottom);
        self.out(out);
    }

    /// `Alt-1..9`, `Ctrl-N` and `Ctrl-P` show another room, once the server
    /// has rooms (before, `Ctrl-N`/`Ctrl-P` go through the line history). True
    /// when the key was one of them.
    fn switch_key(&mut self, key: &Key) -> bool {
        if !self.rooms.has_rooms() {
            return false;
        }
        let switched = match key {
            Key::AltDigit(n) => self.rooms.switch_nth(usize::from(*n)),
            Key::Ctrl('n') => self.rooms.switch_by(1),
            Key::Ctrl('p') => self.rooms.switch_by(-1),
            _ => return false,
        };
        if switched {
            self.refill();
        }
        true
    }

    fn key(&mut self, key: Key) {
        if self.to_net.is_none() {
            return; // quitting: keys no longer matter
        }
        if self.unread > 0 {
            self.unread = 0;
            self.set_title();
        }
        if let Some(question) = self.confirm.take() {
            return self.answer_paste(key, question);
        }
        if key == Key::Ctrl('z') {
            return self.suspend();
        }
        if self.switch_key(&key) {
            return;
        }
        let is_interrupt = key == Key::Ctrl('c');
        let names = self.names.lock().clone();
        // Only a paste can raise the question, whose "no" puts this line back.
        let before = matches!(key, Key::Paste(_)).then(|| self.editor.line());
        let edit = self.editor.handle(key, &names);
        let interrupted = std::mem::replace(&mut self.interrupted, false);
        match edit {
            Edit::Nothing | Edit::Redraw => {}
            Edit::Submit(line) => self.submit(&line, true),
            Edit::Paste(lines) if lines.len() > self.paste_max_lines => {
                let before = before.unwrap_or_default();
                self.confirm = Some(PasteQuestion { lines, before });
            }
            Edit::Paste(lines) => lines.iter().for_each(|line| self.submit(line, false)),
            Edit::Choices(choices) => self.show(View::Notice(choices.join("  "))),
            Edit::Interrupt if interrupted && is_interrupt => self.quit("/quit".into()),
            Edit::Interrupt => {
                self.interrupted = true;
                self.show(View::Notice("line cleared; Ctrl-C again quits".into()));
            }
            Edit::Eof => self.quit("/quit".into()),
            Edit::ClearScreen => {
                let out = self.screen.clear(&self.bottom);
                self.out(out);
            }
        }
    }

    /// The answer to "send N pasted lines?". Any other key (a character, a
    /// second paste) is kept and handled once the question is answered.
    /// Dropping the paste puts back the input line as it was before it.
    fn answer_paste(&mut self, key: Key, question: PasteQuestion) {
        match key {
            Key::Char('y' | 'Y') => {
                question
                    .lines
                    .iter()
                    .for_each(|line| self.submit(line, false));
            }
            Key::Char('n' | 'N') | Key::Esc | Key::Ctrl('c') => {
                self.editor.restore(&question.before);
                let lines = count(question.lines.len() as u64, "line");
                self.show(View::Notice(format!("paste of {lines} not sent")));
            }
            other => {
                self.confirm = Some(question);
                self.held.push(other);
                return;
            }
        }
        let held = std::mem::take(&mut self.held);
        held.into_iter().for_each(|key| self.key(key));
    }

    /// One typed (or pasted) line: sent, done here, or refused. A refused
    /// line is kept: it goes back on the input line, or into the history,
    /// once the keys that came with it are handled.
    fn submit(&mut self, line: &str, typed: bool) {
        let refused = |ui: &mut Ui, text: String| {
            ui.show(View::Error(text));
            if !typed {
                // A typed line is in the history already.
                ui.editor.remember(line);
            }
            ui.refused.push(line.to_owned());
        };
        let shown = self.rooms.current();
        match parse_input(line, shown) {
            TypedLine::Send(wire) => match too_long(line, &wire, self.max_line, shown) {
                Some(refusal) => refused(self, refusal.refusal()),
                None => self.send(ToNet::Send(wire)),
            },
            TypedLine::Join(room) if self.rooms.is_member(&room) => {
                if self.rooms.switch_to(&room) {
                    self.refill();
                }
            }
            TypedLine::Join(room) => {
                self.rooms.joining(&room);
                self.send(ToNet::Send(format!("/join {room}")));
            }
            TypedLine::Quit(wire) => self.quit(wire),
            TypedLine::Help => HELP
                .iter()
                .for_each(|h| self.show(View::Notice((*h).into()))),
            TypedLine::Clear => {
                let out = self.screen.clear(&self.bottom);
                self.out(out);
            }
            TypedLine::Refused(text) => refused(self, text),
            TypedLine::Nothing => {}
        }
    }

    /// Puts the first refused line back on the input line, once every key
    /// that arrived with it is handled; every refused line is in the
    /// history. Keys that came in the same read as its Enter were typed
    /// before the refusal could be seen: they are lines of their own, not
    /// edits of the refused one (`/dance`, Enter, `hi`, Enter sends `hi`).
    /// If such a line is still half-typed (or a paste left text after its
    /// last line), it keeps the input line and the refused ones wait in the
    /// history. Nothing refused is lost, typed or pasted.
    fn settle_refusal(&mut self) {
        let refused = std::mem::take(&mut self.refused);
        let Some(first) = refused.first() else {
            return;
        };
        let mut in_history = refused.len();
        if self.editor.line().is_empty() {
            self.editor.restore(first);
            in_history -= 1;
        }
        let notice = match (in_history, in_history == refused.len()) {
            (0, _) => return,
            (1, true) => "the refused line is in the history: Up brings it back".into(),
            (n, true) => format!("the {n} refused lines are in the history: Up brings them back"),
            (1, false) => "1 more refused line is in the history: Up brings it back".into(),
            (n, false) => format!("{n} more refused lines are in the history: Up brings them back"),
        };
        self.show(View::Notice(notice));
    }

    /// The terminal's size changed: the screen is redrawn at the new size.
    fn resized(&mut self) {
        let (rows, cols) = raw::size();
        self.sync_bottom_at(cols);
        let out = self.screen.resize(rows, cols, &self.bottom);
        self.out(out);
    }

    /// Ctrl-Z: erases the bottom area, stops until continued, then redraws
    /// the whole screen (the shell used it meanwhile).
    fn suspend(&mut self) {
        let erased = self.screen.erase_bottom();
        self.out(erased);
        if let Some(raw_mode) = &self.raw_mode
            && let Err(error) = raw_mode.suspend()
        {
            log::warn!("could not suspend: {error}");
        }
        self.resized();
    }

    fn send(&mut self, request: ToNet) {
        if let Some(to_net) = &self.to_net {
            let _ = to_net.send(request);
        }
    }

    fn quit(&mut self, line: String) {
        self.send(ToNet::Quit(line));
        self.to_net = None;
    }

    /// Erases the bottom area, leaving the cursor on a fresh row, and gives
    /// the terminal back.
    pub(super) fn finish(&mut self) {
        let out = self.screen.erase_bottom();
        self.out(out);
        self.raw_mode = None;
    }
}
