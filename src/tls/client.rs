//! The client's side of TLS: how it decides to trust a server.
//!
//! Three ways, chosen with [`Trust`]:
//! - [`Trust::Roots`]: the usual web way. The certificate must chain to a root
//!   (the system's, or those in a CA file) and name the host.
//! - [`Trust::Fingerprint`]: the certificate must have this SHA-256
//!   fingerprint. No chain or name check, as with an ssh host key.
//! - [`Trust::FirstUse`]: the fingerprint remembered for this host and port in
//!   the `known_servers` file must match. A server not in the file is refused
//!   with its fingerprint, so the caller can ask the user and remember it
//!   ([`super::known_servers`]); a server whose certificate changed is refused
//!   loudly.
//!
//! Pinning still checks the handshake signature with the certificate's key, so
//! a copy of the certificate without its key is worth nothing.

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::known_servers::{self, KnownServers};
use super::{fingerprint, provider};

/// How the client decides to trust a server. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// A certificate chaining to the system's roots, or to those in `ca_file`.
    Roots {
        /// PEM file of CA certificates to trust instead of the system's.
        ca_file: Option<PathBuf>,
    },
    /// A certificate with this fingerprint (any form [`super::normalize_fingerprint`] reads).
    Fingerprint(String),
    /// The fingerprint remembered in `known_servers` for the host and port.
    FirstUse {
        /// The `known_servers` file.
        known_servers: PathBuf,
    },
}

/// Why a TLS client config could not be made, or a server was not trusted.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The CA file could not be read or held no certificate.
    #[error("cannot use the CA file {}: {what}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// No system root certificate could be loaded.
    #[error(
        "no system root certificates found; pass --tls-ca FILE, --tls-fingerprint or --tls-tofu"
    )]
    NoRoots,
    /// The fingerprint given is not 64 hex digits.
    #[error("{0:?} is not a SHA-256 fingerprint (64 hex digits, colons allowed)")]
    BadFingerprint(String),
    /// The `known_servers` file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    KnownServers {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// rustls refused the configuration.
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
}

/// What the client checked the server's certificate against, for error
/// messages after a failed handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A chain to the roots.
    Roots,
    /// A pinned fingerprint (given on the command line).
    Pinned(String),
    /// A fingerprint remembered in `known_servers`.
    Remembered {
        /// The fingerprint remembered.
        fingerprint: String,
        /// The file it is in.
        file: PathBuf,
    },
    /// Nothing: the server is not in `known_servers` yet.
    Unknown {
        /// The file it would go into.
        file: PathBuf,
    },
}

/// A client's TLS setup for one server (`host:port`).
#[derive(Debug, Clone)]
pub struct ClientTls {
    /// What each connection starts from.
    pub config: Arc<ClientConfig>,
    /// What the server's certificate must match.
    pub expected: Expected,
    /// The fingerprint the server presented in the last handshake (pinning
    /// modes only), to report a mismatch.
    seen: Arc<Mutex<Option<String>>>,
}

impl ClientTls {
    /// The setup for connecting to `host:port` under `trust`.
    pub fn new(trust: &Trust, host: &str, port: u16) -> Result<ClientTls, TrustError> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let (expected, pin) = match trust {
            Trust::Roots { ca_file } => {
                let roots = match ca_file {
                    Some(path) => roots_from_file(path)?,
                    None => system_roots()?,
                };
                let config = builder.with_root_certificates(roots).with_no_client_auth();
                return Ok(ClientTls {
                    config: Arc::new(config),
                    expected: Expected::Roots,
                    seen: Arc::default(),
                });
            }
            Trust::Fingerprint(text) => {
                let pin = super::normalize_fingerprint(text)
                    .ok_or_else(|| TrustError::BadFingerprint(text.clone()))?;
                (Expected::Pinned(pin.clone()), Some(pin))
            }
            Trust::FirstUse {
                known_servers: file,
            } => {
                let known =
                    KnownServers::load(file).map_err(|source| TrustError::KnownServers {
                        path: file.clone(),
                        source,
                    })?;
                match known.lookup(&known_servers::key(host, port)) {
                    Some(fingerprint) => (
                        Expected::Remembered {
                            fingerprint: fingerprint.to_owned(),
                            file: file.clone(),
                        },
                        Some(fingerprint.to_owned()),
                    ),
                    None => (Expected::Unknown { file: file.clone() }, None),
                }
            }
        };
        let seen = Arc::new(Mutex::new(None));
        let verifier = PinVerifier {
            expected: pin,
            seen: seen.clone(),
            provider,
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(ClientTls {
            config: Arc::new(config),
            expected,
            seen,
        })
    }

    /// The fingerprint the server presented in the last handshake, when
    /// pinning (for the error message after a refusal).
    pub fn presented(&self) -> Option<String> {
        self.seen.lock().clone()
    }
}

fn system_roots() -> Result<RootCertStore, TrustError> {
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        log::warn!("loading system root certificates: {error}");
    }
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        return Err(TrustError::NoRoots);
    }
    Ok(roots)
}

fn roots_from_file(path: &PathBuf) -> Result<RootCertStore, TrustError> {
    let ca_error = |what: String| TrustError::CaFile {
        path: path.clone(),
        what,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|error| ca_error(error.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ca_error(error.to_string()))?;
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(ca_error("no usable CERTIFICATE in it".into()));
    }
    Ok(roots)
}

/// Trusts exactly one certificate, by fingerprint (`expected`), and records
/// what the server presented. `expected: None` trusts nothing (a server not
/// yet known), but still records its fingerprint.
#[derive(Debug)]
struct PinVerifier {
    expected: Option<String>,
    /// The lock guards only this value, written during a handshake and read
    /// after it.
    seen: Arc<Mutex<Option<String>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity);
        let matches = self.expected.as_deref() == Some(presented.as_str());
        *self.seen.lock() = Some(presented);
        if matches {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server's certificate fingerprint is not the one trusted".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
