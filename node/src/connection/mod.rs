//! Distribution connections: the handshake over a socket, the running connection (reader, writer,
//! ticks, counters) and the manager that keeps one connection per peer and reports nodeup/nodedown.

mod counters;
mod decoder;
mod encoder;
mod handshake;
mod link;
mod manager;
mod moderation;
mod pause;
mod payload;

pub(crate) use counters::PeerCounters;
pub use counters::PeerStats;
pub(crate) use handshake::{accept_handshake, dial_handshake, HandshakeFailure};
pub(crate) use link::{spawn_link, LinkHandle};
pub(crate) use manager::{AcceptVerdict, Lookup, Outcome, Peers};
pub(crate) use payload::{gen_call_message, Payload};
