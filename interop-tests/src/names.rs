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

/// A TCP port that is currently free on both 127.0.0.1 and ::1 (EPMD daemons bind both).
pub fn free_port() -> u16 {
    loop {
        let v4 = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port on 127.0.0.1");
        let port = v4.local_addr().expect("local address").port();
        if TcpListener::bind(("::1", port)).is_ok() || TcpListener::bind("[::1]:0").is_err() {
            return port;
        }
    }
}
