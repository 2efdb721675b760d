//! The node's dealings with EPMD: register (starting our own epmd daemon when none answers, as
//! erl does), stay registered (re-register every 2 s after losing epmd, as OTP 25), look peers up.

use crate::config::NodeConfig;
use crate::error::NodeError;
use epmd::{Alive2Params, ClientError, EpmdClient, Registration};
use std::path::PathBuf;
use std::time::Duration;
use tracing::{info, warn};

/// Registers the node's alive name with the local epmd.
pub(crate) async fn register(
    config: &NodeConfig,
    listen_port: u16,
) -> Result<Registration, NodeError> {
    let client = EpmdClient::localhost_v4(config.epmd_port);
    let params = Alive2Params::new(config.name.alive(), listen_port);
    match client.register(&params).await {
        Err(ClientError::NotRunning { .. }) if config.start_epmd => {
            start_daemon(config.epmd_port)?;
            let mut last = None;
            for _ in 0..50 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                match client.register(&params).await {
                    Ok(registration) => return Ok(registration),
                    Err(ClientError::NotRunning { .. }) => continue,
                    Err(e) => {
                        last = Some(e);
                        break;
                    }
                }
            }
            Err(registration_error(
                config,
                last.unwrap_or(ClientError::Timeout {
                    addr: format!("127.0.0.1:{}", config.epmd_port),
                    timeout: Duration::from_secs(5),
                    what: "ALIVE2",
                }),
            ))
        }
        Err(e) => Err(registration_error(config, e)),
        Ok(registration) => Ok(registration),
    }
}

fn registration_error(config: &NodeConfig, error: ClientError) -> NodeError {
    match error {
        ClientError::NameRefused { .. } => NodeError::NameInUse(config.name.to_string()),
        other => NodeError::Epmd(other),
    }
}

/// Watches the registration; when epmd drops it (restart, `epmd -stop`), registers again every
/// two seconds until it succeeds. The node keeps its creation, as OTP nodes do.
pub(crate) fn keep_registered(
    config: NodeConfig,
    listen_port: u16,
    mut registration: Registration,
) {
    tokio::spawn(async move {
        loop {
            let _ = registration.closed().await;
            warn!(
                epmd_port = config.epmd_port,
                "lost the epmd registration; registering again every 2 s"
            );
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let client = EpmdClient::localhost_v4(config.epmd_port);
                if let Ok(again) = client
                    .register(&Alive2Params::new(config.name.alive(), listen_port))
                    .await
                {
                    info!("registered with epmd again");
                    registration = again;
                    break;
                }
            }
        }
    });
}

/// The distribution port of `peer` (`alive@host`), from the epmd on its host.
pub(crate) async fn port_of(config: &NodeConfig, peer: &str) -> Result<u16, String> {
    let (alive, host) = peer
        .split_once('@')
        .ok_or_else(|| format!("bad node name {peer:?}"))?;
    let mut addrs: Vec<_> = tokio::net::lookup_host((host, config.epmd_port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    addrs.sort_by_key(|a| !a.is_ipv4());
    let addr = addrs
        .first()
        .copied()
        .ok_or_else(|| format!("no address for {host}"))?;
    match EpmdClient::new(addr).port_please(alive).await {
        Ok(Some(info)) => Ok(info.port),
        Ok(None) => Err(format!("{alive} is not registered with epmd on {host}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Starts our `epmd -daemon` on `port`: from `ERLDIST_EPMD`, or the `epmd` built next to this
/// program (cargo puts the workspace's binaries side by side).
fn start_daemon(port: u16) -> Result<(), NodeError> {
    let binary = epmd_binary().ok_or_else(|| NodeError::EpmdStart {
        port,
        why: "our epmd binary was not found next to this program; build it (cargo build -p epmd) or set ERLDIST_EPMD".into(),
    })?;
    info!(binary = %binary.display(), port, "no epmd running; starting ours");
    let status = std::process::Command::new(&binary)
        .args(["-port", &port.to_string(), "-daemon"])
        .env_remove("ERL_EPMD_PORT")
        .status()
        .map_err(|e| NodeError::EpmdStart {
            port,
            why: format!("{}: {e}", binary.display()),
        })?;
    if !status.success() {
        return Err(NodeError::EpmdStart {
            port,
            why: format!("{} exited with {status}", binary.display()),
        });
    }
    Ok(())
}

fn epmd_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ERLDIST_EPMD") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join("epmd"), dir.parent()?.join("epmd")]
        .into_iter()
        .find(|p| p.is_file())
}
