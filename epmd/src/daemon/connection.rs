//! One client connection of the daemon: read one request (bounded, with the packet timeout),
//! carry out the handler's outcome, and for registrations wait until the node goes away.

use super::holders::{self, Placement};
use super::state::Shared;
use crate::access::is_local_peer;
use crate::handler::{Outcome, RequestContext};
use crate::protocol::{
    FrameStatus, RequestFrame, ALIVE2_REQ, DUMP_REQ, INBUF_SIZE, KILL_REQ, STOP_REQ,
};
use crate::registry::{ConnId, RegisterError};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tracing::{debug, info, warn, Instrument};

/// The request context for a connection; `getsockname` only when the request is local-only and
/// the peer is not loopback, the clock only for registrations (the creation seed).
pub fn context(
    shared: &Shared,
    conn: ConnId,
    payload: &[u8],
    fd: i32,
    peer: SocketAddr,
    local_addr: impl FnOnce() -> std::io::Result<SocketAddr>,
) -> RequestContext {
    let peer_ip = peer.ip().to_canonical();
    // Only ALIVE2, DUMP, KILL and STOP are judged by it: skip getsockname for the others.
    let judged = matches!(
        payload.first(),
        Some(&(ALIVE2_REQ | DUMP_REQ | KILL_REQ | STOP_REQ))
    );
    let local_peer = peer_ip.is_loopback()
        || (judged && local_addr().is_ok_and(|local| is_local_peer(peer_ip, local.ip())));
    RequestContext {
        local_peer,
        relaxed: shared.config.relaxed,
        epmd_port: shared.config.reply_port(),
        conn,
        fd,
        now_unix: if payload.first() == Some(&ALIVE2_REQ) {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        } else {
            0
        },
    }
}

/// Serves an accepted connection to its end, continuing from `frame` (bytes already read);
/// errors only close this connection.
pub async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    conn: ConnId,
    frame: RequestFrame,
) {
    let span = tracing::debug_span!("conn", id = conn, %peer);
    async move {
        debug!("serving");
        let Some(frame) = read_request(&mut stream, &shared, frame).await else {
            return;
        };
        let ctx = context(
            &shared,
            conn,
            frame.payload(),
            stream.as_raw_fd(),
            peer,
            || stream.local_addr(),
        );
        let (outcome, closed) = shared.handle(frame.payload(), &ctx);
        drop(frame);
        carry_out(stream, &shared, conn, outcome, closed).await
    }
    .instrument(span)
    .await
}

/// Carries out a decided outcome on the async path (registrations, STOP, KILL, big replies).
pub async fn carry_out(
    mut stream: TcpStream,
    shared: &Arc<Shared>,
    conn: ConnId,
    outcome: Outcome,
    closed: Option<oneshot::Receiver<()>>,
) {
    match outcome {
        Outcome::Close(why) => debug!("closing without reply: {why}"),
        Outcome::Reply(bytes) => {
            if let Err(e) = reply(&mut stream, shared, &bytes).await {
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
            if let Err(e) = reply(&mut stream, shared, &bytes).await {
                debug!(error = %e, "failed to send ALIVE2 reply; unregistering");
                if let Some(name) = name {
                    shared.unregister_name(&name, conn);
                }
                return;
            }
            let Some(name) = registered else {
                // A refusal: the connection stays open until the node closes it, as in OTP.
                keep_registration(&mut stream, closed).await;
                return;
            };
            match shared.place_registration() {
                Placement::HandOver => holders::hand_over(shared, conn, name, stream),
                Placement::Local => {
                    keep_registration(&mut stream, closed).await;
                    drop(stream);
                    shared.local_ended();
                    if shared.unregister_conn(&name, conn) {
                        debug!(%name, "unregistered");
                    }
                }
            }
        }
        Outcome::Stop { reply: bytes, .. } => {
            if let Err(e) = reply(&mut stream, shared, bytes).await {
                debug!(error = %e, "failed to send STOP reply");
            }
        }
        Outcome::Kill => {
            if let Err(e) = reply(&mut stream, shared, b"OK").await {
                debug!(error = %e, "failed to send reply to KILL_REQ");
            }
            let _ = stream.shutdown().await;
            info!("got KILL_REQ - terminates normal");
            std::process::exit(0);
        }
    }
}

/// Reads one request, or logs why not and returns `None`.
async fn read_request(
    stream: &mut TcpStream,
    shared: &Shared,
    mut frame: RequestFrame,
) -> Option<RequestFrame> {
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
