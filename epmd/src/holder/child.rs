//! The registration holder process (`epmd -registration_holder`, control socket on stdin): keeps
//! the sockets the daemon hands over, reports each one that ends, and exits when the daemon goes.

use super::control::{ConnId, ControlSocket, Message, Received};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// Runs a holder to its end: 0 when the daemon closed the channel, 1 on a protocol error.
pub fn run() -> ExitCode {
    if !super::control::is_control_socket(0) {
        eprintln!(
            "epmd: {} is internal: the daemon starts it with its control socket as stdin; \
             run epmd without it",
            super::HOLDER_ARG
        );
        return ExitCode::from(1);
    }
    close_inherited_descriptors();
    let fd_limit = crate::daemon::rlimit::raise_nofile_limit();
    debug!(fd_limit, "registration holder started");
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("epmd registration holder: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            warn!("registration holder exits: {why}");
            ExitCode::from(1)
        }
    }
}

/// Closes every descriptor above stderr (the control socket is stdin): listening sockets from
/// systemd are not close-on-exec and must not stay open in a holder.
fn close_inherited_descriptors() {
    // SAFETY: close_range only closes descriptors; nothing in this process uses them yet.
    unsafe {
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
    }
}

/// The holder's loop: take sockets, close them on request, report the ones that ended.
async fn serve() -> Result<(), String> {
    // SAFETY: fd 0 is the control socket the daemon passed as stdin; nothing else owns it.
    let stdin = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(0) };
    let control = ControlSocket::new(stdin)
        .map_err(|e| format!("stdin is not a usable control socket: {e}"))?;
    let mut closers: HashMap<ConnId, oneshot::Sender<()>> = HashMap::new();
    let (ended_tx, mut ended_rx) = mpsc::unbounded_channel::<ConnId>();
    loop {
        tokio::select! {
            received = control.recv() => match received {
                Ok(Received::Message(Message::Hold(conn), Some(fd))) => {
                    if closers.contains_key(&conn) {
                        return Err(format!("connection {conn} handed over twice"));
                    }
                    let (close_tx, close_rx) = oneshot::channel();
                    closers.insert(conn, close_tx);
                    tokio::spawn(watch(conn, fd, close_rx, ended_tx.clone()));
                }
                Ok(Received::Message(Message::Hold(conn), None)) => {
                    // The kernel could not give us the descriptor (out of descriptors): it is
                    // closed already; the daemon unregisters the node.
                    warn!(conn, "a handed-over socket did not arrive; reporting it ended");
                    if !send(&control, Message::Ended(conn)).await? {
                        return Ok(());
                    }
                }
                Ok(Received::Message(Message::Close(conn), None)) => {
                    if let Some(close) = closers.remove(&conn) {
                        let _ = close.send(());
                    }
                }
                Ok(Received::Message(other, fd)) => {
                    return Err(format!(
                        "unexpected message {other:?}{} from the daemon",
                        if fd.is_some() { " with a descriptor" } else { "" }
                    ));
                }
                Ok(Received::Bad(why)) => return Err(format!("bad control message: {why}")),
                Ok(Received::Eof) => {
                    debug!(held = closers.len(), "daemon gone; closing every held registration");
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    debug!(held = closers.len(), "daemon gone; closing every held registration");
                    return Ok(());
                }
                Err(e) => return Err(format!("control socket: {e}")),
            },
            Some(conn) = ended_rx.recv() => {
                // Only report registrations the daemon still thinks we hold (not the closed ones).
                if closers.remove(&conn).is_some() && !send(&control, Message::Ended(conn)).await? {
                    return Ok(());
                }
            }
        }
    }
}

/// Reports to the daemon. `Ok(false)` when the daemon is gone (it exited or was killed): the
/// holder then ends quietly, like on EOF.
async fn send(control: &ControlSocket, msg: Message) -> Result<bool, String> {
    match control.send(msg, None).await {
        Ok(()) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            debug!("daemon gone while reporting: {e}");
            Ok(false)
        }
        Err(e) => Err(format!("cannot report to the daemon: {e}")),
    }
}

/// Watches one registration socket: any byte, EOF or error ends it (OTP's rule), as does a
/// STOP_REQ close from the daemon. Then the socket is closed and the end reported.
async fn watch(
    conn: ConnId,
    fd: OwnedFd,
    close: oneshot::Receiver<()>,
    ended: mpsc::UnboundedSender<ConnId>,
) {
    let raw = fd.as_raw_fd();
    let std_stream = std::net::TcpStream::from(fd);
    let stream = std_stream
        .set_nonblocking(true)
        .and_then(|()| TcpStream::from_std(std_stream));
    match stream {
        Ok(mut stream) => {
            let mut byte = [0u8; 1];
            tokio::select! {
                got = stream.read(&mut byte) => {
                    debug!(conn, fd = raw, ?got, "registration connection ended");
                    if matches!(got, Ok(n) if n > 0) {
                        // Consume what else arrived, so that closing does not reset the
                        // connection under the peer (as the daemon does).
                        let mut sink = vec![0u8; crate::protocol::INBUF_SIZE];
                        let _ = stream.try_read(&mut sink);
                    }
                }
                _ = close => debug!(conn, "registration closed by STOP_REQ"),
            }
        }
        Err(e) => warn!(conn, error = %e, "cannot watch a handed-over socket; closing it"),
    }
    let _ = ended.send(conn);
}
