//! The coordinator's loop: requests from `--request` or stdin, one transaction
//! at a time, over the shared [`Driver`].

use std::collections::VecDeque;

use crossbeam_channel::{never, select};

use super::{Driver, DriverError, Settings, Turn, stdin_lines};
use crate::conn::Event;
use crate::protocol::{name_key, validate_name};
use crate::tpc::output::Output;
use crate::tpc::{Coordinator, Input, Note, Outcome, TxId};

/// Runs the coordinator. With `request`, runs that one transaction and returns its
/// outcome; otherwise every stdin line is a request, until EOF (returns `None`).
pub fn run_coordinator(
    settings: Settings,
    participants: Vec<String>,
    request: Option<String>,
) -> Result<Option<Outcome>, DriverError> {
    check_participants(&settings.name, &participants)?;
    let timing = settings.timing;
    let single = request.is_some();
    let mut pending: VecDeque<String> = request.into_iter().collect();
    let mut stdin = if single { never() } else { stdin_lines() };
    let mut stdin_open = !single;
    let mut in_flight: Option<TxId> = None;
    let mut driver = Driver::new(settings, "coordinator");
    loop {
        driver.connect()?;
        let (records, _) = driver.open_logs(false)?;
        let (mut machine, actions) = Coordinator::recover(timing, &records, driver.now());
        let mut turn = driver.perform(actions)?;
        if let Some(tx) = in_flight
            && let Some(outcome) = machine.outcome(tx)
        {
            driver.decided.push((tx, outcome));
        }
        while let Turn::Go = turn {
            for (tx, outcome) in std::mem::take(&mut driver.decided) {
                if in_flight == Some(tx) {
                    in_flight = None;
                    if single {
                        driver.quit();
                        return Ok(Some(outcome));
                    }
                }
            }
            if machine.is_idle() && in_flight.is_none() {
                if let Some(text) = pending.pop_front() {
                    in_flight = Some(machine.next_tx());
                    let input = Input::Request {
                        text,
                        members: participants.clone(),
                    };
                    turn = driver.perform(machine.handle(input, driver.now()))?;
                    continue;
                }
                if !stdin_open {
                    driver.quit();
                    return Ok(None);
                }
            }
            let timer = driver.deadline_channel(machine.deadline());
            let conn_events = driver.conn.as_ref().expect("connected").events().clone();
            turn = select! {
                recv(conn_events) -> event => match driver.inbound(event.unwrap_or(Event::Closed(None))) {
                    Ok(Some(input)) => driver.perform(machine.handle(input, driver.now()))?,
                    Ok(None) => Turn::Go,
                    Err(reason) => Turn::Cut(reason),
                },
                recv(stdin) -> line => {
                    match line {
                        Ok(line) => queue_request(&driver.out, &mut pending, line),
                        Err(_) => {
                            stdin_open = false;
                            stdin = never();
                        }
                    }
                    Turn::Go
                },
                recv(timer) -> _ => driver.perform(machine.handle(Input::Timeout, driver.now()))?,
            };
        }
        match turn {
            Turn::Cut(reason) => driver.disconnected(&reason),
            Turn::Stop | Turn::Go => return Ok(None),
        }
    }
}

fn queue_request(out: &Output, pending: &mut VecDeque<String>, line: String) {
    let text = line.trim();
    if text.is_empty() {
        return;
    }
    if text.chars().any(char::is_control) {
        out.note(&Note::Ignored {
            why: "a request cannot hold control characters".into(),
        });
        return;
    }
    pending.push_back(text.to_owned());
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
