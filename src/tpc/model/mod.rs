//! A deterministic, exhaustive exploration of the 3PC machines: one coordinator,
//! three participants, one transaction.
//!
//! The world is the four machines, their disks (state log and commit log; a crash
//! keeps exactly what was logged), the messages in flight and a global clock. From
//! each world every possible next event is tried, breadth first, and every world
//! reached is checked:
//!
//! - a message in flight is delivered (channels are FIFO, as through the server;
//!   across channels in any order), or lost (a bounded number of times; only
//!   the commit-phase messages of rows M1 to M3);
//! - the humans: all vote commit, or exactly one votes abort or never answers
//!   (seven starting worlds);
//! - a process crashes, at any point of a step (after any prefix of the step's
//!   actions: a power cut in the middle of a broadcast), a bounded number of
//!   times; a crashed process restarts at any time and recovers from its disk,
//!   and the others see it join;
//! - a stranger outside the group sends a message (a bounded number of
//!   times): with authentication, a replayed copy of anything a member sent;
//!   without, anything under any name (`stranger.rs`);
//! - or, from the world where p3 missed transaction 1 and the coordinator
//!   lost its log (`missed.rs`), the catch-up from peers: the model's
//!   transaction is then 2, and a completion may run a transaction 3;
//! - time passes: only when no message is in flight, to the earliest deadline.
//!   This is the synchrony 3PC assumes: a message arrives before any timeout
//!   that waits for it. A lost STATE answer would break that assumption the way a
//!   partition does, which is why loss is limited to the commit-phase messages.
//!
//! Checked in every world: I1 (no commit and abort of the same transaction), I2
//! (no process logs two different decisions), I3 (a commit means every
//! participant logged READY), I5 (at most one commit-log line, matching the
//! process's decision). And from every world, a fault-free completion (restart
//! everyone, deliver everything, let timers fire) must end with every process
//! decided and identical commit logs (I4, and that every process decides once all
//! are up and connected).
//!
//! With the disconnect rule off, a process cut off from the server keeps running
//! and timing out: that is modelled as a partition (messages across it are lost),
//! and the exploration finds the I1 violation of row X1.

mod invariants;
mod label;
mod missed;
mod scenario;
mod stranger;
mod world;

pub use scenario::x1_partition;

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::Millis;
use invariants::{check_final, check_safety};
use label::Label;
use world::{World, hash_of, starting_votes, successors};

/// The names of the processes: index 0 is the coordinator.
pub const NAMES: [&str; 4] = ["c", "p1", "p2", "p3"];

/// The stranger's own chat name.
pub const STRANGER: &str = "mallory";

/// The string the model's transaction commits.
pub(crate) const TEXT: &str = "t";

/// What the exploration may do.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// How many crashes in one run.
    pub crashes: u8,
    /// How many commit-phase messages may be lost in one run.
    pub losses: u8,
    /// False: a process cut off keeps running (a partition may happen, X1).
    pub disconnect_rule: bool,
    /// The clock stops here (T is 6).
    pub max_time: Millis,
    /// Check the fault-free completion from every world (I4 and termination).
    pub check_completion: bool,
    /// Depth first instead of breadth first: the same worlds, in little memory
    /// (for the larger bounds), but a violation's trace is not the shortest.
    pub depth_first: bool,
    /// How many messages the stranger may send in one run.
    pub strangers: u8,
    /// Messages are authenticated with the group's key (the real binaries
    /// always do this; off only to show what it prevents).
    pub authentication: bool,
    /// Start after p3 missed transaction 1 and the coordinator lost its log
    /// ([`missed`]): the model's transaction is 2.
    pub missed: bool,
    /// Participants learn missed outcomes from each other before voting (the
    /// real binaries always do; off only to show the gap it closes).
    pub catch_up: bool,
}

impl Bounds {
    /// The bounds `cargo test` uses: one crash and one loss, within a minute in
    /// a debug build. `CHAT3PC_MODEL_CRASHES=2` runs the larger bound.
    pub fn standard() -> Bounds {
        Bounds {
            crashes: 1,
            losses: 1,
            disconnect_rule: true,
            max_time: 30,
            check_completion: true,
            depth_first: false,
            strangers: 0,
            authentication: true,
            missed: false,
            catch_up: true,
        }
    }
}

/// What the exploration found.
#[derive(Debug)]
pub struct Report {
    /// Distinct worlds reached.
    pub states: usize,
    /// How long it took.
    pub elapsed: Duration,
    /// The first broken invariant, with the events that lead to it.
    pub violation: Option<Violation>,
}

/// A broken invariant and how to get there.
#[derive(Debug)]
pub struct Violation {
    /// `I1`, `I2`, ...
    pub invariant: &'static str,
    /// What exactly is wrong.
    pub detail: String,
    /// The events from the start, one per entry.
    pub trace: Vec<String>,
}

/// Explores every world reachable within `bounds`; stops at the first violation.
pub fn explore(bounds: Bounds) -> Report {
    let started = Instant::now();
    let mut explorer = Explorer {
        bounds,
        seen: HashSet::new(),
        parents: Vec::new(),
        completed: HashSet::new(),
    };
    let violation = if bounds.depth_first {
        explorer.run_depth_first()
    } else {
        explorer.run()
    };
    Report {
        states: explorer.seen.len(),
        elapsed: started.elapsed(),
        violation,
    }
}

/// The starting worlds' humans: all seven ways, or, after a missed
/// transaction, all voting commit: a bound, which keeps that exploration
/// near a seventh of the exhaustive run's (a human voting abort only ends
/// the model's transaction sooner, after the same catch-up).
fn starts(bounds: &Bounds) -> Vec<[crate::tpc::participant::VotePolicy; 3]> {
    let mut all = starting_votes();
    if bounds.missed {
        all.truncate(1);
    }
    all
}

struct Explorer {
    bounds: Bounds,
    /// Fingerprints (64-bit hashes) of the worlds reached, as TLC keeps them: a
    /// collision could hide a world, with odds of about n^2 / 2^65.
    seen: HashSet<u64>,
    /// For each world reached: the world it came from and the event.
    parents: Vec<(usize, Label)>,
    /// Hashes of worlds whose fault-free completion is known to be good.
    completed: HashSet<u64>,
}

impl Explorer {
    fn run(&mut self) -> Option<Violation> {
        let mut queue = VecDeque::new();
        for votes in starts(&self.bounds) {
            let start = World::initial(votes, &self.bounds);
            let index = self.parents.len();
            self.seen.insert(hash_of(&start));
            self.parents.push((usize::MAX, Label::Start(votes)));
            queue.push_back((start, index));
        }
        while let Some((world, index)) = queue.pop_front() {
            if let Some((invariant, detail)) = self.check(&world) {
                return Some(Violation {
                    invariant,
                    detail,
                    trace: self.trace(index),
                });
            }
            for (label, next) in successors(&world, &self.bounds) {
                if !self.seen.insert(hash_of(&next)) {
                    continue;
                }
                let next_index = self.parents.len();
                self.parents.push((index, label));
                queue.push_back((next, next_index));
            }
        }
        None
    }

    /// The same exploration, depth first: a stack of the worlds still to try at
    /// each level, so memory grows with the depth, not the breadth. The trace of
    /// a violation is the path on the stack.
    fn run_depth_first(&mut self) -> Option<Violation> {
        let mut stack: Vec<(Label, Vec<(Label, World)>)> = Vec::new();
        let starts = starts(&self.bounds).into_iter().rev();
        let mut pending: Vec<(Label, World)> = starts
            .map(|v| (Label::Start(v), World::initial(v, &self.bounds)))
            .collect();
        loop {
            let Some((label, world)) = pending.pop() else {
                let (_, rest) = stack.pop()?;
                pending = rest;
                continue;
            };
            if !self.seen.insert(hash_of(&world)) {
                continue;
            }
            if let Some((invariant, detail)) = self.check(&world) {
                let mut trace: Vec<String> = stack.iter().map(|(l, _)| l.to_string()).collect();
                trace.push(label.to_string());
                return Some(Violation {
                    invariant,
                    detail,
                    trace,
                });
            }
            let mut next = successors(&world, &self.bounds);
            next.reverse(); // pop() then tries them in the breadth-first order
            stack.push((label, std::mem::replace(&mut pending, next)));
        }
    }

    fn check(&mut self, world: &World) -> Option<(&'static str, String)> {
        if let Some(found) = check_safety(world) {
            return Some(found);
        }
        if self.bounds.check_completion && self.bounds.disconnect_rule {
            return self.check_completion(world);
        }
        None
    }

    fn check_completion(&mut self, world: &World) -> Option<(&'static str, String)> {
        let mut world = world.clone();
        for i in 0..NAMES.len() {
            if !world.is_up(i) {
                world.restart(i);
            }
        }
        let mut path = Vec::new();
        for _ in 0..10_000 {
            let hash = hash_of(&world);
            if self.completed.contains(&hash) {
                self.completed.extend(path);
                return None;
            }
            path.push(hash);
            if let Some(found) = check_safety(&world) {
                return Some(found);
            }
            if !world.advance() && !world.next_request() {
                break;
            }
        }
        let found = check_final(&world);
        if found.is_none() {
            self.completed.extend(path);
        }
        found
    }

    fn trace(&self, mut index: usize) -> Vec<String> {
        let mut events = Vec::new();
        while index != usize::MAX {
            let (parent, label) = &self.parents[index];
            events.push(label.to_string());
            index = *parent;
        }
        events.reverse();
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tpc::Outcome;

    fn bounds_from_env() -> Bounds {
        let mut bounds = Bounds::standard();
        if let Ok(value) = std::env::var("CHAT3PC_MODEL_CRASHES") {
            bounds.crashes = value.parse().expect("CHAT3PC_MODEL_CRASHES is a number");
        }
        if let Ok(value) = std::env::var("CHAT3PC_MODEL_TIME") {
            bounds.max_time = value.parse().expect("CHAT3PC_MODEL_TIME is a number");
        }
        if std::env::var("CHAT3PC_MODEL_DEPTH_FIRST").is_ok() {
            bounds.depth_first = true;
        }
        if std::env::var("CHAT3PC_MODEL_NO_COMPLETION").is_ok() {
            bounds.check_completion = false;
        }
        if let Ok(value) = std::env::var("CHAT3PC_MODEL_STRANGERS") {
            bounds.strangers = value.parse().expect("CHAT3PC_MODEL_STRANGERS is a number");
        }
        if std::env::var("CHAT3PC_MODEL_MISSED").is_ok() {
            bounds.missed = true;
        }
        if let Ok(value) = std::env::var("CHAT3PC_MODEL_LOSSES") {
            bounds.losses = value.parse().expect("CHAT3PC_MODEL_LOSSES is a number");
        }
        bounds
    }

    fn print(name: &str, bounds: &Bounds, report: &Report) {
        println!(
            "{name}: {} states in {:.1?} (crashes <= {}, losses <= {}, stranger's messages <= {}, {}authentication {}, disconnect rule {}, {})",
            report.states,
            report.elapsed,
            bounds.crashes,
            bounds.losses,
            bounds.strangers,
            match (bounds.missed, bounds.catch_up) {
                (false, _) => "",
                (true, true) => "p3 missed tx 1, catch-up on, ",
                (true, false) => "p3 missed tx 1, catch-up off, ",
            },
            if bounds.authentication { "on" } else { "off" },
            if bounds.disconnect_rule { "on" } else { "off" },
            if bounds.depth_first {
                "depth first"
            } else {
                "breadth first"
            },
        );
        if let Some(v) = &report.violation {
            println!("{} broken: {}", v.invariant, v.detail);
            for (n, event) in v.trace.iter().enumerate() {
                println!("  {n:3}. {event}");
            }
        }
    }

    #[test]
    fn tpc_model_exhaustive() {
        let bounds = bounds_from_env();
        let report = explore(bounds);
        print("tpc_model_exhaustive", &bounds, &report);
        assert!(
            report.violation.is_none(),
            "an invariant is broken, see the trace above"
        );
    }

    /// The stranger replays any message a member ever sent, twice, at any
    /// moment: nothing breaks. (With a crash as well, behind
    /// `CHAT3PC_MODEL_STRANGERS=1` on `tpc_model_exhaustive`: minutes.)
    #[test]
    fn tpc_model_stranger_with_authentication_changes_nothing() {
        let bounds = Bounds {
            crashes: 0,
            losses: 0,
            strangers: 2,
            ..Bounds::standard()
        };
        let report = explore(bounds);
        print("tpc_model_stranger", &bounds, &report);
        assert!(
            report.violation.is_none(),
            "an invariant is broken, see the trace above"
        );
    }

    /// Issue 15, defects 1 and 2, found by the exploration: without the key
    /// check, one message from the stranger breaks I1 or I3.
    #[test]
    fn tpc_model_stranger_without_authentication_forges_a_decision() {
        let bounds = Bounds {
            crashes: 0,
            losses: 0,
            strangers: 1,
            authentication: false,
            check_completion: false,
            ..Bounds::standard()
        };
        let report = explore(bounds);
        print("tpc_model_stranger_no_auth", &bounds, &report);
        let violation = report.violation.expect("a stranger can forge a decision");
        assert!(["I1", "I3"].contains(&violation.invariant), "{violation:?}");
    }

    /// Catch-up: p3 missed transaction 1 and the coordinator lost its log,
    /// so only p1 and p2 can tell p3 (`missed.rs`), with the stranger
    /// replaying any two messages, catch-up's questions and answers among
    /// them: every commit log ends identical. (With a crash and a loss
    /// anywhere instead: `CHAT3PC_MODEL_MISSED=1` on `tpc_model_exhaustive`,
    /// minutes.)
    #[test]
    fn tpc_model_catch_up_with_the_stranger() {
        let bounds = Bounds {
            crashes: 0,
            losses: 0,
            strangers: 2,
            missed: true,
            ..Bounds::standard()
        };
        let report = explore(bounds);
        print("tpc_model_catch_up_stranger", &bounds, &report);
        assert!(
            report.violation.is_none(),
            "an invariant is broken, see the trace above"
        );
    }

    /// Without catch-up the exploration finds the gap by itself: p3 votes
    /// on transaction 2 with 1 missing, and its commit log ends a line short.
    #[test]
    fn tpc_model_without_catch_up_a_missed_line_stays_missing() {
        let bounds = Bounds {
            crashes: 0,
            losses: 0,
            missed: true,
            catch_up: false,
            ..Bounds::standard()
        };
        let report = explore(bounds);
        print("tpc_model_no_catch_up", &bounds, &report);
        let violation = report.violation.expect("the missed line stays missing");
        assert_eq!(violation.invariant, "I4", "{violation:?}");
    }

    #[test]
    fn tpc_x1_p1_in_precommit_split_from_p2_p3_in_ready() {
        let (decisions, broken) = x1_partition(false);
        println!(
            "X1, disconnect rule off: decisions (c, p1, p2, p3) {decisions:?}, broken {broken:?}"
        );
        assert_eq!(broken, Some("I1"));
        assert_eq!(decisions[1], Some(Outcome::Commit), "p1 alone commits");
        assert_eq!(decisions[2], Some(Outcome::Abort), "p2 and p3 abort");
        let (decisions, broken) = x1_partition(true);
        println!(
            "X1, disconnect rule on: decisions (c, p1, p2, p3) {decisions:?}, broken {broken:?}"
        );
        assert_eq!(broken, None);
        assert_eq!(decisions[1..], [Some(Outcome::Abort); 3]);
    }

    #[test]
    fn tpc_model_x1_partition_breaks_i1_without_the_disconnect_rule() {
        let bounds = Bounds {
            crashes: 0,
            losses: 0,
            disconnect_rule: false,
            max_time: 40,
            check_completion: false,
            ..Bounds::standard()
        };
        let report = explore(bounds);
        print("tpc_model_x1", &bounds, &report);
        let violation = report.violation.expect("3PC cannot survive a partition");
        assert_eq!(violation.invariant, "I1");
    }
}
