use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use super::super::{Inbox, Outbox, outbox};
use super::*;
use crate::server::outbox::Flusher;

fn chunk(text: &str) -> Chunk {
    Chunk::from(text.as_bytes())
}

fn queued(state: &State) -> Vec<String> {
    state
        .chunks
        .iter()
        .map(|chunk| String::from_utf8(chunk.to_vec()).unwrap())
        .collect()
}

#[test]
fn what_was_not_written_goes_back_in_order() {
    let check = |written: usize, expected: &[&str]| {
        let (out, _inbox) = outbox(100, 10_000);
        for text in ["ab", "cde", "f", "later"] {
            assert!(out.offer(&chunk(text)));
        }
        let mut state = out.queue.lock();
        let mut taken = VecDeque::new();
        take_front(&mut state, &mut taken, MAX_SLICES);
        assert_eq!(taken.len(), 4);
        state.chunks.push_back(chunk("offered meanwhile"));
        state.bytes += "offered meanwhile".len();
        put_back_unwritten(&mut state, &mut taken, written);
        let mut all: Vec<&str> = expected.to_vec();
        all.push("offered meanwhile");
        assert_eq!(queued(&state), all, "after writing {written} bytes");
        let bytes: usize = all.iter().map(|text| text.len()).sum();
        assert_eq!(state.bytes, bytes, "after writing {written} bytes");
        assert!(taken.is_empty());
    };
    check(0, &["ab", "cde", "f", "later"]);
    check(1, &["b", "cde", "f", "later"]);
    check(2, &["cde", "f", "later"]);
    check(4, &["e", "f", "later"]);
    check(6, &["later"]);
    check(8, &["ter"]);
    check(11, &[]);
}

/// A connected pair: the server's end, shared as the server shares it, and the
/// client's.
fn pair() -> (SharedStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (SharedStream::new(server), client)
}

fn direct_outbox() -> (Outbox, Inbox, TcpStream) {
    let (server, client) = pair();
    let (out, inbox) = outbox(1000, 1 << 20);
    inbox.allow_direct_writes(server, FlusherHandle::new().unwrap());
    (out, inbox, client)
}

fn read_exactly(client: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    client.read_exact(&mut bytes).expect("the lines arrive");
    bytes
}

fn assert_nothing_to_read(client: &TcpStream) {
    client.set_nonblocking(true).unwrap();
    let mut byte = [0];
    let read = (&*client).read(&mut byte);
    assert!(
        matches!(&read, Err(error) if error.kind() == ErrorKind::WouldBlock),
        "nothing was written: {read:?}"
    );
    client.set_nonblocking(false).unwrap();
}

#[test]
fn a_producer_writes_the_queue_with_no_writer_thread() {
    let (out, inbox, mut client) = direct_outbox();
    let waker = out.offer_deferred(&chunk("MSG one\n")).unwrap().unwrap();
    assert!(out.offer_deferred(&chunk("MSG two\n")).unwrap().is_none());
    DirectWriter::default().write_or_wake(waker);
    assert_eq!(read_exactly(&mut client, 16), b"MSG one\nMSG two\n");
    let mut batch = VecDeque::new();
    assert_eq!(inbox.try_take(&mut batch), None, "nothing is left queued");
}

#[test]
fn while_the_writer_holds_the_queue_producers_leave_lines_to_it() {
    let (out, inbox, client) = direct_outbox();
    // Queued without a wake: the writer finds it.
    let _unwoken = out.offer_deferred(&chunk("first\n")).unwrap();
    let mut batch = VecDeque::new();
    assert!(inbox.recv_batch(&mut batch), "the writer takes the first");
    let waker = out.offer_deferred(&chunk("second\n")).unwrap().unwrap();
    DirectWriter::default().write_or_wake(waker);
    assert_nothing_to_read(&client);
    batch.clear();
    assert!(
        inbox.recv_batch(&mut batch),
        "the second waits for the writer"
    );
    assert_eq!(&*batch[0], b"second\n");
}

#[test]
fn what_the_socket_does_not_take_is_left_for_the_writer_in_order() {
    let (out, inbox, mut client) = direct_outbox();
    let socket = SockRef::from(&*inbox.queue.direct.get().unwrap().stream);
    socket.set_send_buffer_size(4096).unwrap();
    SockRef::from(&client).set_recv_buffer_size(4096).unwrap();
    let lines: Vec<Chunk> = (0..200)
        .map(|n| chunk(&format!("MSG {n:04} {}\n", "x".repeat(1000))))
        .collect();
    let mut wakers = Vec::new();
    for line in &lines {
        wakers.extend(out.offer_deferred(line).unwrap());
    }
    assert_eq!(wakers.len(), 1);
    DirectWriter::default().write_or_wake(wakers.pop().unwrap());
    let mut batch = VecDeque::new();
    assert!(inbox.recv_batch(&mut batch), "the rest is queued");
    let left: Vec<u8> = batch.iter().flat_map(|chunk| chunk.to_vec()).collect();
    let all: Vec<u8> = lines.iter().flat_map(|chunk| chunk.to_vec()).collect();
    assert!(left.len() < all.len(), "the socket took some");
    let sent = read_exactly(&mut client, all.len() - left.len());
    assert_eq!([sent, left].concat(), all);
}

/// `count` lines of about 1 KiB, numbered, and a connection whose buffers are
/// small, so the socket takes only some of them at once.
fn backed_up(count: usize, flusher: FlusherHandle) -> (Outbox, Inbox, TcpStream, Vec<u8>) {
    let (server, client) = pair();
    SockRef::from(&*server).set_send_buffer_size(4096).unwrap();
    SockRef::from(&client).set_recv_buffer_size(4096).unwrap();
    let (out, inbox) = outbox(1000, 1 << 20);
    inbox.allow_direct_writes(server, flusher);
    let lines: Vec<Chunk> = (0..count)
        .map(|n| chunk(&format!("MSG {n:04} {}\n", "x".repeat(1000))))
        .collect();
    let mut wakers = Vec::new();
    for line in &lines {
        wakers.extend(out.offer_deferred(line).unwrap());
    }
    DirectWriter::default().write_or_wake(wakers.pop().unwrap());
    let all = lines.iter().flat_map(|chunk| chunk.to_vec()).collect();
    (out, inbox, client, all)
}

#[test]
fn the_flusher_writes_what_the_socket_did_not_take_in_order() {
    let handle = FlusherHandle::new().unwrap();
    let flusher = Flusher::start(handle.clone()).unwrap();
    let (out, inbox, mut client, all) = backed_up(200, handle);
    assert_eq!(read_exactly(&mut client, all.len()), all);
    drop(out);
    let mut batch = VecDeque::new();
    assert!(!inbox.recv_batch(&mut batch), "nothing left for the writer");
    flusher.stop();
}

#[test]
fn an_evicted_client_held_by_the_flusher_is_let_go_at_a_line_end() {
    let handle = FlusherHandle::new().unwrap();
    let flusher = Flusher::start(handle.clone()).unwrap();
    let (out, inbox, mut client, all) = backed_up(200, handle);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while out.queue.lock().holder != Holder::Flusher {
        assert!(
            std::time::Instant::now() < deadline,
            "the flusher never held it"
        );
        std::thread::yield_now();
    }
    out.discard();
    drop(out);
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        got
    });
    // This thread is the writer at the end: it gets at most the rest of a
    // line the socket took part of.
    let mut rest = Vec::new();
    let mut batch = VecDeque::new();
    while inbox.recv_batch(&mut batch) {
        rest.extend(batch.drain(..).flat_map(|chunk| chunk.to_vec()));
    }
    assert!(rest.len() <= 1010, "{} bytes left", rest.len());
    drop(inbox);
    let mut got = reader.join().unwrap();
    got.extend(rest);
    assert!(
        got.len() < all.len() && got.ends_with(b"\n"),
        "{} bytes",
        got.len()
    );
    assert_eq!(got, all[..got.len()]);
    flusher.stop();
}

#[test]
fn an_offer_from_any_thread_is_written_at_once_with_no_writer_or_flusher() {
    let (out, _inbox, mut client) = direct_outbox();
    assert!(out.offer(&chunk("PONG now\n")));
    assert_eq!(read_exactly(&mut client, 9), b"PONG now\n");
}
