//! The daemon's settings, as the command line and environment give them. Plain data: parsing
//! lives in `cli::args`, use in `daemon`.

use crate::protocol::codes::{
    CLOSE_TIMEOUT_SECS, DEBUG_MAX_UNREG_COUNT, EPMD_PORT_NO, MAX_UNREG_COUNT,
};
use std::time::Duration;

/// How the daemon runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonConfig {
    /// The port as OTP's `atoi` read it; bound as `port as u16`, sent in NAMES/DUMP as `u32`.
    pub port: i32,
    /// `-address` / `ERL_EPMD_ADDRESS`: comma/space separated list, `None` = all interfaces.
    pub addresses: Option<String>,
    /// Number of `-d` flags.
    pub debug: u32,
    /// `-daemon`: detach from the terminal.
    pub daemon: bool,
    /// `-relaxed_command_check` / `ERL_EPMD_RELAXED_COMMAND_CHECK`.
    pub relaxed: bool,
    /// `-systemd`: take listening sockets from systemd.
    pub systemd: bool,
    /// `-packet_timeout`: idle time allowed before a request is complete.
    pub packet_timeout: Duration,
    /// `-delay_accept`: sleep before each accept (busy-server simulation).
    pub delay_accept: Option<Duration>,
    /// `-delay_write`: sleep before each reply write (busy-server simulation).
    pub delay_write: Option<Duration>,
    /// `-max_nodes`: most simultaneous registrations; `None` = derived from the fd limit.
    pub max_nodes: Option<usize>,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            port: i32::from(EPMD_PORT_NO),
            addresses: None,
            debug: 0,
            daemon: false,
            relaxed: false,
            systemd: false,
            packet_timeout: Duration::from_secs(CLOSE_TIMEOUT_SECS),
            delay_accept: None,
            delay_write: None,
            max_nodes: None,
        }
    }
}

/// Registrations allowed when `-max_nodes` is not given and the descriptors do not bind first.
pub const DEFAULT_MAX_NODES: usize = 1_000_000;

impl DaemonConfig {
    /// The TCP port to bind.
    pub fn listen_port(&self) -> u16 {
        self.port as u16
    }

    /// The port sent before NAMES and DUMP text (`htonl(g->port)`).
    pub fn reply_port(&self) -> u32 {
        self.port as u32
    }

    /// Unregistered names remembered (1000, or 5 with `-d`).
    pub fn max_unreg(&self) -> usize {
        if self.debug > 0 {
            DEBUG_MAX_UNREG_COUNT
        } else {
            MAX_UNREG_COUNT
        }
    }

    /// The registration maximum: `-max_nodes`, else `capacity` (the registration sockets the
    /// daemon and its holders can keep, see `daemon::holders::HolderPlan`), capped at
    /// `DEFAULT_MAX_NODES`, so that lookups still find free descriptors at the maximum.
    pub fn max_nodes(&self, capacity: usize) -> usize {
        self.max_nodes
            .unwrap_or_else(|| capacity.clamp(1, DEFAULT_MAX_NODES))
    }
}
