//! Terminal mode: an input line at the bottom that incoming messages never
//! garble, and that never loses a key.
//!
//! The calling thread owns the terminal (raw mode, [`super::raw`]) and is the
//! only one writing to it. It asks for a name until the server accepts one,
//! then runs [`Ui`]: bytes from `chat-keys` become keys ([`KeyDecoder`]) and
//! edits ([`LineEditor`]); typed lines go to the `chat-net` thread ([`Net`]),
//! whose display lines come back on a channel and are drawn by [`Screen`]
//! above the bottom area. Every byte read is kept until it is a key, so lines
//! typed ahead or pasted all arrive, in order.
//!
//! A paste of several lines sends each as a message (past
//! `paste_max_lines`, after asking once). A line the client refuses (too
//! long, unknown command), typed or pasted, is never lost: the first stays
//! on the input line, and all are in the Up history. The limit counts what
//! the client adds on the wire (`/say #room `), in the counter shown while
//! typing as in the refusal. Messages from others ring
//! the bell when they mention the user or are private (unless `bell` is off)
//! and count as unread in the window title until the next key.
//!
//! Rooms ([`RoomList`]): lines of a room other than the one shown are marked
//! with it; `Alt-1..9`, `Ctrl-N`, `Ctrl-P` and `/join` of a room already
//! joined show another room, locally, filling the screen with its recent
//! lines; typed text is sent to the room shown (`/say`).
//!
//! The network thread never exits the process: a lost connection is
//! reconnected there while the user keeps typing; only the user ends the
//! session (`/quit`, `{exit}`, Ctrl-D, or Ctrl-C twice in a row).

use std::thread;
use std::time::Duration;

use chrono::Local;
use crossbeam_channel::Sender;

use super::attention::Attention;
use super::net::{self, Net, REGISTER_TIMEOUT, SharedNames, Sink, Target};
use super::raw::{self, RawMode, Watchers};
use super::render::{Renderer, View};
use super::rooms::Shown;
use super::screen::Screen;
use super::session::Session;
use super::{ClientError, ClientOptions};
use crate::conn::secure::{Credentials, Endpoint, SecureError};
use crate::conn::{ConnError, Connection};
use ui::Ui;

mod ui;

/// How long a lone ESC waits for the rest of a sequence.
pub(super) const ESC_WAIT: Duration = Duration::from_millis(30);

/// What the network thread hands the screen.
pub(super) enum FromNet {
    Show(Shown, Attention),
    Waiting(Vec<String>, usize),
}

/// Hands network lines to the terminal's thread.
struct ChannelSink(Sender<FromNet>);

impl Sink for ChannelSink {
    fn show(&mut self, shown: Shown, attention: Attention) {
        let _ = self.0.send(FromNet::Show(shown, attention));
    }

    fn waiting(&mut self, oldest: Vec<String>, total: usize) {
        let _ = self.0.send(FromNet::Waiting(oldest, total));
    }
}

/// Runs terminal mode until the user quits.
pub fn run(config: &ClientOptions, endpoint: Endpoint) -> Result<(), ClientError> {
    let raw_mode = RawMode::enter()?;
    let (rows, cols) = raw::size();
    let mut ui = Ui::new(config, Screen::new(rows, cols));
    let mut conn = net::connect(&endpoint)?;
    let mut credentials = config.credentials.clone();
    let joining = Joining {
        endpoint: &endpoint,
        credentials: &mut credentials,
    };
    let joined = join(&mut ui, &mut conn, config, joining, raw_mode)?;
    let Some((name, online, raw_mode)) = joined else {
        ui.finish();
        return Ok(());
    };
    let renderer = Renderer::new(&name, config.colour, Local);
    ui.start_session(&name, &renderer, online);
    let (from_net_tx, from_net) = crossbeam_channel::unbounded();
    let names = SharedNames::default();
    let net = Net {
        conn,
        session: Session::new(&name),
        renderer,
        sink: ChannelSink(from_net_tx),
        names: names.clone(),
        reconnect: Some(Target {
            endpoint,
            name,
            credentials,
        }),
        outgoing: Default::default(),
    };
    let (to_net, from_ui) = crossbeam_channel::unbounded();
    let net_thread = thread::Builder::new()
        .name("chat-net".into())
        .spawn(move || net.run(from_ui))?;
    let (watchers, watched) = Watchers::start()?;
    ui.names = names;
    ui.raw_mode = Some(raw_mode);
    ui.run(&watched, &from_net, to_net);
    watchers.stop();
    let _ = net_thread.join();
    ui.finish();
    Ok(())
}

/// Where and how the client joins.
struct Joining<'a> {
    endpoint: &'a Endpoint,
    credentials: &'a mut Credentials,
}

/// Registers, asking for a name until the server accepts one. `None` when the
/// user gave up (Ctrl-D or Ctrl-C at the name prompt). Raw mode is paused
/// while registering, for a password prompt, and resumed after.
fn join(
    ui: &mut Ui,
    conn: &mut Connection,
    config: &ClientOptions,
    joining: Joining<'_>,
    raw_mode: RawMode,
) -> Result<Option<(String, u64, RawMode)>, ClientError> {
    let plain = Renderer::new("", config.colour, Local);
    let mut name = match &config.name {
        Some(name) => name.clone(),
        None => match ui.ask("your name: ")? {
            Some(name) => name,
            None => return Ok(None),
        },
    };
    loop {
        let erased = ui.screen.erase_bottom();
        ui.out(erased);
        raw_mode.pause()?;
        let joined = joining
            .credentials
            .join(conn, joining.endpoint, &name, REGISTER_TIMEOUT);
        raw_mode.resume()?;
        match joined? {
            Ok((name, online)) => return Ok(Some((name, online, raw_mode))),
            Err(ConnError::Refused { code, text }) => {
                let refusal = View::Error(format!("{}: {text}", code.as_str()));
                ui.print(&plain.render(&refusal));
            }
            Err(other) => return Err(SecureError::Join(other).into()),
        }
        name = match ui.ask("your name: ")? {
            Some(name) => name,
            None => return Ok(None),
        };
    }
}
