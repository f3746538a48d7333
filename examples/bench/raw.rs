//! The raw baseline: the simplest forwarder that can carry the benchmark.
//!
//! One thread, one `mio` poll, no history, no queues between threads. It speaks
//! just enough of chatroom's protocol for the generator: the first line is the
//! name (answered with `WELCOME`, everyone else gets `JOIN`), every later line is
//! copied as `MSG` to every registered client, the sender included. Output is
//! appended to each client's buffer and written with one `write` per connection
//! per loop turn. It shows what the machine can do, not what a server should.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);
const TS: &str = "2026-01-01T00:00:00.000Z";

struct Client {
    stream: TcpStream,
    name: Option<String>,
    carry: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
}

/// Serves on `addr` until killed. Prints `Listening on ADDR` once bound.
pub fn serve(addr: SocketAddr) -> io::Result<()> {
    let mut listener = listen(addr)?;
    println!("Listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(1024);
    let mut clients: Vec<Option<Client>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut registered: Vec<usize> = Vec::new();
    let mut dirty: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&listener, &poll, &mut clients, &mut free)?;
                continue;
            }
            let id = event.token().0;
            if event.is_writable() {
                dirty.push(id);
            }
            if event.is_readable() || event.is_read_closed() {
                let lines = read_lines(&mut clients, id, &mut buf);
                for line in lines.lines {
                    handle_line(&mut clients, &mut registered, &mut dirty, id, &line);
                }
                if lines.closed {
                    clients[id] = None;
                    registered.retain(|&r| r != id);
                    free.push(id);
                }
            }
        }
        dirty.sort_unstable();
        dirty.dedup();
        for id in dirty.drain(..) {
            if let Some(client) = clients[id].as_mut() {
                write_once(client);
            }
        }
    }
}

/// A listener with a backlog of 4096 (mio's `bind` uses 128, which drops SYNs
/// when hundreds of clients connect at once).
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}

fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    clients: &mut Vec<Option<Client>>,
    free: &mut Vec<usize>,
) -> io::Result<()> {
    loop {
        let (mut stream, _) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(error) => {
                eprintln!("raw-server: accept: {error}");
                return Ok(());
            }
        };
        stream.set_nodelay(true)?;
        let id = free.pop().unwrap_or(clients.len());
        poll.registry().register(
            &mut stream,
            Token(id),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let client = Client {
            stream,
            name: None,
            carry: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
        };
        if id == clients.len() {
            clients.push(Some(client));
        } else {
            clients[id] = Some(client);
        }
    }
}

struct Lines {
    lines: Vec<String>,
    closed: bool,
}

fn read_lines(clients: &mut [Option<Client>], id: usize, buf: &mut [u8]) -> Lines {
    let mut lines = Lines {
        lines: Vec::new(),
        closed: false,
    };
    let Some(client) = clients[id].as_mut() else {
        return lines;
    };
    loop {
        match client.stream.read(buf) {
            Ok(0) => {
                lines.closed = true;
                break;
            }
            Ok(n) => client.carry.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                lines.closed = true;
                break;
            }
        }
    }
    let mut start = 0;
    for lf in memchr::memchr_iter(b'\n', &client.carry) {
        let line = &client.carry[start..lf];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            lines.lines.push(String::from_utf8_lossy(line).into_owned());
        }
        start = lf + 1;
    }
    client.carry.drain(..start);
    lines
}

fn handle_line(
    clients: &mut [Option<Client>],
    registered: &mut Vec<usize>,
    dirty: &mut Vec<usize>,
    id: usize,
    line: &str,
) {
    let Some(client) = clients[id].as_mut() else {
        return;
    };
    let (line_for_all, except) = match &client.name {
        None => {
            let name = line.trim().to_owned();
            let welcome = format!("WELCOME {name} {} :raw\n", registered.len() + 1);
            client.out.extend_from_slice(welcome.as_bytes());
            dirty.push(id);
            client.name = Some(name.clone());
            registered.push(id);
            (format!("JOIN {TS} {name}\n"), Some(id))
        }
        Some(name) => (format!("MSG 0 {TS} {name} :{line}\n"), None),
    };
    for &other in registered.iter() {
        if Some(other) == except {
            continue;
        }
        if let Some(client) = clients[other].as_mut() {
            client.out.extend_from_slice(line_for_all.as_bytes());
            dirty.push(other);
        }
    }
}

/// One `write` of whatever is pending; the rest waits for the next turn.
fn write_once(client: &mut Client) {
    if client.out_pos >= client.out.len() {
        return;
    }
    match client.stream.write(&client.out[client.out_pos..]) {
        Ok(n) => client.out_pos += n,
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
        Err(_) => client.out_pos = client.out.len(),
    }
    if client.out_pos == client.out.len() {
        client.out.clear();
        client.out_pos = 0;
    }
}
