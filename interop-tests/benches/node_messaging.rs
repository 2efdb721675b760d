//! Messaging benchmark (issue 4): one-way small-message throughput, round-trip latency and
//! connection setup, BEAM-to-BEAM against the Rust node and the same BEAM peer, in one run.
//!
//! `cargo bench -p interop-tests --bench node_messaging`. Prints a table and the ratios. Each
//! figure is the median of 5 rounds. Everything runs on loopback with a private OTP epmd.

use distproto::term::Term;
use interop_tests::{compile_erl, free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};
use node::{Node, NodeConfig, NodeName};
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const MESSAGES: usize = 200_000;
const ROUND_TRIPS: usize = 2_000;
const SETUPS: usize = 30;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("bench");
    let erl = |name: &str| {
        ErlNode::start(ErlOptions {
            sname: Some(format!("{}@localhost", unique_name(name))),
            cookie: Some(cookie.clone()),
            epmd_port: Some(epmd.port),
            args: vec!["-pa".into(), compile_erl("bench_msg").display().to_string()],
            ..Default::default()
        })
    };
    let mut a = erl("a");
    let mut b = erl("b");
    let b_name = b.eval("node().");
    b.eval("bench_msg:start_sink(), bench_msg:start_echo().");

    let rt = NodeRuntime::new();
    let config = |prefix: &str| {
        NodeConfig::new(
            NodeName::short(&format!("{}@localhost", unique_name(prefix))).expect("name"),
        )
        .with_cookie(cookie.clone())
        .with_epmd_port(epmd.port)
        .start_epmd(false)
    };
    let rust = {
        let c = config("rust");
        rt.block_on(Node::start(c))
    }
    .expect("rust node");
    let rust2 = {
        let c = config("rust2");
        rt.block_on(Node::start(c))
    }
    .expect("second rust node");
    assert!({
        let (n, b) = (rust.clone(), b_name.clone());
        rt.block_on(async move { n.ping(&b).await })
    });
    assert_eq!(a.eval(&format!("net_adm:ping('{b_name}').")), "pong");
    let msg = "{msg, 12345, <<\"payload\">>}";
    let msg_term = Term::tuple(vec![
        Term::atom("msg"),
        Term::from(12345i64),
        Term::binary(b"payload".to_vec()),
    ]);

    // One-way throughput.
    let beam_one_way: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            a.eval(&format!(
                "bench_msg:one_way('{b_name}', {MESSAGES}, {msg})."
            ))
            .parse()
            .expect("msgs/s")
        })
        .collect();
    let rust_one_way: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let (n, b, m) = (rust.clone(), b_name.clone(), msg_term.clone());
            rt.block_on(async move { rust_one_way(&n, &b, &m).await })
        })
        .collect();
    let rust_rust: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let (n, n2, m) = (rust.clone(), rust2.clone(), msg_term.clone());
            rt.block_on(async move { rust_to_rust(&n, &n2, &m).await })
        })
        .collect();

    // Round trips.
    let beam_rtt: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            a.eval(&format!("bench_msg:rtt('{b_name}', {ROUND_TRIPS})."))
                .parse()
                .expect("us")
        })
        .collect();
    let rust_rtt: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let (n, b) = (rust.clone(), b_name.clone());
            rt.block_on(async move { rust_rtt(&n, &b).await })
        })
        .collect();

    // Connection setup (epmd lookup + TCP connect + handshake).
    let beam_setup: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            a.eval(&format!("bench_msg:setup('{b_name}', {SETUPS})."))
                .parse()
                .expect("us")
        })
        .collect();
    let rust_setup: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let (n, b) = (rust.clone(), b_name.clone());
            rt.block_on(async move { rust_setup(&n, &b).await })
        })
        .collect();

    let (bo, ro, rr) = (
        median(beam_one_way),
        median(rust_one_way),
        median(rust_rust),
    );
    let (bt, rt_) = (median(beam_rtt), median(rust_rtt));
    let (bs, rs) = (median(beam_setup), median(rust_setup));
    println!("| measure | BEAM->BEAM | Rust | ratio | target |");
    println!("|---|--:|--:|--:|---|");
    println!(
        "| one-way small messages/s, Rust->BEAM | {bo:.0} | {ro:.0} | {:.2}x | >= 1.0x |",
        ro / bo
    );
    println!(
        "| one-way small messages/s, Rust->Rust | {bo:.0} | {rr:.0} | {:.2}x | >= 3.0x |",
        rr / bo
    );
    println!(
        "| round trip p50 (us), Rust<->BEAM | {bt:.0} | {rt_:.0} | {:.2}x | <= 1.0x |",
        rt_ / bt
    );
    println!(
        "| connection setup median (us) | {bs:.0} | {rs:.0} | {:.2}x | <= 1.0x |",
        rs / bs
    );
}

/// The runtime the Rust nodes live on, driven all the time by its own thread (so the nodes keep
/// reading, writing and ticking while the BEAM side is measured): a 2-worker multi-thread runtime,
/// or with `NODE_BENCH_RUNTIME=current` a current-thread one (see docs/node-performance.md for
/// the one such run that did not finish).
struct NodeRuntime {
    handle: tokio::runtime::Handle,
}

impl NodeRuntime {
    fn new() -> NodeRuntime {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = match std::env::var("NODE_BENCH_RUNTIME").as_deref() {
                Ok("current") => tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build(),
                _ => tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build(),
            }
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

/// Rust node -> BEAM sink: messages per second until the sink has them all.
async fn rust_one_way(node: &Node, peer: &str, msg: &Term) -> f64 {
    let mut me = node.spawn_process();
    let arm = Term::tuple(vec![
        Term::atom("expect"),
        Term::from(MESSAGES as i64),
        Term::Pid(me.pid().clone()),
    ]);
    me.send_named("sink", peer, arm).await;
    let started = Instant::now();
    for _ in 0..MESSAGES {
        me.send_named("sink", peer, msg.clone()).await;
    }
    me.mailbox
        .recv_timeout(Duration::from_secs(120))
        .await
        .expect("sink_done");
    MESSAGES as f64 / started.elapsed().as_secs_f64()
}

/// Rust node -> another Rust node's process.
async fn rust_to_rust(from: &Node, to: &Node, msg: &Term) -> f64 {
    let mut sink = to.spawn_process();
    let name = unique_name("sink");
    assert!(sink.register(&name));
    let me = from.spawn_process();
    let started = Instant::now();
    for _ in 0..MESSAGES {
        me.send_named(&name, to.name(), msg.clone()).await;
    }
    for _ in 0..MESSAGES {
        sink.mailbox
            .recv_timeout(Duration::from_secs(60))
            .await
            .expect("message");
    }
    MESSAGES as f64 / started.elapsed().as_secs_f64()
}

/// Median round trip to the BEAM echo server, in microseconds.
async fn rust_rtt(node: &Node, peer: &str) -> f64 {
    let mut me = node.spawn_process();
    let mut times = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..ROUND_TRIPS {
        let started = Instant::now();
        me.send_named(
            "echo",
            peer,
            Term::tuple(vec![Term::Pid(me.pid().clone()), Term::from(i as i64)]),
        )
        .await;
        me.mailbox
            .recv_timeout(Duration::from_secs(10))
            .await
            .expect("echo");
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    median(times)
}

/// Median time to set up a connection after disconnecting, in microseconds. The disconnect is
/// awaited as a nodedown event; when the peer has already connected back (BEAM services can do
/// that on their own), the round disconnects again rather than timing a connection that exists
/// (100 such rounds in a row end the benchmark rather than loop for ever).
async fn rust_setup(node: &Node, peer: &str) -> f64 {
    let mut times = Vec::with_capacity(SETUPS);
    let mut redos = 0;
    while times.len() < SETUPS {
        let mut events = node.monitor_nodes();
        if node.disconnect_node(peer) {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            loop {
                match tokio::time::timeout_at(deadline, events.recv()).await {
                    Ok(Ok(node::NodeEvent::Down { node: down, .. })) if down == peer => break,
                    Ok(Ok(_)) => continue,
                    _ => panic!("no nodedown for {peer} within 10 s of disconnect_node"),
                }
            }
        }
        // As on the BEAM side: let the peer see the old connection end (untimed).
        tokio::time::sleep(Duration::from_millis(5)).await;
        if node.nodes().iter().any(|n| n == peer) {
            redos += 1;
            assert!(
                redos < 100,
                "{peer} connected back on its own 100 times in a row"
            );
            continue;
        }
        redos = 0;
        let started = Instant::now();
        node.connect_node(peer).await.expect("connect");
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    median(times)
}
