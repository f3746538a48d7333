//! `chat-client`: the terminal client.
//!
//! Pure parts, each tested on its own:
//! - [`input`]: a typed line understood (send it, quit, `/help`, refuse it).
//! - [`keys`]: terminal bytes made keys (escape sequences, bracketed paste).
//! - [`line`]: the input line's editing, history and completion.
//! - [`screen`]: what terminal mode draws: wrapped messages above a bottom
//!   area (waiting lines, a status, the input line) that is redrawn whole.
//! - [`echo`]: the lines sent and not yet answered by the server, paced.
//! - [`render`]: one thing to show made into a display line (time, colour,
//!   markers; control characters stripped).
//! - [`session`]: what a server line means for the user, and in which room;
//!   online names and rooms; what was missed while away.
//! - [`rooms`]: the rooms terminal mode shows: the status line, unread
//!   counts, switching, each room's recent lines.
//! - [`attention`]: which lines ring the bell or count as unread.
//! - [`backoff`]: the reconnect schedule.
//! - [`complete`]: tab completion.
//! - [`flags`]: the TLS and login flags any connecting binary can flatten in,
//!   and `--udp`.
//! - [`secure`]: the server endpoint (TCP, TLS with its trust and first-use
//!   prompt, or UDP) and the account password.
//!
//! Drivers, which own the sockets, threads and terminal:
//! - [`net`]: the network thread: sends typed lines, shows server lines,
//!   reconnects in terminal mode.
//! - [`plain`]: plain mode (stdin or stdout not a terminal): one line per event.
//! - [`terminal`]: terminal mode: an input line that messages never garble
//!   and that never loses a key.
//! - [`raw`]: the terminal's raw mode, size, and the threads watching it.
//!
//! [`run`] picks the mode and returns how the client ended.

pub mod attention;
pub mod backoff;
pub mod complete;
pub mod echo;
pub mod input;
pub mod keys;
pub mod line;
pub mod net;
pub mod plain;
pub mod raw;
pub mod render;
pub mod rooms;
pub mod screen;
pub mod session;
pub mod terminal;

use std::io::{self, IsTerminal};

use crate::conn::ConnError;
use crate::conn::secure::{Credentials, Endpoint, SecureError};
use crate::tls::Trust;

/// What the client needs to start.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Server host name or address.
    pub host: String,
    /// Server port (TCP, or UDP with `udp`).
    pub port: u16,
    /// Connect over TLS, trusting the server this way; `None`: plain TCP.
    pub tls: Option<Trust>,
    /// Connect over UDP instead of TCP. Never together with `tls`.
    pub udp: bool,
    /// Trust on first use: remember a new server without asking.
    pub accept_new: bool,
    /// Where the account password comes from, if one is needed.
    pub credentials: Credentials,
    /// The name to join as; asked for when `None`.
    pub name: Option<String>,
    /// Colour in terminal mode (off when `NO_COLOR` is set). Plain mode never
    /// uses colour.
    pub colour: bool,
    /// Terminal mode rings the bell for a mention or a private message.
    pub bell: bool,
    /// Terminal mode asks before sending a paste of more lines than this.
    pub paste_max_lines: usize,
}

/// Why the client stopped other than by the user quitting. Each maps to an
/// exit code with [`ClientError::exit_code`].
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached, trusted or logged in to: no server
    /// at the address, joining failed, TLS, the password (exit 1).
    #[error(transparent)]
    Secure(#[from] SecureError),
    /// The server refused the name, in plain mode (exit 2).
    #[error("the server refused the name {name:?} ({code}): {text}")]
    NameRefused {
        /// The name asked for.
        name: String,
        /// The `ERROR` code, e.g. `name-taken`.
        code: String,
        /// The server's explanation.
        text: String,
    },
    /// The server closed the connection or it broke, in plain mode (exit 3).
    #[error("the server closed the connection{}", .0.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Lost(Option<String>),
    /// Plain mode without `--name` and stdin ended before a name line (exit 1).
    #[error("no name given: pass --name NAME or write the name as the first line")]
    NoName,
    /// Starting a thread or another local I/O failed (exit 1).
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl ClientOptions {
    /// The longest line the server takes, in bytes without the line ending:
    /// 4095 over TCP (the protocol's 4096 with the LF), 1200 over UDP.
    pub fn max_line(&self) -> usize {
        if self.udp {
            crate::udp::MAX_DATAGRAM_LINE
        } else {
            crate::protocol::DEFAULT_MAX_CLIENT_LINE - 1
        }
    }
}

impl ClientError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::NameRefused { .. } => 2,
            ClientError::Lost(_) => 3,
            _ => 1,
        }
    }
}

impl ClientError {
    /// A failed connection attempt: where it tried, or why it was refused.
    pub fn from_connect(error: ConnError) -> ClientError {
        ClientError::Secure(SecureError::from_connect(error))
    }
}

/// Runs the client in terminal mode when stdin and stdout are both terminals,
/// in plain mode otherwise. `Ok` when the user quit.
pub fn run(config: &ClientOptions) -> Result<(), ClientError> {
    let endpoint = match (config.udp, &config.tls) {
        (true, Some(_)) => {
            return Err(SecureError::Tls(
                "TLS over UDP is not supported: choose --udp or a TLS flag".into(),
            )
            .into());
        }
        (true, None) => Endpoint::udp(&config.host, config.port),
        (false, trust) => {
            Endpoint::prepare(&config.host, config.port, trust.as_ref(), config.accept_new)?
        }
    };
    if io::stdin().is_terminal() && io::stdout().is_terminal() {
        terminal::run(config, endpoint)
    } else {
        plain::run(config, endpoint)
    }
}
