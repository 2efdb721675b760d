//! The Erlang distribution protocol as pure data: terms, their external format, the handshake,
//! framing and control messages. No sockets, no clocks, no async runtime here.

pub mod control;
pub mod dist;
pub mod etf;
pub mod framing;
pub mod handshake;
pub mod term;
pub mod text;
