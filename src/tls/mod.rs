//! TLS for every link: the server's certificate, the client's ways of trusting
//! it, and a TLS connection split between a reader and a writer thread.
//!
//! - [`link`]: [`TlsLink`] shares one rustls connection between a reader and a
//!   writer thread without ever holding its lock across socket I/O.
//! - [`server`]: the server's [`rustls::ServerConfig`] from PEM files, or from a
//!   self-signed certificate made once and kept in the data directory.
//! - [`client`]: the client's [`rustls::ClientConfig`]: system roots or a CA
//!   file, a pinned fingerprint, or trust on first use.
//! - [`known_servers`]: the trust-on-first-use file, parsed and written.
//!
//! rustls runs on the `ring` provider everywhere (see [`provider`]).
//! `docs/tls-and-accounts.md` has the threat model.

pub mod client;
pub mod known_servers;
pub mod link;
pub mod server;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use sha2::{Digest, Sha256};

pub use client::{ClientTls, Trust};
pub use link::{TlsLink, TlsReadHalf, TlsWriteHalf};

/// The crypto provider every TLS config here uses: rustls's `ring` backend.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate's SHA-256 fingerprint as `openssl x509 -fingerprint -sha256`
/// prints it: upper-case hex pairs joined by colons.
pub fn fingerprint(cert_der: &[u8]) -> String {
    let digest = Sha256::digest(cert_der);
    let pairs: Vec<String> = digest.iter().map(|byte| format!("{byte:02X}")).collect();
    pairs.join(":")
}

/// A fingerprint as typed by a person, made comparable: an optional `SHA256:`
/// prefix dropped, colons and spaces dropped, upper case. `None` unless 64 hex
/// digits remain.
pub fn normalize_fingerprint(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text
        .strip_prefix("SHA256:")
        .or_else(|| text.strip_prefix("sha256:"))
        .unwrap_or(text);
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let pairs: Vec<&str> = (0..32).map(|i| &hex[2 * i..2 * i + 2]).collect();
    Some(pairs.join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_compare_however_they_are_typed() {
        let canonical = fingerprint(b"certificate");
        assert_eq!(canonical.len(), 32 * 3 - 1);
        let check = |typed: &str, expected: Option<&str>| {
            assert_eq!(
                normalize_fingerprint(typed).as_deref(),
                expected,
                "{typed:?}"
            );
        };
        check(&canonical, Some(&canonical));
        check(&canonical.to_lowercase(), Some(&canonical));
        check(&canonical.replace(':', ""), Some(&canonical));
        check(&format!("SHA256:{canonical}"), Some(&canonical));
        check(&format!("  {canonical}\n"), Some(&canonical));
        check("AB:CD", None);
        check(
            &canonical.replace('A', "G"),
            if canonical.contains('A') {
                None
            } else {
                Some(&canonical)
            },
        );
        check("", None);
    }
}
