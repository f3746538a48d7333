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
//! It also holds every message of an earlier run of transaction 1 (a
//! coordinator that lost its `--dir` numbers from 1 again), recorded before
//! the model's run starts: [`earlier_run`].
//!
//! With authentication off, it sends any message of the vocabulary below about
//! the transaction, and the exploration finds defects 1 and 2 of issue 15.

use super::label::Label;
use std::collections::BTreeSet;

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
        if !world.is_up(envelope.to) || unseen_earlier_abort(world, &envelope) {
            continue;
        }
        let mut base = world.clone();
        base.injections += 1;
        let label = Label::Stranger(envelope.clone());
        deliver(base, &envelope, label, bounds, out);
    }
}

/// The nonce of the earlier run of transaction 1 (not the model's [`RUN`]).
///
/// [`RUN`]: super::world::RUN
pub(super) const EARLIER_RUN: crate::tpc::Nonce = 0x2000;

/// What a stranger recorded of an earlier run of transaction 1: each
/// message of the commit phase the coordinator and each member may have sent
/// in it, sealed for its recipient, each carrying that run's nonce. (Not its
/// VOTE-REQUEST: replayed to a participant that never saw transaction 1, it
/// starts that old run there, which can only abort, as the coordinator
/// refuses its vote; docs/three-phase-commit.md says so.)
pub(super) fn earlier_run() -> BTreeSet<Envelope> {
    let from_coordinator = [Body::Precommit, Body::GlobalCommit, Body::GlobalAbort];
    let from_member = [Body::VoteCommit, Body::VoteAbort, Body::Ack];
    let envelope = |from, to, body: &Body| Envelope {
        to,
        from,
        payload: Payload::Message(Message {
            tx: 1,
            body: body.clone(),
        }),
        nonce: EARLIER_RUN,
    };
    let mut out = BTreeSet::new();
    for member in 1..NAMES.len() {
        out.extend(from_coordinator.iter().map(|b| envelope(0, member, b)));
        out.extend(from_member.iter().map(|b| envelope(member, 0, b)));
    }
    out
}

/// An earlier run's message to a participant that has no record of
/// transaction 1 yet. Only its GLOBAL-ABORT moves anything there: adopted as
/// the catch-up of a transaction it missed, an abort of an id it never voted
/// on, which is safe (the coordinator's run of that id then meets `CONFLICT`
/// and aborts everywhere) but leaves a line the completion check would call a
/// record without a transaction if the coordinator never runs the id. Left
/// out; docs/three-phase-commit.md names it.
fn unseen_earlier_abort(world: &World, envelope: &Envelope) -> bool {
    envelope.nonce == EARLIER_RUN
        && envelope.to != 0
        && world.processes[envelope.to].disk.log.is_empty()
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
