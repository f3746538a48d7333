//! `chat-coordinator`: the 3PC coordinator. Parses flags, sets up logging, runs
//! [`chatroom::tpc::driver::run_coordinator`] and maps the result to an exit code:
//! with `--request`, 0 on commit and 1 on abort; otherwise, at the end of
//! stdin, 1 if any of its transactions aborted, else 0.
//! 2 on an error (bad flags, unusable log files or key, name refused).
//!
//! `chat-coordinator keygen FILE` makes the group's key (mode 0600) and exits.

use std::process::ExitCode;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use chatroom::tpc::Outcome;
use chatroom::tpc::auth::GroupKey;
use chatroom::tpc::driver::{self, ProcessArgs};

/// The coordinator of three-phase commit over the chat server. Each stdin line
/// is a transaction: the string every participant writes to its commit log, or
/// none does.
#[derive(Debug, Parser)]
#[command(name = "chat-coordinator", version, subcommand_negates_reqs = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    process: ProcessArgs,
    /// The coordinator's chat name.
    #[arg(long, default_value = "coordinator")]
    name: String,
    /// The participants, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    participants: Vec<String>,
    /// Run this one transaction and exit: 0 on commit, 1 on abort.
    #[arg(long)]
    request: Option<String>,
}

/// What else the binary does.
#[derive(Debug, Subcommand)]
enum Command {
    /// Make a new key for a group (mode 0600; never overwrites) and exit. Copy
    /// it to every participant and pass it with --key-file (the default is
    /// chat3pc.key in --dir).
    Keygen {
        /// Where to write it.
        #[arg(default_value = driver::DEFAULT_KEY_FILE)]
        file: PathBuf,
    },
}

fn keygen(file: &std::path::Path) -> ExitCode {
    match GroupKey::create_file(file) {
        Ok(()) => {
            println!(
                "wrote a new group key to {}: give every participant a copy (--key-file)",
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("chat-coordinator: {error}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Keygen { file }) = &args.command {
        return keygen(file);
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let settings = match args.process.settings(args.name) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("chat-coordinator: {error}");
            return ExitCode::from(2);
        }
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
