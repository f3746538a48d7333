//! Tab completion: commands at the start of a line, online names and rooms
//! (`#ru` → `#rust`) anywhere.
//!
//! Pure: [`complete`] takes the line, the cursor and the names, and returns
//! where the completed word starts and the candidates. The terminal front end
//! wires it into the line editor.

use super::input::COMMANDS;

/// Completes the word before byte position `pos` in `line`. A command word
/// (`/wh`) completes to a command followed by a space; any other word completes
/// to an online name, followed by `: ` at the start of the line (addressing
/// someone) or a space elsewhere; a word starting with `#` completes to a
/// room (`names` holds both, rooms with their `#`). Matching ignores case.
pub fn complete(line: &str, pos: usize, names: &[String]) -> (usize, Vec<String>) {
    let Some(before) = line.get(..pos) else {
        return (pos, Vec::new());
    };
    let start = before.rfind(' ').map_or(0, |space| space + 1);
    let word = before[start..].to_ascii_lowercase();
    if start == 0 && word.starts_with('/') {
        let commands = COMMANDS.iter().filter(|c| c.starts_with(&word));
        return (start, commands.map(|c| format!("{c} ")).collect());
    }
    let is_room = word.starts_with('#');
    let suffix = if start == 0 && !is_room { ": " } else { " " };
    let matching = names.iter().filter(|name| {
        name.starts_with('#') == is_room && name.to_ascii_lowercase().starts_with(&word)
    });
    (
        start,
        matching.map(|name| format!("{name}{suffix}")).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected_start: usize, expected: &[&str]) {
        let names = [
            "alice".to_string(),
            "Bob".into(),
            "bobby".into(),
            "#Rust".into(),
        ];
        let (start, candidates) = complete(line, line.len(), &names);
        assert_eq!(
            (start, candidates),
            (
                expected_start,
                expected.iter().map(|s| s.to_string()).collect()
            ),
            "{line:?}"
        );
    }

    #[test]
    fn completion_table() {
        check("/wh", 0, &["/who "]);
        check("/H", 0, &["/help ", "/history "]);
        check("/zz", 0, &[]);
        check("/msg b", 5, &["Bob ", "bobby "]);
        check("/msg ali", 5, &["alice "]);
        check("al", 0, &["alice: "]);
        check("hi BO", 3, &["Bob ", "bobby "]);
        check("hi /wh", 3, &[]);
        check("", 0, &["alice: ", "Bob: ", "bobby: "]);
        check("/join #r", 6, &["#Rust "]);
        check("#", 0, &["#Rust "]);
        check("/jo", 0, &["/join "]);
        check("/part #x", 6, &[]);
    }

    #[test]
    fn a_cursor_inside_a_character_completes_nothing() {
        assert_eq!(complete("é", 1, &[]), (1, Vec::new()));
    }
}
