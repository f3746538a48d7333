//! Rooms are the hub's, not a front's: a TLS user and a UDP user join a room
//! beside a plain TCP user and see the same version-2 lines.

use crate::support::{Client, TestServer, unthrottled};
use crate::tls::TlsServer;
use crate::udp::raw::RawUdp;

use super::fields_of;

#[test]
fn a_tls_user_and_a_tcp_user_share_a_room() {
    let server = TlsServer::start(|_| unthrottled());
    let mut tess = server.join_tls("tess");
    let mut pat = Client::hello_v2(server.plain);
    pat.register("pat");
    tess.send("/join #Secure");
    assert_eq!(tess.until("JOINED "), "JOINED #Secure 1 :");
    tess.until("HISTORY-END ");
    let answer = pat.join_room("#secure");
    assert_eq!(answer[1], "USERS :pat tess");
    pat.send("over tcp");
    let sent = pat.expect("MSG ");
    assert_eq!(fields_of(&sent, "MSG")[2..], ["pat", "#Secure"]);
    assert_eq!(tess.until("MSG "), sent, "the same line over TLS");
    tess.send("/part #secure");
    assert!(pat.until("PART ").ends_with(" tess #Secure :"));
}

#[test]
fn a_udp_user_and_a_tcp_user_share_a_room() {
    let server = TestServer::with_udp(unthrottled());
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    let mut tom = Client::hello_v2(server.addr);
    tom.register("tom");
    uma.send("/join #Datagrams");
    assert_eq!(uma.until("JOINED "), "JOINED #Datagrams 1 :");
    uma.until("HISTORY-END ");
    tom.join_room("#datagrams");
    assert!(uma.until("JOIN ").ends_with(" tom #Datagrams"));
    uma.send("over udp");
    let sent = tom.until("MSG ");
    assert_eq!(fields_of(&sent, "MSG")[2..], ["uma", "#Datagrams"]);
    assert_eq!(uma.until("MSG "), sent, "the same line over UDP");
    uma.send("/quit");
    let leave = tom.until("LEAVE ");
    assert_eq!(fields_of(&leave, "LEAVE")[1..], ["uma"]);
}
