//! The `flusher` thread: writes the queues of plain TCP clients whose sockets
//! are backed up, for as long as they are, with `poll(2)`.
//!
//! A plain client has no writer thread of its own while its session runs:
//! that second thread per client cost 8 KiB of stack and four memory
//! mappings, and the mappings are what stopped the server near 8,000
//! clients (see `capacity.rs`). The sequencer thread writes what a socket
//! takes at once (`direct.rs`); what it does not take, and every line other
//! threads queue (a session's replies, a LEAVE), is handed here with
//! [`FlusherHandle::submit`]. The flusher writes without blocking; a queue
//! whose socket is full it keeps, as its holder ([`Holder::Flusher`]), and
//! waits for the socket to take more. So however many sockets back up at
//! once, they cost one thread, and the thread count stays what the
//! capacity accounting counted.
//!
//! Rules, the same as a writer thread's: only the queue's holder writes, so
//! lines keep their order; a socket that takes nothing for
//! [`WRITE_TIMEOUT`] is shut down both ways, which ends its session as lost;
//! a queue being discarded (an evicted client) is dropped. When the flusher
//! lets go of a queue with something left, or with no producer left, it
//! hands it on (`Queue::hand_on`): to the session thread, which becomes the
//! queue's writer when it ends and sends the last lines and the `BYE`.
//!
//! [`Holder::Flusher`]: super::Holder::Flusher

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::direct::{MAX_SLICES, put_back_unwritten, send_now, take_front};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::{Chunk, Direct, Holder, Queue};

/// A socket that takes nothing for this long is given up on.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// While it holds queues, the thread looks at each at least this often, so
/// that it lets go of an evicted client's soon (`Outbox::discard`, which
/// runs under the registry lock, does not wake it).
const RECHECK: Duration = Duration::from_millis(100);

/// Hands queues to the `flusher` thread. Cheap to clone.
#[derive(Clone)]
pub(crate) struct FlusherHandle {
    shared: Arc<FlusherShared>,
}

struct FlusherShared {
    /// Queues handed over and not yet looked at. The lock guards only this
    /// list and is held to push one queue or take the whole list.
    submitted: Mutex<Vec<Arc<Queue>>>,
    /// Written to (one byte, without blocking) to wake the thread's `poll`.
    wake: UnixStream,
    /// What the thread's `poll` sees the wake on.
    woken: UnixStream,
    stop: AtomicBool,
}

/// The running `flusher` thread.
pub(crate) struct Flusher {
    handle: FlusherHandle,
    thread: JoinHandle<()>,
}

impl FlusherHandle {
    /// A handle whose thread is not started yet: queues submitted before
    /// [`Flusher::start`] wait for it.
    pub(crate) fn new() -> io::Result<FlusherHandle> {
        let (wake, woken) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        woken.set_nonblocking(true)?;
        Ok(FlusherHandle {
            shared: Arc::new(FlusherShared {
                submitted: Mutex::new(Vec::new()),
                wake,
                woken,
                stop: AtomicBool::new(false),
            }),
        })
    }

    /// Asks the flusher to write `queue`, which has lines and may have no
    /// holder. Never blocks on I/O.
    pub(super) fn submit(&self, queue: Arc<Queue>) {
        let first = {
            let mut submitted = self.lock();
            submitted.push(queue);
            submitted.len() == 1
        };
        if first {
            self.wake();
        }
    }

    fn wake(&self) {
        // A full wake socket already holds a wake-up.
        let _ = (&self.shared.wake).write(&[1]);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Queue>>> {
        let submitted = self.shared.submitted.lock();
        submitted.unwrap_or_else(PoisonError::into_inner)
    }
}

impl Flusher {
    /// Starts the `flusher` thread for `handle`.
    pub(crate) fn start(handle: FlusherHandle) -> io::Result<Flusher> {
        let inner = handle.clone();
        let thread = thread::Builder::new()
            .name("flusher".into())
            .spawn(move || run(&inner))?;
        Ok(Flusher { handle, thread })
    }

    /// Stops the thread and waits for it. Queues it still holds are dropped.
    pub(crate) fn stop(self) {
        self.handle.shared.stop.store(true, Ordering::SeqCst);
        self.handle.wake();
        let _ = self.thread.join();
    }
}

/// A queue the flusher holds: its socket did not take everything.
struct Backlog {
    queue: Arc<Queue>,
    /// When the socket last took something, plus [`WRITE_TIMEOUT`].
    give_up_at: Instant,
}

/// What one attempt to write a queue came to.
enum Flushed {
    /// Nothing left for the flusher: written, handed on, or not its to write.
    Done,
    /// The socket is full; the flusher holds the queue. Whether it took
    /// anything this time.
    Blocked { progress: bool },
}

/// The thread's body.
fn run(handle: &FlusherHandle) {
    let mut backlogs: Vec<Backlog> = Vec::new();
    let mut taken: VecDeque<Chunk> = VecDeque::new();
    let mut ready: Vec<bool> = Vec::new();
    while !handle.shared.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        let submitted = std::mem::take(&mut *handle.lock());
        for queue in submitted {
            if let Flushed::Blocked { .. } = flush(&queue, &mut taken, false) {
                let give_up_at = now + WRITE_TIMEOUT;
                backlogs.push(Backlog { queue, give_up_at });
            }
        }
        wait(handle, &backlogs, &mut ready);
        let now = Instant::now();
        let mut index = 0;
        while index < backlogs.len() {
            let backlog = &mut backlogs[index];
            let due = ready[index] || backlog.queue.lock().only_discarded_lines();
            let outcome = match due {
                true => flush(&backlog.queue, &mut taken, true),
                false => Flushed::Blocked { progress: false },
            };
            let keep = match outcome {
                Flushed::Done => false,
                Flushed::Blocked { progress: true } => {
                    backlog.give_up_at = now + WRITE_TIMEOUT;
                    true
                }
                Flushed::Blocked { progress: false } if now >= backlog.give_up_at => {
                    give_up(&backlog.queue);
                    false
                }
                Flushed::Blocked { progress: false } => true,
            };
            if keep {
                index += 1;
            } else {
                backlogs.swap_remove(index);
                ready.swap_remove(index);
            }
        }
    }
}

/// Waits in `poll` until a held socket takes more, a queue is submitted, at
/// most [`RECHECK`] while it holds any (one may have been discarded), or
/// the earliest give-up time comes. Sets `ready[i]` when the socket of
/// `backlogs[i]` may take more (or has failed).
fn wait(handle: &FlusherHandle, backlogs: &[Backlog], ready: &mut Vec<bool>) {
    let woken = &handle.shared.woken;
    let mut fds = Vec::with_capacity(backlogs.len() + 1);
    fds.push(PollFd::new(woken.as_fd(), PollFlags::POLLIN));
    for backlog in backlogs {
        fds.push(PollFd::new(
            direct(&backlog.queue).stream.as_fd(),
            PollFlags::POLLOUT,
        ));
    }
    let timeout = match backlogs.iter().map(|b| b.give_up_at).min() {
        None => PollTimeout::NONE,
        Some(at) => {
            // Rounded up, so the wait never ends just short of the time.
            let left = at.saturating_duration_since(Instant::now()).min(RECHECK);
            PollTimeout::try_from(left.as_millis() + 1).unwrap_or(PollTimeout::MAX)
        }
    };
    let _ = poll(&mut fds, timeout);
    let is_ready = |fd: &PollFd| fd.revents().is_some_and(|events| !events.is_empty());
    ready.clear();
    ready.extend(fds[1..].iter().map(is_ready));
    if is_ready(&fds[0]) {
        let mut drained = [0u8; 64];
        while matches!((&*woken).read(&mut drained), Ok(n) if n > 0) {}
    }
}

/// The socket side of a queue handed to the flusher.
fn direct(queue: &Queue) -> &Direct {
    queue
        .direct
        .get()
        .expect("only direct queues are submitted")
}

/// Writes what `queue` holds until it is empty or the socket is full. With
/// `held`, the flusher is already the queue's holder.
fn flush(queue: &Arc<Queue>, taken: &mut VecDeque<Chunk>, held: bool) -> Flushed {
    let socket = &direct(queue).stream;
    let mut progress = false;
    loop {
        {
            let mut state = queue.lock();
            if !held && !progress {
                if state.discarding || state.holder != Holder::Nobody || state.chunks.is_empty() {
                    // Closing, or its holder hands it on when done.
                    return Flushed::Done;
                }
                state.holder = Holder::Flusher;
            }
            if state.chunks.is_empty() {
                state.holder = Holder::Nobody;
                queue.hand_on(state);
                return Flushed::Done;
            }
            take_front(&mut state, taken, MAX_SLICES);
        }
        let wanted: usize = taken.iter().map(|chunk| chunk.len()).sum();
        let sent = send_now::<MAX_SLICES>(socket, taken);
        let mut state = queue.lock();
        put_back_unwritten(&mut state, taken, *sent.as_ref().unwrap_or(&0));
        match sent {
            Ok(written) if written == wanted => progress = true,
            Ok(written) => {
                return Flushed::Blocked {
                    progress: progress || written > 0,
                };
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                return Flushed::Blocked { progress };
            }
            Err(error) => {
                log::debug!("write failed: {error}");
                drop(state);
                give_up(queue);
                return Flushed::Done;
            }
        }
    }
}

/// Ends a connection whose socket failed or took nothing for the write
/// timeout: its session sees the end of its input, and the queue is
/// discarded and handed on for the farewell.
fn give_up(queue: &Arc<Queue>) {
    let _ = direct(queue).stream.shutdown(Shutdown::Both);
    let mut state = queue.lock();
    state.discarding = true;
    state.tail_first = false;
    state.discard();
    state.holder = Holder::Nobody;
    queue.hand_on(state);
}
