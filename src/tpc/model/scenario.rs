//! Row X1 as a script: the known limit of 3PC.
//!
//! The coordinator crashes after its PRECOMMIT reached p1 only (C4), and the
//! network splits {p1} from {p2, p3}. Without the disconnect rule, p1 keeps
//! running alone: its termination protocol has R = {p1 in PRECOMMIT} and
//! commits, while p2 and p3 (R = {p2, p3}, both READY) abort. I1 breaks. With the
//! rule, being cut off from the server is a crash: p1 decides nothing until it
//! is back, then recovers and adopts the abort the others decided.

use super::invariants::check_safety;
use super::world::{Payload, World};
use crate::tpc::participant::VotePolicy;
use crate::tpc::{Body, Input, Outcome, Record};

/// Runs X1 and returns each process's decision (`None`: undecided), coordinator
/// first, and the invariant broken, if any.
pub fn x1_partition(disconnect_rule: bool) -> (Vec<Option<Outcome>>, Option<&'static str>) {
    let mut world = World::initial(
        [VotePolicy::Always(Outcome::Commit); 3],
        &super::Bounds::standard(),
    );
    let members = ["p1", "p2", "p3"].map(String::from).to_vec();
    let actions = world.handle(
        0,
        Input::Request {
            text: "t".into(),
            members,
            run: super::world::RUN,
        },
    );
    world.perform(0, &actions, usize::MAX);
    // Deliver until the coordinator has sent its PRECOMMITs; it crashes at once.
    while !world.processes[0]
        .disk
        .log
        .iter()
        .any(|r| matches!(r, Record::Precommit(_)))
    {
        assert!(world.advance(), "the run stalled before PRECOMMIT");
    }
    world.processes[0].machine = None;
    world.crashes += 1;
    // Only the PRECOMMIT to p1 is delivered before the split.
    world.network.retain(|e| {
        let precommit = matches!(&e.payload, Payload::Message(m) if m.body == Body::Precommit);
        !precommit || e.to == 1
    });
    while world.advance()
        && !world.processes[1]
            .disk
            .log
            .iter()
            .any(|r| matches!(r, Record::Precommit(_)))
    {}
    if disconnect_rule {
        world.crash(1); // cut off from the server = crashed until it is back
    } else {
        world.partition = Some(0b0011); // {c, p1} | {p2, p3}; c is down anyway
        world.network.retain(|e| !split(e.from, e.to));
    }
    while world.advance() && world.now < 100 {}
    if disconnect_rule {
        world.restart(1);
        while world.advance() && world.now < 200 {}
    }
    let decisions = world
        .processes
        .iter()
        .map(|p| p.disk.decisions().next().map(|(_, outcome)| outcome))
        .collect();
    (
        decisions,
        check_safety(&world).map(|(invariant, _)| invariant),
    )
}

/// True if processes `a` and `b` are on different sides of {c, p1} | {p2, p3}.
fn split(a: usize, b: usize) -> bool {
    let mask = 0b0011u8;
    (mask >> a) & 1 != (mask >> b) & 1
}
