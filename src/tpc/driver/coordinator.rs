//! The coordinator's loop: requests from `--request` or stdin, one transaction
//! at a time, over the shared [`Driver`].
//!
//! A request no participant could take (empty, control characters) or the
//! server could not carry (its VOTE-REQUEST over the protocol's line limit) is
//! refused before anything is sent: `--request` as an error, a stdin line
//! with an `IGNORED` note.

use std::collections::VecDeque;

use crossbeam_channel::{Receiver, RecvError, never, select};

use super::{Driver, DriverError, Settings, Turn, stdin_lines};
use crate::conn::Event;
use crate::protocol::{DEFAULT_MAX_CLIENT_LINE, name_key, validate_name};
use crate::tpc::output::{Output, Style};
use crate::tpc::{Body, Coordinator, Input, Message, Note, Outcome, TxId};

/// Where requests come from, and the one being run.
struct Requests {
    /// `--request`: one transaction, then exit with its outcome.
    single: bool,
    pending: VecDeque<String>,
    stdin: Receiver<String>,
    stdin_open: bool,
    /// The transaction started for the request being run.
    in_flight: Option<TxId>,
    /// Whether any request of this run aborted (stdin mode's exit code).
    any_aborted: bool,
    /// The longest request, in bytes, that fits one line (see [`longest_request`]).
    longest: usize,
}

impl Requests {
    fn new(request: Option<String>, longest: usize) -> Requests {
        let single = request.is_some();
        Requests {
            longest,
            single,
            pending: request.into_iter().collect(),
            stdin: if single { never() } else { stdin_lines() },
            stdin_open: !single,
            in_flight: None,
            any_aborted: false,
        }
    }

    /// Takes note of decisions; returns the exit outcome once the single
    /// request is decided.
    fn decided(&mut self, decided: Vec<(TxId, Outcome)>) -> Option<Outcome> {
        for (tx, outcome) in decided {
            if self.in_flight == Some(tx) {
                self.in_flight = None;
                if outcome == Outcome::Abort {
                    self.any_aborted = true;
                }
                if self.single {
                    return Some(outcome);
                }
            }
        }
        None
    }

    fn stdin_line(&mut self, out: &Output, line: Result<String, RecvError>) {
        match line {
            Ok(line) => match refusal(line.trim(), self.longest) {
                Some(why) => out.note(&Note::Ignored { why }),
                None => self.pending.push_back(line.trim().to_owned()),
            },
            Err(_) => {
                self.stdin_open = false;
                self.stdin = never();
            }
        }
    }
}

/// How serving one connection ended.
enum Served {
    /// The connection was lost: reconnect and recover.
    Cut(String),
    /// Nothing more to do; the outcome of `--request`, if any.
    Done(Option<Outcome>),
}

/// Runs the coordinator. With `request`, runs that one transaction and returns its
/// outcome; otherwise every stdin line is a request, until EOF: returns
/// `Some(Abort)` if any of them aborted, else `None`.
pub fn run_coordinator(
    settings: Settings,
    participants: Vec<String>,
    request: Option<String>,
) -> Result<Option<Outcome>, DriverError> {
    check_participants(&settings.name, &participants)?;
    let longest = longest_request(&settings, &participants);
    if let Some(why) = request.as_deref().and_then(|text| refusal(text, longest)) {
        return Err(DriverError::BadArgument(format!("--request: {why}")));
    }
    let timing = settings.timing;
    let mut requests = Requests::new(request, longest);
    let mut driver = Driver::new(settings, "coordinator");
    driver.group = participants.clone();
    driver.lock()?;
    loop {
        driver.connect()?;
        if driver.out.style() == Style::Terminal && !requests.single {
            driver
                .out
                .print("type a request and press Enter: one line is one transaction");
        }
        let (records, _) = driver.open_logs(false)?;
        let (mut machine, actions) = Coordinator::recover(timing, &records, driver.now());
        let turn = driver.perform(actions)?;
        if let Some(tx) = requests.in_flight
            && let Some(outcome) = machine.outcome(tx)
        {
            driver.decided.push((tx, outcome));
        }
        match serve(
            &mut driver,
            &mut machine,
            &mut requests,
            &participants,
            turn,
        )? {
            Served::Cut(reason) => driver.disconnected(&reason),
            Served::Done(outcome) => {
                driver.quit();
                return Ok(outcome);
            }
        }
    }
}

/// The loop over one connection.
fn serve(
    driver: &mut Driver,
    machine: &mut Coordinator,
    requests: &mut Requests,
    participants: &[String],
    mut turn: Turn,
) -> Result<Served, DriverError> {
    loop {
        if let Turn::Cut(reason) = turn {
            return Ok(Served::Cut(reason));
        }
        if let Some(outcome) = requests.decided(std::mem::take(&mut driver.decided)) {
            // `--request` whose id was refused: an error, not an abort.
            if let Some(conflict) = driver.conflict.take() {
                return Err(conflict);
            }
            return Ok(Served::Done(Some(outcome)));
        }
        // The next transaction starts once the server has taken every line of
        // the last: under its flood control, lines wait in the socket, and a
        // new VOTE-REQUEST behind them would eat into T (issue 15, defect 5).
        if machine.is_idle() && requests.in_flight.is_none() && driver.clock.all_taken() {
            if let Some(text) = requests.pending.pop_front() {
                requests.in_flight = Some(machine.next_tx());
                let request = Input::Request {
                    text,
                    members: participants.to_vec(),
                    run: driver.fresh_nonce(),
                };
                turn = driver.perform(machine.handle(request, driver.now()))?;
                continue;
            }
            if !requests.stdin_open {
                let any_aborted = requests.any_aborted.then_some(Outcome::Abort);
                return Ok(Served::Done(any_aborted));
            }
        }
        let timer = driver.deadline_channel(machine.deadline());
        let conn_events = driver.conn.as_ref().expect("connected").events().clone();
        let stdin = requests.stdin.clone();
        turn = select! {
            recv(conn_events) -> event => match driver.inbound(event.unwrap_or(Event::Closed(None))) {
                Ok(Some(input)) => driver.perform(machine.handle(input, driver.now()))?,
                Ok(None) => Turn::Go,
                Err(reason) => Turn::Cut(reason),
            },
            recv(stdin) -> line => {
                requests.stdin_line(&driver.out, line);
                Turn::Go
            },
            recv(timer) -> _ => driver.perform(machine.handle(Input::Timeout, driver.now()))?,
        };
    }
}

/// Why `text` cannot be a request, if it cannot: every participant refuses
/// an empty one, a control character would break the line, and a request
/// over `longest` bytes makes a line the server refuses (`line-too-long`).
fn refusal(text: &str, longest: usize) -> Option<String> {
    if text.is_empty() {
        return Some(
            "a request cannot be empty: give the text every participant is to write to its commit log"
                .into(),
        );
    }
    if text.chars().any(char::is_control) {
        return Some("a request cannot hold control characters".into());
    }
    (text.len() > longest).then(|| {
        format!(
            "a request of {} bytes is too long: at most {longest} bytes fit in one line to the chat server ({DEFAULT_MAX_CLIENT_LINE} bytes); shorten it",
            text.len()
        )
    })
}

/// The longest request, in bytes, whose VOTE-REQUEST line (`/msg <to>` and
/// the sealed message, whatever the transaction id) to every participant fits
/// the protocol's client line limit: the server's default `--max-line`.
fn longest_request(settings: &Settings, participants: &[String]) -> usize {
    let message = Message {
        tx: TxId::MAX,
        body: Body::VoteRequest {
            members: participants.to_vec(),
            text: "x".into(),
        },
    };
    let longest_line = participants
        .iter()
        .map(|to| {
            let sealed = settings.key.seal(&settings.name, to, &message, 0);
            format!("/msg {to} {sealed}").len()
        })
        .max()
        .unwrap_or(0);
    // The line holds one byte of text and no LF: n bytes of text and the LF
    // make `longest_line - 1 + n + 1` bytes.
    DEFAULT_MAX_CLIENT_LINE.saturating_sub(longest_line)
}

fn check_participants(own: &str, participants: &[String]) -> Result<(), DriverError> {
    if participants.is_empty() {
        return Err(DriverError::BadArgument(
            "--participants needs at least one name".into(),
        ));
    }
    let mut keys: Vec<String> = participants.iter().map(|p| name_key(p)).collect();
    keys.sort();
    keys.dedup();
    if keys.len() != participants.len() {
        return Err(DriverError::BadArgument(
            "--participants names a participant twice".into(),
        ));
    }
    for name in participants {
        validate_name(name)
            .map_err(|e| DriverError::BadArgument(format!("participant {name:?}: {e}")))?;
        if name_key(name) == name_key(own) {
            return Err(DriverError::BadArgument(
                "the coordinator cannot be a participant".into(),
            ));
        }
    }
    Ok(())
}
