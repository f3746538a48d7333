//! The irctest conformance suite (`../shared/irctest`, unmodified) against
//! the real `chat-server`, through `tests/irctest/run.sh`: the issue's
//! files with ngIRCd's filter, less `tests/irctest/deselected.txt`. Fails
//! on any failed or erroring test.
//!
//! It needs python with pytest and irctest's requirements: the one named
//! by `$CHATROOM_IRCTEST_PYTHON` (`.ci/run` makes a venv under `target/`
//! and sets it), else `target/irctest-venv/bin/python`, else `python3`.
//! Without them (or without irctest beside the repository) a plain
//! `cargo test` says it skipped; under `.ci/run` that is a failure (see
//! `support/external.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::require_program;

/// The python to run irctest with, if it has what irctest needs.
fn python() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = repo.join("target/irctest-venv/bin/python");
    let named = std::env::var("CHATROOM_IRCTEST_PYTHON").ok();
    let mut candidates: Vec<String> = named.into_iter().collect();
    candidates.push(venv.to_string_lossy().into_owned());
    candidates.push("python3".to_owned());
    let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let usable: Vec<&str> = candidates
        .into_iter()
        .filter(|python| has_requirements(python))
        .collect();
    let install = "python3 -m venv target/irctest-venv && target/irctest-venv/bin/python -m pip install pytest -r ../shared/irctest/requirements.txt";
    let what = "irctest needs python with pytest, ecdsa, filelock and websockets";
    let irctest = repo.join("../shared/irctest/conftest.py");
    if !irctest.exists() {
        return require_program(
            &[],
            "irctest is not beside the repository (../shared/irctest)",
            "put it there",
        );
    }
    require_program(&usable, what, install)
}

fn has_requirements(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import pytest, ecdsa, filelock, websockets"])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[test]
fn irctest_passes_with_no_failure() {
    let Some(python) = python() else { return };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(repo.join("tests/irctest/run.sh"))
        .args(["-q", "-rfE"])
        .env("PYTHON", &python)
        .env("CHATROOM_SERVER_BIN", env!("CARGO_BIN_EXE_chat-server"))
        .output()
        .expect("run tests/irctest/run.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default();
    eprintln!("irctest: {summary}");
    assert!(
        output.status.success() && summary.contains(" passed") && !summary.contains("failed"),
        "irctest failed: {summary}\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
