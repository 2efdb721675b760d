//! Per-peer traffic counters, updated by the connection's reader and writer without locks and
//! readable at any time through `Node::peer_stats`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub(crate) struct PeerCounters {
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    ticks_in: AtomicU64,
    ticks_out: AtomicU64,
    last_seen_ms: AtomicU64,
}

/// A snapshot of one peer's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerStats {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub messages_in: u64,
    pub messages_out: u64,
    pub ticks_in: u64,
    pub ticks_out: u64,
    /// When anything last arrived from the peer, in milliseconds since the Unix epoch.
    pub last_seen_ms: u64,
}

impl PeerCounters {
    pub fn read(&self, bytes: usize) {
        self.bytes_in.fetch_add(bytes as u64, Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        self.last_seen_ms.store(now, Relaxed);
    }
    pub fn wrote(&self, bytes: usize) {
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }
    pub fn message_in(&self) {
        self.messages_in.fetch_add(1, Relaxed);
    }
    pub fn messages_out(&self, n: u64) {
        self.messages_out.fetch_add(n, Relaxed);
    }
    pub fn tick_in(&self) {
        self.ticks_in.fetch_add(1, Relaxed);
    }
    pub fn tick_out(&self) {
        self.ticks_out.fetch_add(1, Relaxed);
    }
    pub fn snapshot(&self) -> PeerStats {
        PeerStats {
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            messages_in: self.messages_in.load(Relaxed),
            messages_out: self.messages_out.load(Relaxed),
            ticks_in: self.ticks_in.load(Relaxed),
            ticks_out: self.ticks_out.load(Relaxed),
            last_seen_ms: self.last_seen_ms.load(Relaxed),
        }
    }
}
