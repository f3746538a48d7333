//! What comes in from the server, for the [`Driver`]: each event becomes an
//! input for the machine, a cut, or a line shown and dropped. A 3PC message
//! reaches a machine only if it opens with the group's key and, if it is an
//! answer, answers this process's latest request ([`crate::tpc::auth::Freshness`]); a line that
//! fails the key from a member, or a VOTE-REQUEST that fails it, is named as
//! a key mismatch.

use super::Driver;
use crate::conn::Event;
use crate::protocol::{ServerLine, name_key};
use crate::tpc::auth::AuthError;
use crate::tpc::message::{Body, Message, looks_like_3pc};
use crate::tpc::{Input, Note};

/// How many senders one connection tells of (or hears of) a key mismatch: a
/// stranger sending bad lines under ever new names gets no more answers, and
/// the set stays small.
const MISMATCH_LIMIT: usize = 64;

/// How many `KEY-MISMATCH` answers one connection sends at most. Anyone can
/// cause one (a forged VOTE-REQUEST is all it takes), and every line a
/// participant sends spends its allowance under the server's flood control:
/// answers without end would queue ahead of its votes and termination
/// messages and make them late. One answer is enough for a coordinator with
/// another key to learn of it.
const MISMATCH_ANSWERS: usize = 3;

impl Driver {
    /// Turns a server event into an input for the machine, or a cut. A 3PC
    /// message must open with the group's key and, if it is an answer, answer
    /// this process's latest request; anything else is shown and dropped.
    pub(super) fn inbound(&mut self, event: Event) -> Result<Option<Input>, String> {
        let line = match event {
            Event::Line(line) => line,
            Event::Malformed { line, error } => {
                self.out.note(&Note::Ignored {
                    why: format!("malformed server line {line:?}: {error}"),
                });
                return Ok(None);
            }
            Event::Closed(reason) => {
                return Err(reason.unwrap_or_else(|| "the server closed the connection".into()));
            }
        };
        match line {
            ServerLine::Priv { from, text, .. } => Ok(self.inbound_private(from, &text)),
            ServerLine::Join { name, .. } => Ok(Some(Input::Joined(name))),
            ServerLine::Error { code, text } => {
                // The server's answer to a private message it refused.
                self.clock.taken();
                let code = code.as_str();
                self.out.event(
                    &format!("SERVER-ERROR {code} :{text}"),
                    &format!("server: {code}: {text}"),
                );
                Ok(None)
            }
            ServerLine::Bye { reason } => Err(format!("BYE {reason}")),
            _ => Ok(None),
        }
    }

    /// A private message: the server's copy of one this process sent (the
    /// line is taken), chat (shown), or a 3PC message that must open with the
    /// group's key and, if an answer, answer the latest request.
    fn inbound_private(&mut self, from: String, text: &str) -> Option<Input> {
        if name_key(&from) == name_key(&self.settings.name) {
            self.clock.taken();
            return None;
        }
        if !looks_like_3pc(text) {
            let why = format!("chat from {from}: {text}");
            self.out.note(&Note::Ignored { why });
            return None;
        }
        let opened = self
            .settings
            .key
            .open(&from, &self.settings.name, text)
            .and_then(|(message, nonce)| {
                self.freshness.admit(&from, &message, nonce)?;
                Ok((message, nonce))
            });
        match opened {
            Ok((message, nonce)) => {
                self.out.received(&from, &message);
                self.freshness.heard(&from, &message, nonce);
                Some(Input::Message {
                    from,
                    message,
                    nonce,
                })
            }
            Err(error) => {
                let why = format!("3PC line from {from} refused: {error}: {text:?}");
                self.out.note(&Note::Ignored { why });
                if error == AuthError::BadMac {
                    self.bad_mac(&from, text);
                }
                None
            }
        }
    }

    /// A sealed line that fails our key. From one of the coordinator's
    /// participants, or a VOTE-REQUEST at a participant, it most likely means
    /// the group's processes were given different keys: say so and what to do
    /// (once per name and connection), and a participant tells the sender
    /// with a `KEY-MISMATCH` sealed with its own key, which fails the
    /// sender's key in turn: at most [`MISMATCH_ANSWERS`] times a
    /// connection, and only while none of its own lines waits in the server.
    /// (A stranger can cause these lines too; they change nothing and delay
    /// nothing.)
    fn bad_mac(&mut self, from: &str, text: &str) {
        let Ok(line) = crate::protocol::grammar::Line::parse(text) else {
            return;
        };
        let type_word = line.fields.first().copied().unwrap_or_default();
        let tx = line.fields.get(1).and_then(|tx| tx.parse().ok());
        let is_member = self.group.iter().any(|m| name_key(m) == name_key(from));
        let is_request = self.group.is_empty() && type_word == "VOTE-REQUEST";
        let full = self.mismatch_told.len() >= MISMATCH_LIMIT;
        if !(is_member || is_request) || full || !self.mismatch_told.insert(name_key(from)) {
            return;
        }
        let key_file = self.settings.key_file.display();
        let why = if is_member {
            format!(
                "{from}'s 3PC messages fail our key (--key-file {key_file}): they were made with another key; give every process of the group the same key file"
            )
        } else {
            format!(
                "a VOTE-REQUEST from {from} fails our key (--key-file {key_file}): it was made with another key (or forged); give every process of the group the same key file"
            )
        };
        self.out.event(
            &format!("KEY-MISMATCH {from} :{why}"),
            &format!("key mismatch: {why}"),
        );
        // Only when nothing of ours waits in the server, so an answer never
        // stands in front of a vote (found from outside: 40 strangers with
        // one forged line each turned a commit into an abort).
        let may_answer = self.mismatch_answers < MISMATCH_ANSWERS && self.clock.all_taken();
        if let (true, true, Some(tx)) = (is_request, may_answer, tx) {
            self.mismatch_answers += 1;
            let message = Message {
                tx,
                body: Body::KeyMismatch,
            };
            // A lost connection shows at the next read.
            let _ = self.send(from, &message, None, &mut Vec::new());
        }
    }
}
