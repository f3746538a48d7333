//! Rooms in terminal mode as an outside tester found them (in tmux): a
//! resize redraws the rooms row at the new width, keeping the room shown
//! and those with something unread; what the client says when a command
//! has nothing to show or names a room where a user was meant. Each runs
//! against the hand-driven version-2 server of `scripted`.

use super::rooms::{TS, at, in_two_rooms, wait_rooms};

/// The rooms after `#lobby` and `#rust`, up to eight in all.
const MORE: [&str; 6] = ["#alpha", "#beta", "#gamma", "#delta", "#epsilon", "#zeta"];

#[test]
fn rooms_row_is_redrawn_at_the_new_width_after_a_resize() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    for room in MORE {
        server.write(&format!("JOINED {room} 1 :\nUSERS-END 1 {room}"));
    }
    let all = "1:#lobby 2:#rust 3:#alpha 4:#beta 5:#gamma 6:#delta 7:#epsilon [8:#zeta]";
    wait_rooms(&mut alice, all);
    alice.resize(24, 30);
    wait_rooms(&mut alice, "[8:#zeta] +7");
    server.write(&format!(
        "MSG 20 {ts} bob #epsilon :alice: over here",
        ts = *TS
    ));
    wait_rooms(&mut alice, "7:#epsilon(1!) [8:#zeta] +6");
    alice.resize(24, 90);
    let all = "1:#lobby 2:#rust 3:#alpha 4:#beta 5:#gamma 6:#delta 7:#epsilon(1!) [8:#zeta]";
    wait_rooms(&mut alice, all);
}

#[test]
fn rooms_history_of_a_room_with_no_messages_says_so() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("/history #nosuch\r");
    assert_eq!(server.read_line(), "/history #nosuch 50");
    server.write("HISTORY-END 0 #nosuch");
    alice.wait_until("the empty history said", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == "*** no messages in #nosuch")
    });
    // It answers the user, whichever room is shown: a switch keeps it.
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    alice.wait_until("the answer, still there", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == "*** no messages in #nosuch")
    });
}

#[test]
fn rooms_msg_to_a_room_name_hints_at_say_and_join() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("/msg #go hi\r");
    assert_eq!(server.read_line(), "/msg #go hi");
    server.write("ERROR no-such-user :Nobody called #go is online.");
    let hint = |r: &String| r.contains("#go is a room: use /say #go ... or /join #go");
    let refused = |r: &String| r.starts_with("*** not stored: /msg #go hi");
    alice.wait_until("the refusal and the hint", |rows| {
        rows.iter().any(hint) && rows.iter().any(refused)
    });
    let rows = alice.rows();
    let (at_hint, at_refused) = (rows.iter().position(hint), rows.iter().position(refused));
    assert!(
        at_hint > at_refused,
        "the hint comes last:\n{}",
        rows.join("\n")
    );
}

#[test]
fn rooms_part_of_the_room_shown_is_confirmed_where_the_user_looks() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("/part see you\r");
    assert_eq!(server.read_line(), "/part #rust see you");
    server.write(&format!("PART {ts} alice #rust :see you", ts = *TS));
    wait_rooms(&mut alice, "[1:#lobby]");
    alice.wait_until("the part, marked, in the lobby", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == at("[#rust] <-- alice left the room (see you)"))
    });
}

#[test]
fn rooms_a_user_leaving_the_server_is_not_a_line_of_the_room_shown() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    server.write(&format!("LEAVE {ts} probe :connection lost", ts = *TS));
    alice.wait_until("the leave, saying it is the server", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == at("<-- probe left the server (connection lost)"))
    });
}

#[test]
fn rooms_a_late_joined_does_not_take_the_view_from_a_room_chosen_since() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("/join #go\r");
    assert_eq!(server.read_line(), "/join #go");
    // Alt-1 while the server (flood control) has not answered yet.
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    server.write("JOINED #go 1 :\nUSERS :alice\nUSERS-END 1 #go\nHISTORY-END 0 #go");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust 3:#go");
    // A /join typed after the switch still shows its room.
    alice.type_keys("/join #c\r");
    assert_eq!(server.read_line(), "/join #c");
    server.write("JOINED #c 1 :\nUSERS :alice\nUSERS-END 1 #c\nHISTORY-END 0 #c");
    wait_rooms(&mut alice, "1:#lobby 2:#rust 3:#go [4:#c]");
}

/// Plain mode's `/rooms` lines, compared whole: no trailing space where a
/// room has no topic.
#[test]
fn rooms_plain_mode_rooms_lines_end_with_their_text() {
    let (mut server, mut alice) = super::scripted::Scripted::join_plain_rooms();
    alice.expect_line("[#lobby] *** online (2): alice bob");
    alice.type_line("/rooms");
    assert_eq!(server.read_line(), "/rooms");
    server.write("ROOM #lobby 2 :\nROOM #rust 3 :all things rust \nROOMS-END 2");
    alice.expect_line("*** #lobby (2 members)");
    alice.expect_line("*** #rust (3 members) all things rust");
    alice.expect_line("*** 2 rooms");
}
