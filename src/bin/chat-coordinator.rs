//! `chat-coordinator`: the 3PC coordinator. Parses flags, sets up logging, runs
//! [`chatroom::tpc::driver::run_coordinator`] and maps the result to an exit code:
//! with `--request`, 0 on commit and 1 on abort; otherwise 0 at the end of stdin.
//! 2 on an error (bad flags, unusable log files, name refused).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use chatroom::protocol::DEFAULT_PORT;
use chatroom::tpc::driver::{self, Settings, parse_timeout};
use chatroom::tpc::output::Style;
use chatroom::tpc::{Outcome, Timing};

/// The coordinator of three-phase commit over the chat server. Each stdin line
/// is a transaction: the string every participant writes to its commit log, or
/// none does.
#[derive(Debug, Parser)]
#[command(name = "chat-coordinator", version)]
struct Args {
    /// Chat server host.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// Chat server port.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The coordinator's chat name.
    #[arg(long, default_value = "coordinator")]
    name: String,
    /// Directory of the state log (`<name>.state`).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// T: how long to wait for votes and ACKs (`500ms`, `2s`, `30s`).
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    timeout: std::time::Duration,
    /// The participants, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    participants: Vec<String>,
    /// Run this one transaction and exit: 0 on commit, 1 on abort.
    #[arg(long)]
    request: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let settings = Settings {
        host: args.host,
        port: args.port,
        name: args.name,
        dir: args.dir,
        timing: Timing {
            timeout: args.timeout.as_millis() as u64,
        },
        style: if std::io::stdout().is_terminal() {
            Style::Terminal
        } else {
            Style::Plain
        },
        crash_at: std::env::var("CHAT3PC_CRASH_AT").ok(),
    };
    match driver::run_coordinator(settings, args.participants, args.request) {
        Ok(Some(Outcome::Commit)) | Ok(None) => ExitCode::SUCCESS,
        Ok(Some(Outcome::Abort)) => ExitCode::from(1),
        Err(error) => {
            eprintln!("chat-coordinator: {error}");
            ExitCode::from(2)
        }
    }
}
