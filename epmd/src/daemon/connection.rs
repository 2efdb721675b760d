//! One client connection of the daemon: read one request (bounded, with the packet timeout),
//! carry out the handler's outcome, and for registrations wait until the node goes away.

use super::state::Shared;
use crate::access::is_local_peer;
use crate::handler::{Outcome, RequestContext};
use crate::protocol::{FrameStatus, RequestFrame, INBUF_SIZE};
use crate::registry::{ConnId, RegisterError};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tracing::{debug, info, warn, Instrument};

/// Serves one accepted connection to its end; errors only close this connection.
pub async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, conn: ConnId) {
    let span = tracing::debug_span!("conn", id = conn, %peer);
    serve_inner(stream, peer, shared, conn)
        .instrument(span)
        .await
}

async fn serve_inner(mut stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, conn: ConnId) {
    let local_peer = match stream.local_addr() {
        Ok(local) => is_local_peer(peer.ip(), local.ip()),
        Err(_) => false,
    };
    debug!(local_peer, "connected");
    let Some(frame) = read_request(&mut stream, &shared).await else {
        return;
    };
    let ctx = RequestContext {
        local_peer,
        relaxed: shared.config.relaxed,
        epmd_port: shared.config.reply_port(),
        conn,
        fd: stream.as_raw_fd(),
        now_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let (outcome, closed) = shared.handle(frame.payload(), &ctx);
    drop(frame);
    match outcome {
        Outcome::Close(why) => debug!("closing without reply: {why}"),
        Outcome::Reply(bytes) => {
            if let Err(e) = reply(&mut stream, &shared, &bytes).await {
                debug!(error = %e, "failed to send reply");
            }
        }
        Outcome::Alive2 {
            reply: bytes,
            name,
            registered,
            refused,
        } => {
            match &refused {
                Some(e @ RegisterError::TooManyNodes(..)) => warn!("ALIVE2_REQ refused: {e}"),
                Some(e) => debug!("ALIVE2_REQ refused: {e}"),
                None => debug!(name = registered.as_deref(), "registered"),
            }
            if let Err(e) = reply(&mut stream, &shared, &bytes).await {
                debug!(error = %e, "failed to send ALIVE2 reply; unregistering");
                if let Some(name) = name {
                    shared.unregister_name(&name, conn);
                }
                return;
            }
            keep_registration(&mut stream, closed).await;
            if let Some(name) = registered {
                if shared.unregister_conn(&name, conn) {
                    debug!(%name, "unregistered");
                }
            }
        }
        Outcome::Stop { reply: bytes, .. } => {
            if let Err(e) = reply(&mut stream, &shared, bytes).await {
                debug!(error = %e, "failed to send STOP reply");
            }
        }
        Outcome::Kill => {
            if let Err(e) = reply(&mut stream, &shared, b"OK").await {
                debug!(error = %e, "failed to send reply to KILL_REQ");
            }
            let _ = stream.shutdown().await;
            info!("got KILL_REQ - terminates normal");
            std::process::exit(0);
        }
    }
}

/// Reads one request, or logs why not and returns `None`.
async fn read_request(stream: &mut TcpStream, shared: &Shared) -> Option<RequestFrame> {
    let mut frame = RequestFrame::new();
    loop {
        let read =
            tokio::time::timeout(shared.config.packet_timeout, stream.read(frame.spare())).await;
        let n = match read {
            Err(_) => {
                debug!("closing because timed out on receive");
                return None;
            }
            Ok(Err(e)) => {
                debug!(error = %e, "error in read");
                return None;
            }
            Ok(Ok(0)) => {
                debug!(got = frame.received(), "got partial packet only");
                return None;
            }
            Ok(Ok(n)) => n,
        };
        match frame.filled(n) {
            Ok(FrameStatus::Complete) => return Some(frame),
            Ok(FrameStatus::Incomplete) => {}
            Err(e) => {
                debug!("{e}");
                return None;
            }
        }
    }
}

/// Writes one reply in one piece, after `-delay_write` if set.
async fn reply(stream: &mut TcpStream, shared: &Shared, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(delay) = shared.config.delay_write {
        tokio::time::sleep(delay).await;
    }
    stream.write_all(bytes).await
}

/// Holds a registration connection until the peer sends anything, closes, errs, or STOP_REQ
/// closes it. No timeout applies.
async fn keep_registration(stream: &mut TcpStream, closed: Option<oneshot::Receiver<()>>) {
    let mut byte = [0u8; 1];
    let got = match closed {
        Some(closed) => {
            tokio::select! {
                r = stream.read(&mut byte) => r,
                _ = closed => {
                    debug!("epmd connection stopped");
                    return;
                }
            }
        }
        None => stream.read(&mut byte).await,
    };
    log_end(&got);
    if let Ok(n) = got {
        if n > 0 {
            // Consume what else arrived, as OTP's read of a whole buffer does, so that closing
            // does not reset the connection under the peer.
            let mut sink = vec![0u8; INBUF_SIZE];
            let _ = stream.try_read(&mut sink);
        }
    }
}

fn log_end(r: &std::io::Result<usize>) {
    match r {
        Ok(0) => debug!("registration connection closed"),
        Ok(n) => debug!(n, "got more than expected on ALIVE socket"),
        Err(e) => debug!(error = %e, "error on ALIVE socket"),
    }
}
