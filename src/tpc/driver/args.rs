//! The flags both 3PC binaries share, and how they become [`Settings`].
//!
//! `chat-coordinator` and `chat-participant` flatten [`ProcessArgs`] into their
//! clap parsers and add their own flags (`--participants`, `--vote`, ...), so
//! connecting, trusting the server, the logs' directory and T are defined once.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::{DriverError, Settings, parse_timeout};
use crate::client::flags::{LoginFlags, TlsFlags};
use crate::tpc::Timing;
use crate::tpc::auth::GroupKey;
use crate::tpc::output::Style;

/// The key file's name in `--dir` when `--key-file` is not given.
pub const DEFAULT_KEY_FILE: &str = "chat3pc.key";

/// Where the chat server is, how to trust it, where the logs live, and T.
#[derive(Debug, clap::Args)]
pub struct ProcessArgs {
    /// Chat server host.
    #[arg(long, default_value = "localhost")]
    pub host: String,
    /// Chat server port (default 25000, or 25001 with a TLS flag).
    #[arg(long)]
    pub port: Option<u16>,
    #[command(flatten)]
    pub tls: TlsFlags,
    #[command(flatten)]
    pub login: LoginFlags,
    /// Directory of the state log (`<name>.state`) and a participant's commit
    /// log (`<name>.log`).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// T (`500ms`, `2s`, `30s`): how long the coordinator waits for votes and
    /// ACKs; a participant's waits after its own message last T + T/6.
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// The group's shared secret key, made once by `chat-coordinator keygen
    /// FILE` and copied to every process of the group (default:
    /// `<dir>/chat3pc.key`). Every 3PC message is authenticated with it.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

impl ProcessArgs {
    /// The driver's settings for the process called `name`. Settles trust in
    /// the server first (trust on first use may ask); reads `CHAT3PC_CRASH_AT`;
    /// loads the group's key; prints for people when stdout is a terminal, one line per event
    /// otherwise.
    pub fn settings(self, name: String) -> Result<Settings, DriverError> {
        let key_file = self
            .key_file
            .unwrap_or_else(|| self.dir.join(DEFAULT_KEY_FILE));
        let key = GroupKey::load(&key_file)?;
        let endpoint = self
            .tls
            .endpoint(&self.host, self.port)
            .map_err(|error| DriverError::Untrusted(error.to_string()))?;
        Ok(Settings {
            key,
            endpoint,
            credentials: self.login.credentials(),
            name,
            dir: self.dir,
            timing: Timing {
                timeout: self.timeout.as_millis() as u64,
            },
            style: if std::io::stdout().is_terminal() {
                Style::Terminal
            } else {
                Style::Plain
            },
            crash_at: std::env::var("CHAT3PC_CRASH_AT").ok(),
        })
    }
}
