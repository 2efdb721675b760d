//! systemd socket activation and readiness without libsystemd: listening sockets from
//! `LISTEN_FDS`/`LISTEN_PID` (fds 3..3+n) and `READY=1` sent to `NOTIFY_SOCKET`.

use super::error::DaemonError;
use crate::protocol::codes::MAX_LISTEN_SOCKETS;
use std::net::TcpListener;
use std::os::fd::FromRawFd;

/// First inherited fd (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: i32 = 3;

/// Takes the sockets systemd passed (1..=16 of them), like `sd_listen_fds(1)`.
pub fn listen_fds() -> Result<Vec<TcpListener>, DaemonError> {
    let pid_ok = match std::env::var("LISTEN_PID") {
        Ok(pid) => pid.trim().parse::<u32>().ok() == Some(std::process::id()),
        Err(_) => false,
    };
    let n: i32 = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    if !pid_ok || n <= 0 {
        return Err(DaemonError::Systemd("systemd provides no sockets".into()));
    }
    if n as usize > MAX_LISTEN_SOCKETS {
        return Err(DaemonError::Systemd(format!(
            "cannot listen on more than {MAX_LISTEN_SOCKETS} IP addresses"
        )));
    }
    let mut out = Vec::new();
    for fd in LISTEN_FDS_START..LISTEN_FDS_START + n {
        // SAFETY: systemd hands these descriptors to us; we take sole ownership once.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        let listener = unsafe { TcpListener::from_raw_fd(fd) };
        listener
            .set_nonblocking(true)
            .map_err(|e| DaemonError::Systemd(format!("fd {fd} is not a socket: {e}")))?;
        out.push(listener);
    }
    Ok(out)
}

/// Tells systemd we are ready, if `NOTIFY_SOCKET` is set (a path, or `@name` for the abstract
/// namespace). Failures are returned for logging only.
pub fn notify_ready() -> std::io::Result<bool> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    let msg = format!(
        "READY=1\nSTATUS=Processing port mapping requests...\nMAINPID={}",
        std::process::id()
    );
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(msg.as_bytes(), &addr)?;
    } else {
        sock.send_to(msg.as_bytes(), &path)?;
    }
    Ok(true)
}
