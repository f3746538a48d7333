use super::*;

fn chunk(len: usize) -> Chunk {
    vec![b'x'; len].into()
}

fn drain(inbox: &Inbox) -> Vec<usize> {
    let mut all = Vec::new();
    let mut batch = VecDeque::new();
    while inbox.recv_batch(&mut batch) {
        all.extend(batch.drain(..).map(|c| c.len()));
    }
    all
}

#[test]
fn bounded_in_lines_and_bytes() {
    let (out, inbox) = outbox(3, 100);
    assert!(
        out.offer(&chunk(500)),
        "one large chunk fits an empty queue"
    );
    assert!(!out.offer(&chunk(1)), "but nothing more while it is queued");
    let mut batch = VecDeque::new();
    assert!(inbox.recv_batch(&mut batch));
    assert_eq!(batch.len(), 1);
    batch.clear();
    assert!(out.offer(&chunk(40)) && out.offer(&chunk(40)));
    assert!(!out.offer(&chunk(40)), "over the byte limit");
    assert!(out.offer(&chunk(10)));
    assert!(!out.offer(&chunk(1)), "over the line limit");
    drop(out);
    assert_eq!(drain(&inbox), [40, 40, 10]);
}

#[test]
fn a_run_is_queued_in_order_under_the_same_limits() {
    let (out, inbox) = outbox(4, 100);
    let run = [chunk(10), chunk(20)];
    let waker = out.offer_all_deferred(&run).expect("fits");
    assert!(
        waker.is_some(),
        "the queue was empty: its writer needs waking"
    );
    let more = out.offer_all_deferred(&[chunk(30)]).expect("fits");
    assert!(
        more.is_none(),
        "a queue already holding lines needs no wake"
    );
    assert!(
        out.offer_all_deferred(&[chunk(1), chunk(1)]).is_err(),
        "the second chunk is over the line limit"
    );
    assert!(out.offer_all_deferred(&[]).expect("nothing").is_none());
    drop(out);
    assert_eq!(drain(&inbox), [10, 20, 30, 1]);
}

#[test]
fn closes_when_every_producer_is_gone() {
    let (out, inbox) = outbox(10, 1000);
    let second = out.clone();
    drop(out);
    assert!(second.offer(&chunk(5)));
    drop(second);
    assert_eq!(drain(&inbox), [5]);
}

#[test]
fn a_batch_takes_everything_and_frees_the_room() {
    let (out, inbox) = outbox(2, 1000);
    assert!(out.offer(&chunk(30)) && out.offer(&chunk(30)));
    assert!(!out.offer(&chunk(30)), "full");
    let mut batch = VecDeque::new();
    assert!(inbox.recv_batch(&mut batch));
    assert_eq!(batch.len(), 2);
    assert!(out.offer(&chunk(30)), "room was released");
}

/// Waits (with a deadline) until the writer has left its handle, that is
/// until it is asleep or about to be.
fn wait_for_writer(out: &Outbox) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while out.queue.lock().writer.is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer never waited"
        );
        thread::yield_now();
    }
}

#[test]
fn a_sleeping_writer_is_woken_by_an_offer_and_by_the_last_producer() {
    let (out, inbox) = outbox(10, 1000);
    let (done, finished) = crossbeam_channel::bounded(1);
    let writer = thread::Builder::new()
        .name("test-writer".into())
        .spawn(move || done.send(drain(&inbox)).unwrap())
        .unwrap();
    wait_for_writer(&out);
    let waker = out.offer_deferred(&chunk(1)).unwrap();
    assert!(
        waker.is_some(),
        "the queue was empty: its writer needs waking"
    );
    assert!(
        out.offer_deferred(&chunk(2)).unwrap().is_none(),
        "not empty: already woken"
    );
    waker.unwrap().wake();
    drop(out);
    let drained = finished
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the writer was woken");
    assert_eq!(drained, [1, 2]);
    writer.join().unwrap();
}

#[test]
fn a_timed_receive_times_out_takes_and_closes() {
    let (out, inbox) = outbox(10, 1000);
    let mut batch = VecDeque::new();
    let soon = std::time::Instant::now() + std::time::Duration::from_millis(5);
    assert_eq!(
        inbox.recv_batch_until(&mut batch, Some(soon)),
        Received::TimedOut
    );
    assert!(out.offer(&chunk(3)));
    assert_eq!(
        inbox.recv_batch_until(&mut batch, Some(soon)),
        Received::Chunks
    );
    assert_eq!(batch.len(), 1);
    batch.clear();
    drop(out);
    assert_eq!(inbox.recv_batch_until(&mut batch, None), Received::Closed);
}

#[test]
fn an_evicted_clients_backlog_is_dropped_and_its_writer_still_finishes() {
    let (out, inbox) = outbox(10, 1000);
    assert!(out.offer(&chunk(1)) && out.offer(&chunk(2)));
    out.discard();
    assert!(out.offer(&chunk(3)), "not an overflow");
    drop(out);
    assert_eq!(drain(&inbox), [0usize; 0], "nothing is written");
}

#[test]
fn offers_after_the_writer_left_are_dropped() {
    let (out, inbox) = outbox(1, 10);
    drop(inbox);
    assert!(
        out.offer(&chunk(5)) && out.offer(&chunk(5)),
        "not an overflow"
    );
}
