//! The trust-on-first-use file: one remembered certificate fingerprint per
//! server, as ssh's `known_hosts` does for host keys.
//!
//! It lives at `$XDG_CONFIG_HOME/chatroom/known_servers`, or
//! `~/.config/chatroom/known_servers` ([`default_path`]). Each line is
//! `host:port FINGERPRINT`; blank lines and lines starting with `#` are
//! skipped. Host names are compared without regard to case. The first entry for
//! a server wins; [`remember`] only appends, so a person edits the file to
//! forget a server whose certificate changed on purpose.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The remembered servers. See the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownServers {
    entries: Vec<(String, String)>,
}

/// The key a server is remembered under: `host:port`, host in lower case,
/// an IPv6 address in brackets.
pub fn key(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Where the file lives for this user, from `XDG_CONFIG_HOME` or `HOME`.
pub fn default_path() -> Option<PathBuf> {
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config_home.join("chatroom").join("known_servers"))
}

impl KnownServers {
    /// Reads the file's text. Lines that are not `key fingerprint` are skipped.
    pub fn parse(text: &str) -> KnownServers {
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let (server, fingerprint) = line.split_once(char::is_whitespace)?;
                let fingerprint = super::normalize_fingerprint(fingerprint)?;
                Some((server.to_ascii_lowercase(), fingerprint))
            })
            .collect();
        KnownServers { entries }
    }

    /// Reads the file; a missing file is an empty list.
    pub fn load(path: &Path) -> io::Result<KnownServers> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(KnownServers::parse(&text)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(KnownServers::default()),
            Err(error) => Err(error),
        }
    }

    /// The fingerprint remembered for `key` (see [`key`]).
    pub fn lookup(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.entries
            .iter()
            .find(|(server, _)| *server == key)
            .map(|(_, fingerprint)| fingerprint.as_str())
    }
}

/// Appends `key fingerprint` to the file, creating it and its directory.
pub fn remember(path: &Path, key: &str, fingerprint: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{key} {fingerprint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

    #[test]
    fn keys() {
        assert_eq!(key("LocalHost", 25001), "localhost:25001");
        assert_eq!(key("::1", 25001), "[::1]:25001");
        assert_eq!(key("127.0.0.1", 1), "127.0.0.1:1");
    }

    #[test]
    fn lookups() {
        let text = format!(
            "# comment\n\nchat.example:25001 {}\nchat.example:25001 {}\nbroken-line\nother:1 not-a-fingerprint\n",
            FP.to_lowercase(),
            FP.replace("AA", "00"),
        );
        let known = KnownServers::parse(&text);
        let check = |key: &str, expected: Option<&str>| {
            assert_eq!(known.lookup(key), expected, "{key}");
        };
        check("chat.example:25001", Some(FP));
        check("CHAT.example:25001", Some(FP));
        check("chat.example:25000", None);
        check("other:1", None);
        check("broken-line", None);
    }

    #[test]
    fn remembered_servers_are_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("known_servers");
        assert_eq!(KnownServers::load(&path).unwrap(), KnownServers::default());
        remember(&path, "host:1", FP).unwrap();
        assert_eq!(
            KnownServers::load(&path).unwrap().lookup("host:1"),
            Some(FP)
        );
    }
}
