//! chat-server over real sockets: every protocol row, names, history,
//! load and overload, and the binary's behaviour as a process.

mod data_dir;
mod history;
mod hostile;
mod limits;
mod load;
mod names;
mod process;
mod rooms;
mod rows;
mod shutdown;
