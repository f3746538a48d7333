//! The invariants, checked on what the processes' disks hold.

// Process indices name processes (0 is the coordinator), so loops run over them.
#![allow(clippy::needless_range_loop)]

use super::world::World;
use super::{NAMES, TEXT};
use crate::tpc::{Outcome, Record};

/// I1, I2, I3 and I5, on what is on the disks.
pub(super) fn check_safety(world: &World) -> Option<(&'static str, String)> {
    let mut all = Vec::new();
    for (i, process) in world.processes.iter().enumerate() {
        let mine: Vec<Outcome> = process.disk.decisions().collect();
        if mine.windows(2).any(|w| w[0] != w[1]) {
            return Some(("I2", format!("{} logged {mine:?}", NAMES[i])));
        }
        all.extend(mine.iter().map(|o| (i, *o)));
    }
    if all.iter().any(|(_, o)| *o == Outcome::Commit)
        && all.iter().any(|(_, o)| *o == Outcome::Abort)
    {
        let who: Vec<String> = all
            .iter()
            .map(|(i, o)| format!("{}={}", NAMES[*i], o.as_str()))
            .collect();
        return Some(("I1", format!("decisions {}", who.join(" "))));
    }
    if all.iter().any(|(_, o)| *o == Outcome::Commit) {
        for i in 1..NAMES.len() {
            if !world.processes[i]
                .disk
                .log
                .iter()
                .any(|r| matches!(r, Record::Ready(_)))
            {
                return Some(("I3", format!("commit, but {} never voted commit", NAMES[i])));
            }
        }
    }
    for i in 1..NAMES.len() {
        let disk = &world.processes[i].disk;
        let expected = disk.decisions().next().map(|o| match o {
            Outcome::Commit => TEXT.to_owned(),
            Outcome::Abort => String::new(),
        });
        let fine = match (disk.commit.as_slice(), &expected) {
            ([], _) => true,
            ([line], Some(expected)) => line == expected,
            _ => false,
        };
        if !fine {
            return Some((
                "I5",
                format!(
                    "{} commit log {:?}, decision {:?}",
                    NAMES[i], disk.commit, expected
                ),
            ));
        }
    }
    None
}

/// I4 and termination, at the end of a fault-free completion.
pub(super) fn check_final(world: &World) -> Option<(&'static str, String)> {
    let begun = world.processes[0]
        .disk
        .log
        .iter()
        .any(|r| matches!(r, Record::Begin { .. }));
    let logs: Vec<&Vec<String>> = world.processes[1..]
        .iter()
        .map(|p| &p.disk.commit)
        .collect();
    let everyone_decided = world
        .processes
        .iter()
        .all(|p| p.disk.decisions().next().is_some());
    if begun && !everyone_decided {
        return Some((
            "termination",
            "all up and connected, and someone is undecided".to_owned(),
        ));
    }
    if !begun && world.processes.iter().any(|p| !p.disk.log.is_empty()) {
        return Some(("termination", "records without a transaction".to_owned()));
    }
    if logs.windows(2).any(|w| w[0] != w[1]) || (begun && logs[0].len() != 1) {
        return Some(("I4", format!("commit logs differ: {logs:?}")));
    }
    None
}
