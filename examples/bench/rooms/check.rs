//! The end-of-run check of a many-rooms run: did every member of a room get
//! every message of that room, once, and in the room's one order?
//!
//! A message is named by its sender and that sender's sequence number in the
//! room ([`message_id`]). The room's order is taken from the member that
//! received the most; every other member's messages are then looked up in it,
//! and each step backwards counts as one order violation. A member that got
//! all messages in the same order as everyone else counts none, whatever
//! order the server chose. In IRC a sender does not get its own messages, so
//! they are not expected from it.

use std::collections::{HashMap, HashSet};

/// One number for a message: its sender and its sequence in the room.
pub fn message_id(sender: usize, seq: u64) -> u64 {
    ((sender as u64) << 32) | seq
}

/// What one member of a room received, in order.
pub struct Receipts {
    pub client: usize,
    pub ids: Vec<u64>,
}

/// What the check found in one room (or, added up, in all).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Findings {
    pub expected: u64,
    pub delivered: u64,
    pub missing: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
}

impl Findings {
    pub fn add(&mut self, other: Findings) {
        self.expected += other.expected;
        self.delivered += other.delivered;
        self.missing += other.missing;
        self.duplicates += other.duplicates;
        self.out_of_order += other.out_of_order;
    }
}

/// Checks one room. `sent` is each sender's message count in the room,
/// `members` every member's receipts (an empty list for one that got
/// nothing), `echoes` whether a sender gets its own messages.
pub fn check_room(sent: &[(usize, u64)], members: &[Receipts], echoes: bool) -> Findings {
    let reference = members.iter().max_by_key(|m| m.ids.len());
    let position: HashMap<u64, usize> = reference
        .map(|m| m.ids.iter().enumerate().map(|(i, &id)| (id, i)).collect())
        .unwrap_or_default();
    let mut findings = Findings::default();
    for member in members {
        let mut unique = HashSet::with_capacity(member.ids.len());
        let mut last = None;
        for &id in &member.ids {
            if !unique.insert(id) {
                findings.duplicates += 1;
                continue;
            }
            let Some(&at) = position.get(&id) else {
                continue;
            };
            if last.is_some_and(|last| at < last) {
                findings.out_of_order += 1;
            }
            last = Some(at);
        }
        for &(sender, count) in sent {
            if sender == member.client && !echoes {
                continue;
            }
            findings.expected += count;
            let got = (0..count)
                .filter(|&seq| unique.contains(&message_id(sender, seq)))
                .count() as u64;
            findings.missing += count - got;
        }
        findings.delivered += member.ids.len() as u64;
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(client: usize, messages: &[(usize, u64)]) -> Receipts {
        let ids = messages.iter().map(|&(s, n)| message_id(s, n)).collect();
        Receipts { client, ids }
    }

    fn check(members: &[Receipts], echoes: bool) -> Findings {
        check_room(&[(1, 2), (2, 1)], members, echoes)
    }

    #[test]
    fn every_case_is_counted() {
        let all = [(1, 0), (2, 0), (1, 1)];
        let swapped = [(2, 0), (1, 0), (1, 1)];
        let cases: &[(&[Receipts], bool, Findings)] = &[
            (
                &[member(1, &all), member(2, &all), member(3, &all)],
                true,
                Findings {
                    expected: 9,
                    delivered: 9,
                    ..Findings::default()
                },
            ),
            (
                &[member(1, &all), member(3, &swapped)],
                true,
                Findings {
                    expected: 6,
                    delivered: 6,
                    out_of_order: 1,
                    ..Findings::default()
                },
            ),
            (
                &[member(1, &all), member(3, &[(1, 0), (1, 1)])],
                true,
                Findings {
                    expected: 6,
                    delivered: 5,
                    missing: 1,
                    ..Findings::default()
                },
            ),
            (
                &[
                    member(1, &all),
                    member(3, &[(1, 0), (1, 0), (2, 0), (1, 1)]),
                ],
                true,
                Findings {
                    expected: 6,
                    delivered: 7,
                    duplicates: 1,
                    ..Findings::default()
                },
            ),
            // IRC: senders 1 and 2 do not get their own messages.
            (
                &[
                    member(1, &[(2, 0)]),
                    member(2, &[(1, 0), (1, 1)]),
                    member(3, &all),
                ],
                false,
                Findings {
                    expected: 6,
                    delivered: 6,
                    ..Findings::default()
                },
            ),
            (
                &[member(1, &all), member(3, &[])],
                true,
                Findings {
                    expected: 6,
                    delivered: 3,
                    missing: 3,
                    ..Findings::default()
                },
            ),
        ];
        for (i, (members, echoes, expected)) in cases.iter().enumerate() {
            assert_eq!(check(members, *echoes), *expected, "case {i}");
        }
    }
}
