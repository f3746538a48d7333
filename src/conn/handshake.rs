//! Why a TLS handshake failed, said in the terms of what the client trusted
//! (a pinned fingerprint, a remembered one, trust on first use, the roots),
//! so the user is told what to check rather than rustls's bare error.

use std::io;
use std::time::Duration;

use super::ConnError;
use crate::tls::client::{ClientTls, Expected};

/// Says why a handshake failed, in the terms of what was trusted.
pub(super) fn handshake_error(
    addr: &str,
    tls: &ClientTls,
    error: io::Error,
    timeout: Duration,
) -> ConnError {
    if matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ) {
        return ConnError::Timeout(timeout);
    }
    let addr = addr.to_owned();
    let presented = tls.presented();
    match (&tls.expected, presented) {
        (Expected::Pinned(expected), Some(presented)) if *expected != presented => {
            ConnError::FingerprintMismatch {
                addr,
                expected: expected.clone(),
                presented,
            }
        }
        (Expected::Remembered { fingerprint, file }, Some(presented))
            if *fingerprint != presented =>
        {
            ConnError::ServerChanged {
                addr,
                remembered: fingerprint.clone(),
                presented,
                file: file.clone(),
            }
        }
        (Expected::Unknown { .. }, Some(fingerprint)) => {
            ConnError::UnknownServer { addr, fingerprint }
        }
        (Expected::Roots, _) if is_certificate_error(&error) => ConnError::Untrusted {
            addr,
            reason: error.to_string(),
        },
        _ => ConnError::Tls {
            addr,
            reason: error.to_string(),
        },
    }
}

fn is_certificate_error(error: &io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|tls| matches!(tls, rustls::Error::InvalidCertificate(_)))
}
