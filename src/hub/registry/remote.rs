//! Other nodes' users in this node's registry (issue 18): each is an
//! entry like a local client's, named, in its rooms, whose member delivers
//! nothing (its own node delivers to it). So `/who`, `/rooms`, the
//! `USERS` lists and the online count are the cluster's with no change to
//! how they are counted, and a remote join, part or leave reaches the local
//! members through the same calls (`join`, `part`, `take_out`) and the same
//! lines as a local one.
//!
//! Invariants: a remote entry's id is at or above [`REMOTE_IDS`], never a
//! connection's, and is in `node_of` exactly while the entry exists; only
//! local clients' changes are recorded for the other nodes (a remote one
//! came from its node); a name has one entry, and the name's holder in the
//! shared `presence` table decides between two (a local registration that
//! the store allowed replaces a remote holder whose leave has not arrived
//! yet).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};

use super::{Entry, Registry, RoomCap};
use crate::hub::member::Member;
use crate::hub::membership::{Change, MemberChange, NODE_GONE, NodeId, RemoteUser};
use crate::hub::message::ClientId;
use crate::hub::rooms::Memberships;
use crate::protocol::name_key;
use crate::protocol::server_line::Timestamp;

/// The first id of a remote entry: far above any connection's.
const REMOTE_IDS: ClientId = 1 << 62;

/// What the registry keeps of the cluster. See the module docs.
pub(super) struct Cluster<M> {
    /// A member that delivers nothing, for each remote user.
    make: fn() -> M,
    /// Remote entries, and their node.
    node_of: HashMap<ClientId, NodeId>,
    next_id: ClientId,
    /// Local clients' changes not yet taken for the store, in lock order.
    outgoing: Vec<MemberChange>,
}

impl<M> Cluster<M> {
    /// [`Registry::record`], for a caller holding another part of the
    /// registry.
    pub(super) fn record(&mut self, id: ClientId, name: &str, ts: Timestamp, change: Change) {
        if !self.node_of.contains_key(&id) {
            self.outgoing.push(MemberChange {
                ts,
                name: name.to_owned(),
                change,
            });
        }
    }
}

impl<M: Member> Registry<M> {
    /// Makes this registry one node's of a cluster: its clients' changes
    /// are recorded for the others ([`Registry::take_member_changes`]) and
    /// others' users are entries whose member is `make()`'s. Then `users`
    /// (the store's view at start) are put in, telling nobody.
    pub(crate) fn join_cluster(&mut self, make: fn() -> M, users: Vec<RemoteUser>) {
        self.cluster = Some(Cluster {
            make,
            node_of: HashMap::new(),
            next_id: REMOTE_IDS,
            outgoing: Vec::new(),
        });
        let ts = chrono::Utc::now();
        for user in users {
            let Some(id) = self.remote_entry(user.node, &user.name, ts) else {
                continue;
            };
            for room in user.rooms {
                let _ = self.join(id, &room.display, ts, RoomCap::Waived);
            }
        }
    }

    /// The name as shown, when a client of this node holds it; `None` for a
    /// name that is free or held on another node (whose own node delivers
    /// to it, so a private message to it goes through the store's
    /// whereabouts, `server/across_nodes.rs`, which knows when that node
    /// has stopped answering).
    pub(crate) fn local_name(&self, name: &str) -> Option<String> {
        let id = self.names.get(&name_key(name))?;
        let remote = self
            .cluster
            .as_ref()
            .is_some_and(|cluster| cluster.node_of.contains_key(id));
        if remote {
            return None;
        }
        self.clients.get(id)?.name.clone()
    }

    /// The local clients' membership changes since the last call, in order.
    pub(crate) fn take_member_changes(&mut self) -> Vec<MemberChange> {
        match &mut self.cluster {
            Some(cluster) => std::mem::take(&mut cluster.outgoing),
            None => Vec::new(),
        }
    }

    /// Records every local user's membership again, for other nodes that
    /// found this node gone and let its users leave.
    pub(crate) fn announce_all_again(&mut self, ts: Timestamp) {
        let Some(cluster) = &mut self.cluster else {
            return;
        };
        for (&id, entry) in &self.clients {
            let Some(name) = entry.name.as_deref() else {
                continue;
            };
            cluster.record(id, name, ts, Change::Online);
            for room in entry.rooms.iter() {
                cluster.record(id, name, ts, Change::Join(room.clone()));
            }
        }
    }

    /// How many entries are other nodes' users.
    pub(super) fn remote_count(&self) -> usize {
        self.cluster
            .as_ref()
            .map_or(0, |cluster| cluster.node_of.len())
    }

    /// Records a change of local connection `id` (called `name`) for the
    /// other nodes; nothing for a remote entry, or outside a cluster.
    pub(super) fn record(&mut self, id: ClientId, name: &str, ts: Timestamp, change: Change) {
        if let Some(cluster) = &mut self.cluster {
            cluster.record(id, name, ts, change);
        }
    }

    /// Forgets that `id` is a remote entry (it is being taken out).
    /// Whether it was one.
    pub(super) fn forget_remote(&mut self, id: ClientId) -> bool {
        self.cluster
            .as_mut()
            .is_some_and(|cluster| cluster.node_of.remove(&id).is_some())
    }

    /// Whether entry `id` is another node's user.
    pub(super) fn is_remote(&self, id: ClientId) -> bool {
        (self.cluster.as_ref()).is_some_and(|cluster| cluster.node_of.contains_key(&id))
    }

    /// Whether the name `key` is held by another node's user, which a local
    /// registration the store allowed replaces: its leave is on the way.
    pub(super) fn remote_holder(&self, key: &str) -> Option<ClientId> {
        let id = *self.names.get(key)?;
        let cluster = self.cluster.as_ref()?;
        cluster.node_of.contains_key(&id).then_some(id)
    }

    /// Applies another node's change, telling the local members with the
    /// lines a local change gives. Changes of this node's own users are
    /// never read back (the store skips them), so `node` is another's.
    pub(crate) fn apply_remote(&mut self, node: NodeId, change: MemberChange) {
        if self.cluster.is_none() {
            return;
        }
        let MemberChange { ts, name, change } = change;
        match change {
            Change::Online => {
                self.remote_entry(node, &name, ts);
            }
            Change::Join(room) => {
                if let Some(id) = self.remote_entry(node, &name, ts) {
                    let _ = self.join(id, &room.display, ts, RoomCap::Waived);
                }
            }
            Change::Part { room, reason } => {
                if let Some(id) = self.remote_id(node, &name) {
                    let _ = self.part(id, Some(&room.key), &reason, ts);
                }
            }
            Change::Leave { reason } => {
                if let Some(id) = self.remote_id(node, &name) {
                    self.take_out(id, &reason, ts);
                }
            }
            Change::Gone => self.node_gone(node, ts),
        }
    }

    /// Every user of `node` leaves, each telling its rooms once.
    fn node_gone(&mut self, node: NodeId, ts: Timestamp) {
        let Some(cluster) = &self.cluster else {
            return;
        };
        let mut gone: Vec<ClientId> = (cluster.node_of.iter())
            .filter(|(_, of)| **of == node)
            .map(|(id, _)| *id)
            .collect();
        gone.sort_unstable();
        for id in gone {
            self.take_out(id, NODE_GONE, ts);
        }
    }

    /// The entry of `node`'s user `name`, if there is one.
    fn remote_id(&self, node: NodeId, name: &str) -> Option<ClientId> {
        let id = *self.names.get(&name_key(name))?;
        let of = self.cluster.as_ref()?.node_of.get(&id)?;
        (*of == node).then_some(id)
    }

    /// The entry of `node`'s user `name`, made if it has none. A remote
    /// holder of the name on another node is replaced (that node's leave,
    /// or its being gone, is on the way); a local holder is kept, and the
    /// change ignored: this node's `presence` keeper settles it.
    fn remote_entry(&mut self, node: NodeId, name: &str, ts: Timestamp) -> Option<ClientId> {
        let key = name_key(name);
        if let Some(&held) = self.names.get(&key) {
            if let Some(id) = self.remote_id(node, name) {
                return Some(id);
            }
            if self.remote_holder(&key).is_none() {
                log::warn!("{name}: online on node {node} and here: kept here");
                return None;
            }
            self.take_out(held, NODE_GONE, ts);
        }
        let cluster = self.cluster.as_mut()?;
        let id = cluster.next_id;
        cluster.next_id += 1;
        cluster.node_of.insert(id, node);
        let member = (cluster.make)();
        let entry = Entry {
            name: Some(name.to_owned()),
            account: false,
            joined: self.next_join,
            rooms: Memberships::default(),
            member,
            address: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        self.next_join += 1;
        self.clients.insert(id, entry);
        self.names.insert(key, id);
        Some(id)
    }
}
