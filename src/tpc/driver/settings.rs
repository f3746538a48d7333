//! What both 3PC binaries are told ([`Settings`]) and why they stop with an
//! error ([`DriverError`], each variant mapped to exit code 2 by the binaries).

use std::path::PathBuf;

use crate::conn::secure::{Credentials, Endpoint};
use crate::tpc::auth::{GroupKey, KeyError};
use crate::tpc::log::LogError;
use crate::tpc::output::Style;
use crate::tpc::{Timing, TxId};

/// What both binaries are told.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The chat server, and how to trust it (plain TCP or TLS).
    pub endpoint: Endpoint,
    /// How to log in if the name is an account.
    pub credentials: Credentials,
    /// This process's chat name.
    pub name: String,
    /// Where the state log and the commit log live.
    pub dir: PathBuf,
    /// T and what follows from it.
    pub timing: Timing,
    /// Plain or terminal output.
    pub style: Style,
    /// `CHAT3PC_CRASH_AT`, if set.
    pub crash_at: Option<String>,
    /// The group's key: every message out is sealed with it, every one in
    /// must open with it.
    pub key: GroupKey,
    /// Where the key came from, to name it when another process's key differs.
    pub key_file: PathBuf,
    /// At start, wait for the name to be free instead of stopping.
    pub wait_for_name: bool,
}

/// Why a 3PC process stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The server cannot be trusted (a certificate that does not match, or a
    /// password that would travel in clear), or the password could not be had.
    /// Retrying would not help.
    #[error("{0}")]
    Untrusted(String),
    /// The state log or the commit log could not be read or written. The process
    /// stops rather than go on without its durable state.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The server refused the name for good (invalid or not allowed).
    #[error("the server refused the name {name}: {text}")]
    NameRefused {
        /// The name asked for.
        name: String,
        /// The server's explanation.
        text: String,
    },
    /// A flag value that cannot work (a bad participant name, ...).
    #[error("{0}")]
    BadArgument(String),
    /// A participant had already used the transaction's id: another
    /// coordinator, or this one with another `--dir`, ran the group. The ids in
    /// use are recorded, so the next run goes on after them.
    #[error("transaction {tx} refused by {from}: ids in this group reach {highest} (another coordinator, or this one with another --dir, ran it); run again: ids go on from {next}", next = highest + 1)]
    IdConflict {
        /// The refused transaction.
        tx: TxId,
        /// Who refused it.
        from: String,
        /// The highest id it has seen.
        highest: TxId,
    },
    /// At start, the name is taken on the server: another process uses it.
    #[error(
        "the name {0} is taken on the server: another process uses it (or the server has not yet noticed a crashed one). Stop it, choose another --name, or pass --wait-for-name"
    )]
    NameTaken(String),
    /// The group's key file is missing, unreadable, malformed or not private.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// `--dir` names nothing.
    #[error("--dir {0}: no such directory; create it (mkdir -p {0}) or pass an existing one")]
    NoDir(PathBuf),
    /// `--dir` names something that is not a directory.
    #[error("--dir {0}: not a directory; pass the directory the logs (and key) live in")]
    NotADir(PathBuf),
}
