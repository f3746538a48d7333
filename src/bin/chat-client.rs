//! `chat-client`: the terminal client. Parses flags, sets up logging, runs
//! [`chatroom::client::run`] and maps how it ended to an exit code: 0 when the
//! user quit, 1 when the server could not be reached (or another failure), 2
//! when the server refused the name (plain mode), 3 when the server closed the
//! connection or it broke (plain mode).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use chatroom::client::secure::Credentials;
use chatroom::client::{self, Config};
use chatroom::protocol::{DEFAULT_PORT, DEFAULT_TLS_PORT};
use chatroom::tls::{Trust, known_servers};

/// A terminal client for the chatroom server. Interactive on a terminal; one
/// line per event (plain mode) when stdin or stdout is not a terminal.
#[derive(Debug, Parser)]
#[command(name = "chat-client", version)]
struct Args {
    /// Server host name or address.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// Server TCP port [default: 25000, or 25001 with TLS].
    #[arg(long)]
    port: Option<u16>,
    /// The name to join as (asked for when missing; in plain mode the first
    /// stdin line is the name).
    #[arg(long)]
    name: Option<String>,
    /// Connect over TLS, verifying the server's certificate against the
    /// system's root certificates (or --tls-ca).
    #[arg(long)]
    tls: bool,
    /// Trust the CA certificates in this PEM file instead of the system's (implies --tls).
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// Trust only the certificate with this SHA-256 fingerprint, as chat-server
    /// prints it at start (implies --tls).
    #[arg(long, value_name = "SHA256")]
    tls_fingerprint: Option<String>,
    /// Trust on first use, as ssh does: ask once, remember the server's
    /// fingerprint in known_servers, refuse if it ever changes (implies --tls).
    #[arg(long)]
    tls_tofu: bool,
    /// With trust on first use, remember a new server without asking (for
    /// scripts); a changed certificate is still refused (implies --tls-tofu).
    #[arg(long)]
    tls_accept_new: bool,
    /// Log in to an account (asks for the password with echo off). Without it,
    /// the password is asked for only if the server says the name needs one.
    #[arg(long)]
    login: bool,
    /// Read the account password from the first line of this file (never
    /// from a flag, where other users could see it).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

impl Args {
    /// How to trust the server; `None` for plain TCP.
    fn trust(&self) -> Result<Option<Trust>, String> {
        if let Some(fingerprint) = &self.tls_fingerprint {
            return Ok(Some(Trust::Fingerprint(fingerprint.clone())));
        }
        if self.tls_tofu || self.tls_accept_new {
            let known_servers = known_servers::default_path().ok_or(
                "cannot find a config directory for known_servers: set XDG_CONFIG_HOME or HOME",
            )?;
            return Ok(Some(Trust::FirstUse { known_servers }));
        }
        if self.tls || self.tls_ca.is_some() {
            return Ok(Some(Trust::Roots {
                ca_file: self.tls_ca.clone(),
            }));
        }
        Ok(None)
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let trust = match args.trust() {
        Ok(trust) => trust,
        Err(error) => {
            eprintln!("chat-client: {error}");
            return ExitCode::FAILURE;
        }
    };
    let default_port = if trust.is_some() {
        DEFAULT_TLS_PORT
    } else {
        DEFAULT_PORT
    };
    let config = Config {
        host: args.host,
        port: args.port.unwrap_or(default_port),
        tls: trust,
        accept_new: args.tls_accept_new,
        credentials: Credentials {
            login: args.login,
            password_file: args.password_file,
            password: None,
        },
        name: args.name,
        colour: std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()),
    };
    match client::run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chat-client: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
