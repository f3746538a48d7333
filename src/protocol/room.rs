//! Room names: `#` and then 1 to 32 ASCII letters, digits, `_` and `-`,
//! unique without regard to case (protocol version 2).

/// The longest room name allowed after the `#`, in characters.
pub const MAX_ROOM_LEN: usize = 32;

/// The room every client is put in when it registers, unless the server is
/// told another.
pub const DEFAULT_ROOM: &str = "#lobby";

/// The longest topic a room may have, in bytes.
pub const MAX_TOPIC_LEN: usize = 390;

/// Why a room name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    /// The name did not start with `#`.
    #[error("a room name starts with '#'")]
    NoHash,
    /// Nothing after the `#`.
    #[error("a room name has at least one character after the '#'")]
    Empty,
    /// More than [`MAX_ROOM_LEN`] characters after the `#`.
    #[error("a room name has at most 32 characters after the '#'")]
    TooLong,
    /// Something other than ASCII letters, digits, `_` and `-` after the `#`.
    #[error("a room name holds only ASCII letters, digits, '_' and '-' after the '#'")]
    BadChar,
}

/// Checks `room` against the protocol's rules.
pub fn validate_room(room: &str) -> Result<(), RoomError> {
    let Some(rest) = room.strip_prefix('#') else {
        return Err(RoomError::NoHash);
    };
    if rest.is_empty() {
        return Err(RoomError::Empty);
    }
    if rest.len() > MAX_ROOM_LEN {
        return Err(RoomError::TooLong);
    }
    if !rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(RoomError::BadChar);
    }
    Ok(())
}

/// The key under which a room is unique: `#Rust` and `#rust` share one.
pub fn room_key(room: &str) -> String {
    room.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_table() {
        let long = format!("#{}", "a".repeat(32));
        let too_long = format!("#{}", "a".repeat(33));
        let cases: &[(&str, Result<(), RoomError>)] = &[
            ("#lobby", Ok(())),
            ("#a", Ok(())),
            ("#1", Ok(())),
            ("#Rust_2-x", Ok(())),
            (&long, Ok(())),
            (&too_long, Err(RoomError::TooLong)),
            ("#", Err(RoomError::Empty)),
            ("lobby", Err(RoomError::NoHash)),
            ("", Err(RoomError::NoHash)),
            ("##a", Err(RoomError::BadChar)),
            ("#a b", Err(RoomError::BadChar)),
            ("#café", Err(RoomError::BadChar)),
            ("#a:b", Err(RoomError::BadChar)),
        ];
        for (room, expected) in cases {
            assert_eq!(validate_room(room), *expected, "room {room:?}");
        }
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(room_key("#Rust"), room_key("#rUST"));
    }
}
