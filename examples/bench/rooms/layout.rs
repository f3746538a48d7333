//! Who is in which room and who sends where, computed from the shape alone,
//! so every generator thread and the final check agree without talking.
//!
//! The rooms' seats are numbered `0..rooms * members`; seat `s` is in room
//! `s % rooms` and belongs to client `s / per_client`. So every room has
//! exactly `members` members, client `c` is in rooms `c * per_client ..` (mod
//! `rooms`, all different while `per_client <= rooms`), and members of one
//! room are spread over the client numbers. The last client has fewer rooms
//! when the seats do not divide evenly. A room's senders are its first
//! `senders` members.

/// The shape of a many-rooms run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub rooms: usize,
    pub members: usize,
    pub per_client: usize,
    pub senders: usize,
}

impl Layout {
    /// Checks that the shape can be built; says which flag to change if not.
    pub fn validate(&self) -> Result<(), String> {
        if self.rooms == 0 || self.members == 0 || self.per_client == 0 {
            return Err("--rooms, --room-members and --rooms-per-client must be at least 1".into());
        }
        if self.per_client > self.rooms {
            return Err(format!(
                "--rooms-per-client {} is more than --rooms {}: a client cannot be in a room twice",
                self.per_client, self.rooms
            ));
        }
        if self.senders > self.members {
            return Err(format!(
                "--room-senders {} is more than --room-members {}",
                self.senders, self.members
            ));
        }
        Ok(())
    }

    pub fn clients(&self) -> usize {
        (self.rooms * self.members).div_ceil(self.per_client)
    }

    /// The rooms client `client` is in.
    pub fn rooms_of(&self, client: usize) -> Vec<usize> {
        let seats = self.rooms * self.members;
        let first = client * self.per_client;
        (first..(first + self.per_client).min(seats))
            .map(|seat| seat % self.rooms)
            .collect()
    }

    /// The members of `room`, in seat order (its senders first).
    pub fn members_of(&self, room: usize) -> Vec<usize> {
        (0..self.members)
            .map(|row| (room + row * self.rooms) / self.per_client)
            .collect()
    }

    /// The `(room, client)` pairs in which `client` sends.
    pub fn sends_of(&self, client: usize) -> Vec<usize> {
        self.rooms_of(client)
            .into_iter()
            .filter(|&room| self.members_of(room)[..self.senders].contains(&client))
            .collect()
    }

    /// The name of room `room` in both dialects.
    pub fn room_name(room: usize) -> String {
        format!("#r{room}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Layout = Layout {
        rooms: 100,
        members: 50,
        per_client: 3,
        senders: 2,
    };

    #[test]
    fn every_room_has_its_members_and_every_client_its_rooms() {
        assert_eq!(SHAPE.clients(), 1667);
        let mut seen = vec![Vec::new(); SHAPE.rooms];
        for client in 0..SHAPE.clients() {
            let rooms = SHAPE.rooms_of(client);
            let expected = if client == 1666 { 2 } else { 3 };
            assert_eq!(rooms.len(), expected, "client {client}");
            for room in rooms {
                seen[room].push(client);
            }
        }
        for (room, members) in seen.iter().enumerate() {
            let mut listed = SHAPE.members_of(room);
            listed.sort_unstable();
            assert_eq!(&listed, members, "room {room}");
        }
    }

    #[test]
    fn each_room_has_its_senders() {
        let mut senders = vec![0; SHAPE.rooms];
        for client in 0..SHAPE.clients() {
            for room in SHAPE.sends_of(client) {
                senders[room] += 1;
            }
        }
        assert!(senders.iter().all(|&n| n == 2), "{senders:?}");
    }

    #[test]
    fn impossible_shapes_are_refused() {
        let too_many = Layout {
            per_client: 101,
            ..SHAPE
        };
        assert!(too_many.validate().is_err());
        let senders = Layout {
            senders: 51,
            ..SHAPE
        };
        assert!(senders.validate().is_err());
        assert!(SHAPE.validate().is_ok());
    }
}
