//! Catch-up at the participant: a VOTE-REQUEST above the highest known id
//! plus one is held while the other members are asked about the missed
//! ids; they are filled in order before the vote, or the request is
//! refused with nothing logged.

use super::{COMMIT, check_participant, msg};
use crate::tpc::{Input, Millis};

const FIRST: &str = "3PC VOTE-REQUEST 1 p1,p2,p3 :x";
const FOURTH: &str = "3PC VOTE-REQUEST 4 p1,p2,p3 :four";

/// p1 committed transaction 1, then is asked to vote on 4 (at time 10).
fn after_one(more: &[(Millis, &str, &str)]) -> Vec<(Millis, Input)> {
    let mut inputs = vec![
        (0, msg("c", FIRST)),
        (1, msg("c", "3PC GLOBAL-COMMIT 1")),
        (10, msg("c", FOURTH)),
    ];
    inputs.extend(more.iter().map(|(at, from, text)| (*at, msg(from, text))));
    inputs
}

/// Both peers answer `verdicts` (for 2, then 3).
fn answers(p2: [&'static str; 2], p3: [&'static str; 2]) -> Vec<(Millis, &'static str, String)> {
    let mut out = Vec::new();
    for (tx, (a, b)) in [2, 3].into_iter().zip(p2.into_iter().zip(p3)) {
        out.push((11, "p2", format!("3PC OUTCOME {tx} {a}")));
        out.push((11, "p3", format!("3PC OUTCOME {tx} {b}")));
    }
    out
}

fn check(more: Vec<(Millis, &'static str, String)>, expected: &[&str]) {
    let more: Vec<(Millis, &str, &str)> = more
        .iter()
        .map(|(at, f, t)| (*at, *f, t.as_str()))
        .collect();
    check_participant(COMMIT, after_one(&more), expected);
}

const VOTES_ON_FOUR: [&str; 3] = [
    "LOG INIT 4 c p1,p2,p3 00000000000000a1 :four",
    "LOG READY 4 c p1,p2,p3 00000000000000a1 :four",
    "SEND c 3PC VOTE-COMMIT 4",
];

#[test]
fn a_gap_is_asked_about_before_the_vote() {
    check_participant(
        COMMIT,
        after_one(&[]),
        &[
            "SEND p2 3PC OUTCOME-REQ 2",
            "SEND p3 3PC OUTCOME-REQ 2",
            "SEND p2 3PC OUTCOME-REQ 3",
            "SEND p3 3PC OUTCOME-REQ 3",
        ],
    );
}

#[test]
fn missed_aborts_are_filled_in_order_then_it_votes() {
    let mut expected = vec![
        "LOG ABORT 2",
        "APPLY 2 :",
        "LOG APPLIED 2",
        "LOG ABORT 3",
        "APPLY 3 :",
        "LOG APPLIED 3",
    ];
    expected.extend(VOTES_ON_FOUR);
    check(answers(["ABORT", "ABORT"], ["ABORT", "ABORT"]), &expected);
    // One member that does not know is enough if another does; an id it
    // was not a member of gets no line.
    let mut expected = vec!["LOG ABORT 2", "APPLY 2 :", "LOG APPLIED 2"];
    expected.extend(VOTES_ON_FOUR);
    check(answers(["ABORT", "NONE"], ["UNKNOWN", "NONE"]), &expected);
}

#[test]
fn an_unknown_or_disputed_id_refuses_the_request_and_logs_nothing_past_it() {
    // Nobody knows 2: refused, nothing logged.
    check(
        answers(["UNKNOWN", "ABORT"], ["UNKNOWN", "ABORT"]),
        &["SEND c 3PC VOTE-ABORT 4"],
    );
    // 2 is filled, 3 is disputed (impossible while I1 holds): refused.
    check(
        answers(["ABORT", "ABORT"], ["ABORT", "NONE"]),
        &[
            "LOG ABORT 2",
            "APPLY 2 :",
            "LOG APPLIED 2",
            "SEND c 3PC VOTE-ABORT 4",
        ],
    );
    // A commit of an id it never voted on: its own log lost something.
    check(
        answers(["COMMIT", "ABORT"], ["COMMIT", "ABORT"]),
        &["SEND c 3PC VOTE-ABORT 4"],
    );
    // No answer in T/6: refused; the coordinator's GLOBAL-ABORT 4 is not
    // adopted either, as it would leave 2 and 3 missing below it.
    let timeout = |at| (at, Input::Timeout);
    let mut inputs = after_one(&[]);
    inputs.push(timeout(109));
    check_participant(COMMIT, inputs.clone(), &[]);
    inputs.push(timeout(110));
    check_participant(COMMIT, inputs.clone(), &["SEND c 3PC VOTE-ABORT 4"]);
    inputs.push((111, msg("c", "3PC GLOBAL-ABORT 4")));
    check_participant(COMMIT, inputs, &[]);
}

#[test]
fn an_abort_during_catch_up_is_recorded_after_the_missed_lines() {
    let mut more = vec![(11, "c", "3PC GLOBAL-ABORT 4".to_owned())];
    more.extend(answers(["ABORT", "ABORT"], ["ABORT", "ABORT"]));
    check(
        more,
        &[
            "LOG ABORT 2",
            "APPLY 2 :",
            "LOG APPLIED 2",
            "LOG ABORT 3",
            "APPLY 3 :",
            "LOG APPLIED 3",
            "LOG ABORT 4",
            "APPLY 4 :",
            "LOG APPLIED 4",
        ],
    );
}

#[test]
fn a_larger_gap_is_filled_a_few_ids_per_request() {
    let request = "3PC VOTE-REQUEST 20 p1,p2 :late";
    let mut inputs = vec![
        (0, msg("c", FIRST)),
        (1, msg("c", "3PC GLOBAL-COMMIT 1")),
        (10, msg("c", request)),
    ];
    let asked: Vec<String> = (2..=9)
        .map(|tx| format!("SEND p2 3PC OUTCOME-REQ {tx}"))
        .collect();
    let asked: Vec<&str> = asked.iter().map(String::as_str).collect();
    check_participant(COMMIT, inputs.clone(), &asked);
    let answers: Vec<String> = (2..=9).map(|tx| format!("3PC OUTCOME {tx} NONE")).collect();
    inputs.extend(answers.iter().map(|a| (11, msg("p2", a))));
    check_participant(COMMIT, inputs, &["SEND c 3PC VOTE-ABORT 20"]);
}

#[test]
fn members_answer_from_their_state_log() {
    let base = || vec![(0, msg("c", FIRST)), (1, msg("c", "3PC GLOBAL-COMMIT 1"))];
    let ask = |from: &str, tx: u64, expected: &str| {
        let mut inputs = base();
        inputs.push((2, msg(from, &format!("3PC OUTCOME-REQ {tx}"))));
        check_participant(COMMIT, inputs, &[expected]);
    };
    ask("p2", 1, "SEND p2 3PC OUTCOME 1 COMMIT");
    ask("p9", 1, "SEND p9 3PC OUTCOME 1 NONE");
    ask("p2", 7, "SEND p2 3PC OUTCOME 7 UNKNOWN");
    // An answer nobody asked for moves nothing.
    let mut inputs = base();
    inputs.push((2, msg("p2", "3PC OUTCOME 2 ABORT")));
    check_participant(COMMIT, inputs, &[]);
}

#[test]
fn an_abort_above_a_gap_is_held_and_filled_in_its_place() {
    let mut inputs = vec![
        (0, msg("c", FIRST)),
        (1, msg("c", "3PC GLOBAL-COMMIT 1")),
        (2, msg("c", "3PC GLOBAL-ABORT 3")),
    ];
    check_participant(COMMIT, inputs.clone(), &[]);
    inputs.push((10, msg("c", FOURTH)));
    check_participant(
        COMMIT,
        inputs.clone(),
        &["SEND p2 3PC OUTCOME-REQ 2", "SEND p3 3PC OUTCOME-REQ 2"],
    );
    inputs.push((11, msg("p2", "3PC OUTCOME 2 ABORT")));
    inputs.push((11, msg("p3", "3PC OUTCOME 2 ABORT")));
    let mut expected = vec![
        "LOG ABORT 2",
        "APPLY 2 :",
        "LOG APPLIED 2",
        "LOG ABORT 3",
        "APPLY 3 :",
        "LOG APPLIED 3",
    ];
    expected.extend(VOTES_ON_FOUR);
    check_participant(COMMIT, inputs, &expected);
}
