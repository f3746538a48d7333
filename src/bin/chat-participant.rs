//! `chat-participant`: a 3PC participant. Parses flags, sets up logging, runs
//! [`chatroom::tpc::driver::run_participant`]; exits 0 when its human leaves
//! (end of stdin while it asks), 2 on an error.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use chatroom::protocol::DEFAULT_PORT;
use chatroom::tpc::driver::{self, Settings, parse_timeout};
use chatroom::tpc::output::Style;
use chatroom::tpc::participant::{AckPolicy, VotePolicy};
use chatroom::tpc::{Outcome, Timing};

/// How to vote.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Vote {
    /// Ask the person at the terminal.
    Ask,
    /// Always vote commit.
    Commit,
    /// Always vote abort.
    Abort,
}

/// How to acknowledge PRECOMMIT.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Ack {
    /// Ask the person at the terminal.
    Ask,
    /// Acknowledge at once.
    Auto,
}

/// A participant of three-phase commit over the chat server: votes on each
/// request and writes the decided string (or an empty line) to `<name>.log`.
#[derive(Debug, Parser)]
#[command(name = "chat-participant", version)]
struct Args {
    /// Chat server host.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// Chat server port.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The participant's chat name.
    #[arg(long)]
    name: String,
    /// Directory of the state log (`<name>.state`) and commit log (`<name>.log`).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// T (`500ms`, `2s`, `30s`); waits after its own message last T + T/6.
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    timeout: std::time::Duration,
    /// How to vote (default: ask on a terminal, otherwise commit).
    #[arg(long, value_enum)]
    vote: Option<Vote>,
    /// How to acknowledge PRECOMMIT (default: ask on a terminal, otherwise auto).
    #[arg(long, value_enum)]
    ack: Option<Ack>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let terminal = std::io::stdin().is_terminal();
    let vote = match args
        .vote
        .unwrap_or(if terminal { Vote::Ask } else { Vote::Commit })
    {
        Vote::Ask => VotePolicy::Ask,
        Vote::Commit => VotePolicy::Always(Outcome::Commit),
        Vote::Abort => VotePolicy::Always(Outcome::Abort),
    };
    let ack = match args
        .ack
        .unwrap_or(if terminal { Ack::Ask } else { Ack::Auto })
    {
        Ack::Ask => AckPolicy::Ask,
        Ack::Auto => AckPolicy::Auto,
    };
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
    match driver::run_participant(settings, vote, ack) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chat-participant: {error}");
            ExitCode::from(2)
        }
    }
}
