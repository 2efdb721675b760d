//! EPMD, the Erlang Port Mapper Daemon: the request/reply codec (no I/O), the daemon that serves
//! it compatibly with OTP's `epmd`, and an async client for nodes and tools.

pub mod access;
pub mod cli;
pub mod client;
pub mod config;
pub mod creation;
pub mod daemon;
pub mod handler;
pub mod holder;
pub mod protocol;
pub mod registry;

pub use client::{ClientError, EpmdClient, KillReply, Registration, StopReply, TextReply};
pub use config::DaemonConfig;
pub use protocol::{Alive2Params, NodeInfo};
