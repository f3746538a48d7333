//! The flags both 3PC binaries share, and how they become [`Settings`].
//!
//! `chat-coordinator` and `chat-participant` flatten [`ProcessArgs`] into their
//! clap parsers and add their own flags (`--participants`, `--vote`, ...), so
//! connecting, trusting the server, the logs' directory and T are defined once.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::{DriverError, Settings};
use crate::conn::flags::{LoginFlags, TlsFlags};
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
    /// If the name is taken on the server at start, wait for it to be free
    /// (default: exit 2 at once).
    #[arg(long)]
    pub wait_for_name: bool,
}

impl ProcessArgs {
    /// The driver's settings for the process called `name`. Settles trust in
    /// the server first (trust on first use may ask); reads `CHAT3PC_CRASH_AT`;
    /// loads the group's key; prints for people when stdout is a terminal, one line per event
    /// otherwise.
    pub fn settings(self, name: String) -> Result<Settings, DriverError> {
        match std::fs::metadata(&self.dir) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(DriverError::NoDir(self.dir));
            }
            Ok(metadata) if !metadata.is_dir() => return Err(DriverError::NotADir(self.dir)),
            _ => {}
        }
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
            key_file,
            wait_for_name: self.wait_for_name,
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

/// Reads `500ms`, `2s`, `1m` or a bare number of seconds.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("bad duration {text:?}: use 500ms, 2s or 1m"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(value),
        "s" => Duration::from_secs(value),
        "m" => Duration::from_secs(value * 60),
        _ => return Err(format!("bad duration unit in {text:?}: use ms, s or m")),
    };
    if duration < Duration::from_millis(6) {
        return Err("the timeout must be at least 6ms (T/6 must be at least 1ms)".to_owned());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<Duration, ()>) {
        assert_eq!(
            parse_timeout(input).map_err(|_| ()),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn timeout_table() {
        check("500ms", Ok(Duration::from_millis(500)));
        check("2s", Ok(Duration::from_secs(2)));
        check("30", Ok(Duration::from_secs(30)));
        check("1m", Ok(Duration::from_secs(60)));
        check("5ms", Err(()));
        check("2h", Err(()));
        check("", Err(()));
        check("s", Err(()));
    }
}
