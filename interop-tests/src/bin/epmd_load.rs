//! EPMD load generator: starts OTP's epmd and ours on private loopback ports in the same run and
//! prints lookup latency, NAMES throughput, daemon CPU per request and registrations held, with ratios.
//!
//! Run: `cargo run --release -p interop-tests --bin epmd_load` (bounded; a few minutes at most).

use interop_tests::epmd_wire;
use interop_tests::{ChildGuard, EpmdDaemon, EpmdKind};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;

/// Loopback source addresses used round-robin (bind before connect), so held registrations and
/// lookups never run out of ephemeral ports on one source address.
const SOURCES: u8 = 16;
/// Names registered while lookups and NAMES are measured.
const NAMES_REGISTERED: usize = 100;
/// Lookup runs: (concurrent clients, total lookups).
const LOOKUP_RUNS: [(usize, usize); 3] = [(1, 2_000), (16, 10_000), (256, 10_000)];
/// NAMES requests measured, and their concurrency.
const NAMES_REQUESTS: usize = 5_000;
const NAMES_CLIENTS: usize = 16;
/// Upper bound on registrations opened in the capacity run.
const REGISTRATION_CAP: usize = 60_000;
/// A reply slower than this counts as a failure (refusal) in the capacity run.
const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Default, Clone)]
struct Report {
    /// (clients, p50 µs, p99 µs, failures) per lookup run.
    lookups: Vec<(usize, f64, f64, usize)>,
    cpu_us_per_lookup: f64,
    /// The user-space part (utime) of `cpu_us_per_lookup`; the rest is kernel time.
    user_us_per_lookup: f64,
    names_per_sec: f64,
    cpu_us_per_names: f64,
    held: usize,
    held_stop: String,
    lookup_while_holding: String,
}

/// Each measurement is repeated this many times, alternating daemons; the median is reported.
const ROUNDS: usize = 5;

/// A daemon under measurement with its held names.
struct Target {
    label: &'static str,
    guard: ChildGuard,
    addr: SocketAddr,
    held: Vec<TcpStream>,
}

fn main() {
    let nofile = raise_nofile();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ours = our_binary();
    println!(
        "epmd_load: RLIMIT_NOFILE {nofile} (generator and daemons); {ROUNDS} alternating rounds, medians"
    );
    // Both daemons start before any load: the generator's own connections take ephemeral
    // ports, one of which could otherwise be the port picked for the second daemon.
    let daemons: Vec<_> = [
        ("otp", EpmdKind::Otp, PathBuf::from("/usr/bin/epmd")),
        ("ours", EpmdKind::Ours, ours),
    ]
    .into_iter()
    .map(|(label, kind, program)| {
        println!("{label}: {}", program.display());
        let (guard, addr) = start_daemon(kind, &program);
        (label, guard, addr)
    })
    .collect();
    let reports = rt.block_on(async {
        let mut targets = Vec::new();
        for (label, guard, addr) in daemons {
            let mut held = Vec::new();
            for i in 0..NAMES_REGISTERED {
                held.push(
                    register(addr, i, &format!("node{i}"))
                        .await
                        .expect("register the names used by the lookup runs"),
                );
            }
            targets.push(Target {
                label,
                guard,
                addr,
                held,
            });
        }
        measure(&mut targets, nofile).await
    });
    print_table(&reports[0], &reports[1], nofile);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs every measurement, alternating between the targets each round.
async fn measure(targets: &mut [Target], nofile: u64) -> Vec<Report> {
    let mut reports = vec![Report::default(); targets.len()];
    for (clients, total) in LOOKUP_RUNS {
        let mut samples = vec![(Vec::new(), Vec::new(), Vec::new(), 0usize); targets.len()];
        let mut user = vec![Vec::new(); targets.len()];
        for _ in 0..ROUNDS {
            for (t, target) in targets.iter().enumerate() {
                let pid = target.guard.pid();
                let cpu_before = cpu_us(pid);
                let user_before = user_ticks(pid);
                let (latencies, failures) = lookups(target.addr, clients, total).await;
                let cpu = cpu_us(pid) - cpu_before;
                user[t].push(ticks_to_us(user_ticks(pid) - user_before) / total as f64);
                let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
                println!(
                    "{:4} lookups x{total} @{clients}: p50 {p50:.0} µs, p99 {p99:.0} µs, {failures} failed, daemon cpu {:.0} ms",
                    target.label,
                    cpu / 1000.0
                );
                samples[t].0.push(p50);
                samples[t].1.push(p99);
                samples[t].2.push(cpu / total as f64);
                samples[t].3 += failures;
            }
        }
        for (t, (p50s, p99s, cpus, failures)) in samples.into_iter().enumerate() {
            let user = std::mem::take(&mut user[t]);
            reports[t]
                .lookups
                .push((clients, median(p50s), median(p99s), failures));
            if clients == 16 {
                reports[t].cpu_us_per_lookup = median(cpus);
                // Mean over rounds: a 10 ms tick is coarse against one round's user time.
                reports[t].user_us_per_lookup = user.iter().sum::<f64>() / user.len().max(1) as f64;
            }
        }
    }
    let mut rates = vec![(Vec::new(), Vec::new()); targets.len()];
    for _ in 0..ROUNDS {
        for (t, target) in targets.iter().enumerate() {
            let pid = target.guard.pid();
            let cpu_before = cpu_us(pid);
            let started = Instant::now();
            let failures = names_run(target.addr).await;
            let elapsed = started.elapsed();
            let cpu = cpu_us(pid) - cpu_before;
            let rate = NAMES_REQUESTS as f64 / elapsed.as_secs_f64();
            println!(
                "{:4} NAMES x{NAMES_REQUESTS} @{NAMES_CLIENTS}: {rate:.0}/s, {failures} failed, daemon cpu {:.0} ms",
                target.label,
                cpu / 1000.0
            );
            rates[t].0.push(rate);
            rates[t].1.push(cpu / NAMES_REQUESTS as f64);
        }
    }
    for (t, (rate, cpu)) in rates.into_iter().enumerate() {
        reports[t].names_per_sec = median(rate);
        reports[t].cpu_us_per_names = median(cpu);
    }
    for (t, target) in targets.iter_mut().enumerate() {
        target.held.clear();
        // Past this process's own descriptors the registrations come from the flood tool's
        // child processes (each under the machine's hard limit), so both daemons are asked
        // for REGISTRATION_CAP whatever RLIMIT_NOFILE is.
        let (count, stop, lookup_ok) = match flood_tool() {
            Some(tool) => flood(&tool, target.addr),
            None => capacity(target.addr, nofile).await,
        };
        println!(
            "{:4} registrations held: {count} ({stop}); lookup while holding: {lookup_ok}",
            target.label
        );
        reports[t].held = count;
        reports[t].held_stop = stop;
        reports[t].lookup_while_holding = lookup_ok;
    }
    reports
}

fn start_daemon(kind: EpmdKind, program: &Path) -> (ChildGuard, SocketAddr) {
    let daemon = EpmdDaemon::start_free_program(kind, program, &[]);
    let addr = SocketAddr::from(([127, 0, 0, 1], daemon.port));
    (daemon.guard, addr)
}

/// Connects from loopback source address number `i % SOURCES` (127.0.0.2 ...).
async fn connect(addr: SocketAddr, i: usize) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    let source = Ipv4Addr::new(127, 0, 0, 2 + (i % SOURCES as usize) as u8);
    socket.bind(SocketAddr::from((source, 0)))?;
    socket.set_nodelay(true)?;
    socket.connect(addr).await
}

/// Registers `name`; returns the open registration connection.
async fn register(addr: SocketAddr, i: usize, name: &str) -> Result<TcpStream, String> {
    let mut s = connect(addr, i)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    s.write_all(&epmd_wire::alive2(20_000 + (i % 40_000) as u16, name))
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut reply = [0u8; 6];
    match tokio::time::timeout(REGISTRATION_TIMEOUT, s.read_exact(&mut reply)).await {
        Err(_) => Err("no reply within 2 s".into()),
        Ok(Err(e)) => Err(format!("closed without reply ({e})")),
        Ok(Ok(_)) if reply[..2] == *b"v\0" => Ok(s),
        Ok(Ok(_)) => Err(format!("refused: {reply:?}")),
    }
}

/// One request on a new connection, read until the daemon closes; returns the reply.
async fn one_request(addr: SocketAddr, i: usize, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = connect(addr, i).await?;
    s.write_all(request).await?;
    let mut reply = Vec::with_capacity(64);
    s.read_to_end(&mut reply).await?;
    Ok(reply)
}

/// `total` PORT_PLEASE2 lookups by `clients` concurrent clients; latencies in µs and failures.
async fn lookups(addr: SocketAddr, clients: usize, total: usize) -> (Vec<f64>, usize) {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let count = total / clients + usize::from(c < total % clients);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(count);
            let mut failures = 0;
            for k in 0..count {
                let name = format!("node{}", (c + k) % NAMES_REGISTERED);
                let request = epmd_wire::port_please(name.as_bytes());
                let started = Instant::now();
                match one_request(addr, c * 7919 + k, &request).await {
                    Ok(reply) if reply.len() > 2 && reply[..2] == [119, 0] => {
                        latencies.push(started.elapsed().as_secs_f64() * 1e6)
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::with_capacity(total);
    let mut failures = 0;
    for task in tasks {
        let (latencies, f) = task.await.expect("lookup task");
        all.extend(latencies);
        failures += f;
    }
    all.sort_by(f64::total_cmp);
    (all, failures)
}

/// NAMES_REQUESTS requests by NAMES_CLIENTS clients; returns the number of failures.
async fn names_run(addr: SocketAddr) -> usize {
    let mut tasks = Vec::new();
    for c in 0..NAMES_CLIENTS {
        tasks.push(tokio::spawn(async move {
            let mut failures = 0;
            for k in 0..NAMES_REQUESTS / NAMES_CLIENTS {
                match one_request(addr, c * 31 + k, &epmd_wire::names()).await {
                    Ok(reply) if reply.len() > 4 + 20 * NAMES_REGISTERED => {}
                    _ => failures += 1,
                }
            }
            failures
        }));
    }
    let mut failures = 0;
    for task in tasks {
        failures += task.await.expect("names task");
    }
    failures
}

/// Opens registrations (32 at a time) until one fails or the cap is reached, then checks that a
/// lookup of a held name is answered. Returns (held, why it stopped, lookup outcome).
async fn capacity(addr: SocketAddr, nofile: u64) -> (usize, String, String) {
    // Keep fds for the generator's own needs (runtime, lookups) below its RLIMIT_NOFILE.
    let fd_budget = (nofile as usize).saturating_sub(256);
    let cap = REGISTRATION_CAP.min(fd_budget);
    let limiter = Arc::new(Semaphore::new(32));
    let mut held: Vec<TcpStream> = Vec::with_capacity(cap);
    let mut stop = format!("reached cap {cap}");
    let mut next = 0;
    'outer: while held.len() < cap {
        let batch = (cap - held.len()).min(512);
        let mut tasks = Vec::with_capacity(batch);
        for _ in 0..batch {
            let i = next;
            next += 1;
            let permit = limiter.clone().acquire_owned().await.expect("semaphore");
            tasks.push(tokio::spawn(async move {
                let r = register(addr, i, &format!("held{i}")).await;
                drop(permit);
                r
            }));
        }
        for task in tasks {
            match task.await.expect("registration task") {
                Ok(s) => held.push(s),
                Err(e) => {
                    stop = format!("stopped: registration {} {e}", held.len() + 1);
                    break 'outer;
                }
            }
        }
    }
    if cap < REGISTRATION_CAP && stop.starts_with("reached") {
        stop = format!("reached generator fd budget {cap} (RLIMIT_NOFILE {nofile})");
    }
    let count = held.len();
    let request = epmd_wire::port_please(b"held0");
    let lookup =
        match tokio::time::timeout(Duration::from_secs(5), one_request(addr, 3, &request)).await {
            Ok(Ok(reply)) if reply.len() > 2 && reply[..2] == [119, 0] => "answered".to_string(),
            Ok(Ok(reply)) => format!("bad reply {reply:?}"),
            Ok(Err(e)) => format!("failed ({e})"),
            Err(_) => "no reply within 5 s".to_string(),
        };
    drop(held);
    (count, stop, lookup)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// CPU time of all threads of `pid` in µs, from /proc/PID/task/*/schedstat (nanosecond
/// resolution, unlike the 10 ms ticks of /proc/PID/stat).
fn cpu_us(pid: u32) -> f64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten();
    let ns: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1000.0
}

/// utime of `pid` in clock ticks.
fn user_ticks(pid: u32) -> u64 {
    stat_times(pid).0
}

/// (utime, stime) of `pid` in clock ticks, from /proc/PID/stat.
fn stat_times(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (num(11), num(12))
}

fn ticks_to_us(ticks: u64) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 * 1e6 / hz
}

/// Raises the soft RLIMIT_NOFILE to the hard limit (daemons started afterwards inherit it).
fn raise_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local rlimit.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        let want = libc::rlimit {
            rlim_cur: lim.rlim_max.max(lim.rlim_cur).min(1 << 20),
            rlim_max: lim.rlim_max.max(1 << 17),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &want) != 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

/// `epmd/examples/registration_flood`, built like our daemon; `None` when it cannot be built.
fn flood_tool() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.to_path_buf();
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "epmd", "--example", "registration_flood"]);
        if dir.file_name().is_some_and(|d| d == "release") {
            build.arg("--release");
        }
        if let Some(target) = dir.parent() {
            build.env("CARGO_TARGET_DIR", target);
        }
        let _ = build.status();
    }
    let path = dir.join("examples").join("registration_flood");
    path.exists().then_some(path)
}

/// Holds REGISTRATION_CAP registrations on `addr` with the flood tool; returns how many were
/// held, what stopped it, and whether the lookups made meanwhile were all answered right.
fn flood(tool: &PathBuf, addr: SocketAddr) -> (usize, String, String) {
    let output = Command::new(tool)
        .args([addr.port().to_string(), REGISTRATION_CAP.to_string()])
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => {
            return (
                0,
                format!("flood tool failed to run: {e}"),
                "unknown".into(),
            )
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let held = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("held ")?
                .split_whitespace()
                .next()?
                .parse::<usize>()
                .ok()
        })
        .unwrap_or(0);
    let lookups = text
        .lines()
        .find(|l| l.starts_with("PORT_PLEASE2 while held:"))
        .map(|l| {
            l.trim_start_matches("PORT_PLEASE2 while held:")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "not measured".into());
    let answered = if lookups.contains(" 0 wrong, 0 failed") {
        "answered"
    } else {
        "not all answered"
    };
    let stop = if held >= REGISTRATION_CAP {
        format!("reached cap {REGISTRATION_CAP}")
    } else {
        format!(
            "stopped at {held}; {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
    };
    (
        held,
        format!("{stop}; lookups: {lookups}"),
        answered.to_string(),
    )
}

/// Our daemon, next to this executable; built first when run under cargo.
fn our_binary() -> PathBuf {
    if let Ok(path) = std::env::var("EPMD_OURS_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("own path");
    let dir = exe.parent().expect("target/<profile>").to_path_buf();
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "epmd", "--bin", "epmd"]);
        if dir.file_name().is_some_and(|d| d == "release") {
            build.arg("--release");
        }
        if let Some(target) = dir.parent() {
            build.env("CARGO_TARGET_DIR", target);
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p epmd --bin epmd failed");
    }
    let path = dir.join("epmd");
    assert!(
        path.exists(),
        "{} missing: cargo build --release -p epmd",
        path.display()
    );
    path
}

fn print_table(otp: &Report, ours: &Report, nofile: u64) {
    println!();
    println!("| metric | OTP 25 epmd | ours | ours/OTP | target |");
    println!("|---|---:|---:|---:|---|");
    for (i, (clients, p50, p99, failures)) in otp.lookups.iter().enumerate() {
        let (_, o50, o99, ofail) = ours.lookups[i];
        let target = if *clients == 256 { "p99 ≤ 1.0x" } else { "" };
        println!(
            "| lookup p50 @{clients} clients (µs) | {p50:.0} | {o50:.0} | {:.2} | |",
            o50 / p50
        );
        println!(
            "| lookup p99 @{clients} clients (µs) | {p99:.0} | {o99:.0} | {:.2} | {target} |",
            o99 / p99
        );
        if *failures + ofail > 0 {
            println!("| lookup failures @{clients} | {failures} | {ofail} | | |");
        }
    }
    println!(
        "| daemon CPU per lookup (µs) | {:.1} | {:.1} | {:.2} | ≤ 0.5x |",
        otp.cpu_us_per_lookup,
        ours.cpu_us_per_lookup,
        ours.cpu_us_per_lookup / otp.cpu_us_per_lookup
    );
    println!(
        "| of which user space (µs, 10 ms ticks) | {:.1} | {:.1} | {:.2} | |",
        otp.user_us_per_lookup,
        ours.user_us_per_lookup,
        ours.user_us_per_lookup / otp.user_us_per_lookup
    );
    println!(
        "| NAMES/s ({NAMES_REGISTERED} names, {NAMES_CLIENTS} clients) | {:.0} | {:.0} | {:.2} | ≥ 2x |",
        otp.names_per_sec,
        ours.names_per_sec,
        ours.names_per_sec / otp.names_per_sec
    );
    println!(
        "| daemon CPU per NAMES (µs) | {:.1} | {:.1} | {:.2} | |",
        otp.cpu_us_per_names,
        ours.cpu_us_per_names,
        ours.cpu_us_per_names / otp.cpu_us_per_names
    );
    println!(
        "| registrations held | {} | {} | {:.1} | ≥ 50,000 |",
        otp.held,
        ours.held,
        ours.held as f64 / otp.held.max(1) as f64
    );
    println!(
        "| lookup while holding them | {} | {} | | answered |",
        otp.lookup_while_holding, ours.lookup_while_holding
    );
    println!();
    println!("otp stop reason: {}", otp.held_stop);
    println!("ours stop reason: {}", ours.held_stop);
    println!("RLIMIT_NOFILE for generator and daemons: {nofile}");
    if nofile < 50_256 && ours.held < 50_000 {
        println!(
            "NOTE: RLIMIT_NOFILE {nofile} < 50,256 and cannot be raised here (no CAP_SYS_RESOURCE): \
             the >= 50,000 registrations target cannot be reached on this machine; raise the hard \
             limit (e.g. `ulimit -Hn 70000` as root) to measure it."
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "host: {} cpus, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
