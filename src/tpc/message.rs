//! The 3PC messages and their codec.
//!
//! Every message is the text of a `PRIV` line and has the grammar of a server line:
//! `3PC <TYPE> <tx> [FIELD ...] [:TEXT]`. Parsing is strict about the fields a type
//! needs and ignores extra ones (so the protocol can grow); a line that does not
//! parse is an error value, never a panic. Encoding is the exact inverse.

use crate::protocol::grammar::{self, Line, ParseError};
use crate::protocol::validate_name;

use super::{Outcome, PeerState, TxId, Verdict};

/// The kind every 3PC line starts with.
pub const KIND: &str = "3PC";

/// One 3PC message about transaction `tx`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Message {
    /// The transaction it is about.
    pub tx: TxId,
    /// What it says.
    pub body: Body,
}

/// The message types of the specification.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Body {
    /// Coordinator to each participant: vote on `text`.
    VoteRequest {
        /// The participants of this transaction, in the coordinator's order.
        members: Vec<String>,
        /// The string to be committed.
        text: String,
    },
    /// Participant to coordinator: yes.
    VoteCommit,
    /// Participant to coordinator: no.
    VoteAbort,
    /// Coordinator (or termination leader) to participants: everyone voted yes.
    Precommit,
    /// Participant to whoever sent PRECOMMIT.
    Ack,
    /// The decision: commit.
    GlobalCommit,
    /// The decision: abort.
    GlobalAbort,
    /// Termination: what is your state?
    StateReq,
    /// The answer to `StateReq`.
    State(PeerState),
    /// Recovery: what was decided?
    DecisionReq,
    /// The answer to `DecisionReq`: `None` is `UNDECIDED`.
    Decision(Option<Outcome>),
    /// Participant to a coordinator whose VOTE-REQUEST reuses an id this
    /// participant already saw for another transaction: ids here reach the
    /// given one (a coordinator that lost its `--dir`, or a second one).
    Conflict(TxId),
    /// Participant to a coordinator whose VOTE-REQUEST arrived while it is
    /// still in the given transaction (of another coordinator, mostly): it
    /// takes no part, and the coordinator aborts at once.
    Busy(TxId),
    /// Catch-up: a participant asked to vote on a transaction whose id is
    /// above its highest known one + 1 asks each other member of that
    /// request what became of a transaction it missed, for its own log.
    OutcomeReq,
    /// The answer to `OutcomeReq`, from the answerer's state log, about the
    /// asker's line for that transaction.
    Outcome(Verdict),
    /// Participant to whoever sent it a VOTE-REQUEST that fails its key:
    /// sealed with its own key, so the coordinator, failing to open it too,
    /// can say the keys differ. Never answered; it moves no machine.
    KeyMismatch,
}

impl Body {
    /// The type word on the wire.
    pub fn type_word(&self) -> &'static str {
        match self {
            Body::VoteRequest { .. } => "VOTE-REQUEST",
            Body::VoteCommit => "VOTE-COMMIT",
            Body::VoteAbort => "VOTE-ABORT",
            Body::Precommit => "PRECOMMIT",
            Body::Ack => "ACK",
            Body::GlobalCommit => "GLOBAL-COMMIT",
            Body::GlobalAbort => "GLOBAL-ABORT",
            Body::StateReq => "STATE-REQ",
            Body::State(_) => "STATE",
            Body::DecisionReq => "DECISION-REQ",
            Body::Decision(_) => "DECISION",
            Body::Conflict(_) => "CONFLICT",
            Body::Busy(_) => "BUSY",
            Body::KeyMismatch => "KEY-MISMATCH",
            Body::OutcomeReq => "OUTCOME-REQ",
            Body::Outcome(_) => "OUTCOME",
        }
    }

    /// The decision message for `outcome`.
    pub fn global(outcome: Outcome) -> Body {
        match outcome {
            Outcome::Commit => Body::GlobalCommit,
            Outcome::Abort => Body::GlobalAbort,
        }
    }
}

/// Why a 3PC line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The line does not have the `KIND [FIELD ...] [:TEXT]` shape, or lacks a field.
    #[error(transparent)]
    Grammar(#[from] ParseError),
    /// The line is a server line of another kind, not a 3PC message.
    #[error("not a 3PC message")]
    NotThreePc,
    /// The type word is not one of the specification's.
    #[error("unknown 3PC type {0:?}")]
    UnknownType(String),
    /// A member list is empty, repeats a name, or holds an invalid name.
    #[error("bad member list {0:?}")]
    BadMembers(String),
    /// The text of a VOTE-REQUEST is empty or holds a line break.
    #[error("a VOTE-REQUEST needs a non-empty one-line text")]
    BadText,
}

impl Message {
    /// Reads a 3PC message from the text of a private message.
    pub fn parse(input: &str) -> Result<Message, MessageError> {
        let line = Line::parse(input)?;
        if line.kind != KIND {
            return Err(MessageError::NotThreePc);
        }
        let type_word = line.field(0, "type")?;
        let tx = line.number(1, "tx")?;
        let body = match type_word {
            "VOTE-REQUEST" => parse_vote_request(&line)?,
            "VOTE-COMMIT" => Body::VoteCommit,
            "VOTE-ABORT" => Body::VoteAbort,
            "PRECOMMIT" => Body::Precommit,
            "ACK" => Body::Ack,
            "GLOBAL-COMMIT" => Body::GlobalCommit,
            "GLOBAL-ABORT" => Body::GlobalAbort,
            "STATE-REQ" => Body::StateReq,
            "STATE" => Body::State(parse_state(line.field(2, "state")?)?),
            "DECISION-REQ" => Body::DecisionReq,
            "DECISION" => Body::Decision(parse_decision(line.field(2, "decision")?)?),
            "CONFLICT" => Body::Conflict(line.number(2, "highest")?),
            "BUSY" => Body::Busy(line.number(2, "current")?),
            "KEY-MISMATCH" => Body::KeyMismatch,
            "OUTCOME-REQ" => Body::OutcomeReq,
            "OUTCOME" => Body::Outcome(parse_verdict(line.field(2, "verdict")?)?),
            other => return Err(MessageError::UnknownType(other.to_owned())),
        };
        Ok(Message { tx, body })
    }

    /// The message as the text of a private message.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let tx = self.tx.to_string();
        let type_word = self.body.type_word();
        match &self.body {
            Body::VoteRequest { members, text } => {
                let members = members.join(",");
                grammar::encode_into(&mut out, KIND, &[type_word, &tx, &members], Some(text));
            }
            Body::State(state) => {
                grammar::encode_into(&mut out, KIND, &[type_word, &tx, state.as_str()], None);
            }
            Body::Decision(decision) => {
                let word = decision.map_or("UNDECIDED", Outcome::as_str);
                grammar::encode_into(&mut out, KIND, &[type_word, &tx, word], None);
            }
            Body::Outcome(verdict) => {
                let word = verdict.as_str();
                grammar::encode_into(&mut out, KIND, &[type_word, &tx, word], None);
            }
            Body::Conflict(other) | Body::Busy(other) => {
                let other = other.to_string();
                grammar::encode_into(&mut out, KIND, &[type_word, &tx, &other], None);
            }
            _ => grammar::encode_into(&mut out, KIND, &[type_word, &tx], None),
        }
        out
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

/// True if a private message's text claims to be a 3PC message (it may still
/// fail to parse).
pub fn looks_like_3pc(text: &str) -> bool {
    text == KIND || text.starts_with("3PC ")
}

fn parse_vote_request(line: &Line<'_>) -> Result<Body, MessageError> {
    let list = line.field(2, "members")?;
    let members: Vec<String> = list.split(',').map(str::to_owned).collect();
    let mut keys: Vec<String> = members.iter().map(|m| m.to_ascii_lowercase()).collect();
    keys.sort();
    keys.dedup();
    if keys.len() != members.len() || members.iter().any(|m| validate_name(m).is_err()) {
        return Err(MessageError::BadMembers(list.to_owned()));
    }
    let text = line.required_text()?;
    if text.is_empty() || text.contains(['\n', '\r']) {
        return Err(MessageError::BadText);
    }
    Ok(Body::VoteRequest {
        members,
        text: text.to_owned(),
    })
}

fn parse_state(word: &str) -> Result<PeerState, MessageError> {
    PeerState::parse(word).ok_or_else(|| bad_value("state", word))
}

fn parse_decision(word: &str) -> Result<Option<Outcome>, MessageError> {
    match word {
        "COMMIT" => Ok(Some(Outcome::Commit)),
        "ABORT" => Ok(Some(Outcome::Abort)),
        "UNDECIDED" => Ok(None),
        other => Err(bad_value("decision", other)),
    }
}

fn parse_verdict(word: &str) -> Result<Verdict, MessageError> {
    Verdict::parse(word).ok_or_else(|| bad_value("verdict", word))
}

fn bad_value(field: &'static str, value: &str) -> MessageError {
    MessageError::Grammar(ParseError::BadValue {
        field,
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<Message, MessageError>) {
        let got = Message::parse(input);
        assert_eq!(got, expected, "input {input:?}");
        if let Ok(message) = got {
            assert_eq!(message.encode(), input, "round trip of {input:?}");
        }
    }

    fn ok(tx: TxId, body: Body) -> Result<Message, MessageError> {
        Ok(Message { tx, body })
    }

    fn members(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn parse_table() {
        let vote_request = |text: &str| Body::VoteRequest {
            members: members(&["p1", "p2", "p3"]),
            text: text.into(),
        };
        check(
            "3PC VOTE-REQUEST 1 p1,p2,p3 :buy 100",
            ok(1, vote_request("buy 100")),
        );
        check(
            "3PC VOTE-REQUEST 9 p1,p2,p3 :a :b",
            ok(9, vote_request("a :b")),
        );
        check("3PC VOTE-COMMIT 2", ok(2, Body::VoteCommit));
        check("3PC VOTE-ABORT 2", ok(2, Body::VoteAbort));
        check("3PC PRECOMMIT 3", ok(3, Body::Precommit));
        check("3PC ACK 3", ok(3, Body::Ack));
        check("3PC GLOBAL-COMMIT 4", ok(4, Body::GlobalCommit));
        check("3PC GLOBAL-ABORT 4", ok(4, Body::GlobalAbort));
        check("3PC STATE-REQ 5", ok(5, Body::StateReq));
        check(
            "3PC STATE 5 PRECOMMIT",
            ok(5, Body::State(PeerState::Precommit)),
        );
        check(
            "3PC STATE 5 RECOVERING",
            ok(5, Body::State(PeerState::Recovering)),
        );
        check(
            "3PC STATE 5 UNKNOWN",
            ok(5, Body::State(PeerState::Unknown)),
        );
        check("3PC DECISION-REQ 6", ok(6, Body::DecisionReq));
        check(
            "3PC DECISION 6 COMMIT",
            ok(6, Body::Decision(Some(Outcome::Commit))),
        );
        check("3PC DECISION 6 UNDECIDED", ok(6, Body::Decision(None)));
        check("3PC CONFLICT 1 9", ok(1, Body::Conflict(9)));
        check("3PC BUSY 5 1", ok(5, Body::Busy(1)));
        check("3PC KEY-MISMATCH 5", ok(5, Body::KeyMismatch));
        check("3PC OUTCOME-REQ 7", ok(7, Body::OutcomeReq));
        check("3PC OUTCOME 7 ABORT", ok(7, Body::Outcome(Verdict::Abort)));
        check(
            "3PC OUTCOME 7 COMMIT",
            ok(7, Body::Outcome(Verdict::Commit)),
        );
        check(
            "3PC OUTCOME 7 NONE",
            ok(7, Body::Outcome(Verdict::NotMember)),
        );
        check(
            "3PC OUTCOME 7 UNKNOWN",
            ok(7, Body::Outcome(Verdict::Unknown)),
        );
    }

    #[test]
    fn extra_fields_are_ignored() {
        let got = Message::parse("3PC ACK 3 later-field").unwrap();
        assert_eq!(
            got,
            Message {
                tx: 3,
                body: Body::Ack
            }
        );
    }

    #[test]
    fn bad_input_table() {
        let missing = |field| {
            Err(MessageError::Grammar(ParseError::MissingField {
                kind: "3PC".into(),
                field,
            }))
        };
        check("", Err(MessageError::Grammar(ParseError::Empty)));
        check(
            "hello there",
            Err(MessageError::Grammar(ParseError::BadKind("hello".into()))),
        );
        check("MSG 1", Err(MessageError::NotThreePc));
        check("3PC", missing("type"));
        check("3PC ACK", missing("tx"));
        check("3PC STATE 1", missing("state"));
        check("3PC VOTE-REQUEST 1", missing("members"));
        check("3PC FROB 1", Err(MessageError::UnknownType("FROB".into())));
        check(
            "3PC ACK -1",
            Err(MessageError::Grammar(ParseError::BadNumber {
                field: "tx",
                value: "-1".into(),
            })),
        );
        check("3PC STATE 1 SLEEPY", Err(bad_value("state", "SLEEPY")));
        check("3PC DECISION 1 MAYBE", Err(bad_value("decision", "MAYBE")));
        check("3PC OUTCOME 1 MAYBE", Err(bad_value("verdict", "MAYBE")));
        check("3PC OUTCOME 1", missing("verdict"));
        check(
            "3PC VOTE-REQUEST 1 p1,p1 :x",
            Err(MessageError::BadMembers("p1,p1".into())),
        );
        check(
            "3PC VOTE-REQUEST 1 p1,,p2 :x",
            Err(MessageError::BadMembers("p1,,p2".into())),
        );
        check(
            "3PC VOTE-REQUEST 1 p1",
            Err(MessageError::Grammar(ParseError::MissingText("3PC".into()))),
        );
        check("3PC VOTE-REQUEST 1 p1 :", Err(MessageError::BadText));
    }
}
