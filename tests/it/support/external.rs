//! Programs from outside the project that some tests drive: PostgreSQL's
//! `initdb` and `pg_ctl`, Debian's IRC clients, python with irctest's
//! requirements.
//!
//! The rule, the same for every such test: `.ci/run` installs what is
//! missing and sets `CHATROOM_REQUIRE_EXTERNAL=1`, so in CI a missing
//! program FAILS the test. A newcomer's plain `cargo test` on a machine
//! without the program prints one line saying what was skipped and how to
//! get it, and the test returns early: the rest of the suite still runs.

use std::path::{Path, PathBuf};

/// Set by `.ci/run`: a missing program is a failure, not a skip.
const REQUIRE: &str = "CHATROOM_REQUIRE_EXTERNAL";

/// The first of `candidates` that is an executable file, each tried as
/// given (an absolute path) or on `PATH` (a bare name).
pub fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().find_map(|candidate| {
        let path = Path::new(candidate);
        if path.is_absolute() {
            is_executable(path).then(|| path.to_path_buf())
        } else {
            std::env::var_os("PATH").and_then(|dirs| {
                std::env::split_paths(&dirs)
                    .map(|dir| dir.join(candidate))
                    .find(|p| is_executable(p))
            })
        }
    })
}

/// The program, or `None` after saying why the test is skipped; panics
/// instead when `CHATROOM_REQUIRE_EXTERNAL` is set. `what` names the test's
/// need, `install` how to get it (e.g. "apt-get install postgresql").
pub fn require_program(candidates: &[&str], what: &str, install: &str) -> Option<PathBuf> {
    let found = find_program(candidates);
    if found.is_none() {
        let msg = format!(
            "{what}: none of {candidates:?} found; install it ({install}) or run .ci/run, which does"
        );
        if std::env::var_os(REQUIRE).is_some_and(|v| !v.is_empty() && v != "0") {
            panic!("{msg} ({REQUIRE} is set, so this is a failure)");
        }
        eprintln!("SKIPPED {msg}");
    }
    found
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[test]
fn a_program_is_found_on_path_or_by_absolute_path_and_a_missing_one_is_not() {
    assert!(find_program(&["sh"]).is_some(), "sh is on every PATH");
    assert!(find_program(&["/bin/sh"]).is_some());
    assert_eq!(find_program(&["no-such-program-chatroom-x"]), None);
    assert_eq!(
        find_program(&["no-such-program-chatroom-x", "/bin/sh"]),
        Some(PathBuf::from("/bin/sh"))
    );
}
