//! End-to-end authentication of 3PC messages among the processes of one group.
//!
//! The chat server relays anyone's private messages, so it and every other user
//! are outside the trust boundary. The group shares a secret key (a file made by
//! `chat-coordinator keygen FILE`, mode 0600, never sent anywhere), and every
//! 3PC message carries two more fields, last before the text:
//!
//! ```text
//! 3PC <TYPE> <tx> [FIELD ...] <nonce> <mac> [:TEXT]
//! ```
//!
//! `nonce` is 16 hex digits; `mac` is the 64 hex digits of HMAC-SHA256, under
//! the group key, of `chat3pc-v1 LF <sender> LF <recipient> LF <the line without
//! its mac field>` (names in lower case, as the server compares them). So a
//! message is bound to its sender, its recipient, its transaction, its type and
//! every field and text; a copy sent under another name, to another recipient
//! or about another transaction fails. A member's name taken over after a crash
//! gives a stranger the name, not the key.
//!
//! Replays. Ids *are* reused (a coordinator that lost its `--dir`), so a
//! transaction id alone does not say which run a message belongs to. The
//! coordinator gives each run a fresh random nonce: its VOTE-REQUEST carries
//! it, and so does every later message of that run, whoever sends it (votes,
//! PRECOMMIT, ACK, the decisions, a termination leader's messages, CONFLICT
//! and BUSY). Both machines keep the run's nonce with the transaction (in
//! their state logs too) and refuse a message of another run: a copy of an
//! earlier run's PRECOMMIT or GLOBAL-COMMIT replayed into a new run with the
//! same id moves nothing. Within one run, such messages state facts the
//! sender forced to disk first, so a copy again is a duplicate. The questions
//! and answers of termination and recovery (`STATE-REQ`, `STATE`,
//! `DECISION-REQ`, `DECISION`) describe the present, so they must be fresh: a
//! request carries a new random nonce and the answer echoes it; [`Freshness`]
//! admits an answer only with the nonce of the latest request this process
//! sent that peer about that transaction.
//!
//! This module is pure but for the key file and the random source: sealing and
//! opening are functions of their inputs.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

mod freshness;

pub use freshness::Freshness;

use super::message::{KIND, Message, MessageError};
use crate::protocol::grammar::{Line, encode_into};
use crate::protocol::name_key;

/// A number used once: it ties an answer to the request it answers.
pub type Nonce = u64;

/// The key a group shares. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct GroupKey {
    key: hmac::Key,
}

impl std::fmt::Debug for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupKey(..)")
    }
}

/// Why a key file could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// There is no key file where one was expected.
    #[error(
        "no key file {0}: create one with `chat-coordinator keygen {0}` and give every process of the group a copy (--key-file)"
    )]
    Missing(PathBuf),
    /// `keygen` never overwrites: the group would lose its key.
    #[error(
        "{0} exists already; keygen never overwrites a key: remove it first or choose another file"
    )]
    Exists(PathBuf),
    /// The file does not hold a key as `keygen` writes it.
    #[error(
        "{0}: not a 3PC group key (one line of 64 hex digits, as `chat-coordinator keygen` writes)"
    )]
    Malformed(PathBuf),
    /// Other users can read the file, so the key may not be secret any more.
    #[error("{path}: other users can read it (mode {mode:o}); run `chmod 600 {path}`")]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The system's random source failed.
    #[error("the system random source failed")]
    Random,
    /// A directory where a key file was expected.
    #[error(
        "{0} is a directory, not a key file: name the file itself (for example {0}/chat3pc.key), or make one with `chat-coordinator keygen FILE`"
    )]
    IsDirectory(PathBuf),
    /// `keygen` into a directory that does not exist.
    #[error("{0}: no such directory; create it first (mkdir -p {0}) or choose another file")]
    NoDirectory(PathBuf),
}

/// Why an incoming 3PC line was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The line has no nonce and MAC fields: not from a member of this group.
    #[error("unauthenticated (no nonce and MAC): not from a member of this group")]
    Unsigned,
    /// The MAC does not match: forged, altered, made with another key, or a
    /// copy of a message sent by someone else or to someone else.
    #[error("bad MAC: forged, altered, or a copy of a message between other processes")]
    BadMac,
    /// Authentic, but not a 3PC message this version understands.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// An answer that does not answer this process's latest request to its
    /// sender: a replay, or late.
    #[error("a replayed or stale answer (nonce {0:016x} is not that of the latest request)")]
    Stale(Nonce),
}

impl GroupKey {
    /// A new random key.
    pub fn generate() -> Result<GroupKey, KeyError> {
        let bytes = random_bytes::<32>()?;
        Ok(GroupKey::from_bytes(&bytes))
    }

    /// The key made of these bytes.
    pub fn from_bytes(bytes: &[u8]) -> GroupKey {
        GroupKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, bytes),
        }
    }

    /// Writes a new random key to `path` (mode 0600); refuses to overwrite.
    pub fn create_file(path: &Path) -> Result<(), KeyError> {
        if path.is_dir() {
            return Err(KeyError::IsDirectory(path.to_owned()));
        }
        let bytes = random_bytes::<32>()?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| match source.kind() {
                io::ErrorKind::AlreadyExists => KeyError::Exists(path.to_owned()),
                io::ErrorKind::NotFound => KeyError::NoDirectory(parent(path)),
                _ => io_error(path, source),
            })?;
        writeln!(file, "{}", hex(&bytes))
            .and_then(|()| file.sync_all())
            .map_err(|source| io_error(path, source))
    }

    /// Reads the key `create_file` wrote. Refuses a file other users can read.
    pub fn load(path: &Path) -> Result<GroupKey, KeyError> {
        let metadata = fs::metadata(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => KeyError::Missing(path.to_owned()),
            _ => io_error(path, source),
        })?;
        if metadata.is_dir() {
            return Err(KeyError::IsDirectory(path.to_owned()));
        }
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::TooOpen {
                path: path.to_owned(),
                mode,
            });
        }
        let text = fs::read_to_string(path).map_err(|source| io_error(path, source))?;
        let bytes = unhex(text.trim()).filter(|b| b.len() == 32);
        let bytes = bytes.ok_or_else(|| KeyError::Malformed(path.to_owned()))?;
        Ok(GroupKey::from_bytes(&bytes))
    }

    /// The text of the private message `from` sends `to`: the message with its
    /// nonce and MAC fields.
    pub fn seal(&self, from: &str, to: &str, message: &Message, nonce: Nonce) -> String {
        let plain = message.encode();
        let line = Line::parse(&plain).expect("an encoded message parses");
        let nonce = format!("{nonce:016x}");
        let mut fields = line.fields.clone();
        fields.push(&nonce);
        let mut unsigned = String::new();
        encode_into(&mut unsigned, line.kind, &fields, line.text);
        let tag = hex(self.tag(from, to, &unsigned).as_ref());
        fields.push(&tag);
        let mut out = String::new();
        encode_into(&mut out, line.kind, &fields, line.text);
        out
    }

    /// Checks the text of a private message `from` sent `to`, and returns the
    /// message and its nonce.
    pub fn open(&self, from: &str, to: &str, text: &str) -> Result<(Message, Nonce), AuthError> {
        let line = Line::parse(text).map_err(MessageError::from)?;
        if line.kind != KIND {
            return Err(MessageError::NotThreePc.into());
        }
        let count = line.fields.len();
        if count < 4 {
            return Err(AuthError::Unsigned);
        }
        let tag = unhex(line.fields[count - 1]).ok_or(AuthError::BadMac)?;
        let mut unsigned = String::new();
        encode_into(
            &mut unsigned,
            line.kind,
            &line.fields[..count - 1],
            line.text,
        );
        hmac::verify(&self.key, &mac_input(from, to, &unsigned), &tag)
            .map_err(|_| AuthError::BadMac)?;
        let nonce_field = line.fields[count - 2];
        let nonce = Nonce::from_str_radix(nonce_field, 16).map_err(|_| AuthError::BadMac)?;
        let mut plain = String::new();
        encode_into(&mut plain, line.kind, &line.fields[..count - 2], line.text);
        Ok((Message::parse(&plain)?, nonce))
    }

    fn tag(&self, from: &str, to: &str, unsigned: &str) -> hmac::Tag {
        hmac::sign(&self.key, &mac_input(from, to, unsigned))
    }
}

/// A fresh random nonce.
pub fn random_nonce(random: &SystemRandom) -> Nonce {
    let mut bytes = [0u8; 8];
    // The system source does not fail once it worked for the key; if it ever
    // does, a zero nonce only makes answers to this request easier to replay.
    let _ = random.fill(&mut bytes);
    Nonce::from_be_bytes(bytes)
}

fn mac_input(from: &str, to: &str, unsigned: &str) -> Vec<u8> {
    format!(
        "chat3pc-v1\n{}\n{}\n{unsigned}",
        name_key(from),
        name_key(to)
    )
    .into_bytes()
}

fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KeyError::Random)?;
    Ok(bytes)
}

/// The directory a file would be in (`.` for a bare name).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn io_error(path: &Path, source: io::Error) -> KeyError {
    KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tpc::TxId;
    use crate::tpc::message::Body;

    fn key() -> GroupKey {
        GroupKey::from_bytes(&[7; 32])
    }

    fn message(tx: TxId, body: Body) -> Message {
        Message { tx, body }
    }

    #[test]
    fn sealed_messages_open_only_as_sent() {
        let request = message(
            3,
            Body::VoteRequest {
                members: vec!["p1".into(), "p2".into()],
                text: "buy: 100".into(),
            },
        );
        let sealed = key().seal("coordinator", "p1", &request, 0xabc);
        assert!(sealed.starts_with("3PC VOTE-REQUEST 3 p1,p2 0000000000000abc "));
        assert!(sealed.ends_with(" :buy: 100"));
        assert_eq!(
            key().open("Coordinator", "P1", &sealed),
            Ok((request, 0xabc))
        );
        // Another sender, another recipient, another key, an altered field.
        let bad = Err(AuthError::BadMac);
        assert_eq!(key().open("mallory", "p1", &sealed), bad);
        assert_eq!(key().open("coordinator", "p2", &sealed), bad);
        let other = GroupKey::from_bytes(&[8; 32]);
        assert_eq!(other.open("coordinator", "p1", &sealed), bad);
        let altered = sealed.replace("VOTE-REQUEST 3", "VOTE-REQUEST 4");
        assert_eq!(key().open("coordinator", "p1", &altered), bad);
        let altered = sealed.replace(":buy: 100", ":buy: 900");
        assert_eq!(key().open("coordinator", "p1", &altered), bad);
    }

    #[test]
    fn unsigned_and_garbage_lines_are_refused() {
        let check = |text: &str, expected: AuthError| {
            assert_eq!(key().open("c", "p1", text), Err(expected), "{text:?}");
        };
        check("3PC GLOBAL-COMMIT 1", AuthError::Unsigned);
        check("3PC STATE 1 COMMIT", AuthError::Unsigned);
        check("3PC VOTE-REQUEST 1 p1 :x", AuthError::Unsigned);
        check("3PC ACK 1 00 zz", AuthError::BadMac);
        check("3PC ACK 1 0000000000000001 00ff", AuthError::BadMac);
        check("MSG 1", AuthError::Message(MessageError::NotThreePc));
    }

    #[test]
    fn key_files_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("group.key");
        assert!(matches!(GroupKey::load(&path), Err(KeyError::Missing(_))));
        GroupKey::create_file(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(
            GroupKey::create_file(&path),
            Err(KeyError::Exists(_))
        ));
        let sealed = GroupKey::load(&path)
            .unwrap()
            .seal("c", "p1", &message(1, Body::Ack), 1);
        assert!(
            GroupKey::load(&path)
                .unwrap()
                .open("c", "p1", &sealed)
                .is_ok()
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            GroupKey::load(&path),
            Err(KeyError::TooOpen { .. })
        ));
        fs::write(dir.path().join("bad.key"), "nope\n").unwrap();
        let bad = dir.path().join("bad.key");
        fs::set_permissions(&bad, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(GroupKey::load(&bad), Err(KeyError::Malformed(_))));
    }
}
