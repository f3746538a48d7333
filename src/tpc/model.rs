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

// Process indices name processes (0 is the coordinator), so loops run over them.
#![allow(clippy::needless_range_loop)]

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use super::message::{Body, Message};
use super::participant::{AckPolicy, Config, VotePolicy};
use super::{Action, Coordinator, Input, Millis, Outcome, Participant, Record, Timing};

/// The names of the processes: index 0 is the coordinator.
pub const NAMES: [&str; 4] = ["c", "p1", "p2", "p3"];

/// The string the model's transaction commits.
const TEXT: &str = "t";

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

/// The timeout T in the model's time units (T/6 is 1).
pub const T: Millis = 6;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Machine {
    Coordinator(Coordinator),
    Participant(Participant),
}

impl Machine {
    fn handle(&mut self, input: Input, now: Millis) -> Vec<Action> {
        match self {
            Machine::Coordinator(c) => c.handle(input, now),
            Machine::Participant(p) => p.handle(input, now),
        }
    }

    fn deadline(&self) -> Option<Millis> {
        match self {
            Machine::Coordinator(c) => c.deadline(),
            Machine::Participant(p) => p.deadline(),
        }
    }
}

/// What survives a crash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Disk {
    log: Vec<Record>,
    commit: Vec<String>,
}

impl Disk {
    fn decisions(&self) -> impl Iterator<Item = Outcome> + '_ {
        self.log.iter().filter_map(|r| match r {
            Record::Decided(_, outcome) => Some(*outcome),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Process {
    /// `None` while crashed.
    machine: Option<Machine>,
    disk: Disk,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Payload {
    Message(Message),
    /// The server's JOIN line about a process that came back.
    Joined(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Envelope {
    to: usize,
    from: usize,
    payload: Payload,
}

/// Everything the exploration tracks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct World {
    now: Millis,
    processes: Vec<Process>,
    /// Messages in flight, grouped by channel (to, from), each channel FIFO, so
    /// that worlds that differ only in the order of sending hash equal.
    network: Vec<Envelope>,
    requested: bool,
    crashes: u8,
    losses: u8,
    /// Bit i set: process i is on the far side of a partition (X1 only).
    partition: Option<u8>,
    /// How each participant's human votes.
    votes: [VotePolicy; 3],
}

fn timing() -> Timing {
    Timing { timeout: T }
}

fn participant_config(name: &str, vote: VotePolicy) -> Config {
    Config {
        name: name.to_owned(),
        timing: timing(),
        vote,
        ack: AckPolicy::Auto,
    }
}

fn index_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| *n == name)
}

impl World {
    /// The start, with each participant's human voting as `votes` says
    /// (`Ask` is a human who never answers).
    fn initial(votes: [VotePolicy; 3]) -> World {
        let mut processes = vec![Process {
            machine: Some(Machine::Coordinator(Coordinator::new(timing()))),
            disk: Disk::default(),
        }];
        for (name, vote) in NAMES[1..].iter().zip(votes) {
            let config = participant_config(name, vote);
            processes.push(Process {
                machine: Some(Machine::Participant(Participant::new(config))),
                disk: Disk::default(),
            });
        }
        World {
            now: 0,
            processes,
            network: Vec::new(),
            requested: false,
            crashes: 0,
            losses: 0,
            partition: None,
            votes,
        }
    }

    fn is_up(&self, i: usize) -> bool {
        self.processes[i].machine.is_some()
    }

    fn separated(&self, a: usize, b: usize) -> bool {
        self.partition
            .is_some_and(|mask| (mask >> a) & 1 != (mask >> b) & 1)
    }

    fn post(&mut self, from: usize, to: usize, payload: Payload) {
        if !self.is_up(to) || self.separated(from, to) {
            return; // the server answers no-such-user, or the partition eats it
        }
        let envelope = Envelope { to, from, payload };
        // Grouped by channel, each channel in sending order (the server keeps
        // the order of one sender's lines to one recipient).
        let at = self
            .network
            .partition_point(|e| (e.to, e.from) <= (to, from));
        self.network.insert(at, envelope);
    }

    /// Performs the first `limit` effective actions (logs, sends, applies).
    fn perform(&mut self, i: usize, actions: &[Action], limit: usize) {
        for action in actions
            .iter()
            .filter(|a| !matches!(a, Action::Show(_)))
            .take(limit)
        {
            match action {
                Action::Log(record) => self.processes[i].disk.log.push(record.clone()),
                Action::Apply { line, .. } => self.processes[i].disk.commit.push(line.clone()),
                Action::Send { to, message } => {
                    let to = index_of(to).expect("the model only sends to its own names");
                    self.post(i, to, Payload::Message(message.clone()));
                }
                Action::Show(_) => {}
            }
        }
    }

    fn crash(&mut self, i: usize) {
        self.processes[i].machine = None;
        self.network.retain(|e| e.to != i);
        self.crashes += 1;
    }

    fn restart(&mut self, i: usize) {
        let disk = &self.processes[i].disk;
        let (machine, actions) = if i == 0 {
            let (c, actions) = Coordinator::recover(timing(), &disk.log, self.now);
            (Machine::Coordinator(c), actions)
        } else {
            let config = participant_config(NAMES[i], self.votes[i - 1]);
            let (p, actions) = Participant::recover(config, &disk.log, disk.commit.len(), self.now);
            (Machine::Participant(p), actions)
        };
        self.processes[i].machine = Some(machine);
        self.perform(i, &actions, usize::MAX);
        if i != 0 {
            // Only the coordinator acts on JOIN (it resends the last decision).
            self.post(i, 0, Payload::Joined(i));
        }
    }

    /// Process `i` (which is up) handles `input` at the current time.
    fn handle(&mut self, i: usize, input: Input) -> Vec<Action> {
        let now = self.now;
        let machine = self.processes[i]
            .machine
            .as_mut()
            .expect("the process is up");
        machine.handle(input, now)
    }

    fn next_deadline(&self) -> Option<Millis> {
        self.processes
            .iter()
            .filter_map(|p| p.machine.as_ref()?.deadline())
            .min()
    }

    fn input_for(envelope: &Envelope) -> Input {
        match &envelope.payload {
            Payload::Message(message) => Input::Message {
                from: NAMES[envelope.from].to_owned(),
                message: message.clone(),
            },
            Payload::Joined(who) => Input::Joined(NAMES[*who].to_owned()),
        }
    }
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
    let violation = explorer.run();
    Report {
        states: explorer.parents.len(),
        elapsed: started.elapsed(),
        violation,
    }
}

struct Explorer {
    bounds: Bounds,
    /// Fingerprints (64-bit hashes) of the worlds reached, as TLC keeps them: a
    /// collision could hide a world, with odds of about n^2 / 2^65.
    seen: HashSet<u64>,
    /// For each world reached: the world it came from and the event.
    parents: Vec<(usize, String)>,
    /// Hashes of worlds whose fault-free completion is known to be good.
    completed: HashSet<u64>,
}

impl Explorer {
    fn run(&mut self) -> Option<Violation> {
        let mut queue = VecDeque::new();
        for votes in starting_votes() {
            let start = World::initial(votes);
            let index = self.parents.len();
            self.seen.insert(hash_of(&start));
            self.parents
                .push((usize::MAX, format!("start, votes {votes:?}")));
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
            if !world.network.is_empty() {
                let envelope = world.network.remove(0);
                let input = World::input_for(&envelope);
                let actions = world.handle(envelope.to, input);
                world.perform(envelope.to, &actions, usize::MAX);
                continue;
            }
            let Some(deadline) = world.next_deadline() else {
                break;
            };
            world.now = world.now.max(deadline);
            let i = (0..NAMES.len())
                .find(|&i| {
                    world.processes[i]
                        .machine
                        .as_ref()
                        .and_then(Machine::deadline)
                        == Some(deadline)
                })
                .expect("someone holds the earliest deadline");
            let actions = world.handle(i, Input::Timeout);
            world.perform(i, &actions, usize::MAX);
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
            events.push(label.clone());
            index = *parent;
        }
        events.reverse();
        events
    }
}

fn hash_of(world: &World) -> u64 {
    let mut hasher = DefaultHasher::new();
    world.hash(&mut hasher);
    hasher.finish()
}

/// The humans: all vote commit, or exactly one votes abort or never votes.
fn starting_votes() -> Vec<[VotePolicy; 3]> {
    let commit = VotePolicy::Always(Outcome::Commit);
    let mut all = vec![[commit; 3]];
    for odd in [VotePolicy::Always(Outcome::Abort), VotePolicy::Ask] {
        for i in 0..3 {
            let mut votes = [commit; 3];
            votes[i] = odd;
            all.push(votes);
        }
    }
    all
}

/// Every next world, each with the event that leads to it.
fn successors(world: &World, bounds: &Bounds) -> Vec<(String, World)> {
    let mut out = Vec::new();
    if !world.requested && world.is_up(0) {
        let mut base = world.clone();
        base.requested = true;
        let members = NAMES[1..].iter().map(|n| n.to_string()).collect();
        let input = Input::Request {
            text: TEXT.to_owned(),
            members,
        };
        step(&base, 0, input, "c: request".to_owned(), bounds, &mut out);
    }
    for (at, envelope) in world.network.iter().enumerate() {
        if at > 0
            && world.network[at - 1].to == envelope.to
            && world.network[at - 1].from == envelope.from
        {
            continue; // channels are FIFO: only the oldest message from..to can arrive
        }
        let mut base = world.clone();
        base.network.remove(at);
        let label = describe(envelope);
        if world.losses < bounds.losses && losable(envelope) {
            let mut lost = base.clone();
            lost.losses += 1;
            out.push((format!("lost: {label}"), lost));
        }
        step(
            &base,
            envelope.to,
            World::input_for(envelope),
            label,
            bounds,
            &mut out,
        );
    }
    if world.network.is_empty()
        && let Some(deadline) = world.next_deadline()
        && deadline <= bounds.max_time
    {
        let mut base = world.clone();
        base.now = base.now.max(deadline);
        for i in 0..NAMES.len() {
            if world.processes[i]
                .machine
                .as_ref()
                .and_then(Machine::deadline)
                == Some(deadline)
            {
                let label = format!("t={}: {} times out", base.now, NAMES[i]);
                step(&base, i, Input::Timeout, label, bounds, &mut out);
            }
        }
    }
    faults(world, bounds, &mut out);
    out
}

/// Crashes, restarts and (with the disconnect rule off) partitions.
fn faults(world: &World, bounds: &Bounds, out: &mut Vec<(String, World)>) {
    for i in 0..NAMES.len() {
        if world.is_up(i) && world.crashes < bounds.crashes {
            let mut next = world.clone();
            next.crash(i);
            out.push((format!("{} crashes", NAMES[i]), next));
        }
        if !world.is_up(i) {
            let mut next = world.clone();
            next.restart(i);
            out.push((format!("{} restarts", NAMES[i]), next));
        }
    }
    if bounds.disconnect_rule || world.partition.is_some() {
        return;
    }
    // Each split once: the side holding the coordinator is bit 0 clear.
    for mask in 1u8..8 {
        let mask = mask << 1;
        let mut next = world.clone();
        next.partition = Some(mask);
        let cut: Vec<&str> = (0..NAMES.len())
            .filter(|i| (mask >> i) & 1 == 1)
            .map(|i| NAMES[i])
            .collect();
        next.network.retain(|e| {
            !world.separated(e.from, e.to) && (mask >> e.from) & 1 == (mask >> e.to) & 1
        });
        out.push((format!("partition: {{{}}} cut off", cut.join(",")), next));
    }
}

/// Process `i` handles `input`; also every crash in the middle of that step.
fn step(
    base: &World,
    i: usize,
    input: Input,
    label: String,
    bounds: &Bounds,
    out: &mut Vec<(String, World)>,
) {
    let mut next = base.clone();
    let actions = next.handle(i, input);
    let effective = actions
        .iter()
        .filter(|a| !matches!(a, Action::Show(_)))
        .count();
    if base.crashes < bounds.crashes {
        for k in 1..effective {
            let mut crashed = base.clone();
            crashed.perform(i, &actions, k);
            crashed.crash(i);
            out.push((
                format!(
                    "{label}; {} crashes after {k} of {effective} actions",
                    NAMES[i]
                ),
                crashed,
            ));
        }
    }
    next.perform(i, &actions, usize::MAX);
    out.push((label, next));
}

/// Loss is modelled for the commit-phase messages of rows M1 to M3. Not for
/// GLOBAL-ABORT: one lost on its way to a participant that never saw the
/// VOTE-REQUEST (the coordinator crashed in the middle of it) cannot be noticed by
/// anyone. Over TCP a line is only lost with its connection, and a member that
/// joins again is sent the last decision, which the restart events cover.
fn losable(envelope: &Envelope) -> bool {
    match &envelope.payload {
        Payload::Message(message) => matches!(
            message.body,
            Body::VoteRequest { .. }
                | Body::VoteCommit
                | Body::VoteAbort
                | Body::Precommit
                | Body::Ack
                | Body::GlobalCommit
        ),
        Payload::Joined(_) => false,
    }
}

fn describe(envelope: &Envelope) -> String {
    let what = match &envelope.payload {
        Payload::Message(message) => message.encode(),
        Payload::Joined(who) => format!("JOIN {}", NAMES[*who]),
    };
    format!("{} -> {}: {what}", NAMES[envelope.from], NAMES[envelope.to])
}

/// I1, I2, I3 and I5, on what is on the disks.
fn check_safety(world: &World) -> Option<(&'static str, String)> {
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
fn check_final(world: &World) -> Option<(&'static str, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds_from_env() -> Bounds {
        let mut bounds = Bounds::standard();
        if let Ok(value) = std::env::var("CHAT3PC_MODEL_CRASHES") {
            bounds.crashes = value.parse().expect("CHAT3PC_MODEL_CRASHES is a number");
        }
        if let Ok(value) = std::env::var("CHAT3PC_MODEL_TIME") {
            bounds.max_time = value.parse().expect("CHAT3PC_MODEL_TIME is a number");
        }
        if std::env::var("CHAT3PC_MODEL_NO_COMPLETION").is_ok() {
            bounds.check_completion = false;
        }
        if let Ok(value) = std::env::var("CHAT3PC_MODEL_LOSSES") {
            bounds.losses = value.parse().expect("CHAT3PC_MODEL_LOSSES is a number");
        }
        bounds
    }

    fn print(name: &str, bounds: &Bounds, report: &Report) {
        println!(
            "{name}: {} states in {:.1?} (crashes <= {}, losses <= {}, disconnect rule {})",
            report.states,
            report.elapsed,
            bounds.crashes,
            bounds.losses,
            if bounds.disconnect_rule { "on" } else { "off" },
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

    #[test]
    fn tpc_model_x1_partition_breaks_i1_without_the_disconnect_rule() {
        let bounds = Bounds {
            crashes: 0,
            losses: 0,
            disconnect_rule: false,
            max_time: 40,
            check_completion: false,
        };
        let report = explore(bounds);
        print("tpc_model_x1", &bounds, &report);
        let violation = report.violation.expect("3PC cannot survive a partition");
        assert_eq!(violation.invariant, "I1");
    }
}
