//! Room names: `#` and 1 to 32 ASCII letters, digits, `_` and `-`; unique
//! without regard to case; shown as the creator typed them, even when two
//! clients create the same room in different case at the same moment.

use std::sync::{Arc, Barrier};

use crate::support::unique;

use super::{fields_of, loner, pending};

#[test]
fn names_that_break_the_rules_are_refused_by_every_room_command() {
    let (mut user, _) = loner("names");
    let too_long = format!("#{}", "a".repeat(33));
    for bad in [
        "#",
        "##",
        "#a#",
        too_long.as_str(),
        "#café",
        "#日本",
        "#lobby,#x",
        "#a.b",
        "#a:b",
        "#*",
        "lobby",
        "&lobby",
    ] {
        // Without `#`, a word after /who or /history may be read otherwise.
        let commands: &[&str] = if bad.starts_with('#') {
            &["/join", "/say", "/topic", "/who", "/history"]
        } else {
            &["/join", "/say", "/topic"]
        };
        for command in commands {
            let line = if *command == "/say" {
                format!("{command} {bad} hello")
            } else {
                format!("{command} {bad}")
            };
            user.send(&line);
            let answer = user.line();
            assert!(
                answer.starts_with("ERROR room-invalid :"),
                "{line:?}: {answer:?}"
            );
        }
    }
    user.send("/join rust");
    let refusal = user.line();
    assert!(
        refusal.contains("#rust"),
        "Choice: the refusal says to add the #: {refusal}"
    );
    user.send("/part #a.b");
    assert!(user.line().starts_with("ERROR room-invalid :"));
    user.send("/rooms");
    assert!(
        pending(&mut user, &["ROOM"])
            .iter()
            .all(|line| !fields_of(line, "ROOM")[0].contains(['.', ','])),
        "no refused name was created"
    );
}

#[test]
fn names_within_the_rules_are_accepted_as_typed() {
    let (mut user, _) = loner("names");
    let tag = unique("");
    let longest = format!("#{tag}{}", "Z".repeat(32 - tag.len()));
    for good in [
        format!("#{tag}"),
        format!("#-{tag}"),
        format!("#_{tag}"),
        format!("#{tag}a-B_c"),
        longest,
    ] {
        let answer = user.join_room(&good);
        assert_eq!(answer[0], format!("JOINED {good} 1 :"));
    }
}

#[test]
fn one_room_whatever_the_case_shown_as_its_creator_typed_it() {
    let (mut amy, amy_name) = loner("amy");
    let (mut bo, bo_name) = loner("bo");
    let typed = format!("#MiXed{}", unique(""));
    amy.join_room(&typed);
    let answer = bo.join_room(&typed.to_lowercase());
    assert_eq!(
        answer[0],
        format!("JOINED {typed} 2 :"),
        "the creator's spelling"
    );
    amy.line(); // bo's JOIN
    bo.send(&format!("/say {} hello", typed.to_uppercase()));
    for client in [&mut amy, &mut bo] {
        let msg = fields_of(&client.line(), "MSG");
        assert_eq!(msg[2..], [bo_name.as_str(), typed.as_str()]);
    }
    bo.send(&format!("/who {}", typed.to_uppercase()));
    bo.line();
    assert_eq!(bo.line(), format!("USERS-END 2 {typed}"));
    amy.send("/rooms");
    let listed = pending(&mut amy, &["ROOM"]);
    let ours: Vec<&String> = listed
        .iter()
        .filter(|line| fields_of(line, "ROOM")[0].eq_ignore_ascii_case(&typed))
        .collect();
    assert_eq!(ours.len(), 1, "one room: {ours:?}");
    assert!(
        ours[0].starts_with(&format!("ROOM {typed} 2 :")),
        "{ours:?}"
    );
    let _ = amy_name;
}

/// Two clients create one room in two spellings at the same moment: they end
/// up in one room, both shown the same spelling, over many rounds.
#[test]
fn two_clients_creating_one_room_in_different_case_at_once_meet_in_it() {
    for _ in 0..20 {
        let upper = format!("#RACE{}", unique(""));
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = [upper.clone(), upper.to_lowercase()]
            .into_iter()
            .map(|spelling| {
                let barrier = barrier.clone();
                std::thread::Builder::new()
                    .name("racer".into())
                    .spawn(move || {
                        let (mut racer, _) = loner("racer");
                        barrier.wait();
                        let answer = racer.join_room(&spelling);
                        (racer, answer)
                    })
                    .unwrap()
            })
            .collect();
        let mut answers: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        let shown: Vec<Vec<String>> = answers
            .iter()
            .map(|(_, answer)| fields_of(&answer[0], "JOINED"))
            .collect();
        assert_eq!(shown[0][0], shown[1][0], "one spelling for both: {shown:?}");
        let mut counts = [shown[0][1].clone(), shown[1][1].clone()];
        counts.sort();
        assert_eq!(counts, ["1", "2"], "one room, created once: {shown:?}");
        let (first, _) = &mut answers[0];
        first.send(&format!("/who {upper}"));
        let who = first.through("USERS-END ");
        assert_eq!(who.last().unwrap(), &format!("USERS-END 2 {}", shown[0][0]));
    }
}
