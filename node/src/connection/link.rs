//! One established connection: a reader task (frames, ticks, decoding, routing), a writer task
//! (batched writes, ticks every net_ticktime/4), and the handle the rest of the node sends with.

use super::PeerCounters;
use crate::node::NodeInner;
use bytes::BytesMut;
use distproto::control::ControlMessage;
use distproto::dist::{DistLimits, DistReceiver, DistSender};
use distproto::framing::{split32, Frame, TICK};
use distproto::handshake::Established;
use distproto::term::Term;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn, Instrument};

enum Outgoing {
    Message(ControlMessage, Option<Term>),
    Close(String),
}

/// How the rest of the node reaches one connected peer. Cheap to clone.
#[derive(Clone)]
pub(crate) struct LinkHandle {
    pub id: u64,
    pub peer: Arc<Established>,
    pub counters: Arc<PeerCounters>,
    tx: mpsc::UnboundedSender<Outgoing>,
}

impl LinkHandle {
    /// Queues a message for the writer; `false` if the connection is gone.
    pub fn send(&self, control: ControlMessage, payload: Option<Term>) -> bool {
        self.tx.send(Outgoing::Message(control, payload)).is_ok()
    }

    /// Closes the connection; nodedown follows with `reason`.
    pub fn close(&self, reason: &str) {
        let _ = self.tx.send(Outgoing::Close(reason.to_string()));
    }
}

/// Starts the reader and writer of a connection whose handshake left `leftover` bytes unread.
pub(crate) fn spawn_link(
    node: Arc<NodeInner>,
    stream: TcpStream,
    leftover: BytesMut,
    peer: Established,
    id: u64,
) -> LinkHandle {
    let _ = stream.set_nodelay(true);
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = LinkHandle {
        id,
        peer: Arc::new(peer),
        counters: Arc::new(PeerCounters::default()),
        tx,
    };
    let (read_half, write_half) = stream.into_split();
    let (stop_tx, stop_rx) = watch::channel(None::<String>);
    let span = tracing::info_span!("peer", node = %handle.peer.peer_name);
    let ticktime = node.config.net_ticktime;
    let writer = tokio::spawn(
        write_loop(
            write_half,
            rx,
            DistSender::new(handle.peer.flags),
            handle.counters.clone(),
            ticktime / 4,
            stop_tx.clone(),
            stop_rx.clone(),
        )
        .instrument(span.clone()),
    );
    let reader_handle = handle.clone();
    tokio::spawn(
        async move {
            let reason = read_loop(&node, &reader_handle, read_half, leftover, stop_rx).await;
            let _ = stop_tx.send(Some(reason.clone()));
            let _ = writer.await;
            info!(%reason, "connection down");
            node.link_down(&reader_handle, &reason);
        }
        .instrument(span),
    );
    handle
}

/// Reads until the connection fails or is stopped; returns the nodedown reason.
async fn read_loop(
    node: &Arc<NodeInner>,
    link: &LinkHandle,
    mut read: OwnedReadHalf,
    mut buf: BytesMut,
    mut stop: watch::Receiver<Option<String>>,
) -> String {
    let mut receiver = DistReceiver::new(link.peer.flags, DistLimits::default());
    let ticktime = node.config.net_ticktime;
    let max_packet = node.config.max_packet;
    loop {
        loop {
            let (is_tick, used) = match split32(&buf, max_packet) {
                Ok(Some((Frame::Tick, used))) => (true, used),
                Ok(Some((Frame::Packet(_), used))) => (false, used),
                Ok(None) => break,
                Err(e) => {
                    warn!(error = %e, "closing connection");
                    return format!("bad frame: {e}");
                }
            };
            let frame = buf.split_to(used).freeze();
            if is_tick {
                link.counters.tick_in();
                continue;
            }
            match receiver.receive(frame.slice(4..), 0) {
                Ok(Some(message)) => {
                    link.counters.message_in();
                    node.route_incoming(link, message);
                }
                Ok(None) => {}
                Err(e) => {
                    warn!(error = %e, "invalid distribution message; closing connection");
                    return format!("invalid distribution message: {e}");
                }
            }
        }
        if buf.capacity() - buf.len() < 64 * 1024 {
            buf.reserve(256 * 1024);
        }
        tokio::select! {
            read = tokio::time::timeout(ticktime, read.read_buf(&mut buf)) => match read {
                Err(_) => {
                    warn!("** Node {} not responding ** ** Removing (timedout) connection **", link.peer.peer_name);
                    return "net_tick_timeout".into();
                }
                Ok(Ok(0)) => return "connection_closed".into(),
                Ok(Ok(n)) => link.counters.read(n),
                Ok(Err(e)) => return format!("read error: {e}"),
            },
            _ = stop.changed() => return stop.borrow().clone().unwrap_or_else(|| "stopped".into()),
        }
    }
}

async fn write_loop(
    mut write: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    mut sender: DistSender,
    counters: Arc<PeerCounters>,
    tick_every: Duration,
    stop_tx: watch::Sender<Option<String>>,
    mut stop: watch::Receiver<Option<String>>,
) {
    let mut out = Vec::with_capacity(64 * 1024);
    let mut ticker = tokio::time::interval(tick_every.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut wrote_since_tick = false;
    loop {
        let first = tokio::select! {
            item = rx.recv() => item,
            _ = ticker.tick() => {
                if !wrote_since_tick {
                    if write.write_all(&TICK).await.is_err() {
                        let _ = stop_tx.send(Some("write error".into()));
                        return;
                    }
                    counters.tick_out();
                    counters.wrote(TICK.len());
                }
                wrote_since_tick = false;
                continue;
            }
            _ = stop.changed() => return,
        };
        // Batch: everything already queued goes out in one write.
        let mut item = first;
        let mut messages = 0u64;
        out.clear();
        loop {
            match item {
                None => return,
                Some(Outgoing::Close(reason)) => {
                    if !out.is_empty() {
                        let _ = write.write_all(&out).await;
                    }
                    let _ = stop_tx.send(Some(reason));
                    return;
                }
                Some(Outgoing::Message(control, payload)) => {
                    match sender.encode(&control, payload.as_ref(), &mut out) {
                        Ok(()) => messages += 1,
                        Err(e) => {
                            debug!(error = %e, op = control.op(), "message not sent: cannot encode")
                        }
                    }
                }
            }
            if out.len() >= 1 << 20 {
                break;
            }
            match rx.try_recv() {
                Ok(next) => item = Some(next),
                Err(_) => break,
            }
        }
        if out.is_empty() {
            continue;
        }
        if let Err(e) = write.write_all(&out).await {
            let _ = stop_tx.send(Some(format!("write error: {e}")));
            return;
        }
        wrote_since_tick = true;
        counters.wrote(out.len());
        counters.messages_out(messages);
        if out.capacity() > 4 << 20 {
            out = Vec::with_capacity(64 * 1024);
        }
    }
}
