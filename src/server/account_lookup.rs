//! The `accounts` thread: account lookups for every session, on one thread
//! with one long-lived database connection.
//!
//! A session asks with [`AccountLookup::lookup`] and waits for the answer in
//! a one-shot [`Slot`] of its own. Keeping the connection here means no
//! session thread ever opens the database (whose caches would stay in that
//! thread's memory, a few KiB for each of thousands of clients), and no lock
//! is held across the query. The thread ends when [`AccountLookup::close`]
//! drops the request sender; the accept thread joins it after every session
//! has ended.
//!
//! The answer comes back through a slot (std's mutex and condition variable,
//! which wait on a futex directly) rather than a channel because registration
//! waits here at the deepest point a session thread's stack ever reaches, and
//! every stack page a session touches stays with it while it idles. Waiting
//! on a crossbeam channel took 1.1 KiB of stack below `lookup` (its
//! cache-padded state is built on the stack, and its blocking path is deep),
//! enough to push a session onto a third 4 KiB page. `parking_lot`'s condition
//! variable was shallower, but the first wait on a thread sets up its
//! per-thread data and may grow its global table, deep in this same path.

use std::sync::{Arc, Condvar, PoisonError};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

use super::accounts::{AccountError, Accounts};

type Answer = Result<Option<String>, AccountError>;
/// A name to look up, and where to put the answer.
type Lookup = (String, Reply);

/// A handle for looking accounts up. See the module docs.
pub(crate) struct AccountLookup {
    /// `None` once closed. The lock guards only taking the sender out at
    /// shutdown and cloning it; a lookup never holds it while it waits.
    requests: Mutex<Option<Sender<Lookup>>>,
}

impl AccountLookup {
    /// Starts the `accounts` thread for `accounts`.
    pub(crate) fn start(accounts: Accounts) -> std::io::Result<(AccountLookup, JoinHandle<()>)> {
        let (requests, incoming) = crossbeam_channel::unbounded();
        let thread = thread::Builder::new()
            .name("accounts".into())
            .spawn(move || serve(&accounts, &incoming))?;
        let lookup = AccountLookup {
            requests: Mutex::new(Some(requests)),
        };
        Ok((lookup, thread))
    }

    /// The password hash of the account called `name`, if there is one.
    pub(crate) fn lookup(&self, name: &str) -> Answer {
        let requests = self.requests.lock().clone();
        let slot = Arc::new(Slot::default());
        let reply = Reply(slot.clone());
        let asked =
            requests.is_some_and(|requests| requests.send((name.to_owned(), reply)).is_ok());
        if !asked {
            return Err(AccountError::Unavailable("the server is shutting down"));
        }
        slot.wait()
    }

    /// Lets the thread end once it has answered what was already asked.
    pub(crate) fn close(&self) {
        self.requests.lock().take();
    }
}

/// One lookup's answer, filled once by the accounts thread.
#[derive(Default)]
struct Slot {
    /// Guards only the answer: set once, taken once, never held across the
    /// query or the wait.
    answer: std::sync::Mutex<Option<Answer>>,
    /// Signalled when the answer is set.
    filled: Condvar,
}

impl Slot {
    /// Waits for the answer and takes it.
    fn wait(&self) -> Answer {
        // Poisoning cannot leave the slot half set: ignore it.
        let mut answer = self.answer.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(answer) = answer.take() {
                return answer;
            }
            answer = self
                .filled
                .wait(answer)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sets the answer unless one is set already.
    fn fill(&self, answer: Answer) {
        let mut slot = self.answer.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(answer);
        }
        drop(slot);
        self.filled.notify_one();
    }
}

/// The accounts thread's end of a [`Slot`]. Dropped without an answer (the
/// thread stopped before it got to this request), it answers that the
/// accounts are unavailable, so a waiting session never waits forever.
struct Reply(Arc<Slot>);

impl Reply {
    fn send(self, answer: Answer) {
        self.0.fill(answer);
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        self.0.fill(Err(AccountError::Unavailable(
            "the accounts thread stopped",
        )));
    }
}

fn serve(accounts: &Accounts, incoming: &Receiver<Lookup>) {
    let mut conn = None;
    for (name, reply) in incoming {
        reply.send(accounts.lookup(&mut conn, &name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_fills_the_slot_once() {
        let slot = Arc::new(Slot::default());
        Reply(slot.clone()).send(Ok(Some("hash".into())));
        assert!(matches!(slot.wait(), Ok(Some(hash)) if hash == "hash"));
    }

    #[test]
    fn a_reply_dropped_unanswered_says_unavailable() {
        let slot = Arc::new(Slot::default());
        drop(Reply(slot.clone()));
        assert!(matches!(slot.wait(), Err(AccountError::Unavailable(_))));
    }

    #[test]
    fn a_waiter_is_woken_by_a_reply_from_another_thread() {
        let slot = Arc::new(Slot::default());
        let reply = Reply(slot.clone());
        let answering = thread::spawn(move || reply.send(Ok(None)));
        assert!(matches!(slot.wait(), Ok(None)));
        answering.join().unwrap();
    }
}
