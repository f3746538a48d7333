//! `chat-server`: parses flags, sets up logging and signals, and runs
//! [`chatroom::server`]. Exit code 0 after a clean shutdown, 1 on any error.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use chatroom::protocol::{DEFAULT_MAX_CLIENT_LINE, DEFAULT_PORT};
use chatroom::server::{Config, Server, Storage};

/// A threaded TCP chat server. Connect with chat-client, or with `nc localhost 25000`.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on. The default accepts only this machine; use 0.0.0.0 to open it to the network.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// TCP port (0 picks a free one, printed at start).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Directory for the history database.
    #[arg(long, default_value = "chat-data")]
    data_dir: PathBuf,
    /// Keep history in memory only; nothing is written to disk.
    #[arg(long)]
    ephemeral: bool,
    /// Room messages replayed to each client when it joins.
    #[arg(long, default_value_t = 50)]
    history: usize,
    /// Only these names (comma-separated, any case) may join.
    #[arg(long, value_delimiter = ',')]
    allow_users: Option<Vec<String>>,
    /// Longest client line accepted, in bytes, LF included.
    #[arg(long, default_value_t = DEFAULT_MAX_CLIENT_LINE as u64, value_parser = clap::value_parser!(u64).range(64..=1 << 20))]
    max_line: u64,
    /// Connections open at once; more get `BYE :server full`.
    #[arg(long, default_value_t = Config::default().max_clients)]
    max_clients: usize,
    /// Lines a client may have waiting to be sent before it is dropped as too slow.
    #[arg(long, default_value_t = Config::default().send_queue_lines)]
    send_queue: usize,
    /// `http` also prints every client line on stdout as an HTTP-style request.
    #[arg(long, value_enum, default_value_t = LogFormat::Plain)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Log lines on stderr only (RUST_LOG sets the level; default info).
    Plain,
    /// Also every client frame on stdout, as an HTTP request.
    Http,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chat-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let config = Config {
        storage: if args.ephemeral { Storage::Ephemeral } else { Storage::Durable(args.data_dir.clone()) },
        history_replay: args.history,
        allow_users: args.allow_users,
        max_line: args.max_line as usize,
        max_clients: args.max_clients,
        send_queue_lines: args.send_queue.max(1),
        log_http: args.log_format == LogFormat::Http,
        ..Config::default()
    };
    let listener = chatroom::server::bind((args.host.as_str(), args.port)).map_err(|error| match error.kind() {
        ErrorKind::AddrInUse => anyhow::anyhow!(
            "port {} on {} is already in use; stop the other server or choose another --port",
            args.port,
            args.host
        ),
        ErrorKind::AddrNotAvailable => anyhow::anyhow!("{} is not an address of this machine; check --host", args.host),
        _ => anyhow::anyhow!("cannot listen on {}:{}: {error}", args.host, args.port),
    })?;
    let server = Server::start(listener, config)?;
    println!("Listening on {}", server.local_addr());
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("cannot install signal handlers")?;
    let signal_handle = signals.handle();
    let shutdown = server.shutdown_handle();
    let signal_thread = thread::Builder::new().name("signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            log::info!("signal {signal}: shutting down");
            shutdown.trigger();
        }
    })?;
    let result = server.wait();
    signal_handle.close();
    let _ = signal_thread.join();
    Ok(result?)
}
