//! Names across nodes that share a PostgreSQL database, as both fronts use
//! them: taking a name on every node before the local registry takes it,
//! giving it back, and finding a private message's recipient on whichever
//! node it is connected to (`hub/store/postgres/presence.rs` holds the
//! table). Without a shared database each is the local registry's answer.
//!
//! Invariant: the hub lock is never held while the database is asked; the
//! local registry is asked first, under its lock, and released.
//!
//! A private message to another node's user is stored like any other, and
//! that node delivers it from the table. When the recipient's node has
//! stopped answering (its presence connection is gone: it died, or is
//! connecting again) the message is refused, not stored for nobody: the
//! sender is told to try again, and within a few seconds the name is either
//! back or nowhere (`no-such-user`).

use crate::hub::store::postgres::presence::{ClaimError, Whereabouts};
use crate::protocol::name_key;

use super::ServerState;

/// Where a private message to a name goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recipient {
    /// A client on this node or another one has the name (as shown).
    Online(String),
    /// No node has it.
    Nowhere,
    /// It cannot be known now; nothing is sent. What to tell the sender.
    Unknown(String),
}

/// Where `name` is: this node first, then (with a shared database) the
/// others.
pub(crate) fn find_recipient(shared: &ServerState, name: &str) -> Recipient {
    if let Some(found) = shared.locked(|hub| hub.local_name(name)) {
        return Recipient::Online(found);
    }
    let Some(presence) = &shared.presence else {
        return Recipient::Nowhere;
    };
    match presence.find(&name_key(name)) {
        Ok(Whereabouts::Elsewhere(found)) => Recipient::Online(found),
        Ok(Whereabouts::Nowhere) => Recipient::Nowhere,
        Ok(Whereabouts::NotAnswering) => Recipient::Unknown(format!(
            "{name}'s server is not answering (it may have just stopped), so nobody got \
             your message. Try again in a few seconds."
        )),
        Err(error) => {
            log::warn!("could not look for {name} on the other nodes: {error}");
            Recipient::Unknown(format!(
                "The server cannot reach its database to find {name} on the other servers, \
                 so nobody got your message. Try again in a moment."
            ))
        }
    }
}

/// Takes `name` on every node sharing the database, before the local
/// registry takes it; nothing to do without one.
pub(crate) fn claim(shared: &ServerState, name: &str) -> Result<(), ClaimError> {
    match &shared.presence {
        Some(presence) => presence.claim(&name_key(name), name),
        None => Ok(()),
    }
}

/// Gives `name` back on every node (its client left, or the local registry
/// refused it after [`claim`]).
pub(crate) fn release(shared: &ServerState, name: &str) {
    if let Some(presence) = &shared.presence {
        presence.release(&name_key(name));
    }
}
