//! User names: 1 to 32 characters from ASCII letters, digits, `_` and `-`,
//! starting with a letter, unique without regard to case. The names IRC
//! networks give their services ([`SERVICE_NAMES`]) are nobody's: IRC
//! clients send passwords to `NickServ` on their own.

/// The longest name allowed, in characters.
pub const MAX_NAME_LEN: usize = 32;

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name was empty.
    #[error("a name needs at least one character")]
    Empty,
    /// The name was longer than [`MAX_NAME_LEN`].
    #[error("a name has at most 32 characters")]
    TooLong,
    /// The name did not start with an ASCII letter.
    #[error("a name starts with an ASCII letter (a-z or A-Z)")]
    BadStart,
    /// The name held something other than ASCII letters, digits, `_` and `-`.
    #[error("a name holds only ASCII letters, digits, '_' and '-'")]
    BadChar,
    /// The name is one IRC networks give their services (`NickServ`...),
    /// which IRC clients trust with passwords.
    #[error("that name is reserved for IRC services")]
    Reserved,
}

/// The names of IRC services, which nobody may take (compared without
/// case): IRC clients send `IDENTIFY <password>` to `NickServ` unasked.
pub const SERVICE_NAMES: [&str; 14] = [
    "NickServ",
    "ChanServ",
    "MemoServ",
    "OperServ",
    "HostServ",
    "BotServ",
    "SaslServ",
    "Global",
    "HelpServ",
    "InfoServ",
    "StatServ",
    "GroupServ",
    "HistServ",
    "ALIS",
];

/// Whether `name` is one of the [`SERVICE_NAMES`].
pub fn is_service_name(name: &str) -> bool {
    SERVICE_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Checks `name` against the protocol's rules.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let Some(first) = name.chars().next() else {
        return Err(NameError::Empty);
    };
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    if !first.is_ascii_alphabetic() {
        return Err(NameError::BadStart);
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(NameError::BadChar);
    }
    if is_service_name(name) {
        return Err(NameError::Reserved);
    }
    Ok(())
}

/// The key under which a name is unique: `Alice` and `alice` share one.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_table() {
        let cases: &[(&str, Result<(), NameError>)] = &[
            ("alice", Ok(())),
            ("A", Ok(())),
            ("bob_2-x", Ok(())),
            (&"a".repeat(32), Ok(())),
            (&"a".repeat(33), Err(NameError::TooLong)),
            ("", Err(NameError::Empty)),
            ("2pac", Err(NameError::BadStart)),
            ("_x", Err(NameError::BadStart)),
            ("al ice", Err(NameError::BadChar)),
            ("al:ice", Err(NameError::BadChar)),
            ("\u{e9}mile", Err(NameError::BadStart)),
            ("ren\u{e9}", Err(NameError::BadChar)),
            ("NickServ", Err(NameError::Reserved)),
            ("chanserv", Err(NameError::Reserved)),
            ("NickServ2", Ok(())),
        ];
        for (name, expected) in cases {
            assert_eq!(validate_name(name), *expected, "{name:?}");
        }
        assert_eq!(name_key("AlIce"), "alice");
    }
}
