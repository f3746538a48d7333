//! Table-driven tests of the two pure machines: a list of inputs (with the time
//! each arrives) goes in, and the actions of the last input are compared with the
//! expected ones, written the way the logs and the wire show them.

use super::Timing;
use super::participant::{AckPolicy, Config, VotePolicy};
use super::{
    Action, Coordinator, Input, Message, Millis, Nonce, Note, Outcome, Participant, Record,
};

/// T = 600 ms: T/6 = 100, a participant's wait 700, a follower's 300.
const TIMING: Timing = Timing { timeout: 600 };

/// The run every table's transaction belongs to.
const RUN: Nonce = 0xa1;

/// A message of the run [`RUN`] (and a question or answer with that nonce).
fn msg(from: &str, text: &str) -> Input {
    msg_with(from, text, RUN)
}

fn msg_with(from: &str, text: &str, nonce: Nonce) -> Input {
    Input::Message {
        from: from.to_owned(),
        message: Message::parse(text).expect("a valid 3PC line in the table"),
        nonce,
    }
}

/// Actions as text; notes for people are left out.
fn render(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Log(record) => Some(format!("LOG {}", record.encode())),
            Action::Send { to, message, .. } => Some(format!("SEND {to} {message}")),
            Action::Apply { tx, line } => Some(format!("APPLY {tx} :{line}")),
            Action::Show(_) => None,
        })
        .collect()
}

fn participant(vote: VotePolicy) -> Participant {
    Participant::new(Config {
        name: "p1".into(),
        timing: TIMING,
        vote,
        ack: AckPolicy::Auto,
        catch_up: true,
        look_back: false,
    })
}

const COMMIT: VotePolicy = VotePolicy::Always(Outcome::Commit);
const REQUEST: &str = "3PC VOTE-REQUEST 1 p1,p2 :x";

fn check_participant(vote: VotePolicy, inputs: Vec<(Millis, Input)>, expected: &[&str]) {
    let mut machine = participant(vote);
    let mut last = Vec::new();
    for (now, input) in inputs {
        last = machine.handle(input, now);
    }
    assert_eq!(render(&last), expected);
}

#[test]
fn participant_normal_flow() {
    let request = || (0, msg("c", REQUEST));
    check_participant(
        COMMIT,
        vec![request()],
        &[
            "LOG INIT 1 c p1,p2 00000000000000a1 :x",
            "LOG READY 1 c p1,p2 00000000000000a1 :x",
            "SEND c 3PC VOTE-COMMIT 1",
        ],
    );
    check_participant(
        VotePolicy::Always(Outcome::Abort),
        vec![request()],
        &[
            "LOG INIT 1 c p1,p2 00000000000000a1 :x",
            "LOG ABORT 1",
            "SEND c 3PC VOTE-ABORT 1",
            "APPLY 1 :",
            "LOG APPLIED 1",
        ],
    );
    check_participant(
        COMMIT,
        vec![request(), (5, msg("c", "3PC PRECOMMIT 1"))],
        &["LOG PRECOMMIT 1", "SEND c 3PC ACK 1"],
    );
    check_participant(
        COMMIT,
        vec![
            request(),
            (5, msg("c", "3PC PRECOMMIT 1")),
            (6, msg("c", "3PC GLOBAL-COMMIT 1")),
        ],
        &["LOG COMMIT 1", "APPLY 1 :x", "LOG APPLIED 1"],
    );
    check_participant(
        COMMIT,
        vec![request(), (5, msg("c", "3PC GLOBAL-ABORT 1"))],
        &["LOG ABORT 1", "APPLY 1 :", "LOG APPLIED 1"],
    );
    // The human never votes: abort at T.
    check_participant(
        VotePolicy::Ask,
        vec![request(), (600, Input::Timeout)],
        &[
            "LOG ABORT 1",
            "SEND c 3PC VOTE-ABORT 1",
            "APPLY 1 :",
            "LOG APPLIED 1",
        ],
    );
    // Too early: nothing.
    check_participant(VotePolicy::Ask, vec![request(), (599, Input::Timeout)], &[]);
}

#[test]
fn participant_bad_and_stale_input_changes_nothing() {
    let request = || (0, msg("c", REQUEST));
    let cases: Vec<Vec<(Millis, Input)>> = vec![
        vec![request(), (1, msg("c", REQUEST))],
        vec![request(), (1, msg("eve", "3PC GLOBAL-ABORT 1"))],
        vec![request(), (1, msg("eve", "3PC PRECOMMIT 1"))],
        vec![request(), (1, msg("c", "3PC GLOBAL-COMMIT 9"))],
        vec![(0, msg("c", "3PC VOTE-REQUEST 1 p2,p3 :not for p1"))],
        vec![
            request(),
            (1, msg("c", "3PC GLOBAL-COMMIT 1")),
            (2, msg("c", "3PC GLOBAL-ABORT 1")),
        ],
        vec![
            request(),
            (1, msg("c", "3PC GLOBAL-COMMIT 1")),
            (2, msg("c", "3PC PRECOMMIT 1")),
        ],
        vec![(0, Input::Vote(Outcome::Commit))],
        vec![(0, Input::Ack)],
    ];
    for inputs in cases {
        check_participant(COMMIT, inputs, &[]);
    }
    // A commit for a transaction this process never voted on is refused.
    check_participant(
        VotePolicy::Ask,
        vec![request(), (1, msg("c", "3PC GLOBAL-COMMIT 1"))],
        &[],
    );
    // Another transaction under an id already used (a coordinator with
    // another --dir, or a second one): its coordinator is told how far ids go.
    let decided = [
        request(),
        (1, msg("c", "3PC GLOBAL-COMMIT 1")),
        (2, msg("c2", "3PC VOTE-REQUEST 2 p1,p2 :y")),
        (3, msg("c2", "3PC GLOBAL-ABORT 2")),
    ];
    for (reuse, expected) in [
        (
            "3PC VOTE-REQUEST 1 p1,p2 :again",
            &["SEND c 3PC CONFLICT 1 2"][..],
        ),
        ("3PC VOTE-REQUEST 2 p1,p2 :y", &[]),
    ] {
        let from = if reuse.contains(":y") { "c2" } else { "c" };
        let mut inputs = decided.to_vec();
        inputs.push((4, msg(from, reuse)));
        check_participant(COMMIT, inputs, expected);
    }
}

#[test]
fn participant_answers_from_its_state() {
    let request = || (0, msg("c", REQUEST));
    let ask = |what: &str| (1, msg("p2", &format!("3PC {what}")));
    check_participant(
        COMMIT,
        vec![request(), ask("STATE-REQ 1")],
        &["SEND p2 3PC STATE 1 READY"],
    );
    check_participant(
        VotePolicy::Ask,
        vec![request(), ask("STATE-REQ 1")],
        &["SEND p2 3PC STATE 1 INIT"],
    );
    check_participant(
        COMMIT,
        vec![ask("STATE-REQ 4")],
        &["SEND p2 3PC STATE 4 UNKNOWN"],
    );
    check_participant(
        COMMIT,
        vec![request(), ask("DECISION-REQ 1")],
        &["SEND p2 3PC DECISION 1 UNDECIDED"],
    );
    check_participant(
        COMMIT,
        vec![
            request(),
            (1, msg("c", "3PC GLOBAL-ABORT 1")),
            ask("DECISION-REQ 1"),
        ],
        &["SEND p2 3PC DECISION 1 ABORT"],
    );
}

#[test]
fn participant_termination() {
    let start = || vec![(0, msg("c", REQUEST))];
    let with = |mut inputs: Vec<(Millis, Input)>, more: Vec<(Millis, Input)>| {
        inputs.extend(more);
        inputs
    };
    // Step 1 at T + T/6: ask the coordinator.
    check_participant(
        COMMIT,
        with(start(), vec![(700, Input::Timeout)]),
        &["SEND c 3PC STATE-REQ 1"],
    );
    // The coordinator is alive and undecided: back to waiting, nothing sent.
    check_participant(
        COMMIT,
        with(
            start(),
            vec![(700, Input::Timeout), (710, msg("c", "3PC STATE 1 INIT"))],
        ),
        &[],
    );
    // Step 2: no answer, ask the members.
    let step2 = || with(start(), vec![(700, Input::Timeout), (800, Input::Timeout)]);
    check_participant(COMMIT, step2(), &["SEND p2 3PC STATE-REQ 1"]);
    // All READY, p1 leads: abort.
    check_participant(
        COMMIT,
        with(
            step2(),
            vec![(810, msg("p2", "3PC STATE 1 READY")), (900, Input::Timeout)],
        ),
        &[
            "LOG ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
            "SEND c 3PC GLOBAL-ABORT 1",
            "APPLY 1 :",
            "LOG APPLIED 1",
        ],
    );
    // p2 in PRECOMMIT: p1 moves to PRECOMMIT and, with no READY one left, commits.
    check_participant(
        COMMIT,
        with(
            step2(),
            vec![
                (810, msg("p2", "3PC STATE 1 PRECOMMIT")),
                (900, Input::Timeout),
            ],
        ),
        &[
            "LOG PRECOMMIT 1",
            "LOG COMMIT 1",
            "SEND p2 3PC GLOBAL-COMMIT 1",
            "SEND c 3PC GLOBAL-COMMIT 1",
            "APPLY 1 :x",
            "LOG APPLIED 1",
        ],
    );
    // A member that answers UNKNOWN never voted: abort.
    check_participant(
        COMMIT,
        with(
            step2(),
            vec![
                (810, msg("p2", "3PC STATE 1 UNKNOWN")),
                (900, Input::Timeout),
            ],
        ),
        &[
            "LOG ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
            "SEND c 3PC GLOBAL-ABORT 1",
            "APPLY 1 :",
            "LOG APPLIED 1",
        ],
    );
    // A RECOVERING member is left out of R: p1 alone in READY aborts.
    check_participant(
        COMMIT,
        with(
            step2(),
            vec![
                (810, msg("p2", "3PC STATE 1 RECOVERING")),
                (900, Input::Timeout),
            ],
        ),
        &[
            "LOG ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
            "SEND c 3PC GLOBAL-ABORT 1",
            "APPLY 1 :",
            "LOG APPLIED 1",
        ],
    );
    // A decided member's answer is adopted at once.
    check_participant(
        COMMIT,
        with(step2(), vec![(810, msg("p2", "3PC STATE 1 COMMIT"))]),
        &["LOG COMMIT 1", "APPLY 1 :x", "LOG APPLIED 1"],
    );
    // While terminating, DECISION-REQ is not answered (no race with a
    // recovering coordinator).
    check_participant(
        COMMIT,
        with(step2(), vec![(810, msg("c", "3PC DECISION-REQ 1"))]),
        &[],
    );
}

fn check_recover(records: &[&str], commit_lines: usize, expected: &[&str]) {
    let records: Vec<Record> = records.iter().map(|r| Record::parse(r).unwrap()).collect();
    let config = Config {
        name: "p1".into(),
        timing: TIMING,
        vote: COMMIT,
        ack: AckPolicy::Auto,
        catch_up: true,
        look_back: false,
    };
    let (_, actions) = Participant::recover(config, &records, commit_lines, 0);
    assert_eq!(render(&actions), expected, "records {records:?}");
}

#[test]
fn participant_recovery_table() {
    let init = "INIT 1 c p1,p2 00000000000000a1 :x";
    let ready = "READY 1 c p1,p2 00000000000000a1 :x";
    check_recover(&[], 0, &[]);
    check_recover(&[init], 0, &["LOG ABORT 1", "APPLY 1 :", "LOG APPLIED 1"]);
    check_recover(
        &[init, ready],
        0,
        &["SEND c 3PC DECISION-REQ 1", "SEND p2 3PC DECISION-REQ 1"],
    );
    check_recover(
        &[init, ready, "PRECOMMIT 1"],
        0,
        &["SEND c 3PC DECISION-REQ 1", "SEND p2 3PC DECISION-REQ 1"],
    );
    check_recover(
        &[init, ready, "COMMIT 1"],
        0,
        &["APPLY 1 :x", "LOG APPLIED 1"],
    );
    check_recover(&[init, ready, "COMMIT 1"], 1, &["LOG APPLIED 1"]);
    check_recover(&[init, ready, "COMMIT 1", "APPLIED 1"], 1, &[]);
    check_recover(&["ABORT 3"], 0, &["APPLY 3 :", "LOG APPLIED 3"]);
}

fn check_coordinator(inputs: Vec<(Millis, Input)>, expected: &[&str]) {
    let mut machine = Coordinator::new(TIMING);
    let mut last = Vec::new();
    for (now, input) in inputs {
        last = machine.handle(input, now);
    }
    assert_eq!(render(&last), expected);
}

fn request() -> (Millis, Input) {
    let members = vec!["p1".to_owned(), "p2".to_owned()];
    (
        0,
        Input::Request {
            text: "x".into(),
            members,
            run: RUN,
        },
    )
}

#[test]
fn coordinator_table() {
    let votes = || {
        vec![
            request(),
            (1, msg("p1", "3PC VOTE-COMMIT 1")),
            (2, msg("p2", "3PC VOTE-COMMIT 1")),
        ]
    };
    let with = |mut inputs: Vec<(Millis, Input)>, more: (Millis, Input)| {
        inputs.push(more);
        inputs
    };
    check_coordinator(
        vec![request()],
        &[
            "LOG BEGIN 1 p1,p2 00000000000000a1 :x",
            "SEND p1 3PC VOTE-REQUEST 1 p1,p2 :x",
            "SEND p2 3PC VOTE-REQUEST 1 p1,p2 :x",
        ],
    );
    check_coordinator(
        votes(),
        &[
            "LOG PRECOMMIT 1",
            "SEND p1 3PC PRECOMMIT 1",
            "SEND p2 3PC PRECOMMIT 1",
        ],
    );
    check_coordinator(
        vec![request(), (1, msg("p2", "3PC VOTE-ABORT 1"))],
        &[
            "LOG ABORT 1",
            "SEND p1 3PC GLOBAL-ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
        ],
    );
    check_coordinator(
        with(vec![request()], (600, Input::Timeout)),
        &[
            "LOG ABORT 1",
            "SEND p1 3PC GLOBAL-ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
        ],
    );
    check_coordinator(
        with(
            with(votes(), (3, msg("p1", "3PC ACK 1"))),
            (4, msg("p2", "3PC ACK 1")),
        ),
        &[
            "LOG COMMIT 1",
            "SEND p1 3PC GLOBAL-COMMIT 1",
            "SEND p2 3PC GLOBAL-COMMIT 1",
        ],
    );
    // ACK timeout: the silent ones are taken as crashed, and they voted commit.
    check_coordinator(
        with(votes(), (602, Input::Timeout)),
        &[
            "LOG COMMIT 1",
            "SEND p1 3PC GLOBAL-COMMIT 1",
            "SEND p2 3PC GLOBAL-COMMIT 1",
        ],
    );
    // Bad input: a non-member, an unknown tx, a duplicate vote, a second request.
    check_coordinator(
        with(vec![request()], (1, msg("eve", "3PC VOTE-ABORT 1"))),
        &[],
    );
    check_coordinator(
        with(vec![request()], (1, msg("p1", "3PC VOTE-ABORT 7"))),
        &[],
    );
    check_coordinator(
        with(
            with(vec![request()], (1, msg("p1", "3PC VOTE-COMMIT 1"))),
            (2, msg("p1", "3PC VOTE-COMMIT 1")),
        ),
        &[],
    );
    check_coordinator(vec![request(), request()], &[]);
    // A member that joins after the decision is sent it again.
    check_coordinator(
        with(
            with(votes(), (602, Input::Timeout)),
            (700, Input::Joined("p2".into())),
        ),
        &["SEND p2 3PC GLOBAL-COMMIT 1"],
    );
}

fn check_coordinator_recovery(records: &[&str], inputs: Vec<(Millis, Input)>, expected: &[&str]) {
    let records: Vec<Record> = records.iter().map(|r| Record::parse(r).unwrap()).collect();
    let (mut machine, mut last) = Coordinator::recover(TIMING, &records, 0);
    for (now, input) in inputs {
        last = machine.handle(input, now);
    }
    assert_eq!(render(&last), expected, "records {records:?}");
}

#[test]
fn coordinator_recovery_table() {
    let begin = "BEGIN 1 p1,p2 00000000000000a1 :x";
    check_coordinator_recovery(&[], vec![], &[]);
    check_coordinator_recovery(
        &[begin],
        vec![],
        &[
            "LOG ABORT 1",
            "SEND p1 3PC GLOBAL-ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
        ],
    );
    check_coordinator_recovery(
        &[begin, "PRECOMMIT 1", "COMMIT 1"],
        vec![],
        &["SEND p1 3PC GLOBAL-COMMIT 1", "SEND p2 3PC GLOBAL-COMMIT 1"],
    );
    let precommitted = [begin, "PRECOMMIT 1"];
    check_coordinator_recovery(
        &precommitted,
        vec![],
        &["SEND p1 3PC DECISION-REQ 1", "SEND p2 3PC DECISION-REQ 1"],
    );
    check_coordinator_recovery(
        &precommitted,
        vec![(1, msg("p2", "3PC DECISION 1 COMMIT"))],
        &[
            "LOG COMMIT 1",
            "SEND p1 3PC GLOBAL-COMMIT 1",
            "SEND p2 3PC GLOBAL-COMMIT 1",
        ],
    );
    // Only one member answered UNDECIDED: keep asking.
    check_coordinator_recovery(
        &precommitted,
        vec![(1, msg("p2", "3PC DECISION 1 UNDECIDED"))],
        &[],
    );
    check_coordinator_recovery(
        &precommitted,
        vec![(100, Input::Timeout)],
        &["SEND p1 3PC DECISION-REQ 1", "SEND p2 3PC DECISION-REQ 1"],
    );
    // Every member up and undecided in one round: resume with PRECOMMIT.
    check_coordinator_recovery(
        &precommitted,
        vec![
            (1, msg("p2", "3PC DECISION 1 UNDECIDED")),
            (2, msg("p1", "3PC DECISION 1 UNDECIDED")),
        ],
        &["SEND p1 3PC PRECOMMIT 1", "SEND p2 3PC PRECOMMIT 1"],
    );
    // Catch-up: each member gets its decisions from the latest commit on,
    // oldest first (it may have missed the aborts since).
    check_coordinator_recovery(
        &[
            begin,
            "ABORT 1",
            "BEGIN 2 p1,p2 00000000000000a1 :y",
            "COMMIT 2",
            "BEGIN 3 p1,p2 00000000000000a1 :z",
            "ABORT 3",
            "BEGIN 4 p2 00000000000000a1 :w",
            "ABORT 4",
        ],
        vec![],
        &[
            "SEND p1 3PC GLOBAL-COMMIT 2",
            "SEND p1 3PC GLOBAL-ABORT 3",
            "SEND p2 3PC GLOBAL-COMMIT 2",
            "SEND p2 3PC GLOBAL-ABORT 3",
            "SEND p2 3PC GLOBAL-ABORT 4",
        ],
    );
    // A participant saw the id already: the floor is forced, then the abort.
    check_coordinator_recovery(
        &[],
        vec![request(), (1, msg("p2", "3PC CONFLICT 1 5"))],
        &[
            "LOG NEXT 6",
            "LOG ABORT 1",
            "SEND p1 3PC GLOBAL-ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
        ],
    );
    // ... and survives a restart.
    check_coordinator_recovery(
        &[begin, "NEXT 6", "ABORT 1"],
        vec![request()],
        &[
            "LOG BEGIN 6 p1,p2 00000000000000a1 :x",
            "SEND p1 3PC VOTE-REQUEST 6 p1,p2 :x",
            "SEND p2 3PC VOTE-REQUEST 6 p1,p2 :x",
        ],
    );
    // The next transaction gets the next id.
    check_coordinator_recovery(
        &[begin, "ABORT 1"],
        vec![request()],
        &[
            "LOG BEGIN 2 p1,p2 00000000000000a1 :x",
            "SEND p1 3PC VOTE-REQUEST 2 p1,p2 :x",
            "SEND p2 3PC VOTE-REQUEST 2 p1,p2 :x",
        ],
    );
}

/// Found by the two-crash exploration: a member excluded as leader (it fell
/// silent because its own view chose another leader) still reports PRECOMMIT,
/// and that must make the new leader commit, not abort alone.
#[test]
fn participant_termination_counts_an_excluded_leaders_precommit() {
    let request = msg("c", "3PC VOTE-REQUEST 1 a,p1 :x");
    let inputs = vec![
        (0, request),
        (700, Input::Timeout),                     // step 1
        (800, Input::Timeout),                     // step 2
        (810, msg("a", "3PC STATE 1 READY")),      // R = {a, p1}
        (900, Input::Timeout),                     // follow a
        (1200, Input::Timeout),                    // a fell silent
        (1300, Input::Timeout),                    // step 2 again
        (1310, msg("a", "3PC STATE 1 PRECOMMIT")), // a is alive, in PRECOMMIT
        (1400, Input::Timeout),                    // p1 leads
    ];
    check_participant(
        COMMIT,
        inputs,
        &[
            "LOG PRECOMMIT 1",
            "LOG COMMIT 1",
            "SEND a 3PC GLOBAL-COMMIT 1",
            "SEND c 3PC GLOBAL-COMMIT 1",
            "APPLY 1 :x",
            "LOG APPLIED 1",
        ],
    );
}

/// Issue 15: while ids are reused (a coordinator that lost its `--dir`), a
/// message of an earlier run of the same id, replayed, moves nothing: every
/// message of a run carries the nonce of its VOTE-REQUEST, and both machines
/// refuse another run's.
#[test]
fn messages_of_another_run_of_the_same_id_are_refused() {
    const EARLIER: Nonce = 0xe0;
    let vote_request = || (0, msg("c", REQUEST));
    let earlier = |text| (5, msg_with("c", text, EARLIER));
    for replayed in [
        "3PC PRECOMMIT 1",
        "3PC GLOBAL-COMMIT 1",
        "3PC GLOBAL-ABORT 1",
    ] {
        check_participant(COMMIT, vec![vote_request(), earlier(replayed)], &[]);
    }
    let mut participant = participant(COMMIT);
    participant.handle(vote_request().1, 0);
    participant.handle(earlier("3PC GLOBAL-COMMIT 1").1, 5);
    assert_eq!(participant.outcome(1), None, "still undecided");
    // An earlier run's vote, for a coordinator that reuses id 1.
    let vote = |from: &str| (1, msg_with(from, "3PC VOTE-COMMIT 1", EARLIER));
    check_coordinator(vec![request(), vote("p1")], &[]);
    let both_earlier = vec![request(), (1, msg("p1", "3PC VOTE-COMMIT 1")), vote("p2")];
    check_coordinator(both_earlier, &[]);
    // A copy of this run's request is a duplicate; another run's is a conflict.
    let again = |nonce| (5, msg_with("c2", REQUEST, nonce));
    let mut decided = vec![vote_request(), (1, msg("c", "3PC GLOBAL-ABORT 1"))];
    decided.push(again(RUN));
    check_participant(COMMIT, decided.clone(), &[]);
    decided.push(again(EARLIER));
    check_participant(COMMIT, decided, &["SEND c2 3PC CONFLICT 1 1"]);
}

/// A VOTE-REQUEST while another transaction is undecided: the participant
/// answers BUSY (in the new request's run) and takes no part; the coordinator
/// that gets BUSY aborts at once.
#[test]
fn a_busy_participant_answers_busy_and_the_coordinator_aborts() {
    let vote_request = || (0, msg("c", REQUEST));
    let second = (5, msg_with("b", "3PC VOTE-REQUEST 2 p1 :y", 0xb2));
    check_participant(
        VotePolicy::Ask,
        vec![vote_request(), second],
        &["SEND b 3PC BUSY 2 1"],
    );
    check_coordinator(
        vec![request(), (1, msg("p2", "3PC BUSY 1 7"))],
        &[
            "LOG ABORT 1",
            "SEND p1 3PC GLOBAL-ABORT 1",
            "SEND p2 3PC GLOBAL-ABORT 1",
        ],
    );
}

/// Found from outside: the ACK prompt said "30 s left" and the reminder a
/// moment later "35 s left", counting to the participant's own timer (T +
/// T/6) instead of the human's (the coordinator's T). Both count to the one
/// the prompt names.
#[test]
fn the_ack_reminder_counts_to_the_prompts_deadline() {
    let mut machine = Participant::new(Config {
        name: "p1".into(),
        timing: TIMING,
        vote: COMMIT,
        ack: AckPolicy::Ask,
        catch_up: true,
        look_back: false,
    });
    machine.handle(msg("c", REQUEST), 0);
    let actions = machine.handle(msg("c", "3PC PRECOMMIT 1"), 5);
    let prompted = actions
        .iter()
        .find_map(|action| match action {
            Action::Show(Note::Prompt { deadline, .. }) => Some(*deadline),
            _ => None,
        })
        .expect("the human is asked to ACK");
    assert_eq!(machine.awaiting_ack(), Some(1));
    assert_eq!(machine.ack_deadline(), Some(prompted));
    assert!(
        machine.deadline() > Some(prompted),
        "its own timer is later"
    );
}

mod catch_up;
