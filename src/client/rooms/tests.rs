//! The rooms list: unread counts, switching, the status line, lines kept.

use super::*;

fn entered(room: &str) -> Shown {
    Shown {
        view: View::Notice(format!("now in {room}")),
        room: Some(room.into()),
        change: Some(RoomChange::Entered(room.into())),
    }
}

fn said(room: &str, text: &str) -> Shown {
    Shown::in_room(View::Notice(text.into()), Some(room))
}

fn left(room: &str) -> Shown {
    Shown {
        change: Some(RoomChange::Left(room.into())),
        ..said(room, "left")
    }
}

/// Three rooms joined in order, `#go` shown last.
fn three() -> RoomList {
    let mut list = RoomList::default();
    for room in ["#lobby", "#rust", "#go"] {
        assert!(list.arrived(&entered(room), Attention::None));
    }
    list
}

#[test]
fn a_version_1_server_shows_no_rooms() {
    let mut list = RoomList::default();
    let line = Shown::plain(View::Notice("hi".into()));
    assert!(!list.arrived(&line, Attention::Unread));
    assert!(!list.has_rooms());
    assert_eq!(list.status(false, 80), None);
    assert_eq!(list.marker(None), None);
    assert!(!list.switch_by(1));
}

#[test]
fn unread_counts_and_mentions_per_room() {
    let mut list = three();
    assert_eq!(list.status(false, 80).unwrap(), "1:#lobby 2:#rust [3:#go]");
    list.arrived(&said("#rust", "a"), Attention::Unread);
    list.arrived(&said("#RUST", "b"), Attention::Bell);
    list.arrived(&said("#lobby", "c"), Attention::Unread);
    list.arrived(&said("#go", "shown"), Attention::Unread);
    list.arrived(&said("#lobby", "mine"), Attention::None);
    let status = list.status(false, 80).unwrap();
    assert_eq!(status, "1:#lobby(1) 2:#rust(2!) [3:#go]");
    assert!(list.switch_nth(2));
    assert_eq!(
        list.status(false, 80).unwrap(),
        "1:#lobby(1) [2:#rust] 3:#go"
    );
    let coloured = list.status(true, 80).unwrap();
    assert_eq!(coloured, "1:#lobby(1) \x1b[1m[2:#rust]\x1b[0m 3:#go");
}

#[test]
fn a_room_name_never_reaches_the_terminal_raw() {
    let mut list = RoomList::default();
    list.arrived(&entered("#a\x1b[2J"), Attention::None);
    assert_eq!(list.status(false, 80).unwrap(), "[1:#a[2J]");
}

#[test]
fn a_long_rooms_row_keeps_the_room_shown_and_the_unread_ones() {
    let mut list = three();
    list.arrived(&said("#rust", "a"), Attention::Unread);
    assert_eq!(
        list.status(false, 27).unwrap(),
        "1:#lobby 2:#rust(1) [3:#go]"
    );
    assert_eq!(list.status(false, 26).unwrap(), "2:#rust(1) [3:#go] +1");
}

#[test]
fn a_narrow_rooms_row_keeps_the_room_shown_then_mentions_then_unread() {
    let mut list = three();
    list.arrived(&entered("#epsilon"), Attention::None);
    list.arrived(&said("#lobby", "a"), Attention::Unread);
    list.arrived(&said("#rust", "b"), Attention::Unread);
    list.arrived(&said("#go", "c"), Attention::Bell);
    assert_eq!(
        list.status(false, 45).unwrap(),
        "1:#lobby(1) 2:#rust(1) 3:#go(1!) [4:#epsilon]"
    );
    assert_eq!(list.status(false, 30).unwrap(), "3:#go(1!) [4:#epsilon] +2");
    assert_eq!(list.status(false, 16).unwrap(), "[4:#epsilon] +3");
}

#[test]
fn switching_by_number_and_round_the_list() {
    let mut list = three();
    assert!(list.switch_by(1));
    assert_eq!(list.current(), Some("#lobby"));
    assert!(list.switch_by(-1));
    assert_eq!(list.current(), Some("#go"));
    assert!(!list.switch_nth(3), "already shown");
    assert!(!list.switch_nth(4) && !list.switch_nth(0));
    assert!(list.switch_to("#Rust"));
    assert!(!list.switch_to("#nowhere"));
    assert_eq!(list.marker(Some("#rust")), None);
    assert_eq!(list.marker(Some("#go")), Some("#go"));
}

#[test]
fn leaving_the_shown_room_shows_the_one_before() {
    let mut list = three();
    list.switch_nth(2);
    assert!(list.arrived(&left("#rust"), Attention::None));
    assert_eq!(list.current(), Some("#lobby"));
    assert!(!list.arrived(&left("#go"), Attention::None));
    assert!(list.arrived(&left("#lobby"), Attention::None));
    assert_eq!(list.current(), None);
    assert!(list.has_rooms());
    assert_eq!(list.status(false, 80).unwrap(), "(in no room: /join #room)");
}

#[test]
fn a_room_shown_again_has_its_own_lines() {
    let mut list = three();
    list.arrived(&said("#rust", "r1"), Attention::Unread);
    list.arrived(
        &Shown::plain(View::Notice("everywhere".into())),
        Attention::None,
    );
    list.arrived(&said("#go", "g1"), Attention::Unread);
    list.switch_to("#rust");
    let texts: Vec<String> = list
        .recent(10)
        .iter()
        .map(|s| format!("{:?}", s.view))
        .collect();
    assert_eq!(
        texts,
        [
            r#"Notice("now in #rust")"#,
            r#"Notice("r1")"#,
            r#"Notice("everywhere")"#
        ]
    );
    assert_eq!(list.recent(1).len(), 1);
}

#[test]
fn a_join_answered_after_a_switch_lists_its_room_without_showing_it() {
    let mut list = three();
    list.joining("#a");
    list.joining("#b");
    assert!(list.switch_nth(1), "the user chose the lobby meanwhile");
    list.joining("#c");
    assert!(!list.arrived(&entered("#a"), Attention::None));
    assert!(!list.arrived(&entered("#B"), Attention::None));
    assert_eq!(list.current(), Some("#lobby"));
    assert!(list.arrived(&entered("#c"), Attention::None), "typed after");
    // A room the server puts the user in by itself is shown, as before.
    assert!(list.arrived(&entered("#d"), Attention::None));
    assert_eq!(
        list.status(false, 80).unwrap(),
        "1:#lobby 2:#rust 3:#go 4:#a 5:#B 6:#c [7:#d]"
    );
}
