//! Unique node names and free TCP ports, so that tests running in parallel never share either.
//! A port from `free_port` is free when returned; bind it soon.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// A node or file name that no other test (in this or another test process) uses: `prefix`, the
/// process id and a counter.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// A TCP port that is currently free on all IPv4 and IPv6 addresses (EPMD daemons bind both).
///
/// Ports come from 20000..32000, below Linux's ephemeral range (32768..), so an outgoing
/// connection of another test can never take the port between this call and the daemon's bind.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Spread processes apart: start from a point derived from the pid and the clock.
    let seed = std::process::id().wrapping_mul(7919)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
    let _ = NEXT.compare_exchange(0, seed | 1, Ordering::Relaxed, Ordering::Relaxed);
    loop {
        let n = NEXT.fetch_add(7, Ordering::Relaxed);
        let port = 20_000 + (n % 12_000) as u16;
        // One at a time: a dual-stack [::] socket also covers IPv4.
        let v4_free = TcpListener::bind(("0.0.0.0", port)).is_ok();
        let v6_free =
            TcpListener::bind(("::", port)).is_ok() || TcpListener::bind("[::1]:0").is_err();
        if v4_free && v6_free {
            return port;
        }
    }
}
