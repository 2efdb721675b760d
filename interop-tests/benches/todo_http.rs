//! Todo HTTP benchmark (issue 7): requests/s and p50/p99 latency of `GET /entries` and
//! `POST /add_entry` on Rust and Elixir todo nodes, server local or on another node, in one run.
//!
//! `flock /tmp/erldist-bench.lock cargo bench -p interop-tests --bench todo_http`. A "mixed"
//! cluster of two Rust (`todo-node`, release) and two Elixir nodes (interop-tests/elixir, OTP 25),
//! all connected, so every POST there is stored on four nodes; and two-node clusters of each kind
//! alone, to see what a replica of each kind costs a POST. Each case sends requests over
//! `TODO_BENCH_CONNS` (4) keep-alive loopback connections, closed loop, each waiting for its
//! response; the lists of a case were first used on the server's node, so their servers live
//! there. Cases take turns within each of `ROUNDS` rounds of `TODO_BENCH_ROUND_MS` (1000) so load
//! from elsewhere hits them alike; requests/s is the median round, latencies pool every round.
//! A first, short round warms up and is not counted. Every response must be 200.

use interop_tests::http_client::HttpConnection;
use interop_tests::{TodoCluster, TodoHttp, TodoKind, TodoNode};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const LISTS: usize = 32;
const GET_ENTRIES: usize = 5;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One measured case: where requests go, where the lists' servers live, what is sent.
struct Case {
    label: String,
    http: TodoHttp,
    targets: Vec<(&'static str, String)>,
    rps: Vec<f64>,
    latencies_us: Vec<u64>,
}

/// Runs `conns` closed-loop connections for `duration`; returns (requests/s, latencies in µs).
fn load(
    http: &TodoHttp,
    targets: &[(&str, String)],
    conns: usize,
    duration: Duration,
) -> (f64, Vec<u64>) {
    let started = Instant::now();
    let deadline = started + duration;
    let per_thread: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..conns)
            .map(|c| {
                scope.spawn(move || {
                    let mut connection = HttpConnection::open(http.port).expect("connect");
                    let mut latencies = Vec::new();
                    let mut i = c * 7;
                    while Instant::now() < deadline {
                        let (method, target) = &targets[i % targets.len()];
                        i += 1;
                        let sent = Instant::now();
                        let response = connection
                            .request(method, target)
                            .unwrap_or_else(|e| panic!("{method} {target} on {}: {e}", http.name));
                        latencies.push(sent.elapsed().as_micros() as u64);
                        assert_eq!(response.status, 200, "{method} {target}: {response:?}");
                    }
                    latencies
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("load thread"))
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let latencies: Vec<u64> = per_thread.into_iter().flatten().collect();
    (latencies.len() as f64 / elapsed, latencies)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

fn kind_label(node: &TodoNode) -> &'static str {
    match node.kind {
        TodoKind::Rust => "Rust",
        TodoKind::Elixir => "Elixir",
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let conns = env_or("TODO_BENCH_CONNS", 4) as usize;
    let round = Duration::from_millis(env_or("TODO_BENCH_ROUND_MS", 1000));

    let cluster = TodoCluster::new();
    let rust1 = cluster.node(TodoKind::Rust, &[]);
    let rust2 = cluster.node(TodoKind::Rust, &[&rust1]);
    let elixir1 = cluster.node(TodoKind::Elixir, &[&rust1, &rust2]);
    let elixir2 = cluster.node(TodoKind::Elixir, &[&rust1, &rust2, &elixir1]);
    eprintln!(
        "cluster up: {}, {}, {}, {}",
        rust1.name, rust2.name, elixir1.name, elixir2.name
    );

    // Two-node clusters of one kind: what a POST costs when every replica is Rust, or Elixir.
    let rust3 = cluster.node(TodoKind::Rust, &[]);
    let rust4 = cluster.node(TodoKind::Rust, &[&rust3]);
    let elixir3 = cluster.node(TodoKind::Elixir, &[]);
    let elixir4 = cluster.node(TodoKind::Elixir, &[&elixir3]);

    // (cluster, HTTP node, server node): local, then remote on each kind.
    let placements: [(&str, &TodoNode, &TodoNode); 10] = [
        ("mixed", &rust1, &rust1),
        ("mixed", &rust1, &rust2),
        ("mixed", &rust1, &elixir1),
        ("mixed", &elixir1, &elixir1),
        ("mixed", &elixir1, &elixir2),
        ("mixed", &elixir1, &rust1),
        ("2 Rust", &rust3, &rust3),
        ("2 Rust", &rust3, &rust4),
        ("2 Elixir", &elixir3, &elixir3),
        ("2 Elixir", &elixir3, &elixir4),
    ];
    let mut cases = Vec::new();
    for (p, (cluster_label, front, host)) in placements.iter().enumerate() {
        let where_ = if front.name == host.name {
            "local".to_string()
        } else {
            format!("on {}", kind_label(host))
        };
        // The lists' servers start on `host`, which uses them first.
        let get_lists: Vec<String> = (0..LISTS).map(|i| format!("p{p}_get_{i}")).collect();
        let post_lists: Vec<String> = (0..LISTS).map(|i| format!("p{p}_post_{i}")).collect();
        for list in &get_lists {
            for e in 0..GET_ENTRIES {
                host.add_ok(list, "2023-12-19", &format!("Entry number {e}"));
            }
        }
        for list in &post_lists {
            host.add_ok(list, "2023-12-19", "First");
        }
        let gets = get_lists
            .iter()
            .map(|l| ("GET", format!("/entries?list={l}&date=2023-12-19")))
            .collect();
        let posts = post_lists
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    "POST",
                    format!("/add_entry?list={l}&date=2023-12-20&title=Bench+{i}"),
                )
            })
            .collect();
        for (op, targets) in [("GET entries", gets), ("POST add_entry", posts)] {
            cases.push(Case {
                label: format!(
                    "{cluster_label:<8} {op:<14} {:<6} HTTP, server {where_}",
                    kind_label(front)
                ),
                http: TodoHttp::clone(front),
                targets,
                rps: Vec::new(),
                latencies_us: Vec::new(),
            });
        }
    }

    for case in &cases {
        load(&case.http, &case.targets, conns, round / 5);
    }
    for r in 0..ROUNDS {
        eprintln!("round {}/{ROUNDS}", r + 1);
        for case in cases.iter_mut() {
            let (rps, latencies) = load(&case.http, &case.targets, conns, round);
            case.rps.push(rps);
            case.latencies_us.extend(latencies);
        }
    }

    println!(
        "todo_http: {conns} keep-alive connections per case, {ROUNDS} rounds of {} ms; \
         mixed = 2 Rust + 2 Elixir nodes, every POST stored on all nodes of its cluster",
        round.as_millis()
    );
    println!(
        "{:<48} {:>9} {:>9} {:>9}",
        "case", "req/s", "p50 ms", "p99 ms"
    );
    for case in cases.iter_mut() {
        case.rps.sort_by(f64::total_cmp);
        case.latencies_us.sort_unstable();
        println!(
            "{:<56} {:>9.0} {:>9.2} {:>9.2}",
            case.label,
            case.rps[case.rps.len() / 2],
            percentile(&case.latencies_us, 0.50),
            percentile(&case.latencies_us, 0.99)
        );
    }
}
