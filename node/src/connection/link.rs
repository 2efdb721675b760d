//! One established connection: a reader task (frames, ticks, decoding, routing), the sending side
//! (senders encode into the connection's output buffer; large batches are written by the sender
//! itself, the rest by a writer task that also ticks every net_ticktime/4), and the handle the
//! rest of the node sends with. Nothing here blocks: writes from senders never wait for the
//! socket, and a write that must wait does so in the writer task, which a stop always ends.

use super::decoder::FrameDecoder;
use super::encoder::FrameEncoder;
use super::moderation::{Moderation, PAUSE};
use super::pause::Pause;
use super::payload::Payload;
use super::PeerCounters;
use crate::node::NodeInner;
use bytes::BytesMut;
use distproto::control::ControlMessage;
use distproto::dist::DistLimits;
use distproto::framing::{split32, Frame, TICK};
use distproto::handshake::Established;
use distproto::term::Term;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tracing::{debug, info, warn, Instrument};

/// A sender writes the output buffer itself once it holds this many bytes and the writer task
/// is not writing: one system call for many messages, without waiting for the writer task.
const DIRECT_WRITE_BYTES: usize = 64 * 1024;

/// A message that finds the connection idle is written by its sender at once (no hand-over to
/// the writer task, which matters for round trips), unless the previous such write was less
/// than this long ago: then the sender is streaming, and its messages are batched.
const DIRECT_WRITE_GAP: Duration = Duration::from_micros(20);

/// What is waiting to go out on the socket, and who is writing it. Guarded by `Shared::out`.
struct Out {
    /// Encoded frames; `buf[start..]` is not yet written.
    buf: Vec<u8>,
    start: usize,
    /// Messages encoded since the counters were last updated.
    messages: u64,
    sender: FrameEncoder,
    /// `None` once the connection is closing or down: nothing more is queued.
    socket: Option<Arc<OwnedWriteHalf>>,
    /// The writer task has taken bytes out of `buf` and is writing them: nobody else writes.
    writing: bool,
    /// The writer task has been woken and will look at `buf`.
    flush_requested: bool,
    /// Something was written since the writer's last tick check.
    wrote_since_tick: bool,
    /// `close` was called with this reason: the writer flushes, then ends the connection.
    closing: Option<String>,
    /// When a sender last wrote a message that found the connection idle.
    last_direct: Instant,
}

impl Out {
    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Marks `n` pending bytes as written.
    fn advance(&mut self, n: usize) {
        self.start += n;
        if self.start >= self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }
}

/// How the rest of the node reaches one connected peer. Cheap to clone (one reference count).
#[derive(Clone)]
pub(crate) struct LinkHandle(Arc<Link>);

pub(crate) struct Link {
    pub id: u64,
    pub peer: Established,
    pub counters: PeerCounters,
    out: Mutex<Out>,
    /// Wakes the writer task (flush requested, or closing).
    wake: Notify,
}

impl std::ops::Deref for LinkHandle {
    type Target = Link;
    fn deref(&self) -> &Link {
        &self.0
    }
}

impl Link {
    fn lock(&self) -> MutexGuard<'_, Out> {
        self.out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl LinkHandle {
    /// Encodes a message into the connection's output; `false` if the connection is gone. Never
    /// waits: the bytes go out from here when a batch is large enough and the socket takes
    /// them, otherwise the writer task sends them.
    pub fn send(&self, control: ControlMessage, payload: Option<Term>) -> bool {
        self.send_more(control, payload.map(Payload::Term), false)
    }

    /// [`LinkHandle::send`] from a sender that knows it will send again at once (a server with
    /// more requests waiting, about to reply to them): when `more_follows`, a message that
    /// finds the connection idle is left to the writer task rather than written at once, so
    /// that the messages that follow go out with it in one write (and the peer reads them at
    /// once). The writer task runs as soon as the sender's task yields.
    pub fn send_more(
        &self,
        control: ControlMessage,
        payload: Option<Payload<'_>>,
        more_follows: bool,
    ) -> bool {
        let mut out = self.lock();
        let out = &mut *out;
        if out.socket.is_none() || out.closing.is_some() {
            return false;
        }
        let idle =
            !more_follows && out.pending().is_empty() && !out.writing && !out.flush_requested;
        match out
            .sender
            .encode_payload(&control, payload.as_ref(), &mut out.buf)
        {
            Ok(()) => out.messages += 1,
            Err(e) => {
                debug!(error = %e, op = control.op(), "message not sent: cannot encode");
                return true;
            }
        }
        if !out.writing && out.pending().len() >= DIRECT_WRITE_BYTES {
            self.write_now(out);
        } else if idle {
            let now = Instant::now();
            if now.saturating_duration_since(out.last_direct) >= DIRECT_WRITE_GAP {
                out.last_direct = now;
                self.write_now(out);
            }
        }
        if !out.pending().is_empty() && !out.flush_requested {
            out.flush_requested = true;
            self.wake.notify_one();
        }
        true
    }

    /// Writes as much of the pending output as the socket takes without waiting.
    fn write_now(&self, out: &mut Out) {
        let Some(socket) = out.socket.clone() else {
            return;
        };
        while !out.pending().is_empty() {
            match socket.try_write(out.pending()) {
                Ok(n) if n > 0 => {
                    out.advance(n);
                    self.counters.wrote(n);
                    out.wrote_since_tick = true;
                }
                // A write error (or a zero write) is for the writer task to find and report.
                _ => break,
            }
        }
        if out.messages > 0 {
            self.counters.messages_out(out.messages);
            out.messages = 0;
        }
    }

    /// Closes the connection once what is queued is written; nodedown follows with `reason`.
    pub fn close(&self, reason: &str) {
        let mut out = self.lock();
        if out.closing.is_none() {
            out.closing = Some(reason.to_string());
        }
        drop(out);
        self.wake.notify_one();
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
    let (read_half, write_half) = stream.into_split();
    let socket = Arc::new(write_half);
    let handle = LinkHandle(Arc::new(Link {
        id,
        counters: PeerCounters::default(),
        out: Mutex::new(Out {
            buf: Vec::with_capacity(64 * 1024),
            start: 0,
            messages: 0,
            sender: FrameEncoder::new(peer.flags),
            socket: Some(socket.clone()),
            writing: false,
            flush_requested: false,
            wrote_since_tick: false,
            closing: None,
            last_direct: Instant::now(),
        }),
        wake: Notify::new(),
        peer,
    }));
    let (stop_tx, stop_rx) = watch::channel(None::<String>);
    let span = tracing::info_span!("peer", node = %handle.peer.peer_name);
    let ticktime = node.config.net_ticktime;
    let writer = tokio::spawn(
        write_loop(
            handle.clone(),
            socket,
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
            // The writer ends at the stop (a write waiting for a stalled peer included).
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
    let mut receiver = FrameDecoder::new(link.peer.flags, DistLimits::default());
    let ticktime = node.config.net_ticktime;
    let max_packet = node.config.max_packet;
    let socket = std::os::fd::AsRawFd::as_raw_fd(read.as_ref());
    let mut moderation = Moderation::new(Instant::now());
    let mut pause = Pause::new()
        .map_err(|e| debug!(error = %e, "reads are not moderated: no pause timer"))
        .ok();
    loop {
        // Messages (ticks included) taken from what the last read brought.
        let mut messages = 0;
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
            messages += 1;
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
        moderation.read(messages, Instant::now());
        if moderation.pausing() {
            if let Some(timer) = &pause {
                if let Err(e) = timer.pause(socket, PAUSE).await {
                    debug!(error = %e, "reads are no longer moderated: pause failed");
                    pause = None;
                }
            }
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

/// Writes all of `bytes`, waiting for the socket as needed.
async fn write_all(socket: &OwnedWriteHalf, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match socket.try_write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.writable().await?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// What woke the writer task.
enum Wakeup {
    Flush,
    Tick,
}

/// The writer task: writes what senders left in the output buffer, ticks when the connection
/// was otherwise silent for a tick period, and closes the connection on `close`. It ends at the
/// stop signal even while waiting for the socket; the output side is then marked gone.
async fn write_loop(
    link: LinkHandle,
    socket: Arc<OwnedWriteHalf>,
    tick_every: Duration,
    stop_tx: watch::Sender<Option<String>>,
    mut stop: watch::Receiver<Option<String>>,
) {
    let reason = tokio::select! {
        reason = write_until_error(&link, &socket, tick_every) => Some(reason),
        _ = stop.changed() => None,
    };
    {
        let mut out = link.lock();
        out.socket = None;
        out.buf = Vec::new();
        out.start = 0;
    }
    if let Some(reason) = reason {
        let _ = stop_tx.send(Some(reason));
    }
}

/// The writer's work until the connection must end; returns the reason.
async fn write_until_error(
    link: &LinkHandle,
    socket: &OwnedWriteHalf,
    tick_every: Duration,
) -> String {
    let mut ticker = tokio::time::interval(tick_every.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut spare: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        let wakeup = tokio::select! {
            _ = link.wake.notified() => Wakeup::Flush,
            _ = ticker.tick() => Wakeup::Tick,
        };
        if let Wakeup::Tick = wakeup {
            let mut out = link.lock();
            if !out.wrote_since_tick && out.pending().is_empty() && !out.writing {
                out.buf.extend_from_slice(&TICK);
                link.counters.tick_out();
            }
            out.wrote_since_tick = false;
        }
        // Write until the buffer is empty, taking it out of the lock for each write.
        loop {
            let (start, messages) = {
                let mut out = link.lock();
                out.flush_requested = false;
                if out.pending().is_empty() {
                    out.writing = false;
                    if let Some(reason) = out.closing.clone() {
                        return reason;
                    }
                    break;
                }
                let start = out.start;
                spare.clear();
                std::mem::swap(&mut out.buf, &mut spare);
                out.start = 0;
                out.writing = true;
                (start, std::mem::take(&mut out.messages))
            };
            if let Err(e) = write_all(socket, &spare[start..]).await {
                return format!("write error: {e}");
            }
            link.counters.wrote(spare.len() - start);
            link.counters.messages_out(messages);
            {
                let mut out = link.lock();
                out.writing = false;
                // A tick alone does not count as traffic for the next tick decision.
                if spare[start..] != TICK {
                    out.wrote_since_tick = true;
                }
            }
            if spare.capacity() > 4 << 20 {
                spare = Vec::with_capacity(64 * 1024);
            }
        }
    }
}
