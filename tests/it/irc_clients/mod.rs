//! Real IRC clients someone else wrote, Debian's `weechat-headless` and
//! `ii`: each joins `#lobby` and talks with the other, in the room and
//! privately. Each test reads what each program really received: ii's
//! `out` files and WeeChat's logs, never its own echo. The harness runs
//! against ngIRCd, the reference, so that a failure on chat-server's IRC
//! port, once it has one, is chat-server's.
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

use ii::Ii;
use target::Ngircd;
use weechat::Weechat;

const LOBBY: &str = "#lobby";

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
