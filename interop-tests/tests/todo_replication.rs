//! How a store treats nodes that cannot take a replica: a plain erl node without the todo app and
//! a stopped Elixir node are named in "Store failed on node N", and the POST still answers OK
//! (after at most the book's 5 s), as the book's `:rpc.multicall` store does.

use interop_tests::{ErlNode, ErlOptions, TodoCluster, TodoKind};
use std::time::{Duration, Instant};

#[test]
fn a_node_without_the_todo_app_is_named_and_the_post_still_succeeds() {
    let cluster = TodoCluster::new();
    let mut rust = cluster.node(TodoKind::Rust, &[]);
    let mut erl = ErlNode::start(ErlOptions {
        sname: Some(format!("{}@localhost", interop_tests::unique_name("plain"))),
        cookie: Some(cluster.cookie.clone()),
        epmd_port: Some(cluster.epmd.port),
        ..Default::default()
    });
    let erl_name = erl.eval("node().");
    assert_eq!(
        erl.eval(&format!("net_kernel:connect_node('{}').", rust.name)),
        "true"
    );
    erl.eval("global:sync().");

    let started = Instant::now();
    rust.add_ok("bob", "2023-12-19", "Dentist");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "an undef reply must not be waited out"
    );
    rust.wait_for_output(
        &format!("Store failed on node {erl_name}"),
        Duration::from_secs(5),
    );
    assert_eq!(rust.entries("bob", "2023-12-19"), ["2023-12-19 Dentist"]);
}

#[test]
fn a_stopped_node_is_waited_for_5_s_named_and_gets_the_late_store_when_it_resumes() {
    let cluster = TodoCluster::new();
    let mut rust = cluster.node(TodoKind::Rust, &[]);
    let mut elixir = cluster.node(TodoKind::Elixir, &[&rust]);
    rust.add_ok("bob", "2023-12-19", "Dentist");
    assert!(elixir.replica_term("bob").is_some(), "no Elixir replica");

    elixir.guard.signal(libc::SIGSTOP);
    let started = Instant::now();
    let response = rust.add("bob", "2023-12-19", "Movies");
    let waited = started.elapsed();
    elixir.guard.signal(libc::SIGCONT);
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
    assert!(
        waited >= Duration::from_millis(4500) && waited < Duration::from_secs(9),
        "the store waited {waited:?}, not about 5 s"
    );
    rust.wait_for_output(
        &format!("Store failed on node {}", elixir.name),
        Duration::from_secs(5),
    );

    // The late store still runs when the node resumes (erpc does not cancel a spawned call).
    // Wait for it (reading the worker's file through the worker, so never half-written) before
    // the next store, so that the two cannot reach the worker in the other order.
    let deadline = Instant::now() + Duration::from_secs(10);
    while elixir.eval("maps:get(next_id, 'Elixir.Todo.Database':get(<<\"bob\">>)).") != "3" {
        assert!(Instant::now() < deadline, "the late store never landed");
        std::thread::sleep(Duration::from_millis(50));
    }
    rust.add_ok("bob", "2023-12-20", "Shopping");
    assert_eq!(elixir.replica_term("bob"), rust.replica_term("bob"));
    assert_eq!(
        elixir.entries("bob", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
}
