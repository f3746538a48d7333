//! Where a process connects and as whom: the transport, TLS trust and
//! account passwords. The chat client and the 3PC processes both reach and
//! trust a server this way.
//!
//! [`Endpoint`] is the server's address and how lines travel there
//! ([`Transport`]): plain TCP, TLS (and how the server's certificate is
//! trusted), or UDP. [`Endpoint::prepare`] settles trust on first use
//! before anything else happens: a server not yet in `known_servers` is shown
//! by fingerprint and remembered only if the user says yes at the terminal (or
//! passed `--tls-accept-new`); a plain-mode client with no terminal is refused
//! with advice instead. A changed certificate is always refused.
//!
//! [`Credentials`] holds the password: read from `--password-file` or asked
//! with echo off, never from a flag, only when the server wants one (`--login`,
//! or `ERROR login-required` for the name), and kept in memory to log in again
//! after a reconnect. It never appears in `Debug` output or logs.

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::{ConnError, Connection};
use crate::protocol::ErrorCode;
use crate::tls::client::Expected;
use crate::tls::{ClientTls, Trust, known_servers};

/// Why a server could not be reached, trusted or logged in to before (or
/// apart from) the server's own answer.
#[derive(Debug, thiserror::Error)]
pub enum SecureError {
    /// No server answered at the address.
    #[error(
        "could not connect to {addr}: {source}. Is chat-server running there? Check --host and --port."
    )]
    Connect {
        /// The host and port tried.
        addr: String,
        /// Why it failed.
        source: io::Error,
    },
    /// The first-use handshake failed other than by a refused connection.
    #[error("could not join: {0}")]
    Join(ConnError),
    /// TLS could not be set up, or the server is not trusted.
    #[error("{0}")]
    Tls(String),
    /// No password could be had.
    #[error("{0}")]
    Password(String),
    /// Asking at the terminal failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl SecureError {
    /// A failed connection attempt: where it tried, or why joining failed.
    pub fn from_connect(error: ConnError) -> SecureError {
        match error {
            ConnError::Connect { addr, source } => SecureError::Connect { addr, source },
            other => SecureError::Join(other),
        }
    }
}

/// How long one connection attempt may take (TLS handshake included).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The server to connect to. See the module docs.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// TCP or UDP port.
    pub port: u16,
    /// How lines travel.
    pub transport: Transport,
}

/// How lines travel to the server.
#[derive(Debug, Clone)]
pub enum Transport {
    /// Plain TCP.
    Tcp,
    /// TLS over TCP, set up for this server.
    Tls(ClientTls),
    /// UDP datagrams (`chat-server --udp`), unencrypted like plain TCP.
    Udp,
}

impl Endpoint {
    /// The endpoint for `host:port`, with TLS under `trust` if given. For trust
    /// on first use, a server not yet known is shown to the user first (see
    /// the module docs); `accept_new` remembers it without asking.
    pub fn prepare(
        host: &str,
        port: u16,
        trust: Option<&Trust>,
        accept_new: bool,
    ) -> Result<Endpoint, SecureError> {
        let Some(trust) = trust else {
            return Ok(Endpoint {
                host: host.to_owned(),
                port,
                transport: Transport::Tcp,
            });
        };
        let setup = |trust: &Trust| {
            ClientTls::new(trust, host, port).map_err(|error| SecureError::Tls(error.to_string()))
        };
        let mut endpoint = Endpoint {
            host: host.to_owned(),
            port,
            transport: Transport::Tls(setup(trust)?),
        };
        let unknown = match &endpoint.transport {
            Transport::Tls(tls) => match &tls.expected {
                Expected::Unknown { file } => Some(file.clone()),
                _ => None,
            },
            _ => None,
        };
        if let Some(file) = unknown {
            endpoint.meet(&file, accept_new)?;
            endpoint.transport = Transport::Tls(setup(trust)?);
        }
        Ok(endpoint)
    }

    /// The server at `host:port` over UDP. Nothing to settle beforehand:
    /// UDP is never encrypted.
    pub fn udp(host: &str, port: u16) -> Endpoint {
        Endpoint {
            host: host.to_owned(),
            port,
            transport: Transport::Udp,
        }
    }

    /// Connects (with TLS, completes the handshake and trust check; over
    /// UDP, opens the session).
    pub fn connect(&self) -> Result<Connection, ConnError> {
        let (host, port) = (&self.host, self.port);
        match &self.transport {
            Transport::Tcp => Connection::connect(host, port, CONNECT_TIMEOUT),
            Transport::Tls(tls) => Connection::connect_tls(host, port, CONNECT_TIMEOUT, tls),
            Transport::Udp => Connection::connect_udp(host, port, CONNECT_TIMEOUT),
        }
    }

    /// First use: learns the server's fingerprint with a handshake that trusts
    /// nothing, then remembers it if the user agrees.
    fn meet(&self, file: &std::path::Path, accept_new: bool) -> Result<(), SecureError> {
        let fingerprint = match self.connect() {
            Err(ConnError::UnknownServer { fingerprint, .. }) => fingerprint,
            Err(other) => return Err(SecureError::from_connect(other)),
            Ok(_) => return Ok(()),
        };
        let key = known_servers::key(&self.host, self.port);
        let agreed = accept_new || ask_to_trust(&key, &fingerprint)?;
        if !agreed {
            return Err(SecureError::Tls(format!(
                "the server at {key} is not trusted; its certificate's SHA-256 fingerprint is {fingerprint}. Compare it with the one chat-server printed at start, then pass --tls-fingerprint {fingerprint} or answer yes (--tls-accept-new in scripts)"
            )));
        }
        known_servers::remember(file, &key, &fingerprint).map_err(|error| {
            SecureError::Tls(format!(
                "cannot remember the server in {}: {error}",
                file.display()
            ))
        })?;
        eprintln!(
            "chat-client: remembered {key} as {fingerprint} in {}",
            file.display()
        );
        Ok(())
    }
}

/// Asks on the terminal whether to trust a new server. `false` without a
/// terminal.
fn ask_to_trust(key: &str, fingerprint: &str) -> Result<bool, SecureError> {
    if !io::stdin().is_terminal() {
        return Ok(false);
    }
    let mut err = io::stderr().lock();
    write!(
        err,
        "The server at {key} is not known yet.\nIts certificate's SHA-256 fingerprint is\n  {fingerprint}\nCompare it with the one chat-server printed at start.\nTrust this server from now on? (yes/no) "
    )?;
    err.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "yes" | "y"
    ))
}

/// A password, kept out of `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(********)")
    }
}

/// Where the password comes from, and the password once known. See the
/// module docs.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Log in even before the server asks (`--login`).
    pub login: bool,
    /// `--password-file`: its first line is the password.
    pub password_file: Option<PathBuf>,
    /// The password, once read.
    pub password: Option<Password>,
}

impl Credentials {
    /// The password: remembered, from the file, or asked with echo off.
    fn password(&mut self, name: &str, endpoint: &Endpoint) -> Result<Password, SecureError> {
        if let Some(password) = &self.password {
            return Ok(password.clone());
        }
        let password = match &self.password_file {
            Some(path) => read_password_file(path)?,
            None => {
                let prompt = format!("password for {name} at {}: ", endpoint.host);
                crate::tty::read_hidden(&prompt).map_err(|error| {
                    SecureError::Password(format!(
                        "cannot ask for the password ({error}); use --password-file FILE"
                    ))
                })?
            }
        };
        let password = Password(password);
        self.password = Some(password.clone());
        Ok(password)
    }

    /// Joins as `name`: with `/login` when `--login` was given or a password
    /// is known, otherwise with the bare name, and then with `/login` if the
    /// server says the name needs one. The outer error is local (no
    /// password to be had); the inner one is the server's answer.
    pub fn join(
        &mut self,
        conn: &mut Connection,
        endpoint: &Endpoint,
        name: &str,
        timeout: Duration,
    ) -> Result<Result<(String, u64), ConnError>, SecureError> {
        if !self.login && self.password.is_none() {
            match conn.register(name, timeout) {
                Err(ConnError::Refused {
                    code: ErrorCode::LoginRequired,
                    ..
                }) if self.password_file.is_some() || io::stdin().is_terminal() => {}
                other => return Ok(other),
            }
        }
        let password = self.password(name, endpoint)?;
        let joined = conn.login(name, &password.0, timeout);
        if let Err(ConnError::Refused {
            code: ErrorCode::LoginFailed,
            ..
        }) = &joined
        {
            // Ask again next time rather than retrying a wrong password.
            self.password = None;
        }
        Ok(joined)
    }
}

fn read_password_file(path: &PathBuf) -> Result<String, SecureError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        SecureError::Password(format!("cannot read {}: {error}", path.display()))
    })?;
    let first = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if first.is_empty() {
        return Err(SecureError::Password(format!(
            "{} is empty; its first line must be the password",
            path.display()
        )));
    }
    Ok(first.to_owned())
}
