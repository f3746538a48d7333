//! The stranger: a chat user outside the group who may send any 3PC message to
//! any process, under its own name or under any member's (a crashed member's
//! name is free to take), at any moment, a bounded number of times.
//!
//! With authentication on, a message the stranger makes up does not open (it
//! has no key), so the driver drops it before any machine sees it; the model
//! leaves those out, as they change nothing. What it can still do is send again
//! a copy of any message a member ever sent, to the same recipient under the
//! same sender name (the MAC binds both), at any later moment: a replay. That
//! is stronger than what a chat user can do (the server shows a private
//! message only to its sender and recipient), and covers a server that replays.
//!
//! With authentication off, it sends any message of the vocabulary below about
//! the transaction, and the exploration finds defects 1 and 2 of issue 15.

use super::label::Label;
use super::world::{Envelope, Payload, STRANGER_INDEX, World, deliver};
use super::{Bounds, NAMES, TEXT};
use crate::tpc::message::{Body, Message};
use crate::tpc::{Outcome, PeerState};

/// Every message the stranger can send now, each delivered to its recipient.
pub(super) fn injections(world: &World, bounds: &Bounds, out: &mut Vec<(Label, World)>) {
    if world.injections >= bounds.strangers {
        return;
    }
    let candidates: Vec<Envelope> = match &world.wire {
        Some(wire) => wire.iter().cloned().collect(),
        None if !world.authentication => forged(),
        None => Vec::new(),
    };
    for envelope in candidates {
        if !world.is_up(envelope.to) {
            continue;
        }
        let mut base = world.clone();
        base.injections += 1;
        let label = Label::Stranger(envelope.clone());
        deliver(base, &envelope, label, bounds, out);
    }
}

/// Every message about transaction 1, from every name (the stranger's own
/// too) to every process.
fn forged() -> Vec<Envelope> {
    let members = NAMES[1..].iter().map(|n| n.to_string()).collect();
    let mut bodies = vec![
        Body::VoteRequest {
            members,
            text: format!("{TEXT}-forged"),
        },
        Body::VoteCommit,
        Body::VoteAbort,
        Body::Precommit,
        Body::Ack,
        Body::GlobalCommit,
        Body::GlobalAbort,
        Body::StateReq,
        Body::DecisionReq,
        Body::Decision(None),
        Body::Decision(Some(Outcome::Commit)),
        Body::Decision(Some(Outcome::Abort)),
    ];
    bodies.extend(
        [
            PeerState::Unknown,
            PeerState::Init,
            PeerState::Ready,
            PeerState::Precommit,
            PeerState::Commit,
            PeerState::Abort,
            PeerState::Recovering,
        ]
        .map(Body::State),
    );
    let mut out = Vec::new();
    for from in 0..=STRANGER_INDEX {
        for to in 0..NAMES.len() {
            for body in &bodies {
                if from == to {
                    continue;
                }
                let message = Message {
                    tx: 1,
                    body: body.clone(),
                };
                out.push(Envelope {
                    to,
                    from,
                    payload: Payload::Message(message),
                    nonce: 0,
                });
            }
        }
    }
    out
}
