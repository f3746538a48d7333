//! `chat-participant`: a 3PC participant. Parses flags, sets up logging, runs
//! [`chatroom::tpc::driver::run_participant`]; exits 0 when its human leaves
//! (end of stdin while it asks), 2 on an error.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use chatroom::tpc::Outcome;
use chatroom::tpc::driver::{self, ProcessArgs};
use chatroom::tpc::participant::{AckPolicy, VotePolicy};

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
    #[command(flatten)]
    process: ProcessArgs,
    /// The participant's chat name.
    #[arg(long)]
    name: String,
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
    let settings = match args.process.settings(args.name) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("chat-participant: {error}");
            return ExitCode::from(2);
        }
    };
    match driver::run_participant(settings, vote, ack) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chat-participant: {error}");
            ExitCode::from(2)
        }
    }
}
