//! IRCv3 message tags: which keys are valid, and how values are escaped.
//!
//! A value travels escaped (`;` as `\:`, space as `\s`, `\` as `\\`, CR as
//! `\r`, LF as `\n`); [`unescape`] undoes it, borrowing when there is nothing
//! to undo. Following the spec, a backslash before any other character is
//! dropped and a lone trailing backslash is removed, so unescaping never
//! fails. [`escape_into`] writes the one canonical spelling.

use std::borrow::Cow;

/// Whether `key` is a valid tag key: an optional `+` (a client-only tag), an
/// optional vendor (a host name) and `/`, then a name of ASCII letters,
/// digits and `-`.
pub fn is_valid_key(key: &str) -> bool {
    let key = key.strip_prefix('+').unwrap_or(key);
    let (vendor, name) = match key.rsplit_once('/') {
        Some((vendor, name)) => (Some(vendor), name),
        None => (None, key),
    };
    let vendor_ok = vendor.is_none_or(|vendor| {
        !vendor.is_empty()
            && vendor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    });
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    vendor_ok && name_ok
}

/// The value `raw` stands for. Borrowed when `raw` holds no backslash.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => value.push(';'),
            Some('s') => value.push(' '),
            Some('r') => value.push('\r'),
            Some('n') => value.push('\n'),
            // `\\` and any other escaped character stand for themselves.
            Some(other) => value.push(other),
            // A lone trailing backslash is dropped.
            None => {}
        }
    }
    Cow::Owned(value)
}

/// Appends `value` to `out`, escaped. Any character but NUL can be carried.
pub fn escape_into(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}
