//! A live EPMD registration: the open ALIVE2 connection. Closing or dropping it unregisters the
//! node, exactly as a BEAM node does; it never sends anything after the request.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A registered node name; keep it alive as long as the node should be findable.
#[derive(Debug)]
pub struct Registration {
    pub(crate) stream: TcpStream,
    pub(crate) name: String,
    pub(crate) creation: u32,
    pub(crate) epmd: SocketAddr,
}

impl Registration {
    /// The creation epmd assigned (32-bit for HighestVersion ≥ 6, else 1..=3).
    pub fn creation(&self) -> u32 {
        self.creation
    }

    /// The registered name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The daemon holding the registration.
    pub fn epmd_addr(&self) -> SocketAddr {
        self.epmd
    }

    /// Resolves when the daemon drops the registration (closed, restarted, `epmd -stop`), or
    /// sends anything, which it never should. A node then re-registers, as OTP does.
    pub async fn closed(&mut self) -> std::io::Result<()> {
        let mut byte = [0u8; 1];
        self.stream.read(&mut byte).await.map(|_| ())
    }

    /// Unregisters by closing the connection.
    pub async fn close(mut self) -> std::io::Result<()> {
        self.stream.shutdown().await
    }
}
