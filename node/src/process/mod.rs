//! Processes of a Rust node: a pid, a mailbox with selective receive, and the table that routes
//! messages to mailboxes without one lock for all senders (16 shards by pid).

mod mailbox;
mod table;

pub use mailbox::Mailbox;
pub(crate) use table::ProcessTable;
