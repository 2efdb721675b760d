//! A node that joins the cluster late serves lists it has never seen from its own synced copy,
//! even once every node that held them has died.

use interop_tests::{TodoCluster, TodoKind};
use std::time::Duration;

/// From a Rust peer: the late node copies every list (`keys/0`, `get/1`) before it serves.
#[test]
fn a_late_rust_node_copies_a_rust_peers_lists_before_serving() {
    let cluster = TodoCluster::new();
    let mut early = cluster.node(TodoKind::Rust, &[]);
    early.add_ok("alice", "2023-12-19", "Dentist");
    early.add_ok("bob", "2023-12-20", "Shopping");
    early.add_ok("bob", "2023-12-20", "Movies");

    let late = cluster.node(TodoKind::Rust, &[&early]);
    // Synced at join: the files are there before any request reaches the late node.
    for list in ["alice", "bob"] {
        assert_eq!(late.replica_term(list), early.replica_term(list), "{list}");
        assert!(late.replica_term(list).is_some(), "{list} not copied");
    }
    early.kill();
    assert_eq!(late.entries("alice", "2023-12-19"), ["2023-12-19 Dentist"]);
    assert_eq!(
        late.entries("bob", "2023-12-20"),
        ["2023-12-20 Shopping", "2023-12-20 Movies"]
    );
}

/// From an Elixir peer running the book's code (no `keys/0`): the late Rust node copies a list
/// when it first starts its server, then serves it alone.
#[test]
fn a_late_rust_node_serves_an_elixir_peers_lists_after_it_dies() {
    let cluster = TodoCluster::new();
    let mut options = cluster.options(TodoKind::Elixir);
    options.expiry_s = Some(1);
    let mut early = cluster.start(options);
    early.add_ok("alice", "2023-12-19", "Dentist");
    early.add_ok("alice", "2023-12-19", "Movies");
    early.wait_for_output("Stopping to-do server for alice", Duration::from_secs(15));

    let late = cluster.node(TodoKind::Rust, &[&early]);
    assert_eq!(
        late.entries("alice", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    assert_eq!(late.replica_term("alice"), early.replica_term("alice"));
    early.kill();
    assert_eq!(
        late.entries("alice", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
}

/// A late Elixir node (the book's code) in a Rust cluster finds the Rust node's server.
#[test]
fn a_late_elixir_node_serves_a_rust_nodes_lists() {
    let cluster = TodoCluster::new();
    let early = cluster.node(TodoKind::Rust, &[]);
    early.add_ok("alice", "2023-12-19", "Dentist");
    let late = cluster.node(TodoKind::Elixir, &[&early]);
    assert_eq!(late.entries("alice", "2023-12-19"), ["2023-12-19 Dentist"]);
    late.add_ok("alice", "2023-12-19", "Movies");
    assert_eq!(late.replica_term("alice"), early.replica_term("alice"));
    assert!(late.replica_term("alice").is_some());
}

/// A restarted Rust node holding an older copy replaces it with its Rust peer's newer one before
/// it serves, so it keeps every entry when that peer dies.
#[test]
fn a_restarted_rust_node_replaces_its_older_copies_before_serving() {
    let cluster = TodoCluster::new();
    let mut first = cluster.node(TodoKind::Rust, &[]);
    let mut second = cluster.node(TodoKind::Rust, &[&first]);
    first.add_ok("alice", "2023-12-19", "Dentist");
    second.kill();
    first.add_ok("alice", "2023-12-19", "Missed while down");
    first.add_ok("bob", "2023-12-20", "Never seen");
    let older = second.replica_term("alice").expect("second's old copy");
    assert_ne!(Some(&older), first.replica_term("alice").as_ref());

    let second = cluster.restart(&second, &[&first]);
    for list in ["alice", "bob"] {
        assert_eq!(
            second.replica_term(list),
            first.replica_term(list),
            "{list}"
        );
    }
    first.kill();
    assert_eq!(
        second.entries("alice", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Missed while down"]
    );
    assert_eq!(
        second.entries("bob", "2023-12-20"),
        ["2023-12-20 Never seen"]
    );
}
