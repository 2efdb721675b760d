//! A quick comparison of daemons under lookups: registers N nodes, then runs PORT2 or NAMES
//! requests from C concurrent connections for S seconds and prints requests/s and the daemon's
//! CPU time per request (from /proc). Usage:
//! `lookup_bench PORT DAEMON_PID port2|names [NODES=10] [CONCURRENCY=8] [SECONDS=5]`

use epmd::protocol::request::{encode_code, encode_named};
use epmd::{Alive2Params, EpmdClient};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let port: u16 = arg(0, "4369").parse().unwrap();
    let pid: u32 = arg(1, "0").parse().unwrap();
    let mode = arg(2, "port2");
    let nodes: usize = arg(3, "10").parse().unwrap();
    let conc: usize = arg(4, "8").parse().unwrap();
    let secs: u64 = arg(5, "5").parse().unwrap();
    let client = EpmdClient::localhost_v4(port);
    let mut regs = Vec::new();
    for i in 0..nodes {
        let name = format!("bench_{}_{i}", std::process::id());
        regs.push(
            client
                .register(&Alive2Params::new(name, 20000 + i as u16))
                .await
                .unwrap(),
        );
    }
    let request = if mode == "names" {
        encode_code(b'n')
    } else {
        encode_named(
            b'z',
            format!("bench_{}_{}", std::process::id(), nodes / 2).as_bytes(),
        )
    };
    // Lookups may target another loopback address (BENCH_HOST=127.0.0.2) so that their
    // ephemeral ports do not compete with the registrations' ones.
    let host = Arc::new(std::env::var("BENCH_HOST").unwrap_or_else(|_| "127.0.0.1".into()));
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let t0 = cpu_ticks(pid);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (stop, count, request, host) =
            (stop.clone(), count.clone(), request.clone(), host.clone());
        tasks.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 1 << 16];
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut s) = TcpStream::connect((host.as_str(), port)).await else {
                    continue;
                };
                if s.write_all(&request).await.is_err() {
                    continue;
                }
                let mut got = 0;
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                if got > 0 {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let ticks = cpu_ticks(pid) - t0;
    let n = count.load(Ordering::Relaxed);
    let hz = 100.0;
    println!(
        "{mode}: {n} requests in {elapsed:.1}s = {:.0}/s; daemon CPU {:.2}s = {:.1} us/request",
        n as f64 / elapsed,
        ticks as f64 / hz,
        ticks as f64 / hz * 1e6 / n.max(1) as f64
    );
    drop(regs);
}
