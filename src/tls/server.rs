//! The server's side of TLS: its certificate and key, as a rustls
//! [`ServerConfig`].
//!
//! Either the operator's PEM files ([`ServerTls::from_pem_files`]), or a
//! self-signed certificate made once with rcgen and kept in the data directory
//! ([`ServerTls::self_signed`]): later starts reuse it, so clients that
//! pinned or remembered its fingerprint keep trusting the server. The private
//! key file is created readable by its owner only. Nothing here logs key
//! material.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{fingerprint, provider};

/// The self-signed certificate's file in the data directory.
pub const SELF_SIGNED_CERT_FILE: &str = "tls-cert.pem";
/// The self-signed certificate's private key in the data directory.
pub const SELF_SIGNED_KEY_FILE: &str = "tls-key.pem";

/// Why TLS could not be set up on the server. Each message says its cause
/// once, and none has a `source()` (see `ServerError`).
#[derive(Debug, thiserror::Error)]
pub enum ServerTlsError {
    /// A certificate or key file could not be read or written.
    #[error("cannot use {}: {cause}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What the system said.
        cause: std::io::Error,
    },
    /// A PEM file held nothing usable.
    #[error("{}: {what}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was wrong, for a person.
        what: String,
    },
    /// rcgen could not make a certificate.
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(rcgen::Error),
    /// rustls refused the certificate and key (a key that does not match, say).
    #[error("the certificate and key cannot be used together: {0}")]
    Config(rustls::Error),
}

/// A server's TLS setup: the rustls config and its certificate's fingerprint.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// What each TLS connection starts from.
    pub config: Arc<ServerConfig>,
    /// SHA-256 fingerprint of the leaf certificate, as [`fingerprint`] prints it.
    pub fingerprint: String,
}

impl ServerTls {
    /// From a PEM certificate chain (leaf first) and a PEM private key.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ServerTls, ServerTlsError> {
        let chain = read_chain(cert)?;
        let key = read_key(key)?;
        ServerTls::new(chain, key)
    }

    /// From the self-signed certificate in `dir`, made first if missing, for
    /// the names in `names` (host names or IP addresses). Returns also whether
    /// it was just made.
    pub fn self_signed(dir: &Path, names: &[String]) -> Result<(ServerTls, bool), ServerTlsError> {
        let cert = dir.join(SELF_SIGNED_CERT_FILE);
        let key = dir.join(SELF_SIGNED_KEY_FILE);
        let made = !cert.exists() || !key.exists();
        if made {
            make_self_signed(dir, &cert, &key, names)?;
        }
        Ok((ServerTls::from_pem_files(&cert, &key)?, made))
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<ServerTls, ServerTlsError> {
        let fingerprint = fingerprint(&chain[0]);
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(ServerTlsError::Config)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(ServerTlsError::Config)?;
        // Nobody resumes sessions here; tickets would only be more records.
        config.send_tls13_tickets = 0;
        Ok(ServerTls {
            config: Arc::new(config),
            fingerprint,
        })
    }
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> ServerTlsError + '_ {
    move |cause| ServerTlsError::File {
        path: path.to_owned(),
        cause,
    }
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServerTlsError> {
    let pem = fs::read(path).map_err(file_error(path))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ServerTlsError::Pem {
            path: path.to_owned(),
            what: format!("not a PEM certificate file: {error}"),
        })?;
    if chain.is_empty() {
        return Err(ServerTlsError::Pem {
            path: path.to_owned(),
            what: "no CERTIFICATE block in it; --tls-cert takes a PEM certificate chain".into(),
        });
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ServerTlsError> {
    let pem = fs::read(path).map_err(file_error(path))?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|_| ServerTlsError::Pem {
        path: path.to_owned(),
        what: "no private key in it; --tls-key takes a PEM private key (PKCS#8, PKCS#1 or SEC1)"
            .into(),
    })
}

fn make_self_signed(
    dir: &Path,
    cert: &Path,
    key: &Path,
    names: &[String],
) -> Result<(), ServerTlsError> {
    fs::create_dir_all(dir).map_err(file_error(dir))?;
    let made =
        rcgen::generate_simple_self_signed(names.to_vec()).map_err(ServerTlsError::Generate)?;
    write_private(key, made.signing_key.serialize_pem().as_bytes())?;
    fs::write(cert, made.cert.pem()).map_err(file_error(cert))?;
    Ok(())
}

/// Writes a new file that only its owner can read.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), ServerTlsError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(file_error(path))?;
    file.write_all(contents).map_err(file_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_is_made_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let (first, made) = ServerTls::self_signed(dir.path(), &names).unwrap();
        assert!(made);
        let (second, made_again) = ServerTls::self_signed(dir.path(), &names).unwrap();
        assert!(!made_again);
        assert_eq!(first.fingerprint, second.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SELF_SIGNED_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the key is private");
        }
    }

    #[test]
    fn a_file_without_certificates_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        fs::write(&path, "nothing here").unwrap();
        let error = ServerTls::from_pem_files(&path, &path).unwrap_err();
        assert!(error.to_string().contains("--tls-cert"), "{error}");
    }
}
