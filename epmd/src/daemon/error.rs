//! Why the daemon could not start. `AlreadyRunning` is not a failure for callers like `erl`
//! (exit status 0, as OTP); every other variant exits 1.

use thiserror::Error;

/// A startup failure of the daemon.
#[derive(Debug, Error)]
pub enum DaemonError {
    #[error("there is already a epmd running at port {0}")]
    AlreadyRunning(u16),
    #[error("cannot parse IP address \"{0}\"")]
    BadAddress(String),
    #[error("cannot listen on more than {0} IP addresses")]
    TooManyAddresses(usize),
    #[error("failed to bind socket {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("no listening socket could be opened on port {0}")]
    NoListener(u16),
    #[error("systemd: {0} (start with -systemd only from a .socket unit)")]
    Systemd(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

impl DaemonError {
    /// The process exit status OTP's epmd uses for this case.
    pub fn exit_code(&self) -> i32 {
        match self {
            DaemonError::AlreadyRunning(_) => 0,
            _ => 1,
        }
    }
}
