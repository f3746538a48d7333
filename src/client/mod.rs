//! `chat-client`: the terminal client.
//!
//! Pure parts, each tested on its own:
//! - [`input`]: a typed line understood (send it, quit, `/help`, refuse it).
//! - [`render`]: one thing to show made into a display line (time, colour,
//!   markers; control characters stripped).
//! - [`session`]: what a server line means for the user; online names; what
//!   was missed while away.
//! - [`backoff`]: the reconnect schedule.
//! - [`complete`]: tab completion.
//!
//! Drivers, which own the sockets, threads and terminal:
//! - [`net`]: the network thread: sends typed lines, shows server lines,
//!   reconnects in terminal mode.
//! - [`plain`]: plain mode (stdin or stdout not a terminal): one line per event.
//! - [`terminal`]: terminal mode: a rustyline prompt that messages never garble.
//!
//! [`run`] picks the mode and returns how the client ended.

pub mod backoff;
pub mod complete;
pub mod input;
pub mod render;
pub mod session;
