//! The EPMD daemon on tokio: opens listening sockets (bound, or from systemd), accepts, and runs
//! one task per connection. Single-threaded like OTP's epmd; bad input only ends its own connection.

mod accept;
mod connection;
pub mod detach;
mod error;
mod fast_path;
pub mod holders;
pub mod listen;
pub mod rlimit;
mod state;
pub mod systemd;

pub use error::DaemonError;

use crate::config::DaemonConfig;
use crate::registry::RegistryLimits;
use holders::HolderPlan;
use state::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::{debug, warn};

/// A daemon with its sockets open, ready to serve.
pub struct Daemon {
    shared: Arc<Shared>,
    listeners: Vec<std::net::TcpListener>,
}

/// Opens the listening sockets the configuration asks for (systemd's, or bound ones).
pub fn open_listeners(config: &DaemonConfig) -> Result<Vec<std::net::TcpListener>, DaemonError> {
    if config.systemd {
        systemd::listen_fds()
    } else {
        let specs = listen::plan(config.addresses.as_deref(), config.listen_port())?;
        listen::bind_all(&specs, config.listen_port())
    }
}

impl Daemon {
    /// Wraps already-open listening sockets; call inside a tokio runtime. `fd_limit` sizes the
    /// default registration maximum. No registration holders: registrations stop at what the
    /// daemon's own descriptors allow (see `with_holders`).
    pub fn from_listeners(
        config: DaemonConfig,
        listeners: Vec<std::net::TcpListener>,
        fd_limit: u64,
    ) -> std::io::Result<Daemon> {
        Daemon::with_holders(config, listeners, HolderPlan::new(fd_limit, None))
    }

    /// Wraps already-open listening sockets, handing registration sockets beyond the daemon's
    /// own budget to holder processes as `plan` says; call inside a tokio runtime.
    pub fn with_holders(
        config: DaemonConfig,
        listeners: Vec<std::net::TcpListener>,
        plan: HolderPlan,
    ) -> std::io::Result<Daemon> {
        let limits = RegistryLimits {
            max_nodes: config.max_nodes(plan.capacity()),
            max_unreg: config.max_unreg(),
        };
        for l in &listeners {
            l.set_nonblocking(true)?;
        }
        debug!(
            port = config.port,
            max_nodes = limits.max_nodes,
            own_registrations = plan.local_budget,
            holders = plan.max_holders,
            per_holder = plan.holder_capacity,
            relaxed = config.relaxed,
            "epmd running"
        );
        Ok(Daemon {
            shared: Arc::new(Shared::new(config, limits, plan)),
            listeners,
        })
    }

    /// The addresses being listened on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until the process exits (KILL_REQ exits it).
    pub async fn run(self) {
        let mut tasks = Vec::new();
        for listener in self.listeners {
            tasks.push(tokio::spawn(accept::accept_loop(
                listener,
                self.shared.clone(),
            )));
        }
        for t in tasks {
            let _ = t.await;
        }
    }
}

/// Runs the daemon to the end on a single-threaded runtime: raise the fd limit, open sockets,
/// notify systemd, serve.
pub fn run_blocking(config: DaemonConfig) -> Result<(), DaemonError> {
    let fd_limit = rlimit::raise_nofile_limit();
    debug!(fd_limit, "open file limit");
    let listeners = open_listeners(&config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DaemonError::Runtime)?;
    runtime.block_on(async move {
        let exe = holders::own_executable();
        if exe.is_none() {
            warn!(
                "cannot find the epmd executable to start registration holders; registrations \
                 stop at what this process's descriptors allow"
            );
        }
        let plan = HolderPlan::new(fd_limit, exe);
        let daemon = Daemon::with_holders(config, listeners, plan).map_err(DaemonError::Runtime)?;
        match systemd::notify_ready() {
            Ok(true) => debug!("notified systemd: READY=1"),
            Ok(false) => {}
            Err(e) => warn!(error = %e, "cannot notify systemd"),
        }
        daemon.run().await;
        Ok(())
    })
}
