//! Rooms in terminal mode as an outside tester found them (in tmux): a
//! resize redraws the rooms row at the new width, keeping the room shown
//! and those with something unread; what the client says when a command
//! has nothing to show or names a room where a user was meant. Each runs
//! against the hand-driven version-2 server of `scripted`.

use super::rooms::{TS, in_two_rooms, wait_rooms};

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
