//! Processes of a Rust node: pids, mailboxes with selective receive, links, monitors and exit
//! signals with OTP's semantics, spawning, and the table that routes messages to mailboxes.

mod exit_reason;
mod handle;
mod mailbox;
pub(crate) mod signals;
mod spawn;
pub(crate) mod state;
mod table;

pub use exit_reason::ExitReason;
pub use handle::Process;
pub use mailbox::Mailbox;
pub(crate) use spawn::CatchUnwind;
pub use spawn::SpawnOptions;
pub(crate) use table::{ProcessTable, Slot};
