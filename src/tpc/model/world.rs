//! The world the exploration walks: the four machines, their disks, the
//! messages in flight and the clock, and every event that can happen next.

// Process indices name processes (0 is the coordinator), so loops run over them.
#![allow(clippy::needless_range_loop)]

use std::hash::{DefaultHasher, Hash, Hasher};

use std::collections::BTreeSet;

use super::label::Label;
use super::{Bounds, NAMES, STRANGER, TEXT};
use crate::tpc::auth::{Freshness, Nonce};
use crate::tpc::message::{Body, Message};
use crate::tpc::participant::{AckPolicy, Config, VotePolicy};
use crate::tpc::{Action, Coordinator, Input, Millis, Outcome, Participant, Record, Timing};

/// The timeout T in the model's time units (T/6 is 1).
pub const T: Millis = 6;

/// The nonce of the model's run of transaction 1 (request nonces stay far
/// below it).
pub(super) const RUN: Nonce = 0x1000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Machine {
    Coordinator(Coordinator),
    Participant(Box<Participant>),
}

impl Machine {
    pub(super) fn handle(&mut self, input: Input, now: Millis) -> Vec<Action> {
        match self {
            Machine::Coordinator(c) => c.handle(input, now),
            Machine::Participant(p) => p.handle(input, now),
        }
    }

    pub(super) fn deadline(&self) -> Option<Millis> {
        match self {
            Machine::Coordinator(c) => c.deadline(),
            Machine::Participant(p) => p.deadline(),
        }
    }
}

/// What survives a crash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(super) struct Disk {
    pub(super) log: Vec<Record>,
    pub(super) commit: Vec<String>,
}

impl Disk {
    /// The decisions logged, in log order.
    pub(super) fn decisions(&self) -> impl Iterator<Item = (crate::tpc::TxId, Outcome)> + '_ {
        self.log.iter().filter_map(|r| match r {
            Record::Decided(tx, outcome) => Some((*tx, *outcome)),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Process {
    /// `None` while crashed.
    pub(super) machine: Option<Machine>,
    pub(super) disk: Disk,
    /// Which answers it accepts (the driver's nonce check); lost in a crash.
    pub(super) freshness: Freshness,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Payload {
    Message(Message),
    /// The server's JOIN line about a process that came back.
    Joined(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Envelope {
    pub(super) to: usize,
    /// The sender as the server names it: a process, or [`STRANGER_INDEX`].
    pub(super) from: usize,
    pub(super) payload: Payload,
    /// A request's nonce, or the nonce an answer echoes; 0 otherwise.
    pub(super) nonce: Nonce,
}

/// The index standing for the stranger's own name in an envelope's `from`.
pub(super) const STRANGER_INDEX: usize = 4;

/// A process's name, or the stranger's.
pub(super) fn name(i: usize) -> &'static str {
    NAMES.get(i).copied().unwrap_or(STRANGER)
}

/// Everything the exploration tracks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct World {
    pub(super) now: Millis,
    pub(super) processes: Vec<Process>,
    /// Messages in flight, grouped by channel (to, from), each channel FIFO, so
    /// that worlds that differ only in the order of sending hash equal.
    pub(super) network: Vec<Envelope>,
    pub(super) requested: bool,
    pub(super) crashes: u8,
    pub(super) losses: u8,
    /// Bit i set: process i is on the far side of a partition (X1 only).
    pub(super) partition: Option<u8>,
    /// How each participant's human votes.
    pub(super) votes: [VotePolicy; 3],
    /// Messages are authenticated: only what the group sent opens, and
    /// answers must carry their request's nonce.
    pub(super) authentication: bool,
    /// Every message a process sent, kept (only when a stranger may act) for
    /// the stranger to replay.
    pub(super) wire: Option<BTreeSet<Envelope>>,
    /// How many messages the stranger sent.
    pub(super) injections: u8,
    /// The id of the model's transaction: 1, or 2 when it starts after p3
    /// missed transaction 1 ([`super::missed`]).
    pub(super) first_tx: crate::tpc::TxId,
    /// The participants learn missed outcomes from each other.
    pub(super) catch_up: bool,
}

pub(super) fn timing() -> Timing {
    Timing { timeout: T }
}

pub(super) fn participant_config(name: &str, vote: VotePolicy, catch_up: bool) -> Config {
    Config {
        name: name.to_owned(),
        timing: timing(),
        vote,
        ack: AckPolicy::Auto,
        catch_up,
        look_back: false,
    }
}

pub(super) fn index_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| *n == name)
}

impl World {
    /// The start, with each participant's human voting as `votes` says
    /// (`Ask` is a human who never answers).
    pub(super) fn initial(votes: [VotePolicy; 3], bounds: &Bounds) -> World {
        let mut processes = vec![Process {
            machine: Some(Machine::Coordinator(Coordinator::new(timing()))),
            disk: Disk::default(),
            freshness: Freshness::default(),
        }];
        for (name, vote) in NAMES[1..].iter().zip(votes) {
            let config = participant_config(name, vote, bounds.catch_up);
            processes.push(Process {
                machine: Some(Machine::Participant(Box::new(Participant::new(config)))),
                disk: Disk::default(),
                freshness: Freshness::default(),
            });
        }
        let mut world = World {
            now: 0,
            processes,
            network: Vec::new(),
            requested: false,
            crashes: 0,
            losses: 0,
            partition: None,
            votes,
            authentication: bounds.authentication,
            wire: (bounds.strangers > 0 && bounds.authentication)
                .then(super::stranger::earlier_run),
            injections: 0,
            first_tx: 1,
            catch_up: bounds.catch_up,
        };
        if bounds.missed {
            super::missed::prepare(&mut world);
        }
        world
    }

    pub(super) fn is_up(&self, i: usize) -> bool {
        self.processes[i].machine.is_some()
    }

    pub(super) fn separated(&self, a: usize, b: usize) -> bool {
        self.partition
            .is_some_and(|mask| (mask >> a) & 1 != (mask >> b) & 1)
    }

    pub(super) fn post(&mut self, from: usize, to: usize, payload: Payload, nonce: Nonce) {
        let envelope = Envelope {
            to,
            from,
            payload,
            nonce,
        };
        if let (Some(wire), Payload::Message(_)) = (&mut self.wire, &envelope.payload) {
            wire.insert(envelope.clone());
        }
        if !self.is_up(to) || self.separated(from, to) {
            return; // the server answers no-such-user, or the partition eats it
        }
        // Grouped by channel, each channel in sending order (the server keeps
        // the order of one sender's lines to one recipient).
        let at = self
            .network
            .partition_point(|e| (e.to, e.from) <= (to, from));
        self.network.insert(at, envelope);
    }

    /// Performs the first `limit` effective actions (logs, sends, applies),
    /// stamping each message with its nonce as the driver does.
    pub(super) fn perform(&mut self, i: usize, actions: &[Action], limit: usize) {
        for action in actions
            .iter()
            .filter(|a| !matches!(a, Action::Show(_)))
            .take(limit)
        {
            match action {
                Action::Log(record) => self.processes[i].disk.log.push(record.clone()),
                Action::Apply { line, .. } => self.processes[i].disk.commit.push(line.clone()),
                Action::Send { to, message, run } => {
                    let Some(to) = index_of(to) else {
                        continue; // to the stranger: nobody in the group reads it
                    };
                    // A request's nonce is unique to this process's
                    // incarnation and round (a run's nonce is RUN).
                    let fresh = self.now * 16 + Millis::from(self.crashes);
                    let nonce = self.processes[i]
                        .freshness
                        .stamp(name(to), message, fresh, *run);
                    self.post(i, to, Payload::Message(message.clone()), nonce);
                }
                Action::Show(_) => {}
            }
        }
    }

    pub(super) fn crash(&mut self, i: usize) {
        self.processes[i].machine = None;
        self.processes[i].freshness = Freshness::default();
        self.network.retain(|e| e.to != i);
        self.crashes += 1;
    }

    pub(super) fn restart(&mut self, i: usize) {
        let disk = &self.processes[i].disk;
        let (machine, actions) = if i == 0 {
            let (c, actions) = Coordinator::recover(timing(), &disk.log, self.now);
            (Machine::Coordinator(c), actions)
        } else {
            let config = participant_config(NAMES[i], self.votes[i - 1], self.catch_up);
            let (p, actions) = Participant::recover(config, &disk.log, disk.commit.len(), self.now);
            (Machine::Participant(Box::new(p)), actions)
        };
        self.processes[i].machine = Some(machine);
        self.perform(i, &actions, usize::MAX);
        if i != 0 {
            // Only the coordinator acts on JOIN (it resends the last decision).
            self.post(i, 0, Payload::Joined(i), 0);
        }
    }

    /// Process `i` (which is up) handles `input` at the current time.
    pub(super) fn handle(&mut self, i: usize, input: Input) -> Vec<Action> {
        let now = self.now;
        let machine = self.processes[i]
            .machine
            .as_mut()
            .expect("the process is up");
        machine.handle(input, now)
    }

    /// One deterministic fault-free event: the first message in flight is
    /// delivered, or else the earliest timer fires. False when nothing is left.
    pub(super) fn advance(&mut self) -> bool {
        if !self.network.is_empty() {
            let envelope = self.network.remove(0);
            if self.admits(&envelope) {
                let input = World::input_for(&envelope);
                self.hear(&envelope);
                let actions = self.handle(envelope.to, input);
                self.perform(envelope.to, &actions, usize::MAX);
            }
            return true;
        }
        let Some(deadline) = self.next_deadline() else {
            return false;
        };
        self.now = self.now.max(deadline);
        let i = (0..NAMES.len())
            .find(|&i| {
                self.processes[i]
                    .machine
                    .as_ref()
                    .and_then(Machine::deadline)
                    == Some(deadline)
            })
            .expect("someone holds the earliest deadline");
        let actions = self.handle(i, Input::Timeout);
        self.perform(i, &actions, usize::MAX);
        true
    }

    /// In a world where p3 missed a transaction (`missed.rs`): missed lines
    /// are learnt at the next request, so once all is quiet a completion
    /// gives the coordinator the model's request if it never had it, and
    /// one more (transaction 3, at most) while the commit logs differ.
    /// False if it made none.
    pub(super) fn next_request(&mut self) -> bool {
        let Some(Machine::Coordinator(coordinator)) = &self.processes[0].machine else {
            return false;
        };
        let logs_differ = self.processes[1..]
            .windows(2)
            .any(|w| w[0].disk.commit != w[1].disk.commit);
        let again = logs_differ && coordinator.next_tx() == self.first_tx + 1;
        if self.first_tx == 1 || !coordinator.is_idle() || (self.requested && !again) {
            return false;
        }
        self.requested = true;
        let actions = self.handle(0, request());
        self.perform(0, &actions, usize::MAX);
        true
    }

    /// The recipient's driver remembers a request's nonce, for its answer.
    pub(super) fn hear(&mut self, envelope: &Envelope) {
        if let Payload::Message(message) = &envelope.payload {
            self.processes[envelope.to].freshness.heard(
                name(envelope.from),
                message,
                envelope.nonce,
            );
        }
    }

    /// Whether the recipient's driver lets the message through: with
    /// authentication, an answer must carry the nonce of its latest request.
    /// (A forged message never gets this far: it does not open.)
    pub(super) fn admits(&self, envelope: &Envelope) -> bool {
        let Payload::Message(message) = &envelope.payload else {
            return true;
        };
        !self.authentication
            || self.processes[envelope.to]
                .freshness
                .admit(name(envelope.from), message, envelope.nonce)
                .is_ok()
    }

    pub(super) fn next_deadline(&self) -> Option<Millis> {
        self.processes
            .iter()
            .filter_map(|p| p.machine.as_ref()?.deadline())
            .min()
    }

    pub(super) fn input_for(envelope: &Envelope) -> Input {
        match &envelope.payload {
            Payload::Message(message) => Input::Message {
                from: name(envelope.from).to_owned(),
                message: message.clone(),
                nonce: envelope.nonce,
            },
            Payload::Joined(who) => Input::Joined(NAMES[*who].to_owned()),
        }
    }
}

pub(super) fn hash_of(world: &World) -> u64 {
    let mut hasher = DefaultHasher::new();
    world.hash(&mut hasher);
    hasher.finish()
}

/// The humans: all vote commit, or exactly one votes abort or never votes.
pub(super) fn starting_votes() -> Vec<[VotePolicy; 3]> {
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

/// The request the coordinator is given: the model's transaction.
pub(super) fn request() -> Input {
    let members = NAMES[1..].iter().map(|n| n.to_string()).collect();
    Input::Request {
        text: TEXT.to_owned(),
        members,
        run: RUN,
    }
}

/// Every next world, each with the event that leads to it.
pub(super) fn successors(world: &World, bounds: &Bounds) -> Vec<(Label, World)> {
    let mut out = Vec::new();
    if !world.requested && world.is_up(0) {
        let mut base = world.clone();
        base.requested = true;
        step(base, 0, request(), Label::Request, bounds, &mut out);
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
        if world.losses < bounds.losses && losable(envelope) {
            let mut lost = base.clone();
            lost.losses += 1;
            out.push((Label::Lose(envelope.clone()), lost));
        }
        let label = Label::Deliver(envelope.clone());
        deliver(base, envelope, label, bounds, &mut out);
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
                let label = Label::Timeout(i, base.now);
                step(base.clone(), i, Input::Timeout, label, bounds, &mut out);
            }
        }
    }
    faults(world, bounds, &mut out);
    super::stranger::injections(world, bounds, &mut out);
    out
}

/// The recipient's driver admits the message (or drops it), and its machine
/// handles it.
pub(super) fn deliver(
    mut world: World,
    envelope: &Envelope,
    label: Label,
    bounds: &Bounds,
    out: &mut Vec<(Label, World)>,
) {
    if !world.admits(envelope) {
        out.push((label, world));
        return;
    }
    let input = World::input_for(envelope);
    world.hear(envelope);
    step(world, envelope.to, input, label, bounds, out);
}

/// Crashes, restarts and (with the disconnect rule off) partitions.
pub(super) fn faults(world: &World, bounds: &Bounds, out: &mut Vec<(Label, World)>) {
    for i in 0..NAMES.len() {
        if world.is_up(i) && world.crashes < bounds.crashes {
            let mut next = world.clone();
            next.crash(i);
            out.push((Label::Crash(i), next));
        }
        if !world.is_up(i) {
            let mut next = world.clone();
            next.restart(i);
            out.push((Label::Restart(i), next));
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
        next.network.retain(|e| {
            !world.separated(e.from, e.to) && (mask >> e.from) & 1 == (mask >> e.to) & 1
        });
        out.push((Label::Partition(mask), next));
    }
}

/// Process `i` handles `input`; also every crash in the middle of that step.
pub(super) fn step(
    mut world: World,
    i: usize,
    input: Input,
    label: Label,
    bounds: &Bounds,
    out: &mut Vec<(Label, World)>,
) {
    let before = (world.crashes < bounds.crashes).then(|| world.clone());
    let actions = world.handle(i, input);
    if let Some(before) = before {
        let effective = actions
            .iter()
            .filter(|a| !matches!(a, Action::Show(_)))
            .count();
        for k in 1..effective {
            let mut crashed = before.clone();
            crashed.perform(i, &actions, k);
            crashed.crash(i);
            let during = Label::CrashDuring(Box::new(label.clone()), i, k, effective);
            out.push((during, crashed));
        }
    }
    world.perform(i, &actions, usize::MAX);
    out.push((label, world));
}

/// Loss is modelled for the commit-phase messages of rows M1 to M3. Not for
/// GLOBAL-ABORT: one lost on its way to a participant that never saw the
/// VOTE-REQUEST (the coordinator crashed in the middle of it) cannot be noticed by
/// anyone. Over TCP a line is only lost with its connection, and a member that
/// joins again is sent the last decision, which the restart events cover.
pub(super) fn losable(envelope: &Envelope) -> bool {
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
