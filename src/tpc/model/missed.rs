//! A starting world for catch-up: p3 missed transaction 1, and the
//! coordinator that ran it lost its log.
//!
//! p1 and p2 voted commit on transaction 1 (members p1, p2 and p3) while p3
//! was down, and the coordinator aborted it (the server told it p3 was not
//! there): their disks hold `INIT 1`, `READY 1`, `ABORT 1`, `APPLIED 1` and
//! an empty commit-log line. p3's disk is empty. The coordinator's log is
//! gone, but a `CONFLICT` told it the ids in use (`NEXT 2`), so the model's
//! transaction is 2, and only p1 and p2 know what became of 1. Without
//! catch-up p3 takes transaction 2 as if it had missed nothing, and its
//! commit log ends one line short: I4 breaks.

use super::NAMES;
use super::stranger::EARLIER_RUN;
use super::world::{Machine, World, participant_config, timing};
use crate::tpc::{Coordinator, Outcome, Participant, Record, TxInfo};

/// Turns a fresh starting world into the one above.
pub(super) fn prepare(world: &mut World) {
    let info = TxInfo {
        tx: 1,
        coordinator: NAMES[0].to_owned(),
        members: NAMES[1..].iter().map(|n| n.to_string()).collect(),
        text: "earlier".to_owned(),
        run: EARLIER_RUN,
    };
    for (i, name) in NAMES.iter().enumerate().take(3).skip(1) {
        let process = &mut world.processes[i];
        process.disk.log = vec![
            Record::Init(info.clone()),
            Record::Ready(info.clone()),
            Record::Decided(1, Outcome::Abort),
            Record::Applied(1),
        ];
        process.disk.commit = vec![String::new()];
        let config = participant_config(name, world.votes[i - 1], world.catch_up);
        let (machine, actions) = Participant::recover(config, &process.disk.log, 1, world.now);
        assert!(
            actions
                .iter()
                .all(|a| matches!(a, crate::tpc::Action::Show(_))),
            "nothing to redo"
        );
        process.machine = Some(Machine::Participant(Box::new(machine)));
    }
    let coordinator = &mut world.processes[0];
    coordinator.disk.log = vec![Record::Next(2)];
    let (machine, _) = Coordinator::recover(timing(), &coordinator.disk.log, world.now);
    coordinator.machine = Some(Machine::Coordinator(machine));
    world.first_tx = 2;
}
