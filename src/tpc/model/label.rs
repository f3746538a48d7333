//! The events of the exploration, as a violation's trace prints them.

use super::NAMES;
use super::world::{Envelope, Payload, name};
use crate::tpc::Millis;
use crate::tpc::participant::VotePolicy;

/// An event of the exploration, formatted only for the trace of a violation.
#[derive(Debug, Clone)]
pub(crate) enum Label {
    Start([VotePolicy; 3]),
    Request,
    Deliver(Envelope),
    Lose(Envelope),
    Timeout(usize, Millis),
    Crash(usize),
    /// A crash after `k` of the `n` effective actions of a step.
    CrashDuring(Box<Label>, usize, usize, usize),
    Restart(usize),
    Partition(u8),
    /// The stranger sends a message (a forged one, or a replayed copy).
    Stranger(Envelope),
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Label::Start(votes) => write!(f, "start, humans vote {votes:?}"),
            Label::Request => write!(f, "c: request"),
            Label::Deliver(envelope) => write!(f, "{}", describe(envelope)),
            Label::Lose(envelope) => write!(f, "lost: {}", describe(envelope)),
            Label::Timeout(i, now) => write!(f, "t={now}: {} times out", NAMES[*i]),
            Label::Crash(i) => write!(f, "{} crashes", NAMES[*i]),
            Label::CrashDuring(step, i, k, n) => {
                write!(f, "{step}; {} crashes after {k} of {n} actions", NAMES[*i])
            }
            Label::Restart(i) => write!(f, "{} restarts", NAMES[*i]),
            Label::Partition(mask) => {
                let cut: Vec<&str> = (0..NAMES.len())
                    .filter(|i| (mask >> i) & 1 == 1)
                    .map(|i| NAMES[i])
                    .collect();
                write!(f, "partition: {{{}}} cut off", cut.join(","))
            }
            Label::Stranger(envelope) => write!(f, "stranger sends {}", describe(envelope)),
        }
    }
}

pub(super) fn describe(envelope: &Envelope) -> String {
    let what = match &envelope.payload {
        Payload::Message(message) => message.encode(),
        Payload::Joined(who) => format!("JOIN {}", NAMES[*who]),
    };
    format!("{} -> {}: {what}", name(envelope.from), name(envelope.to))
}
