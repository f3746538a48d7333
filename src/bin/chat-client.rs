//! `chat-client`: the terminal client. Parses flags, sets up logging, runs
//! [`chatroom::client::run`] and maps how it ended to an exit code: 0 when the
//! user quit, 1 when the server could not be reached (or another failure), 2
//! when the server refused the name (plain mode), 3 when the server closed the
//! connection or it broke (plain mode).

use std::process::ExitCode;

use clap::Parser;

use chatroom::client::{self, ClientOptions};
use chatroom::conn::flags::{LoginFlags, TlsFlags, UdpFlags};

/// A terminal client for the chatroom server. Interactive on a terminal; one
/// line per event (plain mode) when stdin or stdout is not a terminal.
#[derive(Debug, Parser)]
#[command(name = "chat-client", version)]
struct Args {
    /// Server host name or address.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// Server port [default: 25000, or 25001 with TLS].
    #[arg(long)]
    port: Option<u16>,
    /// The name to join as (asked for when missing; in plain mode the first
    /// stdin line is the name).
    #[arg(long)]
    name: Option<String>,
    /// No terminal bell for mentions and private messages (as NO_BELL set
    /// and not empty).
    #[arg(long)]
    no_bell: bool,
    /// Ask before sending a paste of more lines than this.
    #[arg(long, value_name = "N", default_value_t = 5)]
    paste_max_lines: usize,
    #[command(flatten)]
    tls: TlsFlags,
    #[command(flatten)]
    udp: UdpFlags,
    #[command(flatten)]
    login: LoginFlags,
}

fn main() -> ExitCode {
    let args = Args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let trust = match args.tls.trust() {
        Ok(trust) => trust,
        Err(error) => {
            eprintln!("chat-client: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = ClientOptions {
        host: args.host,
        port: args.port.unwrap_or(args.tls.default_port()),
        tls: trust,
        udp: args.udp.udp,
        accept_new: args.tls.tls_accept_new,
        credentials: args.login.credentials(),
        name: args.name,
        colour: std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()),
        bell: !args.no_bell && std::env::var_os("NO_BELL").is_none_or(|value| value.is_empty()),
        paste_max_lines: args.paste_max_lines,
    };
    match client::run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chat-client: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
