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
//! Settings (for profiling one case): `GEN_CALLS_CALLERS=16,64` (caller counts, default both),
//! `GEN_CALLS_PAYLOADS=int,tuple,map,pids`, `GEN_CALLS_DIRECTIONS=bb,br,rb` (BEAM->BEAM,
//! BEAM->Rust, Rust->BEAM), `GEN_CALLS_ROUND_MS=1000`, `GEN_CALLS_WORKERS=2` (tokio workers).

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
            args: vec![
                "-pa".into(),
                compile_erl("bench_call").display().to_string(),
            ],
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
                let keep = |xs: &mut Vec<f64>, x: f64| {
                    if round > 0 {
                        xs.push(x)
                    }
                };
                if on("bb") {
                    keep(&mut bb, beam_drive(&mut a, &b_name, kind, n, ms));
                }
                if on("br") {
                    keep(&mut br, beam_drive(&mut a, &rust_name, kind, n, ms));
                }
                if on("rb") {
                    keep(&mut rb, rust_drive(kind, n, ms));
                }
            }
            let (bb, br, rb) = (median_of(bb), median_of(br), median_of(rb));
            eprintln!(
                "{n} callers, {kind}: BEAM->BEAM {bb:?}, BEAM->Rust {br:?}, Rust->BEAM {rb:?}"
            );
            rows.push((n, kind.to_string(), bb, br, rb));
        }
    }

    let cell = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.0}"));
    let ratio = |x: Option<f64>, base: Option<f64>, target: f64| match (x, base) {
        (Some(x), Some(base)) => {
            let r = x / base;
            format!("{r:.2}x {}", if r >= target { "met" } else { "MISSED" })
        }
        _ => "-".to_string(),
    };
    println!("| callers | payload | BEAM->BEAM calls/s | BEAM->Rust calls/s | ratio (>= 1.5x) | Rust->BEAM calls/s | ratio (>= 1.0x) |");
    println!("|--:|---|--:|--:|--:|--:|--:|");
    for (n, kind, bb, br, rb) in rows {
        println!(
            "| {n} | {kind} | {} | {} | {} | {} | {} |",
            cell(bb),
            cell(br),
            ratio(br, bb, 1.5),
            cell(rb),
            ratio(rb, bb, 1.0),
        );
    }
}

fn median_of(xs: Vec<f64>) -> Option<f64> {
    (!xs.is_empty()).then(|| median(xs))
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
