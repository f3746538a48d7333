//! Test support: servers on port 0 and a raw line client with deadlines.
//!
//! Nothing here sleeps to synchronise: every wait is "until this line arrives,
//! or fail after a deadline". `support/rooms.rs` adds what the tests of
//! protocol version 2 need: a shared server, unique names, joining rooms.

#![allow(dead_code)] // Each test module uses a different part.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chatroom::protocol::ServerLine;
use chatroom::server::{DataDir, FloodLimit, Listeners, Server, ServerOptions, Storage};

mod external;
mod postgres;
mod rooms;
#[allow(unused_imports)] // The PostgreSQL and IRC-client tests use it.
pub use external::{find_program, require_program};
pub use postgres::{PgCluster, shared_postgres};
pub use rooms::{shared_server, split, unique};

/// Taken, shared, while a test starts a process that may outlive a moment,
/// and alone while a pty is opened: `openpty` makes its descriptors
/// close-on-exec only after it returns, so a process started by another
/// test in between would keep the pty's slave open, and the pty test would
/// see no end of output when its client exits.
static SPAWNING: RwLock<()> = RwLock::new(());

/// Hold while starting a process; drop once it is started (a thread must
/// not hold it twice: a pty waiting to open would block the second).
pub fn spawning() -> RwLockReadGuard<'static, ()> {
    SPAWNING.read().unwrap_or_else(PoisonError::into_inner)
}

/// Hold while opening a pty.
pub fn opening_pty() -> RwLockWriteGuard<'static, ()> {
    SPAWNING.write().unwrap_or_else(PoisonError::into_inner)
}

/// How long any single expected line may take before the test fails.
pub const LINE_DEADLINE: Duration = Duration::from_secs(10);

/// A server running in this process on 127.0.0.1 with a free port.
pub struct TestServer {
    server: Option<Server>,
    pub addr: SocketAddr,
    /// The UDP socket's address, for a server started with [`TestServer::with_udp`].
    pub udp: Option<SocketAddr>,
    /// The IRC front's address, for a server started with [`TestServer::with_irc`].
    pub irc: Option<SocketAddr>,
}

impl TestServer {
    pub fn start(config: ServerOptions) -> TestServer {
        let listener =
            chatroom::server::bind("127.0.0.1:0".parse().unwrap()).expect("bind 127.0.0.1:0");
        TestServer::serve(listener.into(), config)
    }

    /// A server on TCP and on UDP (port 0 for each).
    pub fn with_udp(config: ServerOptions) -> TestServer {
        let any = "127.0.0.1:0".parse().unwrap();
        let listeners = Listeners {
            plain: Some(chatroom::server::bind(any).expect("bind TCP")),
            udp: Some(chatroom::server::bind_udp(any).expect("bind UDP")),
            ..Listeners::default()
        };
        TestServer::serve(listeners, config)
    }

    /// A server on TCP for native clients and for IRC ones (port 0 each).
    pub fn with_irc(config: ServerOptions) -> TestServer {
        let any = "127.0.0.1:0".parse().unwrap();
        let listeners = Listeners {
            plain: Some(chatroom::server::bind(any).expect("bind TCP")),
            irc: Some(chatroom::server::bind(any).expect("bind IRC")),
            ..Listeners::default()
        };
        TestServer::serve(listeners, config)
    }

    fn serve(listeners: Listeners, config: ServerOptions) -> TestServer {
        let server = Server::start(listeners, config).expect("start server");
        TestServer {
            addr: server.local_addr(),
            udp: server.udp_addr(),
            irc: server.irc_addr(),
            server: Some(server),
        }
    }

    /// An ephemeral server without flood control or a per-address limit, for
    /// tests that send a lot from one address.
    pub fn unthrottled() -> TestServer {
        TestServer::start(unthrottled())
    }

    /// An ephemeral server with default settings.
    pub fn ephemeral() -> TestServer {
        TestServer::start(ServerOptions::default())
    }

    /// A server keeping history in `dir`.
    pub fn durable(dir: &Path) -> TestServer {
        TestServer::start(ServerOptions {
            storage: Storage::Durable(DataDir::lock(dir).expect("lock the data directory")),
            ..ServerOptions::default()
        })
    }

    /// A raw connection that has read `HELLO`.
    pub fn connect(&self) -> Client {
        let mut client = Client::connect(self.addr);
        client.expect("HELLO chatroom 2 :");
        client
    }

    /// A connection registered as `name`, with its welcome block read.
    pub fn join(&self, name: &str) -> Client {
        let mut client = self.connect();
        client.send(name);
        client.expect(&format!("WELCOME {name} "));
        client.until("USERS-END ");
        client.until("HISTORY-END ");
        client
    }

    /// Shuts the server down and waits for all its threads.
    pub fn stop(mut self) {
        self.server
            .take()
            .unwrap()
            .shutdown()
            .expect("clean shutdown");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.shutdown();
        }
    }
}

/// The default configuration without flood control or a per-address limit.
pub fn unthrottled() -> ServerOptions {
    ServerOptions {
        flood: FloodLimit::OFF,
        max_per_ip: 0,
        ..ServerOptions::default()
    }
}

/// A client speaking raw protocol lines over any stream: plain TCP by
/// default, TLS in `tls::TlsClient`.
pub struct Client<S: Read + Write = TcpStream> {
    /// Reads are buffered; writes go straight to the stream beneath.
    stream: BufReader<S>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        Client::from_stream(TcpStream::connect(addr).expect("connect"))
    }

    /// A client whose connection comes from `source` (another loopback
    /// address, say, to stand for a second host).
    pub fn connect_from(source: std::net::IpAddr, addr: SocketAddr) -> Client {
        Client::from_stream(connect_from(source, addr))
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(LINE_DEADLINE)).unwrap();
        Client::over(stream)
    }

    /// Sends every write at once, without Nagle's delay.
    pub fn writer_nodelay(&mut self) {
        self.stream.get_ref().set_nodelay(true).unwrap();
    }

    /// Closes our side for writing (like `nc -N` at end of input).
    pub fn finish_sending(&mut self) {
        self.stream.get_ref().shutdown(Shutdown::Write).unwrap();
    }

    /// A second handle on the socket, for a thread that writes while
    /// this client reads.
    pub fn writer(&self) -> TcpStream {
        self.stream.get_ref().try_clone().expect("clone the socket")
    }

    /// The socket, for tests that need to stop reading or read bytes raw.
    pub fn stream(&mut self) -> &mut impl Read {
        &mut self.stream
    }
}

impl<S: Read + Write> Client<S> {
    /// A client over `stream`, whose read timeout the caller has set to
    /// [`LINE_DEADLINE`].
    pub fn over(stream: S) -> Client<S> {
        Client {
            stream: BufReader::new(stream),
        }
    }

    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stream = self.stream.get_mut();
        stream.write_all(bytes).expect("send");
        stream.flush().expect("flush");
    }

    /// The next line, without its LF. Fails the test at end of stream or after
    /// the deadline.
    pub fn line(&mut self) -> String {
        self.try_line()
            .unwrap_or_else(|| panic!("connection closed while a line was expected"))
    }

    /// The next line, or `None` at end of stream (a TCP reset, or a TLS peer
    /// that closed without `close_notify`, counts as the end).
    pub fn try_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.stream.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => {
                assert!(line.ends_with('\n'), "line without LF: {line:?}");
                line.pop();
                Some(line)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("no line within {LINE_DEADLINE:?}")
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
                ) =>
            {
                None
            }
            Err(e) => panic!("read failed: {e}"),
        }
    }

    /// The next line, which must start with `prefix`.
    pub fn expect(&mut self, prefix: &str) -> String {
        let line = self.line();
        assert!(
            line.starts_with(prefix),
            "expected a line starting {prefix:?}, got {line:?}"
        );
        line
    }

    /// The next line, parsed.
    pub fn parsed(&mut self) -> ServerLine {
        let line = self.line();
        ServerLine::parse(&line).unwrap_or_else(|e| panic!("unparsable server line {line:?}: {e}"))
    }

    /// Skips lines until one starts with `prefix`, and returns it.
    pub fn until(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + LINE_DEADLINE;
        loop {
            let line = self.line();
            if line.starts_with(prefix) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no line starting {prefix:?} within {LINE_DEADLINE:?}"
            );
        }
    }

    /// Reads to the end of the stream and returns every line on the way.
    pub fn rest(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.try_line()).collect()
    }

    /// Sends a ping and reads up to its pong: everything the server queued for
    /// this client before the ping arrives first, so this is a barrier.
    pub fn sync(&mut self) -> Vec<String> {
        self.send("/ping sync");
        let mut seen = Vec::new();
        loop {
            let line = self.line();
            if line == "PONG sync" {
                return seen;
            }
            seen.push(line);
        }
    }
}

/// A TCP connection to `addr` from the local address `source`.
pub fn connect_from(source: std::net::IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::new(source, 0).into())
        .expect("bind the source address");
    socket.connect(&addr.into()).expect("connect");
    socket.into()
}

/// The real `chat-server` binary, started with `args` plus `--port 0`.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    pub fn start(args: &[&str]) -> ServerProcess {
        ServerProcess::start_command(server_command(args))
    }

    /// Starts `command` (a [`server_command`], perhaps wrapped, as in
    /// `prlimit ... chat-server`) with `--port 0` added.
    pub fn start_command(mut command: Command) -> ServerProcess {
        let spawning = spawning();
        let mut child = command
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn chat-server");
        drop(spawning);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .expect("read chat-server stdout");
        let addr = first
            .trim()
            .strip_prefix("Listening on ")
            .unwrap_or_else(|| panic!("chat-server did not start: {first:?}"))
            .parse()
            .unwrap();
        // Keep stdout drained so the server never blocks on it.
        std::thread::Builder::new()
            .name("server-stdout".into())
            .spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()))
            .unwrap();
        ServerProcess { child, addr }
    }

    pub fn connect(&self) -> Client {
        let mut client = Client::connect(self.addr);
        client.expect("HELLO ");
        client
    }

    pub fn join(&self, name: &str) -> Client {
        let mut client = self.connect();
        client.send(name);
        client.expect(&format!("WELCOME {name} "));
        client.until("HISTORY-END ");
        client
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to exit, at most `deadline`:
    /// returns the exit status and how long the exit took. Past the deadline
    /// the process is killed and the test fails.
    pub fn terminate_within(mut self, deadline: Duration) -> (std::process::ExitStatus, Duration) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        let start = Instant::now();
        // SAFETY: kill(2) with a pid we own and a valid signal number.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill -TERM");
        let status = wait_within(&mut self.child, deadline)
            .unwrap_or_else(|| panic!("still running {deadline:?} after SIGTERM"));
        (status, start.elapsed())
    }

    /// Takes the server's stdout (only before anything drained it).
    pub fn start_with_stdout(
        args: &[&str],
    ) -> (Child, SocketAddr, BufReader<std::process::ChildStdout>) {
        let spawning = spawning();
        let mut child = server_command(args)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn chat-server");
        drop(spawning);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let addr = first
            .trim()
            .strip_prefix("Listening on ")
            .expect("Listening line")
            .parse()
            .unwrap();
        (child, addr, stdout)
    }

    /// Sends a signal (`KILL`, `TERM`, `INT`) and waits for the exit status.
    pub fn signal(mut self, signal: &str) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal}");
        self.child.wait().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` to exit, at most `deadline`; past it, kills it and
/// returns `None`.
pub fn wait_within(child: &mut Child, deadline: Duration) -> Option<std::process::ExitStatus> {
    let exited = eventually(deadline, || child.try_wait().unwrap().is_some());
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    Some(child.wait().unwrap())
}

/// Runs `command` to its end and returns what it printed; fails the test if
/// it is still running after `deadline` (a server that should have refused
/// to start, say).
pub fn output_within(command: &mut Command, deadline: Duration) -> std::process::Output {
    let spawning = spawning();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(spawning);
    assert!(
        wait_within(&mut child, deadline).is_some(),
        "{command:?} still running after {deadline:?}"
    );
    child.wait_with_output().unwrap()
}

/// The IRC front on free ports, so that no test collides on IRC's 6667 and
/// 6697 (the binary's defaults). `--no-irc` given after them still wins.
pub const IRC_ON_FREE_PORTS: [&str; 4] = ["--irc-port", "0", "--irc-tls-port", "0"];

/// A `chat-server` command with `args` (the IRC front on free ports),
/// logging quietly.
pub fn server_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chat-server"));
    command
        .args(IRC_ON_FREE_PORTS)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

/// A numeric field of `/proc/<pid>/status`, such as `VmRSS` (in KiB).
pub fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// How many entries `/proc/<pid>/<dir>` has (`task`: threads, `fd`: open files).
pub fn proc_count(pid: u32, dir: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/{dir}"))
        .unwrap()
        .count()
}

/// Polls `condition` until it holds or `deadline` passes; for state that no
/// line announces, such as a process's thread count. Returns whether it held.
pub fn eventually(deadline: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}
