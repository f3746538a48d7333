//! TLS and accounts over real sockets: TLS sessions beside plain ones, the
//! client's ways of trusting a server, `/login`, and what reaches the logs.
//!
//! [`TlsServer`] runs a server in this process with a plain and a TLS
//! listener and a self-signed certificate in a temporary directory.
//! [`TlsClient`] speaks raw protocol lines over TLS (rustls's `StreamOwned`
//! on one thread), optionally from another loopback address. Every wait is
//! for a line, with a deadline.

mod accounts;
mod session;
mod trust;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;

use chatroom::server::{Listeners, Server, ServerOptions, Storage};
use chatroom::tls::server::ServerTls;
use chatroom::tls::{ClientTls, Trust};
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use crate::support::{Client, LINE_DEADLINE, connect_from};

/// A server with a plain and a TLS listener on 127.0.0.1, stopped on drop.
pub struct TlsServer {
    server: Option<Server>,
    pub plain: SocketAddr,
    pub tls: SocketAddr,
    pub fingerprint: String,
    /// Holds the certificate (and the database, for durable configs).
    pub dir: tempfile::TempDir,
}

impl TlsServer {
    /// A server configured by `config` (which may use `dir` through
    /// `configure`), its certificate made in a new temporary directory.
    pub fn start(configure: impl FnOnce(&Path) -> ServerOptions) -> TlsServer {
        let dir = tempfile::tempdir().unwrap();
        TlsServer::start_in(dir, configure)
    }

    /// Like [`TlsServer::start`] with the directory given.
    pub fn start_in(
        dir: tempfile::TempDir,
        configure: impl FnOnce(&Path) -> ServerOptions,
    ) -> TlsServer {
        let tls_addr = "127.0.0.1:0".parse().unwrap();
        TlsServer::start_on(dir, tls_addr, configure)
    }

    /// Like [`TlsServer::start_in`], with the TLS listener on `tls_addr`.
    pub fn start_on(
        dir: tempfile::TempDir,
        tls_addr: SocketAddr,
        configure: impl FnOnce(&Path) -> ServerOptions,
    ) -> TlsServer {
        let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
        let (setup, _) = ServerTls::self_signed(dir.path(), &names).expect("certificate");
        let bind = |addr| chatroom::server::bind(addr).expect("bind");
        let listeners = Listeners {
            plain: Some(bind("127.0.0.1:0".parse().unwrap())),
            tls: Some((bind(tls_addr), setup.config.clone())),
            ..Listeners::default()
        };
        let server = Server::start(listeners, configure(dir.path())).expect("start server");
        TlsServer {
            plain: server.local_addr(),
            tls: server.tls_addr().unwrap(),
            fingerprint: setup.fingerprint,
            server: Some(server),
            dir,
        }
    }

    /// A TLS connection that has read `HELLO`.
    pub fn connect_tls(&self) -> TlsClient {
        let mut client = TlsClient::connect_tls(None, self.tls, &self.fingerprint);
        client.expect("HELLO chatroom 2 :");
        client
    }

    /// A TLS connection registered as `name`, its welcome block read.
    pub fn join_tls(&self, name: &str) -> TlsClient {
        let mut client = self.connect_tls();
        client.send(name);
        client.expect(&format!("WELCOME {name} "));
        client.until("HISTORY-END ");
        client
    }

    /// The client library's TLS setup trusting this server by fingerprint.
    pub fn client_tls(&self) -> ClientTls {
        let trust = Trust::Fingerprint(self.fingerprint.clone());
        ClientTls::new(&trust, "127.0.0.1", self.tls.port()).unwrap()
    }

    /// Stops the server and waits for its threads.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.server
            .take()
            .unwrap()
            .shutdown()
            .expect("clean shutdown");
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.shutdown();
        }
    }
}

/// Starts the real `chat-server` with `args`, which must make it serve TLS
/// only (`--no-plain`). Returns the process, the TLS address and the
/// certificate's fingerprint, read from its first two stdout lines.
pub fn start_binary(args: &[&str]) -> (std::process::Child, SocketAddr, String) {
    let spawning = crate::support::spawning();
    let mut child = crate::support::server_command(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(spawning);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = [String::new(), String::new()];
    for line in &mut lines {
        stdout.read_line(line).unwrap();
    }
    let addr: SocketAddr = lines[0]
        .trim()
        .strip_prefix("Listening on ")
        .and_then(|rest| rest.strip_suffix(" with TLS"))
        .unwrap_or_else(|| panic!("first line: {:?}", lines[0]))
        .parse()
        .unwrap();
    let fingerprint = lines[1]
        .trim()
        .strip_prefix("TLS certificate SHA-256 fingerprint: ")
        .unwrap_or_else(|| panic!("second line: {:?}", lines[1]))
        .to_owned();
    (child, addr, fingerprint)
}

/// The test configuration: in-memory history, no flood control or
/// per-address limit, accounts in `dir`.
pub fn with_accounts(dir: &Path) -> ServerOptions {
    ServerOptions {
        storage: Storage::Ephemeral,
        accounts: Some(dir.to_owned()),
        ..crate::support::unthrottled()
    }
}

/// A client speaking raw protocol lines over TLS.
pub type TlsClient = Client<StreamOwned<ClientConnection, TcpStream>>;

impl TlsClient {
    /// Connects to `addr` (from `source`, if given) and trusts only the
    /// certificate with `fingerprint`. The handshake happens on first use.
    pub fn connect_tls(source: Option<IpAddr>, addr: SocketAddr, fingerprint: &str) -> TlsClient {
        let socket = match source {
            None => TcpStream::connect(addr).expect("connect"),
            Some(source) => connect_from(source, addr),
        };
        socket.set_read_timeout(Some(LINE_DEADLINE)).unwrap();
        let trust = Trust::Fingerprint(fingerprint.to_owned());
        let tls = ClientTls::new(&trust, "127.0.0.1", addr.port()).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(Arc::clone(&tls.config), name).unwrap();
        Client::over(StreamOwned::new(conn, socket))
    }
}
