//! Idle expiry with a short TODO_SERVER_EXPIRY (4 s) in a mixed cluster: the stopped server's
//! global name leaves every node, and the next request starts a fresh server with every entry.

use interop_tests::{TodoCluster, TodoKind, TodoNode};
use std::time::{Duration, Instant};

/// Long enough that no server expires between two steps of the test on a loaded CI machine.
const EXPIRY_S: u64 = 4;

fn start(cluster: &TodoCluster, kind: TodoKind, peers: &[&TodoNode]) -> TodoNode {
    let mut options = cluster.options(kind);
    options.expiry_s = Some(EXPIRY_S);
    options.connect = peers.iter().map(|p| p.name.clone()).collect();
    cluster.start(options)
}

/// `:global.whereis_name({Todo.Server, list})` on an Elixir node, polled until `undefined`.
fn wait_for_name_gone(elixir: &mut TodoNode, list: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = elixir.eval(&format!(
            "global:whereis_name({{'Elixir.Todo.Server', <<\"{list}\">>}})."
        ));
        if found == "undefined" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{list} still registered: {found}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn registered_pid_node(elixir: &mut TodoNode, list: &str) -> String {
    elixir.eval(&format!(
        "node(global:whereis_name({{'Elixir.Todo.Server', <<\"{list}\">>}}))."
    ))
}

#[test]
fn an_expired_server_leaves_every_node_and_restarts_with_every_entry() {
    let cluster = TodoCluster::new();
    let mut rust1 = start(&cluster, TodoKind::Rust, &[]);
    let mut elixir = start(&cluster, TodoKind::Elixir, &[&rust1]);
    let mut rust2 = start(&cluster, TodoKind::Rust, &[&rust1, &elixir]);

    // A server on rust1, used from the other two.
    rust1.add_ok("bob", "2023-12-19", "Dentist");
    elixir.add_ok("bob", "2023-12-19", "Movies");
    rust2.add_ok("bob", "2023-12-20", "Shopping");
    assert_eq!(registered_pid_node(&mut elixir, "bob"), rust1.name);
    rust1.wait_for_output("Stopping to-do server for bob", Duration::from_secs(15));
    wait_for_name_gone(&mut elixir, "bob");

    // rust2 no longer knows the name either: it starts a fresh server itself, from its replica.
    assert_eq!(
        rust2.entries("bob", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    rust2.wait_for_output("Starting to-do server for bob.", Duration::from_secs(5));
    assert_eq!(registered_pid_node(&mut elixir, "bob"), rust2.name);
    assert_eq!(rust2.entries("bob", "2023-12-20"), ["2023-12-20 Shopping"]);

    // And again with the server on the Elixir node, restarted from rust1.
    rust2.wait_for_output("Stopping to-do server for bob", Duration::from_secs(15));
    wait_for_name_gone(&mut elixir, "bob");
    elixir.add_ok("bob", "2023-12-21", "Gym");
    assert_eq!(registered_pid_node(&mut elixir, "bob"), elixir.name);
    elixir.wait_for_output("Stopping to-do server for bob", Duration::from_secs(15));
    wait_for_name_gone(&mut elixir, "bob");
    assert_eq!(
        rust1.entries("bob", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    assert_eq!(rust1.entries("bob", "2023-12-21"), ["2023-12-21 Gym"]);
    assert_eq!(registered_pid_node(&mut elixir, "bob"), rust1.name);
    assert_eq!(rust1.count_output("Starting to-do server for bob."), 2);
}
