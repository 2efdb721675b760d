//! The accept loop of one listening socket: accept4 non-blocking, try the synchronous fast path,
//! and hand everything else to a task. Running out of descriptors backs off instead of spinning.

use super::connection;
use super::fast_path::{try_serve, FastPath};
use super::state::Shared;
use crate::handler::Outcome;
use crate::protocol::RequestFrame;
use socket2::SockAddr;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::AsyncWriteExt;
use tokio::io::Interest;
use tracing::{debug, warn, Instrument};

/// Connections accepted per wake-up before yielding to other tasks.
const ACCEPT_BATCH: usize = 64;

/// Accepts one connection, non-blocking and close-on-exec.
fn accept4(listener: &TcpListener) -> std::io::Result<(std::net::TcpStream, SocketAddr)> {
    // SAFETY: accept4 fills at most `len` bytes of the storage socket2 provides; the returned
    // descriptor is new and owned by the TcpStream we wrap it in.
    let (fd, addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            let fd = libc::accept4(
                listener.as_raw_fd(),
                storage.cast(),
                len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            );
            if fd < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(fd)
            }
        })?
    };
    let stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    let peer = addr
        .as_socket()
        .ok_or_else(|| std::io::Error::other("accepted a non-IP peer"))?;
    Ok((stream, peer))
}

/// Accepts forever on `listener`.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // SAFETY: the TcpListener owns its descriptor for as long as the AsyncFd holds it.
    let listener = match unsafe { AsyncFd::register_with_interest(listener, Interest::READABLE) } {
        Ok(l) => l,
        Err(e) => {
            warn!(error = %e, "cannot watch listening socket");
            return;
        }
    };
    let mut frame = RequestFrame::new();
    loop {
        let Ok(mut ready) = listener.readable().await else {
            return;
        };
        for _ in 0..ACCEPT_BATCH {
            match accept4(listener.get_ref()) {
                Ok((stream, peer)) => dispatch(stream, peer, &shared, &mut frame).await,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    ready.clear_ready();
                    break;
                }
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    warn!(error = %e, "accept failed: out of file descriptors");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    break;
                }
                Err(e) => {
                    debug!(error = %e, "error in accept");
                    break;
                }
            }
        }
        drop(ready);
        tokio::task::yield_now().await;
    }
}

async fn dispatch(
    stream: std::net::TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    frame: &mut RequestFrame,
) {
    let conn = shared.next_conn();
    if let Some(delay) = shared.config.delay_accept {
        tokio::time::sleep(delay).await;
    }
    let fast = if shared.config.delay_write.is_none() {
        try_serve(&stream, peer, shared, conn, frame)
    } else {
        FastPath::Pending(RequestFrame::new())
    };
    if let FastPath::Done = fast {
        return;
    }
    let stream = match tokio::net::TcpStream::from_std(stream) {
        Ok(s) => s,
        Err(e) => {
            debug!(conn, error = %e, "cannot register connection");
            if let FastPath::Decided(
                Outcome::Alive2 {
                    registered: Some(name),
                    ..
                },
                _,
            ) = &fast
            {
                shared.unregister_conn(name, conn);
            }
            return;
        }
    };
    let shared = shared.clone();
    match fast {
        FastPath::Done => {}
        FastPath::Pending(frame) => {
            tokio::spawn(connection::serve(stream, peer, shared, conn, frame));
        }
        FastPath::Decided(outcome, closed) => {
            let span = tracing::debug_span!("conn", id = conn, %peer);
            tokio::spawn(
                async move { connection::carry_out(stream, &shared, conn, outcome, closed).await }
                    .instrument(span),
            );
        }
        FastPath::WriteRest(rest) => {
            tokio::spawn(async move {
                let mut stream = stream;
                if let Err(e) = stream.write_all(&rest).await {
                    debug!(conn, error = %e, "failed to send reply");
                }
            });
        }
    }
}
