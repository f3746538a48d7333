//! The two files a 3PC process keeps: its state log and its commit log.
//!
//! The state log (`<name>.state`) is append-only, one [`Record`] per line in the
//! server-line grammar, and every append is fsynced before `append` returns: the
//! driver relies on that to force a record before the message that depends on it
//! leaves. Reading it back is how a process recovers. A last line without its LF
//! (a power cut in the middle of a write) never counted, so it is cut off.
//!
//! The commit log (`<name>.log`) is what the transactions produce: one line per
//! decided transaction, the string on commit, an empty line on abort. Exactly one
//! line per transaction, even across crashes: the state log records `APPLIED tx`
//! after the line is synced, and recovery compares the number of lines with the
//! number of `APPLIED` records to tell whether the line of the last decision is
//! already there.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::protocol::grammar::{self, Line, ParseError};

use super::auth::Nonce;
use super::{Outcome, TxId};

/// What a participant knows of a transaction it was asked to vote on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxInfo {
    /// The transaction.
    pub tx: TxId,
    /// Who sent the VOTE-REQUEST.
    pub coordinator: String,
    /// The participants.
    pub members: Vec<String>,
    /// The string to commit.
    pub text: String,
    /// The VOTE-REQUEST's nonce: every later message of this run of the
    /// transaction carries it (see [`super::auth`]).
    pub run: Nonce,
}

/// One line of a state log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Record {
    /// Coordinator: a transaction started (forced before VOTE-REQUEST).
    Begin {
        /// The transaction.
        tx: TxId,
        /// Its participants.
        members: Vec<String>,
        /// The string.
        text: String,
        /// The run's nonce, which the VOTE-REQUEST and every later message of
        /// the transaction carry.
        run: Nonce,
    },
    /// Participant: a VOTE-REQUEST arrived, so a restart knows to abort it.
    Init(TxInfo),
    /// Participant: it voted commit (forced before VOTE-COMMIT).
    Ready(TxInfo),
    /// PRECOMMIT reached (coordinator: forced before sending PRECOMMIT;
    /// participant: before its ACK).
    Precommit(TxId),
    /// The decision (forced before GLOBAL-* or before the commit-log line).
    Decided(TxId, Outcome),
    /// Participant: the commit-log line for this transaction is written and synced.
    Applied(TxId),
    /// Coordinator: a participant has seen ids up to here; the next
    /// transaction's id is at least this (forced before the conflict's ABORT).
    Next(TxId),
}

impl Record {
    /// The transaction the record is about.
    pub fn tx(&self) -> TxId {
        match self {
            Record::Begin { tx, .. } => *tx,
            Record::Init(info) | Record::Ready(info) => info.tx,
            Record::Precommit(tx)
            | Record::Decided(tx, _)
            | Record::Applied(tx)
            | Record::Next(tx) => *tx,
        }
    }

    /// The first word of the record, as used in crash point names.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Begin { .. } => "BEGIN",
            Record::Init(_) => "INIT",
            Record::Ready(_) => "READY",
            Record::Precommit(_) => "PRECOMMIT",
            Record::Decided(_, outcome) => outcome.as_str(),
            Record::Applied(_) => "APPLIED",
            Record::Next(_) => "NEXT",
        }
    }

    /// The record as one line, without LF.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let tx = self.tx().to_string();
        match self {
            Record::Begin {
                members, text, run, ..
            } => {
                let members = members.join(",");
                let run = format!("{run:016x}");
                grammar::encode_into(&mut out, self.kind(), &[&tx, &members, &run], Some(text));
            }
            Record::Init(info) | Record::Ready(info) => {
                let members = info.members.join(",");
                let run = format!("{:016x}", info.run);
                let fields = [tx.as_str(), &info.coordinator, &members, &run];
                grammar::encode_into(&mut out, self.kind(), &fields, Some(&info.text));
            }
            _ => grammar::encode_into(&mut out, self.kind(), &[&tx], None),
        }
        out
    }

    /// Reads a line written by [`Record::encode`].
    pub fn parse(input: &str) -> Result<Record, ParseError> {
        let line = Line::parse(input)?;
        let tx = line.number(0, "tx")?;
        let members = |index| -> Result<Vec<String>, ParseError> {
            Ok(line
                .field(index, "members")?
                .split(',')
                .map(str::to_owned)
                .collect())
        };
        let run = |index| -> Result<Nonce, ParseError> {
            if line.fields.len() == index {
                return Ok(LEGACY_RUN);
            }
            let field = line.field(index, "run")?;
            Nonce::from_str_radix(field, 16).map_err(|_| ParseError::BadValue {
                field: "run",
                value: field.to_owned(),
            })
        };
        let info = || -> Result<TxInfo, ParseError> {
            Ok(TxInfo {
                tx,
                coordinator: line.field(1, "coordinator")?.to_owned(),
                members: members(2)?,
                text: line.required_text()?.to_owned(),
                run: run(3)?,
            })
        };
        Ok(match line.kind {
            "BEGIN" => Record::Begin {
                tx,
                members: members(1)?,
                text: line.required_text()?.to_owned(),
                run: run(2)?,
            },
            "INIT" => Record::Init(info()?),
            "READY" => Record::Ready(info()?),
            "PRECOMMIT" => Record::Precommit(tx),
            "COMMIT" => Record::Decided(tx, Outcome::Commit),
            "ABORT" => Record::Decided(tx, Outcome::Abort),
            "APPLIED" => Record::Applied(tx),
            "NEXT" => Record::Next(tx),
            other => {
                return Err(ParseError::BadValue {
                    field: "record",
                    value: other.to_owned(),
                });
            }
        })
    }
}

/// The run of a transaction whose record was written before records carried
/// one (chatroom before run nonces): such a log still opens, and its
/// transactions are finished or recovered as the run "0". Every message is
/// still authenticated by the group's key; only the binding to one run is
/// missing, for transactions that were already under way at the upgrade.
pub const LEGACY_RUN: Nonce = 0;

/// Why a log could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading, writing or syncing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A complete line of the state log does not parse: the file is not ours or
    /// was edited. Recovery refuses to guess.
    #[error("{path}, line {line}: {error}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        error: ParseError,
    },
    /// Another running process holds the state log: two processes with one
    /// name and one directory would corrupt each other's decisions.
    #[error(
        "{0} is in use by another running process with this --name and --dir; stop it, or give this one its own --dir"
    )]
    Locked(PathBuf),
}

/// Locks the state log of the process called `name` for as long as the
/// returned file stays open (the lock dies with the process): one process per
/// name and directory. Fails at once with [`LogError::Locked`] if it is taken.
pub fn lock(dir: &Path, name: &str) -> Result<File, LogError> {
    let path = StateLog::path(dir, name);
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|source| LogError::Io {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(LogError::Locked(path)),
        Err(std::fs::TryLockError::Error(source)) => Err(LogError::Io { path, source }),
    }
}

/// An append-only file of lines, each synced before `append` returns.
#[derive(Debug)]
struct LineFile {
    path: PathBuf,
    file: File,
}

impl LineFile {
    /// Opens (or creates) the file and returns it with its complete lines; a
    /// trailing partial line is cut off.
    fn open(path: PathBuf) -> Result<(LineFile, Vec<String>), LogError> {
        let io_error = |source| LogError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_error)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_error)?;
        let complete = bytes
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        if complete < bytes.len() {
            file.set_len(complete as u64).map_err(io_error)?;
            file.sync_all().map_err(io_error)?;
        }
        sync_parent(&path).map_err(io_error)?;
        let text = String::from_utf8_lossy(&bytes[..complete]);
        let lines = text.lines().map(str::to_owned).collect();
        Ok((LineFile { path, file }, lines))
    }

    fn append(&mut self, line: &str) -> Result<(), LogError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| LogError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

/// The state log of one process. See the module docs.
#[derive(Debug)]
pub struct StateLog {
    file: LineFile,
}

impl StateLog {
    /// The state log's file name for a process called `name`.
    pub fn path(dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{name}.state"))
    }

    /// Opens the log and reads back every record, oldest first.
    pub fn open(dir: &Path, name: &str) -> Result<(StateLog, Vec<Record>), LogError> {
        let path = StateLog::path(dir, name);
        let (file, lines) = LineFile::open(path.clone())?;
        let mut records = Vec::with_capacity(lines.len());
        for (index, line) in lines.iter().enumerate() {
            let record = Record::parse(line).map_err(|error| LogError::Corrupt {
                path: path.clone(),
                line: index + 1,
                error,
            })?;
            records.push(record);
        }
        Ok((StateLog { file }, records))
    }

    /// Appends one record and fsyncs it.
    pub fn append(&mut self, record: &Record) -> Result<(), LogError> {
        self.file.append(&record.encode())
    }
}

/// The commit log of one participant. See the module docs.
#[derive(Debug)]
pub struct CommitLog {
    file: LineFile,
    lines: usize,
}

impl CommitLog {
    /// The commit log's file name for a participant called `name`.
    pub fn path(dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{name}.log"))
    }

    /// Opens the commit log and counts its complete lines.
    pub fn open(dir: &Path, name: &str) -> Result<CommitLog, LogError> {
        let (file, lines) = LineFile::open(CommitLog::path(dir, name))?;
        Ok(CommitLog {
            file,
            lines: lines.len(),
        })
    }

    /// How many complete lines the log holds.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Appends one line and fsyncs it.
    pub fn append(&mut self, line: &str) -> Result<(), LogError> {
        self.file.append(line)?;
        self.lines += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(record: Record, encoded: &str) {
        assert_eq!(record.encode(), encoded);
        assert_eq!(Record::parse(encoded), Ok(record), "parse {encoded:?}");
    }

    #[test]
    fn record_table() {
        let members = vec!["p1".to_string(), "p2".to_string()];
        let info = TxInfo {
            tx: 3,
            coordinator: "coord".into(),
            members: members.clone(),
            text: "buy: 100".into(),
            run: 0xa1,
        };
        let begin = Record::Begin {
            tx: 1,
            members,
            text: "x".into(),
            run: 0xfedcba9876543210,
        };
        check(begin, "BEGIN 1 p1,p2 fedcba9876543210 :x");
        let init = "INIT 3 coord p1,p2 00000000000000a1 :buy: 100";
        check(Record::Init(info.clone()), init);
        check(Record::Ready(info), &init.replace("INIT", "READY"));
        check(Record::Precommit(4), "PRECOMMIT 4");
        check(Record::Decided(5, Outcome::Commit), "COMMIT 5");
        check(Record::Decided(5, Outcome::Abort), "ABORT 5");
        check(Record::Applied(6), "APPLIED 6");
        check(Record::Next(7), "NEXT 7");
        assert!(Record::parse("FROB 1").is_err());
        assert!(Record::parse("COMMIT x").is_err());
        assert!(Record::parse("BEGIN 1 zz p1 :x").is_err());
        assert!(Record::parse("BEGIN 1 p1 zz :x").is_err());
    }

    #[test]
    fn records_written_before_runs_read_as_the_legacy_run() {
        let begin = Record::parse("BEGIN 1 p1,p2 :x").unwrap();
        assert!(
            matches!(
                begin,
                Record::Begin {
                    run: LEGACY_RUN,
                    ..
                }
            ),
            "{begin:?}"
        );
        match Record::parse("READY 2 coord p1,p2 :y").unwrap() {
            Record::Ready(info) => assert_eq!((info.tx, info.run), (2, LEGACY_RUN)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn partial_last_line_is_cut_off() {
        let dir = std::env::temp_dir().join(format!("tpc-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(StateLog::path(&dir, "p"), "COMMIT 1\nAPPLIED 1\nCOMM").unwrap();
        let (mut log, records) = StateLog::open(&dir, "p").unwrap();
        assert_eq!(
            records,
            vec![Record::Decided(1, Outcome::Commit), Record::Applied(1)]
        );
        log.append(&Record::Decided(2, Outcome::Abort)).unwrap();
        let text = std::fs::read_to_string(StateLog::path(&dir, "p")).unwrap();
        assert_eq!(text, "COMMIT 1\nAPPLIED 1\nABORT 2\n");
        let mut commit = CommitLog::open(&dir, "p").unwrap();
        commit.append("").unwrap();
        commit.append("buy").unwrap();
        assert_eq!(CommitLog::open(&dir, "p").unwrap().lines(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
