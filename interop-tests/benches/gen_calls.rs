//! gen_server call benchmark (issue 5): synchronous calls per second with many concurrent
//! callers, BEAM->BEAM against BEAM->Rust server and Rust->BEAM server, in one run.
//!
//! `cargo bench -p interop-tests --bench gen_calls`. Payloads: an integer, a 10-tuple, a 10-key
//! map and a list of 200 pids; every server replies with the request and every caller checks the
//! reply. BEAM callers are timed inside the calling `erl` node by `interop-tests/erl/bench_call.erl`
//! (the same code for BEAM and Rust servers). Each figure is the median of `ROUNDS` rounds of
//! `ROUND_MS`; the three directions take turns within a round so that load from elsewhere hits
//! them alike; a first, shorter round warms up and is not counted.
//!
//! A second table gives the CPU time per call of the calling and the serving OS process (all
//! their threads, kernel time included, from `/proc/<pid>/task/*/schedstat`). On this 2-core
//! machine caller and server share the cores, so calls/s also depend on what the caller costs;
//! the server's CPU per call is what sets calls/s where the caller has cores of its own. Its
//! last column is the most CPU per call a server could use for BEAM->Rust to reach 1.5x
//! BEAM->BEAM on this machine's cores, given the least CPU per call the BEAM caller used.
//!
//! Settings (for profiling one case): `GEN_CALLS_CALLERS=16,64` (caller counts, default both),
//! `GEN_CALLS_PAYLOADS=int,tuple,map,pids`, `GEN_CALLS_DIRECTIONS=bb,br,rb` (BEAM->BEAM,
//! BEAM->Rust, Rust->BEAM), `GEN_CALLS_ROUND_MS=1000`, `GEN_CALLS_WORKERS=2` (tokio workers),
//! `GEN_CALLS_ERL_FLAGS=+sbwt,none` (extra emulator flags for both `erl` nodes, comma-separated).

use distproto::term::{Map, Pid, Term};
use interop_tests::{compile_erl, free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};
use node::{CallReply, Ctx, Dest, GenCall, GenServer, Node, NodeConfig, NodeName};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const ROUND_MS: u64 = 1_000;
const WARM_UP_MS: u64 = 300;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The Rust server: replies with the request, as `bench_call`'s `handle_call` does.
struct Echo;

impl GenServer for Echo {
    async fn handle_call(
        &mut self,
        _ctx: &mut Ctx<'_>,
        request: Term,
        _from: GenCall,
    ) -> CallReply {
        CallReply::Reply(request)
    }
}

fn main() {
    let callers: Vec<usize> = std::env::var("GEN_CALLS_CALLERS")
        .unwrap_or_else(|_| "16,64".into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("GEN_CALLS_CALLERS: comma-separated counts")
        })
        .collect();
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("bench");
    let erl = |name: &str| {
        ErlNode::start(ErlOptions {
            sname: Some(format!("{}@localhost", unique_name(name))),
            cookie: Some(cookie.clone()),
            epmd_port: Some(epmd.port),
            args: [
                "-pa".to_string(),
                compile_erl("bench_call").display().to_string(),
            ]
            .into_iter()
            .chain(
                env_list("GEN_CALLS_ERL_FLAGS", "")
                    .into_iter()
                    .filter(|f| !f.is_empty()),
            )
            .collect(),
            ..Default::default()
        })
    };
    // `a` runs the BEAM callers, `b` the BEAM server.
    let mut a = erl("a");
    let mut b = erl("b");
    let b_name = b.eval("node().");
    b.eval("bench_call:start_echo().");

    let rt = NodeRuntime::new();
    let _in_runtime = rt.handle.enter();
    let config = NodeConfig::new(
        NodeName::short(&format!("{}@localhost", unique_name("rust"))).expect("name"),
    )
    .with_cookie(cookie.clone())
    .with_epmd_port(epmd.port)
    .start_epmd(false);
    let rust = rt.block_on(Node::start(config)).expect("rust node");
    let rust_name = rust.name().to_string();
    rust.start_gen_server(Some("bench_echo"), Echo)
        .expect("start the Rust echo server");
    assert!({
        let (n, b) = (rust.clone(), b_name.clone());
        rt.block_on(async move { n.ping(&b).await })
    });
    assert_eq!(a.eval(&format!("net_adm:ping('{b_name}').")), "pong");
    assert_eq!(a.eval(&format!("net_adm:ping('{rust_name}').")), "pong");

    let (a_pid, b_pid, rust_pid) = (os_pid(&mut a), os_pid(&mut b), std::process::id());
    let to_beam = Dest::remote("bench_echo", &b_name).expect("dest");
    let beam_drive = |a: &mut ErlNode, server: &str, kind: &str, n: usize, ms: u64| -> f64 {
        a.eval(&format!(
            "bench_call:drive({{bench_echo, '{server}'}}, {kind}, {n}, {ms})."
        ))
        .parse()
        .expect("calls/s")
    };
    let rust_drive = |kind: &str, n: usize, ms: u64| -> f64 {
        let (node, dest) = (rust.clone(), to_beam.clone());
        let payload = payload(&rust, kind);
        rt.block_on(async move { rust_drive(node, dest, payload, n, ms).await })
    };

    let payloads: Vec<String> = env_list("GEN_CALLS_PAYLOADS", "int,tuple,map,pids");
    let directions: Vec<String> = env_list("GEN_CALLS_DIRECTIONS", "bb,br,rb");
    let round_ms: u64 = env_list("GEN_CALLS_ROUND_MS", &ROUND_MS.to_string())[0]
        .parse()
        .expect("GEN_CALLS_ROUND_MS: milliseconds");
    let on = |d: &str| directions.iter().any(|x| x == d);
    let mut rows = Vec::new();
    for &n in &callers {
        for kind in &payloads {
            let kind = kind.as_str();
            let (mut bb, mut br, mut rb) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..=ROUNDS {
                // Round 0 warms up (connections, atom caches) and is not counted.
                let ms = if round == 0 { WARM_UP_MS } else { round_ms };
                let counted = round > 0;
                if on("bb") {
                    let r = measure(a_pid, b_pid, || beam_drive(&mut a, &b_name, kind, n, ms));
                    bb.extend(counted.then_some(r));
                }
                if on("br") {
                    let r = measure(a_pid, rust_pid, || {
                        beam_drive(&mut a, &rust_name, kind, n, ms)
                    });
                    br.extend(counted.then_some(r));
                }
                if on("rb") {
                    let r = measure(rust_pid, b_pid, || rust_drive(kind, n, ms));
                    rb.extend(counted.then_some(r));
                }
            }
            let (bb, br, rb) = (
                Round::medians(&bb),
                Round::medians(&br),
                Round::medians(&rb),
            );
            eprintln!(
                "{n} callers, {kind}: BEAM->BEAM {bb:?}, BEAM->Rust {br:?}, Rust->BEAM {rb:?}"
            );
            rows.push((n, kind.to_string(), bb, br, rb));
        }
    }

    let cell = |x: Option<Round>| x.map_or("-".to_string(), |x| format!("{:.0}", x.rate));
    let ratio = |x: Option<Round>, base: Option<Round>, target: f64| match (x, base) {
        (Some(x), Some(base)) => {
            let r = x.rate / base.rate;
            format!("{r:.2}x {}", if r >= target { "met" } else { "MISSED" })
        }
        _ => "-".to_string(),
    };
    println!("| callers | payload | BEAM->BEAM calls/s | BEAM->Rust calls/s | ratio (>= 1.5x) | Rust->BEAM calls/s | ratio (>= 1.0x) |");
    println!("|--:|---|--:|--:|--:|--:|--:|");
    for (n, kind, bb, br, rb) in &rows {
        println!(
            "| {n} | {kind} | {} | {} | {} | {} | {} |",
            cell(*bb),
            cell(*br),
            ratio(*br, *bb, 1.5),
            cell(*rb),
            ratio(*rb, *bb, 1.0),
        );
    }
    let cpu = |x: Option<Round>| {
        x.map_or("-".to_string(), |x| {
            format!("{:.1} / {:.1}", x.caller_us, x.server_us)
        })
    };
    let server_ratio = |beam: Option<Round>, rust: Option<Round>| match (beam, rust) {
        (Some(beam), Some(rust)) => format!("{:.2}x", beam.server_us / rust.server_us),
        _ => "-".to_string(),
    };
    // Calls/s can be at most cores / (caller's + server's CPU per call): what is left for a
    // server at 1.5x BEAM->BEAM once the BEAM caller has taken its share (the smaller of what
    // it used calling the BEAM and the Rust server).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let room = |bb: Option<Round>, br: Option<Round>| match (bb, br) {
        (Some(bb), Some(br)) => {
            let caller_us = bb.caller_us.min(br.caller_us);
            format!("{:.1}", cores * 1e6 / (1.5 * bb.rate) - caller_us)
        }
        _ => "-".to_string(),
    };
    println!();
    println!("CPU time per call in microseconds, caller / server (each an OS process, all threads, kernel included):");
    println!();
    println!("| callers | payload | BEAM->BEAM | BEAM->Rust | Rust->BEAM | BEAM server's CPU per call / Rust server's | at most for a server at 1.5x on {cores} cores |");
    println!("|--:|---|--:|--:|--:|--:|--:|");
    for (n, kind, bb, br, rb) in rows {
        println!(
            "| {n} | {kind} | {} | {} | {} | {} | {} |",
            cpu(bb),
            cpu(br),
            cpu(rb),
            server_ratio(bb, br),
            room(bb, br),
        );
    }
}

/// One timed round, or the medians of a case's rounds: calls per second, and the CPU time per
/// call of the calling and the serving OS process.
#[derive(Clone, Copy, Debug)]
struct Round {
    rate: f64,
    caller_us: f64,
    server_us: f64,
}

/// Runs `drive` (which returns calls/s) and measures the CPU time that the processes `caller`
/// and `server` used meanwhile.
fn measure(caller: u32, server: u32, drive: impl FnOnce() -> f64) -> Round {
    let (caller_0, server_0, started) = (cpu_time(caller), cpu_time(server), Instant::now());
    let rate = drive();
    let calls = rate * started.elapsed().as_secs_f64();
    let per_call = |used: Duration| used.as_secs_f64() * 1e6 / calls;
    Round {
        rate,
        // Saturating: a thread that ended meanwhile takes its time out of the sum.
        caller_us: per_call(cpu_time(caller).saturating_sub(caller_0)),
        server_us: per_call(cpu_time(server).saturating_sub(server_0)),
    }
}

impl Round {
    /// The median of each figure of `rounds`, or `None` when there are none.
    fn medians(rounds: &[Round]) -> Option<Round> {
        let of = |f: fn(&Round) -> f64| median(rounds.iter().map(f).collect());
        (!rounds.is_empty()).then(|| Round {
            rate: of(|r| r.rate),
            caller_us: of(|r| r.caller_us),
            server_us: of(|r| r.server_us),
        })
    }
}

/// CPU time used so far by every thread of the process `pid`: the sum of the first field of
/// `/proc/<pid>/task/*/schedstat` (nanoseconds on a CPU, user and kernel).
fn cpu_time(pid: u32) -> Duration {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("read /proc/<pid>/task");
    let mut nanos = 0u64;
    for task in tasks {
        // A thread can end between the listing and the read; its time is then not counted.
        let schedstat = std::fs::read_to_string(task.expect("task entry").path().join("schedstat"));
        if let Ok(schedstat) = schedstat {
            let on_cpu = schedstat
                .split_whitespace()
                .next()
                .and_then(|x| x.parse().ok());
            nanos += on_cpu.unwrap_or(0);
        }
    }
    Duration::from_nanos(nanos)
}

/// The OS pid of an `erl` node's emulator.
fn os_pid(node: &mut ErlNode) -> u32 {
    node.eval("os:getpid().")
        .trim_matches('"')
        .parse()
        .expect("os:getpid() is a number")
}

/// A comma-separated setting from the environment, or its default.
fn env_list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|x| x.trim().to_string())
        .collect()
}

/// The Rust twin of `bench_call:payload/1`; the pids are pids of `node`, as the BEAM driver's are
/// pids of its own node.
fn payload(node: &Node, kind: &str) -> Term {
    match kind {
        "int" => Term::from(12345i64),
        "tuple" => Term::tuple(vec![
            Term::atom("bench"),
            Term::from(1i64),
            Term::from(2i64),
            Term::from(3i64),
            Term::from(4i64),
            Term::binary(b"five".to_vec()),
            Term::atom("six"),
            Term::from(7i64),
            Term::from(8i64),
            Term::from(9i64),
        ]),
        "map" => Term::Map(
            Map::from_pairs((1..=10i64).map(|i| (Term::atom(&format!("k{i}")), Term::from(i))))
                .expect("distinct keys"),
        ),
        "pids" => {
            let base = node.spawn_process().pid().clone();
            Term::list(
                (1..=200)
                    .map(|id| {
                        Term::Pid(Pid {
                            id,
                            serial: 0,
                            ..base.clone()
                        })
                    })
                    .collect(),
            )
        }
        other => panic!("unknown payload {other}"),
    }
}

/// `callers` Rust processes each calling `dest` with `payload` in a loop for `ms` milliseconds;
/// calls per second from the start signal until the last caller is done (as `bench_call:drive`).
async fn rust_drive(node: Node, dest: Dest, payload: Term, callers: usize, ms: u64) -> f64 {
    let (dest, payload) = (Arc::new(dest), Arc::new(payload));
    let (go_tx, go_rx) = tokio::sync::watch::channel(None::<tokio::time::Instant>);
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (node, dest, payload, mut go) =
                (node.clone(), dest.clone(), payload.clone(), go_rx.clone());
            tokio::spawn(async move {
                let mut process = node.spawn_process();
                let deadline = loop {
                    if let Some(deadline) = *go.borrow_and_update() {
                        break deadline;
                    }
                    go.changed().await.expect("start signal");
                };
                let mut calls = 0u64;
                while tokio::time::Instant::now() < deadline {
                    // The request is sent from the shared term without a copy, as a BEAM
                    // caller sends its payload.
                    let reply = process
                        .call_ref(&dest, &payload, Some(Duration::from_secs(5)))
                        .await
                        .expect("gen call to the BEAM echo server");
                    assert!(reply == *payload, "echo replied {reply:?}");
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let started = Instant::now();
    go_tx
        .send(Some(
            tokio::time::Instant::now() + Duration::from_millis(ms),
        ))
        .expect("callers waiting");
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("caller task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// The runtime the Rust node lives on, driven all the time by its own thread (so the node keeps
/// serving while the BEAM side is measured): a 2-worker multi-thread runtime as in
/// `node_messaging` (`GEN_CALLS_WORKERS` sets the worker count).
struct NodeRuntime {
    handle: tokio::runtime::Handle,
}

impl NodeRuntime {
    fn new() -> NodeRuntime {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let workers = std::env::var("GEN_CALLS_WORKERS")
                .ok()
                .and_then(|w| w.parse().ok())
                .unwrap_or(2);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("runtime");
            tx.send(rt.handle().clone())
                .expect("hand over the runtime handle");
            rt.block_on(std::future::pending::<()>());
        });
        NodeRuntime {
            handle: rx.recv().expect("runtime handle"),
        }
    }

    /// Runs `future` as a task of the runtime and waits for its result.
    fn block_on<T: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().expect("task result")
    }
}
