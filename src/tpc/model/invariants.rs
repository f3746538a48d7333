//! The invariants, checked on what the processes' disks hold, per
//! transaction (the model's own, and the one p3 missed in [`super::missed`]).

// Process indices name processes (0 is the coordinator), so loops run over them.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;

use super::world::{Disk, World};
use super::{NAMES, TEXT};
use crate::tpc::{Outcome, Record, TxId};

/// I1, I2, I3 and I5, on what is on the disks.
pub(super) fn check_safety(world: &World) -> Option<(&'static str, String)> {
    let mut all: BTreeMap<TxId, Vec<(usize, Outcome)>> = BTreeMap::new();
    for (i, process) in world.processes.iter().enumerate() {
        let mut mine: BTreeMap<TxId, Outcome> = BTreeMap::new();
        for (tx, outcome) in process.disk.decisions() {
            if *mine.entry(tx).or_insert(outcome) != outcome {
                return Some(("I2", format!("{} logged both for {tx}", NAMES[i])));
            }
        }
        for (tx, outcome) in mine {
            all.entry(tx).or_default().push((i, outcome));
        }
    }
    for (tx, decided) in &all {
        let commit = decided.iter().any(|(_, o)| *o == Outcome::Commit);
        if commit && decided.iter().any(|(_, o)| *o == Outcome::Abort) {
            let who: Vec<String> = decided
                .iter()
                .map(|(i, o)| format!("{}={}", NAMES[*i], o.as_str()))
                .collect();
            return Some(("I1", format!("{tx}: decisions {}", who.join(" "))));
        }
        if commit && let Some(i) = (1..NAMES.len()).find(|&i| !voted(&world.processes[i].disk, *tx))
        {
            return Some((
                "I3",
                format!("commit of {tx}, but {} never voted commit", NAMES[i]),
            ));
        }
    }
    (1..NAMES.len()).find_map(|i| lines_match(i, &world.processes[i].disk))
}

/// I5 at one participant: one line per decision, in the order of the
/// decisions, which is the order of their ids; the string on commit, an
/// empty line on abort. (A crash may leave the last line not written yet.)
fn lines_match(i: usize, disk: &Disk) -> Option<(&'static str, String)> {
    let mut order: Vec<(TxId, Outcome)> = Vec::new();
    for (tx, outcome) in disk.decisions() {
        if !order.iter().any(|(seen, _)| *seen == tx) {
            order.push((tx, outcome));
        }
    }
    let expected: Vec<String> = order
        .iter()
        .map(|(_, o)| match o {
            Outcome::Commit => TEXT.to_owned(),
            Outcome::Abort => String::new(),
        })
        .collect();
    let in_order = order.windows(2).all(|w| w[0].0 < w[1].0);
    let prefix = disk.commit.len() <= expected.len() && expected.starts_with(&disk.commit);
    if in_order && prefix {
        return None;
    }
    let detail = format!(
        "{} commit log {:?}, decisions {order:?}",
        NAMES[i], disk.commit
    );
    Some(("I5", detail))
}

fn voted(disk: &Disk, tx: TxId) -> bool {
    disk.log
        .iter()
        .any(|r| matches!(r, Record::Ready(info) if info.tx == tx))
}

/// I4 and termination, at the end of a fault-free completion.
pub(super) fn check_final(world: &World) -> Option<(&'static str, String)> {
    let begun = world.processes[0]
        .disk
        .log
        .iter()
        .any(|r| matches!(r, Record::Begin { tx, .. } if *tx == world.first_tx));
    let logs: Vec<&Vec<String>> = world.processes[1..]
        .iter()
        .map(|p| &p.disk.commit)
        .collect();
    let everyone_decided = world
        .processes
        .iter()
        .all(|p| p.disk.decisions().any(|(tx, _)| tx == world.first_tx));
    if begun && !everyone_decided {
        return Some((
            "termination",
            "all up and connected, and someone is undecided".to_owned(),
        ));
    }
    let about_it = |r: &Record| r.tx() >= world.first_tx && !matches!(r, Record::Next(_));
    if !begun
        && world
            .processes
            .iter()
            .any(|p| p.disk.log.iter().any(about_it))
    {
        return Some(("termination", "records without a transaction".to_owned()));
    }
    // One line for the missed transaction (if any) and one per transaction
    // the coordinator began.
    let began = world.processes[0]
        .disk
        .log
        .iter()
        .filter(|r| matches!(r, Record::Begin { .. }))
        .count();
    let lines = world.first_tx as usize - 1 + began;
    if logs.windows(2).any(|w| w[0] != w[1]) || (begun && logs[0].len() != lines) {
        return Some(("I4", format!("commit logs differ: {logs:?}")));
    }
    None
}
