//! The book's chapter 12 walk-through through HTTP, command by command: two nodes, add on one and
//! read on the other both ways, kill -9 the first, and the survivor still serves every entry.

use interop_tests::{TodoCluster, TodoKind, TodoNode};

/// The walk-through on `node1` (started first) and `node2` (connected to it), ending with
/// `node1` killed; returns the survivor.
fn walk_through(cluster: &TodoCluster, first: TodoKind, second: TodoKind) -> TodoNode {
    let mut node1 = cluster.node(first, &[]);
    let mut node2 = cluster.node(second, &[&node1]);

    // $ curl -d "" 'http://localhost:5454/add_entry?list=bob&date=2023-12-19&title=Dentist'
    node1.add_ok("bob", "2023-12-19", "Dentist");
    // $ curl 'http://localhost:5555/entries?list=bob&date=2023-12-19'
    assert_eq!(node2.entries("bob", "2023-12-19"), ["2023-12-19 Dentist"]);

    node2.add_ok("bob", "2023-12-20", "Shopping");
    assert_eq!(node1.entries("bob", "2023-12-20"), ["2023-12-20 Shopping"]);
    assert_eq!(node2.entries("bob", "2023-12-19"), ["2023-12-19 Dentist"]);

    // One server in the cluster, on the node that first used the list.
    assert_eq!(node1.count_output("Starting to-do server for bob."), 1);
    assert_eq!(node2.count_output("Starting to-do server for bob."), 0);
    // Both replicas hold the whole list: the same term, and the same bytes (the Rust node writes
    // OTP 25's term_to_binary encoding), so `cmp persist/node1/bob persist/node2/bob` agrees.
    let replica1 = node1.replica_term("bob").expect("node1's replica of bob");
    assert_eq!(node2.replica_term("bob").as_ref(), Some(&replica1));
    assert_eq!(
        node2.replica("bob"),
        node1.replica("bob"),
        "replica bytes differ"
    );

    node1.kill();
    node2.wait_until_forgotten(&node1.name);
    assert_eq!(node2.entries("bob", "2023-12-19"), ["2023-12-19 Dentist"]);
    assert_eq!(node2.entries("bob", "2023-12-20"), ["2023-12-20 Shopping"]);
    assert_eq!(node2.count_output("Starting to-do server for bob."), 1);
    node2
}

#[test]
fn rust_nodes_walk_through() {
    let cluster = TodoCluster::new();
    let mut survivor = walk_through(&cluster, TodoKind::Rust, TodoKind::Rust);
    // The survivor's new server appends after the restored entries.
    survivor.add_ok("bob", "2023-12-19", "Movies");
    assert_eq!(
        survivor.entries("bob", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    // The book's NodeMonitor lines (`:net_kernel.monitor_nodes(true)`).
    assert_eq!(survivor.count_output("Node connected: "), 1);
    assert_eq!(survivor.count_output("Node disconnected: "), 1);
}

/// The project's Elixir app alone behaves as the book describes (a check of the test's BEAM side).
#[test]
fn elixir_nodes_walk_through() {
    let cluster = TodoCluster::new();
    let mut survivor = walk_through(&cluster, TodoKind::Elixir, TodoKind::Elixir);
    survivor.add_ok("bob", "2023-12-19", "Movies");
    assert_eq!(
        survivor.entries("bob", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    // The stored term is the book's %Todo.List{} with %Date{} entries.
    let next_id = survivor.eval(
        "#{'__struct__' := 'Elixir.Todo.List', next_id := N, entries := #{1 := #{id := 1, \
         title := <<\"Dentist\">>, date := #{'__struct__' := 'Elixir.Date', \
         calendar := 'Elixir.Calendar.ISO', year := 2023, month := 12, day := 19}}}} = \
         'Elixir.Todo.Database':get(<<\"bob\">>), N.",
    );
    assert_eq!(next_id, "4");
}

#[test]
fn rust_then_elixir_walk_through() {
    let cluster = TodoCluster::new();
    walk_through(&cluster, TodoKind::Rust, TodoKind::Elixir);
}

#[test]
fn elixir_then_rust_walk_through() {
    let cluster = TodoCluster::new();
    walk_through(&cluster, TodoKind::Elixir, TodoKind::Rust);
}
