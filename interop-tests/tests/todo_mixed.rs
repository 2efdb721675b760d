//! Mixed clusters of Rust and Elixir todo nodes: a list whose server lives on one kind used
//! through the other kind's HTTP, its host killed, the list restored from the survivor's replica,
//! and a restarted node catching up.

use interop_tests::{TodoCluster, TodoKind, TodoNode};
use std::time::Duration;

fn started_here(node: &mut TodoNode, list: &str) -> usize {
    node.count_output(&format!("Starting to-do server for {list}."))
}

/// The list's server starts on `host` (first use there) and is then used through `user`'s HTTP;
/// `host` is killed, `user` restores the list from its replica; `host` restarts and catches up.
fn served_across_kinds(host_kind: TodoKind, user_kind: TodoKind) {
    let cluster = TodoCluster::new();
    let mut host = cluster.node(host_kind, &[]);
    let mut user = cluster.node(user_kind, &[&host]);

    host.add_ok("alice", "2023-12-19", "Dentist");
    user.add_ok("alice", "2023-12-19", "Movies");
    user.add_ok("alice", "2023-12-20", "Shopping");
    assert_eq!(
        user.entries("alice", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    assert_eq!(host.entries("alice", "2023-12-20"), ["2023-12-20 Shopping"]);
    assert_eq!(
        started_here(&mut host, "alice"),
        1,
        "the server runs on the host"
    );
    assert_eq!(
        started_here(&mut user, "alice"),
        0,
        "the user calls the host's server"
    );
    let replica = host.replica_term("alice").expect("host replica");
    assert_eq!(
        user.replica_term("alice").as_ref(),
        Some(&replica),
        "replicas differ"
    );

    host.kill();
    user.wait_until_forgotten(&host.name);
    assert_eq!(
        user.entries("alice", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    assert_eq!(
        started_here(&mut user, "alice"),
        1,
        "the survivor restarts the server"
    );
    user.add_ok("alice", "2023-12-20", "Gym");

    // The restarted host finds the survivor's server through :global and sees every entry.
    let host = cluster.restart(&host, &[&user]);
    assert_eq!(
        host.entries("alice", "2023-12-20"),
        ["2023-12-20 Shopping", "2023-12-20 Gym"]
    );
    host.add_ok("alice", "2023-12-21", "Rest");
    assert_eq!(user.entries("alice", "2023-12-21"), ["2023-12-21 Rest"]);
    let replica = user.replica_term("alice").expect("survivor replica");
    assert_eq!(
        host.replica_term("alice").as_ref(),
        Some(&replica),
        "replicas differ after restart"
    );
}

#[test]
fn a_list_on_an_elixir_node_served_through_a_rust_node() {
    served_across_kinds(TodoKind::Elixir, TodoKind::Rust);
}

#[test]
fn a_list_on_a_rust_node_served_through_an_elixir_node() {
    served_across_kinds(TodoKind::Rust, TodoKind::Elixir);
}

/// A Rust node restarted after missing writes catches up from an Elixir peer running the book's
/// code (no `keys/0`): once the Elixir server has expired, the Rust node starts the list's server
/// from the freshest copy in the cluster, and keeps it when the Elixir node dies.
#[test]
fn a_restarted_rust_node_catches_up_from_an_elixir_peer() {
    let cluster = TodoCluster::new();
    let mut options = cluster.options(TodoKind::Rust);
    options.expiry_s = Some(2);
    let mut rust = cluster.start(options);
    let mut options = cluster.options(TodoKind::Elixir);
    options.expiry_s = Some(2);
    options.connect = vec![rust.name.clone()];
    let mut elixir = cluster.start(options);

    elixir.add_ok("carol", "2023-12-19", "Dentist");
    rust.kill();
    elixir.wait_until_forgotten(&rust.name);
    elixir.add_ok("carol", "2023-12-19", "Missed while down");
    elixir.wait_for_output("Stopping to-do server for carol", Duration::from_secs(15));

    let mut rust = cluster.restart(&rust, &[&elixir]);
    assert_eq!(
        rust.entries("carol", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Missed while down"]
    );
    assert_eq!(started_here(&mut rust, "carol"), 1);
    elixir.kill();
    assert_eq!(
        rust.entries("carol", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Missed while down"]
    );
}

/// Above 32 entries the book's server answers in the order of Elixir's large-map (HAMT)
/// iteration; a Rust server answers in the same order, so a list's body does not change when its
/// server moves between kinds.
#[test]
fn more_than_32_entries_come_back_in_the_same_order_from_either_kind() {
    let cluster = TodoCluster::new();
    let rust = cluster.node(TodoKind::Rust, &[]);
    let elixir = cluster.node(TodoKind::Elixir, &[&rust]);
    for i in 0..40 {
        rust.add_ok("on_rust", "2023-12-19", &format!("e{i}"));
        elixir.add_ok("on_elixir", "2023-12-19", &format!("e{i}"));
    }
    let from_elixir_server = elixir.entries("on_elixir", "2023-12-19");
    assert_eq!(from_elixir_server.len(), 40);
    assert_ne!(
        from_elixir_server[0], "2023-12-19 e0",
        "not in hash order: the check is void"
    );
    assert_eq!(rust.entries("on_rust", "2023-12-19"), from_elixir_server);
    assert_eq!(elixir.entries("on_rust", "2023-12-19"), from_elixir_server);
    assert_eq!(rust.entries("on_elixir", "2023-12-19"), from_elixir_server);
}
