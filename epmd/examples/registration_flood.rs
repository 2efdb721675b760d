//! Holds N simultaneous EPMD registrations against a daemon on a loopback port, from as many child
//! processes (this program re-executed) as the open-file limit needs, then checks that PORT2 and
//! NAMES are answered while all are held, prints the counts and lookup latency, and cleans up.
//!
//! Usage: `registration_flood PORT N [PER_CHILD=15000] [DEADLINE_SECS=240]`
//!
//! Each child binds its connections to its own loopback source addresses (127.X.C.2, 127.X.C.3, …
//! for child C, a new address every 5,000 connections; X from this process's pid, so that a rerun
//! does not meet the previous run's TIME_WAIT ports): one source/destination pair allows ~28,000
//! connections (ephemeral ports 32768..60999), and bind's port search slows down as an address
//! fills up. A child
//! stops registering after 50 failures (a refusal, a close, or no reply within 3 s), so the tool
//! also measures daemons with a ceiling. Everything stops by the deadline; children are killed by
//! their pid. Loopback only.

use epmd::protocol::reply::{decode_alive2, decode_port2, parse_names, split_port_prefix};
use epmd::protocol::request::{encode_code, encode_named};
use epmd::Alive2Params;
use socket2::{Domain, Socket, Type};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Internal first argument: run as a child holding part of the registrations.
const CHILD_ARG: &str = "-flood_child";
/// Registrations in flight per child.
const CONCURRENCY: usize = 64;
/// A child gives up registering after this many failures.
const MAX_FAILURES: usize = 50;
/// How long a registration or lookup may take before it counts as failed.
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// Most connections per child process (below the 20,000 hard limit of this machine kind).
const MAX_PER_CHILD: usize = 18_000;
/// Connections per source address before the next one is used.
const PER_SOURCE: usize = 5_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some(CHILD_ARG) {
        child_main(&args[1..])
    } else {
        parent_main(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registration_flood: {e}");
            ExitCode::from(1)
        }
    }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
fn raise_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        let want = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
            return want.rlim_cur;
        }
    }
    lim.rlim_cur
}

fn parse<T: std::str::FromStr>(
    args: &[String],
    i: usize,
    what: &str,
    default: Option<T>,
) -> Result<T, String> {
    match args.get(i) {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{what} must be a number, got {v:?}")),
        None => default.ok_or_else(|| {
            format!("missing {what}; usage: registration_flood PORT N [PER_CHILD=15000] [DEADLINE_SECS=240]")
        }),
    }
}

fn node_name(child: usize, i: usize) -> String {
    format!("flood{child}_{i}")
}

fn node_port(child: usize, i: usize) -> u16 {
    1024 + ((child * MAX_PER_CHILD + i) % 60_000) as u16
}

// ---------------------------------------------------------------------------------------------
// Child: hold `count` registrations from one source address.

fn child_main(args: &[String]) -> Result<(), String> {
    let port: u16 = parse(args, 0, "PORT", None)?;
    let child: usize = parse(args, 1, "child index", None)?;
    let count: usize = parse(args, 2, "count", None)?;
    let source: Ipv4Addr = parse(args, 3, "source address base", None)?;
    let deadline_secs: u64 = parse(args, 4, "deadline", None)?;
    raise_nofile();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(child_hold(port, child, count, source, deadline_secs))
}

async fn register_one(
    port: u16,
    source: Ipv4Addr,
    name: String,
    node_port: u16,
) -> Result<tokio::net::TcpStream, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).map_err(|e| e.to_string())?;
    socket
        .bind(&SocketAddrV4::new(source, 0).into())
        .map_err(|e| format!("bind {source}: {e}"))?;
    socket.set_nonblocking(true).map_err(|e| e.to_string())?;
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match socket.connect(&target.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(format!("connect: {e}")),
    }
    let std_stream: std::net::TcpStream = socket.into();
    let mut stream = tokio::net::TcpStream::from_std(std_stream).map_err(|e| e.to_string())?;
    let work = async {
        stream
            .writable()
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(&Alive2Params::new(name, node_port).encode())
            .await
            .map_err(|e| format!("send ALIVE2: {e}"))?;
        let mut reply = [0u8; 6];
        stream
            .read_exact(&mut reply)
            .await
            .map_err(|e| format!("read ALIVE2 reply: {e}"))?;
        match decode_alive2(&reply) {
            Ok(r) if r.result == 0 => Ok(()),
            Ok(r) => Err(format!("refused (result {})", r.result)),
            Err(e) => Err(format!("bad ALIVE2 reply: {e}")),
        }
    };
    match tokio::time::timeout(IO_TIMEOUT, work).await {
        Ok(Ok(())) => Ok(stream),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("no ALIVE2 reply within {IO_TIMEOUT:?}")),
    }
}

async fn child_hold(
    port: u16,
    child: usize,
    count: usize,
    source: Ipv4Addr,
    deadline_secs: u64,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(deadline_secs);
    let mut held = Vec::with_capacity(count);
    let mut failures = 0usize;
    let mut first_error = String::new();
    let mut next = 0usize;
    let mut in_flight = tokio::task::JoinSet::new();
    while (next < count || !in_flight.is_empty()) && Instant::now() < deadline {
        while next < count && in_flight.len() < CONCURRENCY && failures < MAX_FAILURES {
            let [a, b, c, d] = source.octets();
            let source = Ipv4Addr::new(a, b, c, d.saturating_add(2 + (next / PER_SOURCE) as u8));
            in_flight.spawn(register_one(
                port,
                source,
                node_name(child, next),
                node_port(child, next),
            ));
            next += 1;
        }
        match in_flight.join_next().await {
            Some(Ok(Ok(stream))) => held.push(stream),
            Some(Ok(Err(e))) => {
                failures += 1;
                if first_error.is_empty() {
                    first_error = format!("after {} held: {e}", held.len());
                }
            }
            Some(Err(e)) => return Err(format!("registration task failed: {e}")),
            None => break,
        }
    }
    in_flight.abort_all();
    let first_error = if first_error.is_empty() {
        "-".to_string()
    } else {
        first_error
    };
    // One line for the parent, then hold until told to check or to exit (stdin EOF).
    println!(
        "HELD {} FAILED {failures} FIRST_ERROR {first_error}",
        held.len()
    );
    let _ = std::io::stdout().flush();
    let mut stdin = BufReader::new(std::io::stdin());
    let mut line = String::new();
    loop {
        line.clear();
        match stdin.read_line(&mut line) {
            Ok(0) | Err(_) => return Ok(()),
            Ok(_) if line.trim() == "check" => {
                // A registration is still held when its socket has nothing to read (no EOF).
                let mut byte = [0u8; 1];
                let open = held
                    .iter()
                    .filter(|s| matches!(s.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock))
                    .count();
                println!("OPEN {open}");
                let _ = std::io::stdout().flush();
            }
            Ok(_) => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parent: start the children, then look up while everything is held.

struct FloodChild {
    index: usize,
    process: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    count: usize,
    held: usize,
}

impl Drop for FloodChild {
    fn drop(&mut self) {
        // Killed by its own pid (std's Child::kill), then reaped.
        drop(self.stdin.take());
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn read_line(child: &mut FloodChild) -> Result<String, String> {
    let mut line = String::new();
    match child.stdout.read_line(&mut line) {
        Ok(0) => Err(format!("child {} exited early", child.index)),
        Ok(_) => Ok(line.trim().to_string()),
        Err(e) => Err(format!("child {}: {e}", child.index)),
    }
}

/// Sends one request and reads the reply until the daemon closes; errors on a timeout.
fn request(port: u16, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s =
        TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.write_all(bytes).map_err(|e| format!("send: {e}"))?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).map_err(|e| format!("read: {e}"))?;
    Ok(out)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn parent_main(args: &[String]) -> Result<(), String> {
    let port: u16 = parse(args, 0, "PORT", None)?;
    let total: usize = parse(args, 1, "N", None)?;
    let per_child: usize = parse(args, 2, "PER_CHILD", Some(15_000))?;
    let deadline_secs: u64 = parse(args, 3, "DEADLINE_SECS", Some(240))?;
    let nofile = raise_nofile();
    let per_child = per_child
        .min(MAX_PER_CHILD)
        .min(
            usize::try_from(nofile)
                .unwrap_or(usize::MAX)
                .saturating_sub(256),
        )
        .max(1);
    let children = total.div_ceil(per_child);
    if children > 250 {
        return Err(format!("{children} children needed; raise PER_CHILD"));
    }
    let octet = 100 + (std::process::id() % 150) as u8;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find my own executable: {e}"))?;
    println!(
        "registration_flood: {total} registrations on 127.0.0.1:{port} from {children} child process(es) of ≤{per_child} (RLIMIT_NOFILE {nofile}), sources 127.{octet}.C.2.. ({PER_SOURCE} each); deadline {deadline_secs}s"
    );
    let started = Instant::now();
    let mut flood = Vec::new();
    for index in 0..children {
        let count = per_child.min(total - index * per_child);
        let source = Ipv4Addr::new(127, octet, index as u8, 0);
        let mut process = Command::new(&exe)
            .args([
                CHILD_ARG.to_string(),
                port.to_string(),
                index.to_string(),
                count.to_string(),
                source.to_string(),
                deadline_secs.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start child {index}: {e}"))?;
        let (Some(stdin), Some(stdout)) = (process.stdin.take(), process.stdout.take()) else {
            let _ = process.kill();
            let _ = process.wait();
            return Err("child pipes missing".into());
        };
        flood.push(FloodChild {
            index,
            process,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            count,
            held: 0,
        });
    }
    let mut held = 0;
    for c in flood.iter_mut() {
        let line = read_line(c)?;
        let n = line
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(|| format!("child {}: unexpected report {line:?}", c.index))?;
        c.held = n;
        held += n;
        println!(
            "  child {} (pid {}): {line} (of {})",
            c.index,
            c.process.id(),
            c.count
        );
    }
    let registering = started.elapsed();
    println!(
        "held {held} of {total} registrations after {:.1}s ({:.0} registrations/s)",
        registering.as_secs_f64(),
        held as f64 / registering.as_secs_f64().max(0.001)
    );

    // Lookups while everything is held: names spread over all children, correct ports.
    let mut latencies = Vec::new();
    let (mut right, mut wrong, mut failed) = (0usize, 0usize, 0usize);
    let mut first_failure = String::new();
    for k in 0..500usize {
        let Some(c) = flood.get(k % flood.len()) else {
            break;
        };
        if c.held == 0 {
            continue;
        }
        let i = (k * 7919) % c.held;
        let t = Instant::now();
        match request(port, &encode_named(b'z', node_name(c.index, i).as_bytes())) {
            Ok(reply) => {
                latencies.push(t.elapsed());
                match decode_port2(&reply) {
                    Ok(Some(info)) if info.port == node_port(c.index, i) => right += 1,
                    _ => wrong += 1,
                }
            }
            Err(e) => {
                failed += 1;
                if first_failure.is_empty() {
                    first_failure = e;
                }
                if failed >= 10 {
                    break;
                }
            }
        }
    }
    latencies.sort();
    println!(
        "PORT_PLEASE2 while held: {right} right, {wrong} wrong, {failed} failed{}; latency p50 {:?} p99 {:?} max {:?}",
        if first_failure.is_empty() { String::new() } else { format!(" (first: {first_failure})") },
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default(),
    );
    for round in 0..3 {
        let t = Instant::now();
        match request(port, &encode_code(b'n')) {
            Ok(reply) => {
                let listed = split_port_prefix(&reply)
                    .map(|(_, text)| parse_names(text).len())
                    .unwrap_or(0);
                println!(
                    "NAMES {round}: {listed} names, {} bytes in {:?}",
                    reply.len(),
                    t.elapsed()
                );
            }
            Err(e) => println!("NAMES {round}: failed: {e}"),
        }
    }
    // Are the registrations still held (no EOF from the daemon)?
    let mut open = 0;
    for c in flood.iter_mut() {
        if let Some(stdin) = c.stdin.as_mut() {
            let _ = stdin.write_all(b"check\n").and_then(|()| stdin.flush());
        }
        let line = read_line(c)?;
        open += line
            .strip_prefix("OPEN ")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
    }
    println!("still open after the lookups: {open} of {held}");
    println!(
        "total time {:.1}s; stopping children",
        started.elapsed().as_secs_f64()
    );
    drop(flood);
    Ok(())
}
