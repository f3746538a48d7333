//! The TLS and login flags, shared by every binary that connects to a server
//! (`chat-client` and the 3PC processes): `#[command(flatten)]` them into a
//! clap parser and turn them into a [`Trust`] and [`Credentials`]. The UDP
//! flag ([`UdpFlags`]) is `chat-client`'s only; clap refuses it beside any
//! TLS flag.

use std::path::PathBuf;

use super::secure::{Credentials, Endpoint, SecureError};
use crate::protocol::{DEFAULT_PORT, DEFAULT_TLS_PORT};
use crate::tls::{Trust, known_servers};

/// How to trust the server over TLS. No flag: plain TCP.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsFlags {
    /// Connect over TLS, verifying the server's certificate against the
    /// system's root certificates (or --tls-ca).
    #[arg(long)]
    pub tls: bool,
    /// Trust the CA certificates in this PEM file instead of the system's
    /// (implies --tls).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Trust only the certificate with this SHA-256 fingerprint, as chat-server
    /// prints it at start (implies --tls).
    #[arg(long, value_name = "SHA256")]
    pub tls_fingerprint: Option<String>,
    /// Trust on first use, as ssh does: ask once, remember the server's
    /// fingerprint in known_servers, refuse if it ever changes (implies --tls).
    #[arg(long)]
    pub tls_tofu: bool,
    /// With trust on first use, remember a new server without asking (for
    /// scripts); a changed certificate is still refused (implies --tls-tofu).
    #[arg(long)]
    pub tls_accept_new: bool,
}

impl TlsFlags {
    /// How to trust the server; `None` for plain TCP. A pinned fingerprint
    /// wins over trust on first use, which wins over root certificates.
    pub fn trust(&self) -> Result<Option<Trust>, String> {
        if let Some(fingerprint) = &self.tls_fingerprint {
            return Ok(Some(Trust::Fingerprint(fingerprint.clone())));
        }
        if self.tls_tofu || self.tls_accept_new {
            let known_servers = known_servers::default_path().ok_or(
                "cannot find a config directory for known_servers: set XDG_CONFIG_HOME or HOME",
            )?;
            return Ok(Some(Trust::FirstUse { known_servers }));
        }
        if self.tls || self.tls_ca.is_some() {
            return Ok(Some(Trust::Roots {
                ca_file: self.tls_ca.clone(),
            }));
        }
        Ok(None)
    }

    /// The server at `host` and `port` (or the default port for these flags),
    /// with trust on first use settled (see [`Endpoint::prepare`]).
    pub fn endpoint(&self, host: &str, port: Option<u16>) -> Result<Endpoint, SecureError> {
        let trust = self.trust().map_err(SecureError::Tls)?;
        let port = port.unwrap_or_else(|| self.default_port());
        Endpoint::prepare(host, port, trust.as_ref(), self.tls_accept_new)
    }

    /// The port to use when none is given: 25001 with TLS, 25000 without.
    pub fn default_port(&self) -> u16 {
        let tls = self.tls
            || self.tls_ca.is_some()
            || self.tls_fingerprint.is_some()
            || self.tls_tofu
            || self.tls_accept_new;
        if tls { DEFAULT_TLS_PORT } else { DEFAULT_PORT }
    }
}

/// UDP instead of TCP. Flatten it next to [`TlsFlags`]: the conflict with
/// the TLS flags is checked by clap, by their names.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UdpFlags {
    /// Connect over UDP (the server must run with --udp), on the same port
    /// number as TCP. Unencrypted: not with any TLS flag.
    #[arg(
        long,
        conflicts_with_all = ["tls", "tls_ca", "tls_fingerprint", "tls_tofu", "tls_accept_new"]
    )]
    pub udp: bool,
}

/// How to log in to an account. Never a password on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LoginFlags {
    /// Log in to an account (asks for the password with echo off). Without it,
    /// the password is asked for only if the server says the name needs one.
    #[arg(long)]
    pub login: bool,
    /// Read the account password from the first line of this file (never
    /// from a flag, where other users could see it).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

impl LoginFlags {
    /// Credentials with no password read yet.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            login: self.login,
            password_file: self.password_file.clone(),
            password: None,
        }
    }
}
