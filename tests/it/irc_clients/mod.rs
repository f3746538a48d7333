//! Real IRC clients someone else wrote, Debian's `weechat-headless` and
//! `ii`, on chat-server's IRC port: each joins `#lobby` and talks with a
//! native client (the raw line client of `support`) and with the other, in
//! the room and privately, and the native client sees it quit. Each test
//! reads what each program really received: ii's `out` files and WeeChat's
//! logs, never its own echo. The ii-and-WeeChat steps also run against
//! ngIRCd, the reference, so that a failure on chat-server is chat-server's.
//!
//! The programs are found per `support/external.rs`: `.ci/run` installs them
//! and a missing one fails there; a plain `cargo test` skips these tests,
//! saying so. Every process is killed and reaped by its guard's `Drop`.

mod files;
mod ii;
mod target;
mod weechat;

use std::net::SocketAddr;
use std::path::Path;

use crate::support::{Client, split};
use ii::Ii;
use target::{IrcServer, Ngircd};
use weechat::Weechat;

const LOBBY: &str = "#lobby";

#[test]
fn ii_and_a_native_client_talk_in_the_lobby_and_privately() {
    let Some(program) = ii::program() else {
        return;
    };
    let server = IrcServer::start();
    let mut native = server.native.join("natalie");
    let ii = Ii::connect(&program, server.irc, "iris");
    ii.join(LOBBY);
    native_saw(&mut native, "JOIN", "iris", None);

    ii.say(LOBBY, "hello from ii");
    native_saw(&mut native, "MSG", "iris", Some("hello from ii"));
    native.send("hello ii");
    ii.received(LOBBY, "natalie", "hello ii");
    native.send(&long_text());
    ii.received_joined(LOBBY, "natalie", &long_text());

    ii.tell("natalie", "psst natalie");
    native_saw(&mut native, "PRIV", "iris", Some("psst natalie"));
    native.send("/msg iris psst iris");
    ii.received("natalie", "natalie", "psst iris");

    ii.quit("off to lunch");
    native_saw(&mut native, "LEAVE", "iris", Some("off to lunch"));
}

#[test]
fn weechat_and_a_native_client_talk_in_the_lobby_and_privately() {
    let Some(program) = weechat::program() else {
        return;
    };
    let server = IrcServer::start();
    let mut native = server.native.join("natalie");
    let wee = Weechat::join(&program, server.irc, "wendy", LOBBY);
    native_saw(&mut native, "JOIN", "wendy", None);

    wee.say(LOBBY, "hello from weechat");
    native_saw(&mut native, "MSG", "wendy", Some("hello from weechat"));
    native.send("hello weechat");
    wee.received(LOBBY, "natalie", "hello weechat");
    native.send(&long_text());
    wee.received_joined(LOBBY, "natalie", &long_text());

    wee.tell("natalie", "psst natalie");
    native_saw(&mut native, "PRIV", "wendy", Some("psst natalie"));
    native.send("/msg wendy psst wendy");
    wee.received("natalie", "natalie", "psst wendy");

    wee.quit("off to lunch");
    native_saw(&mut native, "LEAVE", "wendy", Some("off to lunch"));
}

/// IRC over TLS, WeeChat trusting only the certificate chat-server made
/// and printed the fingerprint of, with a native client on the plain port.
#[test]
fn weechat_over_the_irc_tls_port_talks_with_a_native_client() {
    let Some(program) = weechat::program() else {
        return;
    };
    let server = IrcServer::with_tls();
    let (irc_tls, fingerprint) = server.irc_tls.clone().expect("IRC over TLS");
    let mut native = server.native.join("natalie");
    let wee = Weechat::join_tls(&program, irc_tls, &fingerprint, "wendy", LOBBY);
    native_saw(&mut native, "JOIN", "wendy", None);
    wee.say(LOBBY, "hello over TLS");
    native_saw(&mut native, "MSG", "wendy", Some("hello over TLS"));
    native.send("hello secure weechat");
    wee.received(LOBBY, "natalie", "hello secure weechat");
}

/// Names are shared: WeeChat asking for a native user's name is refused
/// (433) and, as it does on any server, takes its alternate, `wendy_`,
/// under which the native user sees it and talks with it.
#[test]
fn weechat_asking_for_a_native_users_name_gets_its_alternate() {
    let Some(program) = weechat::program() else {
        return;
    };
    let server = IrcServer::start();
    let mut native = server.native.join("wendy");
    let wee = Weechat::start(&program, server.irc, "wendy", LOBBY);
    wee.wait_joined(LOBBY, "wendy_");
    native_saw(&mut native, "JOIN", "wendy_", None);
    native.send("hello namesake");
    wee.received(LOBBY, "wendy", "hello namesake");
}

#[test]
fn ii_and_weechat_talk_in_the_lobby_and_privately() {
    let (Some(ii_program), Some(weechat_program)) = (ii::program(), weechat::program()) else {
        return;
    };
    let server = IrcServer::start();
    ii_and_weechat_talk(&ii_program, &weechat_program, server.irc);
}

/// The reference run: the same steps on ngIRCd.
#[test]
fn ii_and_weechat_talk_the_same_way_on_ngircd() {
    let programs = (ii::program(), weechat::program(), target::ngircd_program());
    let (Some(ii_program), Some(weechat_program), Some(ngircd_program)) = programs else {
        return;
    };
    let server = Ngircd::start(&ngircd_program);
    ii_and_weechat_talk(&ii_program, &weechat_program, server.irc);
}

/// ii and WeeChat join `#lobby` on `server`, say something there and then
/// privately, each reading what the other said.
fn ii_and_weechat_talk(ii_program: &Path, weechat_program: &Path, server: SocketAddr) {
    let ii = Ii::connect(ii_program, server, "iris");
    ii.join(LOBBY);
    let wee = Weechat::join(weechat_program, server, "wendy", LOBBY);

    ii.say(LOBBY, "hello from ii");
    wee.received(LOBBY, "iris", "hello from ii");
    wee.say(LOBBY, "hello from weechat");
    ii.received(LOBBY, "wendy", "hello from weechat");

    ii.tell("wendy", "psst wendy");
    wee.received("iris", "iris", "psst wendy");
    wee.tell("iris", "psst iris");
    ii.received("wendy", "wendy", "psst iris");
}

/// A native line of about 3,300 bytes, two-byte characters among them: seven IRC
/// lines' worth, which the IRC front splits without losing or breaking a
/// character.
fn long_text() -> String {
    "été à l'aube, "
        .repeat(200)
        .chars()
        .take(2_700)
        .collect::<String>()
        + " the end"
}

/// Reads the native client's lines until one of `kind` (JOIN, LEAVE, MSG,
/// PRIV) whose sender is `from` and, if given, whose text holds `text` (a
/// LEAVE's reason may say more, such as how the user left); fails the test
/// after the line deadline, or on a line that breaks the grammar.
fn native_saw(native: &mut Client, kind: &str, from: &str, text: Option<&str>) -> String {
    loop {
        let line = native.until(&format!("{kind} "));
        let (_, fields, said) = split(&line);
        // JOIN|LEAVE <ts> <name> ...; MSG|PRIV <id> <ts> <from> ...
        let sender = match kind {
            "JOIN" | "LEAVE" => &fields[1],
            _ => &fields[2],
        };
        let said = said.unwrap_or_default();
        if sender == from && text.is_none_or(|text| said.contains(text)) {
            return line;
        }
    }
}
