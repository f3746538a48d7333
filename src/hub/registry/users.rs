//! Registering without the default room, for fronts whose clients choose
//! their rooms themselves (IRC: a client that has just connected is in no
//! channel, and every IRC client and test expects exactly that).

use chrono::Utc;

use super::{RegisterError, Registry};
use crate::hub::member::Member;
use crate::hub::membership::{Change, NODE_GONE};
use crate::hub::message::ClientId;
use crate::protocol::name_key;

impl<M: Member> Registry<M> {
    /// Gives connection `id` the name `name` if nobody online has it (in
    /// any case, on any front), and puts it in no room: nobody is told
    /// anything. Returns how many users are online, itself included. Like
    /// [`Registry::register`], the one call that checks a name and takes it.
    pub(crate) fn register_in_no_room(
        &mut self,
        id: ClientId,
        name: &str,
        account: bool,
    ) -> Result<usize, RegisterError> {
        self.take_name(id, name, account)?;
        Ok(self.names.len())
    }

    /// Gives connection `id` the name `name` if nobody online has it, in
    /// any case: the one place a name is checked and taken. Returns its
    /// registration number.
    pub(super) fn take_name(
        &mut self,
        id: ClientId,
        name: &str,
        account: bool,
    ) -> Result<u64, RegisterError> {
        let key = name_key(name);
        if !self.clients.contains_key(&id) {
            return Err(RegisterError::Closed);
        }
        if let Some(remote) = self.remote_holder(&key) {
            // The store gave the name to this node: the other node's user
            // has left, and its leave is on the way.
            self.take_out(remote, NODE_GONE, Utc::now());
        }
        if self.names.contains_key(&key) {
            return Err(RegisterError::NameTaken);
        }
        let Some(entry) = self.clients.get_mut(&id) else {
            return Err(RegisterError::Closed);
        };
        let joined = self.next_join;
        entry.name = Some(name.to_owned());
        entry.account = account;
        entry.joined = joined;
        self.next_join += 1;
        self.names.insert(key, id);
        self.record(id, name, Utc::now(), Change::Online);
        Ok(joined)
    }
}

/// An online user as a front shows it to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserView {
    /// The name as its owner typed it.
    pub(crate) name: String,
    /// The rooms it is in, as shown, in the order it joined them.
    pub(crate) rooms: Vec<String>,
}

/// How many connections there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Population {
    /// Registered (named), on every front.
    pub(crate) registered: usize,
    /// Connected and not registered yet.
    pub(crate) unregistered: usize,
    /// Rooms with members.
    pub(crate) rooms: usize,
}

impl<M: Member> Registry<M> {
    /// The online user called `name` (any case) and its rooms.
    pub(crate) fn user(&self, name: &str) -> Option<UserView> {
        let id = self.names.get(&name_key(name))?;
        let entry = self.clients.get(id)?;
        Some(UserView {
            name: entry.name.clone()?,
            rooms: entry
                .rooms
                .iter()
                .map(|room| room.display.clone())
                .collect(),
        })
    }

    /// How many are connected, registered, and how many rooms have members.
    pub(crate) fn population(&self) -> Population {
        Population {
            registered: self.names.len(),
            unregistered: self.clients.len().saturating_sub(self.names.len()),
            rooms: self.rooms.listing().len(),
        }
    }
}
