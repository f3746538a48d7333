//! Terminal mode: a prompt at the bottom that incoming messages never garble.
//!
//! The calling thread owns the terminal through rustyline: it asks for a name
//! until the server accepts one, then reads lines and hands them to the
//! `chat-net` thread ([`Net`]), which prints through rustyline's external
//! printer so the half-typed line is redrawn below each message. Every printed
//! message ends with a newline. The network thread never exits the process: a
//! lost connection is reconnected there with backoff while the user keeps
//! typing, and only the user ends the session (`/quit`, `{exit}`, Ctrl-D, or
//! Ctrl-C twice in a row; one Ctrl-C clears the line).

use std::borrow::Cow;
use std::thread;

use chrono::Local;
use crossbeam_channel::Sender;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Context, Editor, ExternalPrinter, Helper};

use super::complete::complete;
use super::input::{HELP, Input, parse_input};
use super::net::{self, Net, REGISTER_TIMEOUT, SharedNames, Sink, Target, ToNet};
use super::render::{Renderer, View};
use super::secure::{Credentials, Endpoint};
use super::session::Session;
use super::{ClientError, Config};
use crate::conn::{ConnError, Connection};

/// Tab completion of commands and online names for rustyline.
struct ChatHelper {
    names: SharedNames,
}

impl Completer for ChatHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let names = self.names.lock().clone();
        Ok(complete(line, pos, &names))
    }
}

impl Hinter for ChatHelper {
    type Hint = String;
}

impl Highlighter for ChatHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ChatHelper {}

impl Helper for ChatHelper {}

type ChatEditor = Editor<ChatHelper, DefaultHistory>;

/// Shows network lines through rustyline's external printer, which redraws
/// the prompt and the half-typed line below them.
struct PrinterSink<P>(P);

impl<P: ExternalPrinter + Send> Sink for PrinterSink<P> {
    fn show(&mut self, line: String) {
        // The newline keeps the redrawn prompt off the message's row.
        if let Err(error) = self.0.print(format!("{line}\n")) {
            log::warn!("could not print a message: {error}");
        }
    }
}

/// Runs terminal mode until the user quits.
pub fn run(config: &Config, endpoint: Endpoint) -> Result<(), ClientError> {
    let names = SharedNames::default();
    let editor_config = rustyline::Config::builder()
        .auto_add_history(true)
        .completion_type(CompletionType::List)
        .build();
    let mut editor = ChatEditor::with_config(editor_config)?;
    editor.set_helper(Some(ChatHelper {
        names: names.clone(),
    }));
    let mut conn = net::connect(&endpoint)?;
    let mut credentials = config.credentials.clone();
    let joining = Joining {
        endpoint: &endpoint,
        credentials: &mut credentials,
    };
    let Some((name, online)) = join(&mut editor, &mut conn, config, joining)? else {
        return Ok(());
    };
    let renderer = Renderer::new(&name, config.colour, Local);
    println!(
        "{}",
        renderer.render(&View::Notice(format!(
            "joined as {name} ({online} online); /help lists the commands"
        )))
    );
    let net = Net {
        conn,
        session: Session::new(),
        renderer: renderer.clone(),
        sink: PrinterSink(editor.create_external_printer()?),
        names,
        reconnect: Some(Target {
            endpoint,
            name: name.clone(),
            credentials,
        }),
    };
    let (to_net, from_ui) = crossbeam_channel::bounded(64);
    let net_thread = thread::Builder::new()
        .name("chat-net".into())
        .spawn(move || net.run(from_ui))?;
    let result = read_lines(&mut editor, &renderer, &to_net, &format!("[{name}] "));
    drop(to_net);
    let _ = net_thread.join();
    result
}

/// Where and how the client joins.
struct Joining<'a> {
    endpoint: &'a Endpoint,
    credentials: &'a mut Credentials,
}

/// Registers, asking for a name until the server accepts one. `None` when the
/// user gave up (Ctrl-D or Ctrl-C at the name prompt).
fn join(
    editor: &mut ChatEditor,
    conn: &mut Connection,
    config: &Config,
    joining: Joining<'_>,
) -> Result<Option<(String, u64)>, ClientError> {
    let plain = Renderer::new("", config.colour, Local);
    let mut name = match &config.name {
        Some(name) => name.clone(),
        None => match ask_name(editor)? {
            Some(name) => name,
            None => return Ok(None),
        },
    };
    loop {
        let joined = joining
            .credentials
            .join(conn, joining.endpoint, &name, REGISTER_TIMEOUT)?;
        match joined {
            Ok(joined) => return Ok(Some(joined)),
            Err(ConnError::Refused { code, text }) => {
                let refusal = View::Error(format!("{}: {text}", code.as_str()));
                println!("{}", plain.render(&refusal));
            }
            Err(other) => return Err(ClientError::Join(other)),
        }
        name = match ask_name(editor)? {
            Some(name) => name,
            None => return Ok(None),
        };
    }
}

fn ask_name(editor: &mut ChatEditor) -> Result<Option<String>, ClientError> {
    match editor.readline("your name: ") {
        Ok(name) => Ok(Some(name.trim().to_owned())),
        Err(ReadlineError::Eof | ReadlineError::Interrupted) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The input loop: reads lines until the user quits.
fn read_lines(
    editor: &mut ChatEditor,
    renderer: &Renderer<Local>,
    to_net: &Sender<ToNet>,
    prompt: &str,
) -> Result<(), ClientError> {
    let show = |view: View| println!("{}", renderer.render(&view));
    // Quitting hands the /quit to the network thread, which waits for BYE.
    let quit = |line: &str| -> Result<(), ClientError> {
        let _ = to_net.send(ToNet::Quit(line.into()));
        Ok(())
    };
    let mut interrupted = false;
    loop {
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) if interrupted => return quit("/quit"),
            Err(ReadlineError::Interrupted) => {
                interrupted = true;
                show(View::Notice("line cleared; Ctrl-C again quits".into()));
                continue;
            }
            Err(ReadlineError::Eof) => return quit("/quit"),
            Err(error) => {
                quit("/quit")?;
                return Err(error.into());
            }
        };
        interrupted = false;
        match parse_input(&line) {
            Input::Send(line) => {
                let _ = to_net.send(ToNet::Send(line));
            }
            Input::Quit(line) => return quit(&line),
            Input::Help => HELP.iter().for_each(|h| show(View::Notice((*h).into()))),
            Input::Clear => editor.clear_screen()?,
            Input::Refused(text) => show(View::Error(text)),
            Input::Nothing => {}
        }
    }
}
