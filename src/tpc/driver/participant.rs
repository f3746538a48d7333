//! The participant's loop: server events, the human's answers on stdin and the
//! machine's deadline, over the shared [`Driver`].

use std::time::Duration;

use crossbeam_channel::{never, select};

use super::{Driver, DriverError, Settings, Turn, stdin_lines};
use crate::conn::Event;
use crate::tpc::output::Style;
use crate::tpc::participant::{AckPolicy, Config, VotePolicy};
use crate::tpc::{Input, Note, Outcome, Participant};

/// Runs a participant until it is killed, or until stdin ends while it asks a
/// human.
pub fn run_participant(
    settings: Settings,
    vote: VotePolicy,
    ack: AckPolicy,
) -> Result<(), DriverError> {
    let config = Config {
        name: settings.name.clone(),
        timing: settings.timing,
        vote,
        ack,
        catch_up: true,
        look_back: true,
    };
    let asks = vote == VotePolicy::Ask || ack == AckPolicy::Ask;
    let mut stdin = if asks { stdin_lines() } else { never() };
    let reminder = if settings.style == Style::Terminal {
        crossbeam_channel::tick(Duration::from_secs(5))
    } else {
        never()
    };
    let mut driver = Driver::new(settings, "participant");
    driver.lock()?;
    loop {
        driver.connect()?;
        let (records, lines) = driver.open_logs(true)?;
        let (mut machine, actions) =
            Participant::recover(config.clone(), &records, lines, driver.now());
        let mut turn = driver.perform(actions)?;
        while let Turn::Go = turn {
            let timer = driver.deadline_channel(machine.deadline());
            let conn_events = driver.conn.as_ref().expect("connected").events().clone();
            turn = select! {
                recv(conn_events) -> event => match driver.inbound(event.unwrap_or(Event::Closed(None))) {
                    Ok(Some(input)) => driver.perform(machine.handle(input, driver.now()))?,
                    Ok(None) => Turn::Go,
                    Err(reason) => Turn::Cut(reason),
                },
                recv(stdin) -> line => match line {
                    Ok(line) => match human_input(&machine, &line) {
                        Ok(input) => driver.perform(machine.handle(input, driver.now()))?,
                        Err(why) => {
                            driver.out.note(&Note::Ignored { why });
                            Turn::Go
                        }
                    },
                    Err(_) => {
                        stdin = never();
                        Turn::Stop
                    }
                },
                recv(timer) -> _ => driver.perform(machine.handle(Input::Timeout, driver.now()))?,
                recv(reminder) -> _ => {
                    remind(&driver, &machine);
                    Turn::Go
                },
            };
        }
        match turn {
            Turn::Cut(reason) => driver.disconnected(&reason),
            Turn::Stop | Turn::Go => {
                driver.quit();
                return Ok(());
            }
        }
    }
}

/// What a human's line means now: a vote while one is asked for, an ACK while
/// one is asked for; otherwise the reply that says why it means nothing.
fn human_input(machine: &Participant, line: &str) -> Result<Input, String> {
    let word = line.trim().to_ascii_lowercase();
    if let Some(tx) = machine.awaiting_vote() {
        return match word.as_str() {
            "c" | "commit" | "y" | "yes" => Ok(Input::Vote(Outcome::Commit)),
            "a" | "abort" | "n" | "no" => Ok(Input::Vote(Outcome::Abort)),
            _ => Err(format!(
                "{line:?} is not a vote on transaction {tx}: type c to commit or a to abort"
            )),
        };
    }
    if machine.awaiting_ack().is_some() {
        return Ok(Input::Ack);
    }
    Err(format!(
        "{line:?}: nothing is asked now (too late: the question expired or was answered)"
    ))
}

fn remind(driver: &Driver, machine: &Participant) {
    if let (Some(tx), Some(deadline)) = (machine.awaiting_vote(), machine.deadline()) {
        driver.out.print(&format!(
            "tx {tx}: waiting for your vote (c/a), {} s left",
            driver.out.seconds_left(deadline)
        ));
    } else if let (Some(tx), Some(deadline)) = (machine.awaiting_ack(), machine.ack_deadline()) {
        driver.out.print(&format!(
            "tx {tx}: waiting for your ACK (Enter), {} s left",
            driver.out.seconds_left(deadline)
        ));
    }
}
