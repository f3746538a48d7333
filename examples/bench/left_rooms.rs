//! The stranger's room scenario: one client creates N rooms, says one line
//! in each and leaves it, as someone filling a server with rooms would
//! (flood control off). Reports rooms a second and the server's RSS before
//! and after: what rooms nobody is in cost the server's memory.
//!
//! Lines are pipelined a window of rooms at a time (each room's `/join`,
//! text and `/part`), and the window is read back up to its last `PART`,
//! so the client's queue on the server never holds more than a window.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use clap::Args;

use super::load::ProcStatus;

/// The shape of a run, as flags.
#[derive(Args, Debug, Clone)]
pub struct LeftRoomsShape {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:25000")]
    addr: SocketAddr,
    /// The server's process id, to report its RSS.
    #[arg(long)]
    pid: Option<u32>,
    /// Rooms to create (named #left-<prefix>-N).
    #[arg(long, default_value_t = 20_000)]
    rooms: usize,
    /// Rooms whose lines are sent before reading the answers.
    #[arg(long, default_value_t = 100)]
    window: usize,
    /// Part of each room's name, so runs on one data directory differ.
    #[arg(long, default_value = "a")]
    prefix: String,
}

/// Runs it and prints the result.
pub fn run(shape: &LeftRoomsShape) -> io::Result<()> {
    let before = shape.pid.and_then(ProcStatus::read);
    let stream = TcpStream::connect(shape.addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = io::BufWriter::new(stream);
    let name = format!("left{}", std::process::id());
    writer.write_all(format!("{name}\n").as_bytes())?;
    writer.flush()?;
    read_until(&mut reader, "HISTORY-END ", 1)?; // the welcome run's
    let started = Instant::now();
    let mut made = 0;
    while made < shape.rooms {
        let window = shape.window.min(shape.rooms - made);
        for n in made..made + window {
            let room = format!("#left-{}-{n}", shape.prefix);
            let lines = format!("/join {room}\none line in {room}\n/part {room}\n");
            writer.write_all(lines.as_bytes())?;
        }
        writer.flush()?;
        read_until(&mut reader, "PART ", window)?;
        made += window;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = shape.pid.and_then(ProcStatus::read);
    println!(
        "left-rooms: {made} rooms made, one line each, left empty in {elapsed:.2} s ({:.0} rooms/s)",
        made as f64 / elapsed
    );
    if let (Some(before), Some(after)) = (before, after) {
        let grown = after.rss_kib as f64 - before.rss_kib as f64;
        println!(
            "server RSS: {} KiB before, {} KiB after: {grown:+.0} KiB, {:.0} bytes per room",
            before.rss_kib,
            after.rss_kib,
            grown * 1024.0 / made as f64
        );
    }
    Ok(())
}

/// Reads lines until `count` of them have started with `prefix`; an
/// `ERROR` line stops the run.
fn read_until(reader: &mut impl BufRead, prefix: &str, count: usize) -> io::Result<()> {
    let mut seen = 0;
    let mut line = String::new();
    while seen < count {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::other("the server closed the connection"));
        }
        if line.starts_with("ERROR ") || line.starts_with("BYE ") {
            return Err(io::Error::other(format!(
                "the server said {}",
                line.trim_end()
            )));
        }
        seen += usize::from(line.starts_with(prefix));
    }
    Ok(())
}
