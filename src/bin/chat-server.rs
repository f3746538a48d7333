//! `chat-server`: parses flags, locks the data directory, sets up logging
//! and signals, and runs [`chatroom::server`]; `chat-server user ...` manages
//! accounts. Exit code 0 after a clean shutdown (at most 900 ms after
//! SIGINT or SIGTERM), 1 on any error.

use std::io::{BufRead, ErrorKind, IsTerminal};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use chatroom::protocol::{
    DEFAULT_IRC_PORT, DEFAULT_IRC_TLS_PORT, DEFAULT_MAX_CLIENT_LINE, DEFAULT_PORT, DEFAULT_ROOM,
    DEFAULT_TLS_PORT, MAX_CLIENT_LINE_LIMIT, validate_room,
};
use chatroom::server::accounts::Accounts;
use chatroom::server::capacity::{Capacity, MachineLimits};
use chatroom::server::{self, DataDir, FloodLimit, Listeners, Server, ServerOptions, Storage};
use chatroom::tls::server::ServerTls;

/// A threaded TCP chat server. Connect with chat-client, or with `nc localhost 25000`.
#[derive(Parser, Debug)]
#[command(name = "chat-server", version, about)]
struct Args {
    /// Manage accounts instead of serving.
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on. The default accepts only this machine; use 0.0.0.0 to open it to the network.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// TCP port (0 picks a free one, printed at start).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Directory for the database (history and accounts) and the self-signed
    /// certificate. One server at a time uses it (--ephemeral servers excepted).
    /// With --database it holds only the lock and the certificate.
    #[arg(long, default_value = "chat-data", global = true)]
    data_dir: PathBuf,
    /// TCP port of the TLS listener (0 picks a free one). It runs only with
    /// --tls-cert and --tls-key, or --tls-self-signed.
    #[arg(long, default_value_t = DEFAULT_TLS_PORT)]
    tls_port: u16,
    /// PEM certificate chain for the TLS listener (leaf first).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Make a self-signed certificate in --data-dir on first start and reuse it
    /// after; its fingerprint is printed at start for clients to pin.
    #[arg(long, conflicts_with = "tls_cert")]
    tls_self_signed: bool,
    /// TCP port of the IRC front (0 picks a free one, printed at start).
    #[arg(long, default_value_t = DEFAULT_IRC_PORT)]
    irc_port: u16,
    /// TCP port of IRC over TLS (0 picks a free one). It runs only when TLS
    /// is configured (--tls-cert and --tls-key, or --tls-self-signed).
    #[arg(long, default_value_t = DEFAULT_IRC_TLS_PORT)]
    irc_tls_port: u16,
    /// The server's name to IRC clients (the source of its replies).
    #[arg(long, default_value = chatroom::protocol::SERVER_NAME, value_parser = server_name)]
    server_name: String,
    /// No IRC front: neither --irc-port nor --irc-tls-port is opened.
    #[arg(long)]
    no_irc: bool,
    /// No plain listener: TLS (or UDP) only.
    #[arg(long)]
    no_plain: bool,
    /// Also serve the room over UDP, on the TCP port's number (see --udp-port).
    #[arg(long)]
    udp: bool,
    /// UDP port, if not the TCP port's number (0 picks a free one); implies --udp.
    #[arg(long, value_name = "PORT")]
    udp_port: Option<u16>,
    /// Admit only accounts (`chat-server user add`): a bare name is refused.
    #[arg(long)]
    require_login: bool,
    /// Keep history in memory only; nothing is written to disk.
    #[arg(long)]
    ephemeral: bool,
    /// Keep history, rooms and accounts in this PostgreSQL database
    /// (postgres://user@host:port/name) instead of --data-dir's SQLite; several
    /// servers may share it (docs/deployment.md), and `user` commands given it
    /// manage the accounts of every server on it. The self-signed certificate
    /// stays in --data-dir.
    #[arg(long, env = "CHATROOM_DATABASE", value_name = "URL", global = true)]
    database: Option<String>,
    /// Messages of a room replayed to each client when it joins it.
    #[arg(long, default_value_t = 50)]
    history: usize,
    /// The room every client is put in when it joins the server.
    #[arg(long, default_value = DEFAULT_ROOM, value_parser = room_name)]
    default_room: String,
    /// Rooms one client may be in at once, the default room included.
    #[arg(long, default_value_t = ServerOptions::default().max_rooms as u64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_rooms: u64,
    /// Only these names (comma-separated, any case) may join.
    #[arg(long, value_delimiter = ',')]
    allow_users: Option<Vec<String>>,
    /// Longest client line accepted, in bytes, LF included (at most 8000, so
    /// that every server line fits the protocol's 8192 bytes).
    #[arg(long, default_value_t = DEFAULT_MAX_CLIENT_LINE as u64, value_parser = clap::value_parser!(u64).range(64..=MAX_CLIENT_LINE_LIMIT as u64))]
    max_line: u64,
    /// Connections open at once; more get `BYE :server full`. Lowered, with a
    /// warning, to what the machine's limits leave room for (see --check).
    #[arg(long, default_value_t = ServerOptions::default().max_clients)]
    max_clients: usize,
    /// Print how many clients fit this machine's limits, and each limit, then exit.
    #[arg(long)]
    check: bool,
    /// Connections at once from one IP address (0: no limit).
    #[arg(long, default_value_t = ServerOptions::default().max_per_ip)]
    max_per_ip: usize,
    /// Lines a client may have waiting to be sent before it is dropped as too slow.
    #[arg(long, default_value_t = ServerOptions::default().send_queue_lines)]
    send_queue: usize,
    /// Bytes a client may have waiting to be sent before it is dropped as too slow.
    #[arg(long, default_value_t = ServerOptions::default().send_queue_bytes)]
    send_queue_bytes: usize,
    /// Lines a client may send at once before flood control slows it down.
    #[arg(long, default_value_t = FloodLimit::default().burst)]
    flood_burst: u32,
    /// Lines per second a client may send after its burst (0: no flood control).
    #[arg(long, default_value_t = FloodLimit::default().rate)]
    flood_rate: f64,
    /// `http` also prints every client line on stdout as an HTTP-style request.
    #[arg(long, value_enum, default_value_t = LogFormat::Plain)]
    log_format: LogFormat,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Manage accounts: in --database's PostgreSQL database (or
    /// CHATROOM_DATABASE's) when given, else in --data-dir's.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Subcommand, Debug)]
enum UserAction {
    /// Add an account. The password is asked for with echo off, or read from
    /// stdin's first line when stdin is not a terminal.
    Add {
        /// The account's name (the user joins with it).
        name: String,
    },
    /// Delete an account.
    Del {
        /// The account's name (any case).
        name: String,
    },
    /// List the accounts.
    List,
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
    if let Some(Command::User { action }) = &args.command {
        let accounts = match &args.database {
            Some(url) => Accounts::in_postgres(url)?,
            None => Accounts::in_dir(&args.data_dir),
        };
        return manage_accounts(&accounts, action);
    }
    if args.ephemeral && args.database.is_some() {
        anyhow::bail!(
            "--ephemeral keeps history in memory, --database (or CHATROOM_DATABASE) in PostgreSQL: choose one"
        );
    }
    if args.check {
        let capacity = Capacity::of(&MachineLimits::read(), args.max_clients);
        println!("{capacity}");
        if let Some(warning) = capacity.warning(args.max_clients) {
            println!("{warning}");
        }
        return Ok(());
    }
    // Before anything in the directory is touched: a second server on it
    // stops here, having changed nothing.
    let data_dir = match args.ephemeral {
        true => None,
        false => Some(DataDir::lock(&args.data_dir)?),
    };
    let tls = server_tls(&args)?;
    let config = ServerOptions {
        storage: match (&data_dir, args.database) {
            (_, Some(url)) => Storage::Postgres(url),
            (Some(dir), None) => Storage::Durable(dir.clone()),
            (None, None) => Storage::Ephemeral,
        },
        history_replay: args.history,
        default_room: args.default_room,
        max_rooms: args.max_rooms as usize,
        allow_users: args.allow_users,
        max_line: args.max_line as usize,
        max_clients: args.max_clients,
        max_per_ip: args.max_per_ip,
        send_queue_lines: args.send_queue.max(1),
        send_queue_bytes: args.send_queue_bytes.max(1),
        flood: FloodLimit {
            burst: args.flood_burst,
            rate: args.flood_rate.max(0.0),
        },
        log_http: args.log_format == LogFormat::Http,
        accounts: Some(args.data_dir.clone()),
        require_login: args.require_login,
        server_name: args.server_name.clone(),
        ..ServerOptions::default()
    };
    let udp_wanted = args.udp || args.udp_port.is_some();
    if args.no_plain && tls.is_none() && !udp_wanted {
        anyhow::bail!(
            "--no-plain leaves no listener: give --tls-cert and --tls-key, or --tls-self-signed, or --udp"
        );
    }
    let plain = match args.no_plain {
        true => None,
        false => Some(listen(&args.host, args.port, "--port")?),
    };
    let udp = match (udp_wanted, args.udp_port) {
        (false, _) => None,
        (true, Some(port)) => Some(listen_udp(&args.host, port, "--udp-port")?),
        (true, None) => {
            // The TCP port's number: the one the plain listener got.
            let port = match &plain {
                Some(listener) => listener.local_addr()?.port(),
                None => args.port,
            };
            Some(listen_udp(&args.host, port, "--udp-port")?)
        }
    };
    let tls_listener = match &tls {
        Some(tls) => Some((
            listen(&args.host, args.tls_port, "--tls-port")?,
            tls.config.clone(),
        )),
        None => None,
    };
    let irc = match args.no_irc {
        true => None,
        false => Some(listen(&args.host, args.irc_port, "--irc-port")?),
    };
    let irc_tls = match (&tls, args.no_irc) {
        (Some(tls), false) => Some((
            listen(&args.host, args.irc_tls_port, "--irc-tls-port")?,
            tls.config.clone(),
        )),
        _ => None,
    };
    let server = Server::start(
        Listeners {
            plain,
            tls: tls_listener,
            udp,
            irc,
            irc_tls,
        },
        config,
    )?;
    if let Some(dir) = &data_dir {
        record_listening(dir, &server, args.no_plain);
    }
    if !args.no_plain {
        announce(format_args!("Listening on {}", server.local_addr()));
    }
    if let Some(addr) = server.udp_addr() {
        announce(format_args!("Listening on {addr} over UDP"));
    }
    match (&tls, server.tls_addr()) {
        (Some(tls), Some(addr)) => {
            announce(format_args!("Listening on {addr} with TLS"));
            announce(format_args!(
                "TLS certificate SHA-256 fingerprint: {}",
                tls.fingerprint
            ));
        }
        _ => log::info!(
            "no TLS listener: give --tls-cert and --tls-key, or --tls-self-signed, to open one on port {}",
            args.tls_port
        ),
    }
    // After the native lines, whose order scripts and tests rely on.
    if let Some(addr) = server.irc_addr() {
        announce(format_args!("Listening on {addr} for IRC"));
    }
    if let Some(addr) = server.irc_tls_addr() {
        announce(format_args!("Listening on {addr} for IRC with TLS"));
    }
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("cannot install signal handlers")?;
    let signal_handle = signals.handle();
    let shutdown = server.shutdown_handle();
    // Dropped when the server has stopped: the signal thread's deadline
    // then no longer matters.
    let (stopped, server_stopped) = crossbeam_channel::bounded::<()>(0);
    let signal_thread = thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let deadline = Instant::now() + EXIT_DEADLINE;
                log::info!("signal {signal}: shutting down");
                shutdown.trigger();
                exit_at_deadline(&server_stopped, deadline);
            }
        })?;
    let result = server.wait();
    drop(stopped);
    signal_handle.close();
    let _ = signal_thread.join();
    Ok(result?)
}

/// How long the process may take to exit after SIGINT or SIGTERM.
const EXIT_DEADLINE: Duration = Duration::from_millis(900);

/// Waits for the server to stop, and past `deadline` ([`EXIT_DEADLINE`]
/// after the signal) ends the process anyway. The server's shutdown waits on no client, but it still joins two
/// threads per client, which with thousands of clients on a busy machine can
/// take longer than the budget. Exiting then loses nothing: a message is
/// acknowledged only once it is on disk, and SQLite's commit is atomic, so
/// this is no worse than the `kill -9` that durability is tested against.
fn exit_at_deadline(server_stopped: &crossbeam_channel::Receiver<()>, deadline: Instant) {
    if server_stopped
        .recv_deadline(deadline)
        .is_err_and(|error| error.is_timeout())
    {
        log::warn!(
            "still stopping {} ms after the signal; exiting now (everything acknowledged is stored)",
            EXIT_DEADLINE.as_millis()
        );
        std::process::exit(0);
    }
}

/// Writes the server's addresses into the data directory's lock file, for
/// the message a second server on the directory prints.
fn record_listening(dir: &DataDir, server: &Server, no_plain: bool) {
    let mut listening = Vec::new();
    if !no_plain {
        listening.push(("plain", server.local_addr()));
    }
    listening.extend(server.tls_addr().map(|addr| ("tls", addr)));
    listening.extend(server.udp_addr().map(|addr| ("udp", addr)));
    listening.extend(server.irc_addr().map(|addr| ("irc", addr)));
    listening.extend(server.irc_tls_addr().map(|addr| ("irc-tls", addr)));
    if let Err(error) = dir.record_listening(&listening) {
        log::warn!(
            "cannot write the addresses into {}: {error}",
            dir.path().join(server::LOCK_FILE).display()
        );
    }
}

/// The TLS setup the flags ask for, if any.
fn server_tls(args: &Args) -> anyhow::Result<Option<ServerTls>> {
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        return Ok(Some(ServerTls::from_pem_files(cert, key)?));
    }
    if !args.tls_self_signed {
        return Ok(None);
    }
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !names.contains(&args.host) && args.host != "0.0.0.0" && args.host != "::" {
        names.push(args.host.clone());
    }
    let (tls, made) = ServerTls::self_signed(&args.data_dir, &names)?;
    if made {
        log::info!(
            "made a self-signed TLS certificate in {}",
            args.data_dir.display()
        );
    }
    Ok(Some(tls))
}

/// `chat-server user add|del|list`.
fn manage_accounts(accounts: &Accounts, action: &UserAction) -> anyhow::Result<()> {
    match action {
        UserAction::Add { name } => {
            let password = read_new_password(name)?;
            accounts.add(name, &password)?;
            println!("added account {name}");
        }
        UserAction::Del { name } => {
            accounts.delete(name)?;
            println!("deleted account {name}");
        }
        UserAction::List => accounts.list()?.iter().for_each(|name| println!("{name}")),
    }
    Ok(())
}

/// A new password: asked twice with echo off on a terminal, otherwise the
/// first line of stdin.
fn read_new_password(name: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let first = chatroom::tty::read_hidden(&format!("password for {name}: "))?;
    let second = chatroom::tty::read_hidden("again: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// Binds the listening socket, turning the usual failures into advice.
fn listen(host: &str, port: u16, flag: &str) -> anyhow::Result<TcpListener> {
    server::bind(resolve(host, port)?).map_err(|error| bind_error(&error, host, port, flag))
}

/// Opens the UDP socket on `host:port`.
fn listen_udp(host: &str, port: u16, flag: &str) -> anyhow::Result<UdpSocket> {
    server::bind_udp(resolve(host, port)?).map_err(|error| bind_error(&error, host, port, flag))
}

fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            anyhow::anyhow!("cannot resolve --host {host}; give an IP address or a known name")
        })
}

/// Says why a socket could not be opened, and what to do about it.
fn bind_error(error: &std::io::Error, host: &str, port: u16, flag: &str) -> anyhow::Error {
    match error.kind() {
        ErrorKind::AddrInUse => {
            anyhow::anyhow!(
                "port {port} on {host} is already in use; stop the other server or choose another {flag}"
            )
        }
        ErrorKind::AddrNotAvailable => {
            anyhow::anyhow!("{host} is not an address of this machine; check --host")
        }
        _ => anyhow::anyhow!("cannot listen on {host}:{port}: {error}"),
    }
}

/// `--default-room`: a valid room name, `#` included.
/// An IRC server name: it is the source of every reply, so one word of
/// letters, digits, `.`, `-` and `_`, as a host name is.
fn server_name(value: &str) -> Result<String, String> {
    let fits = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if value.is_empty() || value.len() > 63 || !value.chars().all(fits) {
        return Err("a server name is 1 to 63 ASCII letters, digits, '.', '-' or '_' (for example irc.example.org)".into());
    }
    Ok(value.to_owned())
}

fn room_name(value: &str) -> Result<String, String> {
    validate_room(value)
        .map(|()| value.to_owned())
        .map_err(|error| format!("{error} (for example #lobby)"))
}

/// Prints one of the lines scripts read to learn where the server listens.
/// A reader that has gone away (a pipe closed after the first line) must not
/// stop the server, as `println!` would by panicking.
fn announce(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(error) = written {
        log::debug!("not announced on stdout: {error}");
    }
}
