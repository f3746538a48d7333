//! Plain mode: for scripts, bots and tests (stdin or stdout is not a terminal).
//!
//! No prompt and no colour: one line on stdout per event, in the format of
//! [`Renderer`] with colour off (see `docs/client.md`). Each stdin line is
//! typed input; stdin's end sends `/quit` and ends once the server's `BYE`
//! arrives. The server closing or the connection breaking ends the client with
//! [`ClientError::Lost`]; a refused name with [`ClientError::NameRefused`].
//!
//! Threads: `chat-stdin` reads stdin into a channel, `chat-net` runs [`Net`],
//! and the calling thread turns typed lines into requests. `chat-net` is always
//! joined; `chat-stdin` is joined when stdin ended, and otherwise left blocked
//! in its read (a read on stdin cannot be interrupted) for the process exit to
//! end.

use std::io::{self, BufRead, Write};
use std::thread;

use chrono::Local;
use crossbeam_channel::{Receiver, Sender, select};

use super::attention::Attention;
use super::input::{HELP, TypedLine, parse_input, too_long};
use super::net::{self, Ending, Net, REGISTER_TIMEOUT, Sink, ToNet};
use super::render::{Renderer, View};
use super::rooms::Shown;
use super::session::Session;
use super::{ClientError, ClientOptions};
use crate::conn::ConnError;
use crate::conn::secure::{Endpoint, SecureError};

/// Writes each display line to stdout and flushes it. Every line of a room
/// is marked with the room (`[09:30] [#rust] <bob> hi`): a script reading
/// several rooms never has to guess.
#[derive(Debug, Clone)]
pub struct StdoutSink {
    renderer: Renderer<Local>,
}

impl StdoutSink {
    fn line(&self, line: &str) {
        let mut out = io::stdout().lock();
        // A closed stdout is not worth stopping the chat for; the server side
        // still ends the session normally.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

impl Sink for StdoutSink {
    fn show(&mut self, shown: Shown, _: Attention) {
        self.renderer.set_today(Local::now().date_naive());
        self.line(&self.renderer.render_in(&shown.view, shown.room.as_deref()));
    }
}

/// Runs plain mode until the user's `/quit` (or stdin's end) is answered, or
/// the server goes away.
pub fn run(config: &ClientOptions, endpoint: Endpoint) -> Result<(), ClientError> {
    let (stdin_tx, typed) = crossbeam_channel::bounded(64);
    let stdin_thread = thread::Builder::new()
        .name("chat-stdin".into())
        .spawn(move || read_stdin(stdin_tx))?;
    let result = run_session(config, &endpoint, &typed);
    drop(typed);
    if stdin_thread.is_finished() {
        let _ = stdin_thread.join();
    }
    result
}

fn run_session(
    config: &ClientOptions,
    endpoint: &Endpoint,
    typed: &Receiver<String>,
) -> Result<(), ClientError> {
    let mut conn = net::connect(endpoint)?;
    let asked = match &config.name {
        Some(name) => name.clone(),
        None => typed.recv().map_err(|_| ClientError::NoName)?,
    };
    let mut credentials = config.credentials.clone();
    let (name, online) = credentials
        .join(&mut conn, endpoint, &asked, REGISTER_TIMEOUT)?
        .map_err(|error| refused(&asked, error))?;
    let renderer = Renderer::new(&name, false, Local);
    let mut sink = StdoutSink {
        renderer: renderer.clone(),
    };
    let joined = View::Notice(format!("joined as {name} ({online} online)"));
    sink.show(Shown::plain(joined), Attention::None);

    let (to_net, from_ui) = crossbeam_channel::bounded(64);
    let (done_tx, done) = crossbeam_channel::bounded::<()>(1);
    let net = Net {
        conn,
        session: Session::new(&name),
        renderer,
        sink: sink.clone(),
        names: Default::default(),
        reconnect: None,
        outgoing: Default::default(),
    };
    let net_thread = thread::Builder::new()
        .name("chat-net".into())
        .spawn(move || {
            let ending = net.run(from_ui);
            drop(done_tx);
            ending
        })?;
    forward_typed(typed, &to_net, &done, &sink, config.max_line());
    drop(to_net);
    let ending = net_thread
        .join()
        .map_err(|_| io::Error::other("the network thread panicked"))?;
    match ending {
        Ending::Quit => Ok(()),
        Ending::Lost(reason) => Err(ClientError::Lost(reason)),
    }
}

fn refused(name: &str, error: ConnError) -> ClientError {
    match error {
        ConnError::Refused { code, text } => ClientError::NameRefused {
            name: name.to_owned(),
            code: code.as_str().to_owned(),
            text,
        },
        other => SecureError::Join(other).into(),
    }
}

/// Turns typed lines into requests until the user quits, stdin ends (a quit
/// too) or the network thread is done.
fn forward_typed(
    typed: &Receiver<String>,
    to_net: &Sender<ToNet>,
    done: &Receiver<()>,
    sink: &StdoutSink,
    max_line: usize,
) {
    let show = |view: View| sink.line(&sink.renderer.render(&view));
    loop {
        let line = select! {
            recv(typed) -> line => line,
            recv(done) -> _ => return,
        };
        let Ok(line) = line else {
            let _ = to_net.send(ToNet::Quit("/quit".into()));
            return;
        };
        let request = match parse_input(&line, None) {
            TypedLine::Send(wire) => match too_long(&line, &wire, max_line, None) {
                Some(refusal) => {
                    show(View::Error(refusal.refusal()));
                    continue;
                }
                None => ToNet::Send(wire),
            },
            TypedLine::Join(room) => ToNet::Send(format!("/join {room}")),
            TypedLine::Quit(line) => {
                let _ = to_net.send(ToNet::Quit(line));
                return;
            }
            TypedLine::Help => {
                HELP.iter().for_each(|h| show(View::Notice((*h).into())));
                continue;
            }
            TypedLine::Refused(text) => {
                show(View::Error(text));
                continue;
            }
            TypedLine::Clear | TypedLine::Nothing => continue,
        };
        if to_net.send(request).is_err() {
            return;
        }
    }
}

/// The `chat-stdin` thread: one string per stdin line (line ending removed,
/// invalid UTF-8 replaced) until stdin ends or nobody listens.
fn read_stdin(lines: Sender<String>) {
    let mut stdin = io::stdin().lock();
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match stdin.read_until(b'\n', &mut buffer) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) => {
                log::warn!("reading stdin failed: {error}");
                return;
            }
        }
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if lines
            .send(String::from_utf8_lossy(line).into_owned())
            .is_err()
        {
            return;
        }
    }
}
