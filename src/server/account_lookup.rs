//! The `accounts` thread: account lookups for every session, on one thread
//! with one long-lived database connection.
//!
//! A session asks with [`AccountLookup::lookup`] and waits for the answer on a
//! channel of its own. Keeping the connection here means no session thread
//! ever opens the database (whose caches would stay in that thread's memory,
//! a few KiB for each of thousands of clients), and no lock is held across the
//! query. The thread ends when [`AccountLookup::close`] drops the request
//! sender; the accept thread joins it after every session has ended.

use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

use super::accounts::{AccountError, Accounts};

type Answer = Result<Option<String>, AccountError>;
/// A name to look up, and where to send the answer.
type Request = (String, Sender<Answer>);

/// A handle for looking accounts up. See the module docs.
pub(crate) struct AccountLookup {
    /// `None` once closed. The lock guards only taking the sender out at
    /// shutdown and cloning it; a lookup never holds it while it waits.
    requests: Mutex<Option<Sender<Request>>>,
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
        let (answer, wait) = crossbeam_channel::bounded(1);
        let asked =
            requests.is_some_and(|requests| requests.send((name.to_owned(), answer)).is_ok());
        if !asked {
            return Err(AccountError::Unavailable("the server is shutting down"));
        }
        wait.recv()
            .unwrap_or_else(|_| Err(AccountError::Unavailable("the accounts thread stopped")))
    }

    /// Lets the thread end once it has answered what was already asked.
    pub(crate) fn close(&self) {
        self.requests.lock().take();
    }
}

fn serve(accounts: &Accounts, incoming: &Receiver<Request>) {
    let mut conn = None;
    for (name, answer) in incoming {
        let _ = answer.send(accounts.lookup(&mut conn, &name));
    }
}
