//! Serves a lookup without the event loop when its request is already complete at accept: read,
//! answer and close on the non-blocking socket. Anything that must wait goes to the async path.

use super::state::Shared;
use crate::handler::Outcome;
use crate::protocol::{FrameStatus, RequestFrame};
use crate::registry::ConnId;
use bytes::Bytes;
use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use tokio::sync::oneshot;
use tracing::debug;

/// What is left to do after the synchronous attempt.
pub enum FastPath {
    /// Answered (or closed for cause): drop the socket.
    Done,
    /// The request is not complete yet: continue reading asynchronously.
    Pending(RequestFrame),
    /// Decided, but carrying it out may wait (registration, STOP, KILL).
    Decided(Outcome, Option<oneshot::Receiver<()>>),
    /// The reply did not fit the socket buffer at once: write the rest asynchronously.
    WriteRest(Bytes),
}

/// Tries to serve `stream` (non-blocking) right now, reading into `frame` (a buffer reused
/// across connections; taken over by the async path when the request is incomplete).
pub fn try_serve(
    stream: &TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    conn: ConnId,
    frame: &mut RequestFrame,
) -> FastPath {
    frame.reset();
    let mut reader = stream;
    loop {
        match reader.read(frame.spare()) {
            Ok(0) => {
                debug!(conn, %peer, got = frame.received(), "got partial packet only");
                return FastPath::Done;
            }
            Ok(n) => match frame.filled(n) {
                Ok(FrameStatus::Complete) => break,
                Ok(FrameStatus::Incomplete) => {}
                Err(e) => {
                    debug!(conn, %peer, "{e}");
                    return FastPath::Done;
                }
            },
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return FastPath::Pending(std::mem::take(frame))
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                debug!(conn, %peer, error = %e, "error in read");
                return FastPath::Done;
            }
        }
    }
    let ctx = super::connection::context(
        shared,
        conn,
        frame.payload(),
        stream.as_raw_fd(),
        peer,
        || stream.local_addr(),
    );
    let (outcome, closed) = shared.handle(frame.payload(), &ctx);
    match outcome {
        Outcome::Close(why) => {
            debug!(conn, %peer, "closing without reply: {why}");
            FastPath::Done
        }
        Outcome::Reply(bytes) => {
            let mut sent = 0;
            while sent < bytes.len() {
                match send_before_close(stream, &bytes[sent..]) {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return FastPath::WriteRest(bytes.slice(sent..))
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => {
                        debug!(conn, %peer, error = %e, "failed to send reply");
                        return FastPath::Done;
                    }
                }
            }
            FastPath::Done
        }
        other => FastPath::Decided(other, closed),
    }
}

/// Sends with MSG_MORE: the socket is closed right after, so the kernel sends the reply and the
/// FIN together in one segment instead of two (less work for both ends).
fn send_before_close(stream: &TcpStream, bytes: &[u8]) -> std::io::Result<usize> {
    // SAFETY: plain send(2) on a descriptor we own, from a live slice.
    let n = unsafe {
        libc::send(
            stream.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_MORE | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
