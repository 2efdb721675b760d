//! Errors of the EPMD client, each saying which daemon, what failed and what to try.
//! Never constructed by the daemon.

use crate::protocol::ReplyError;
use std::net::SocketAddr;
use std::time::Duration;
use thiserror::Error;

/// What went wrong talking to an EPMD daemon.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error(
        "epmd not running at {addr} ({source}); start one with `epmd -daemon` or check the port"
    )]
    NotRunning {
        addr: String,
        source: std::io::Error,
    },
    #[error("epmd: name {name} already registered (epmd at {addr} refused it; it also refuses when its registration maximum is reached)")]
    NameRefused { addr: SocketAddr, name: String },
    #[error("epmd at {addr}: timeout after {timeout:?} waiting for the {what} reply")]
    Timeout {
        addr: String,
        timeout: Duration,
        what: &'static str,
    },
    #[error("epmd at {addr} closed the connection without a {what} reply (refused: not a local peer, relaxed mode off, or a malformed request)")]
    NoReply {
        addr: SocketAddr,
        what: &'static str,
    },
    #[error("garbage from epmd at {addr} in the {what} reply: {source}")]
    Garbage {
        addr: SocketAddr,
        what: &'static str,
        source: ReplyError,
    },
    #[error("epmd at {addr} reports port {reported}, not {expected}: something else answers on that port")]
    PortMismatch {
        addr: SocketAddr,
        reported: u32,
        expected: u16,
    },
    #[error("invalid node name {name:?}: {why}")]
    InvalidName { name: String, why: &'static str },
    #[error("the {what} reply from epmd at {addr} exceeds {limit} bytes")]
    TooLarge {
        addr: SocketAddr,
        what: &'static str,
        limit: usize,
    },
    #[error("i/o error talking to epmd at {addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
}
