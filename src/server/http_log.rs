//! `--log-format http`: every client frame printed on stdout as an HTTP-style
//! request, as the original server did, for people who read traffic by eye.
//!
//! One frame is one `POST /chat` request from the client's address: Host,
//! User-Agent (who sent it), Content-Type, Content-Length, Date, a blank line,
//! then the line itself. Each block is written with one locked write, so blocks
//! from different clients never interleave.

use std::io::Write;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};

/// Formats one frame as an HTTP-style request.
pub(crate) fn format(
    server: SocketAddr,
    peer: SocketAddr,
    name: Option<&str>,
    line: &str,
    now: DateTime<Utc>,
) -> String {
    let agent = match name {
        Some(name) => format!("chatroom-client ({name}@{peer})"),
        None => format!("chatroom-client (unregistered@{peer})"),
    };
    format!(
        "POST /chat HTTP/1.1\r\nHost: {server}\r\nUser-Agent: {agent}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nDate: {}\r\n\r\n{line}\r\n",
        line.len(),
        now.format("%a, %d %b %Y %H:%M:%S GMT"),
    )
}

/// Prints one frame on stdout.
pub(crate) fn print(server: SocketAddr, peer: SocketAddr, name: Option<&str>, line: &str) {
    let block = format(server, peer, name, line, Utc::now());
    let _ = std::io::stdout().lock().write_all(block.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_a_request() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let block = format(
            "127.0.0.1:25000".parse().unwrap(),
            "127.0.0.1:5555".parse().unwrap(),
            Some("alice"),
            "hi bob",
            now,
        );
        assert_eq!(
            block,
            "POST /chat HTTP/1.1\r\nHost: 127.0.0.1:25000\r\nUser-Agent: chatroom-client (alice@127.0.0.1:5555)\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\nDate: Sat, 21 Nov 2026 09:30:00 GMT\r\n\r\nhi bob\r\n"
        );
    }
}
