//! Concurrent use of one cluster of Rust and Elixir todo nodes: add_entry calls for one list from
//! every node at once all land, each once; first requests racing on every node start one server.

use interop_tests::{TodoCluster, TodoHttp, TodoKind, TodoNode};
use std::collections::BTreeSet;
use std::sync::Barrier;

/// Two Rust and two Elixir nodes, all connected.
fn four_nodes(cluster: &TodoCluster) -> Vec<TodoNode> {
    let rust1 = cluster.node(TodoKind::Rust, &[]);
    let elixir1 = cluster.node(TodoKind::Elixir, &[&rust1]);
    let rust2 = cluster.node(TodoKind::Rust, &[&rust1, &elixir1]);
    let elixir2 = cluster.node(TodoKind::Elixir, &[&rust1, &elixir1, &rust2]);
    vec![rust1, elixir1, rust2, elixir2]
}

/// Runs `request` on every node's HTTP interface at once, one thread each, released together.
fn on_every_node_at_once(nodes: &[TodoNode], request: impl Fn(&TodoHttp) + Sync) {
    let barrier = Barrier::new(nodes.len());
    std::thread::scope(|scope| {
        for node in nodes.iter().map(|n| TodoHttp::clone(n)) {
            let (barrier, request) = (&barrier, &request);
            scope.spawn(move || {
                barrier.wait();
                request(&node);
            });
        }
    });
}

#[test]
fn concurrent_adds_from_every_node_land_once() {
    const PER_NODE: usize = 8; // 32 entries in all: Elixir keeps a map that small in id order
    let cluster = TodoCluster::new();
    let mut nodes = four_nodes(&cluster);
    on_every_node_at_once(&nodes, |node| {
        for i in 0..PER_NODE {
            node.add_ok("shared", "2023-12-19", &format!("{} #{i}", node.name));
        }
    });

    let expected: BTreeSet<String> = nodes
        .iter()
        .flat_map(|n| (0..PER_NODE).map(move |i| format!("2023-12-19 {} #{i}", n.name)))
        .collect();
    let first = nodes[0].entries("shared", "2023-12-19");
    assert_eq!(
        first.len(),
        expected.len(),
        "an entry was lost or doubled: {first:#?}"
    );
    assert_eq!(first.iter().cloned().collect::<BTreeSet<_>>(), expected);
    for node in &nodes[1..] {
        assert_eq!(
            node.entries("shared", "2023-12-19"),
            first,
            "{} differs",
            node.name
        );
    }
    let servers: usize = nodes
        .iter_mut()
        .map(|n| n.count_output("Starting to-do server for shared."))
        .sum();
    assert_eq!(servers, 1, "one server for the list in the whole cluster");
    let replica = nodes[0].replica_term("shared").expect("replica");
    for node in &nodes[1..] {
        assert_eq!(
            node.replica_term("shared").as_ref(),
            Some(&replica),
            "{}",
            node.name
        );
    }
}

#[test]
fn first_requests_racing_on_every_node_start_one_server() {
    let cluster = TodoCluster::new();
    let mut nodes = four_nodes(&cluster);
    let lists: Vec<String> = (0..5).map(|i| format!("race{i}")).collect();
    for list in &lists {
        on_every_node_at_once(&nodes, |node| node.add_ok(list, "2023-12-19", &node.name));
    }
    for list in &lists {
        let entries = nodes[0].entries(list, "2023-12-19");
        let titles: BTreeSet<String> = nodes
            .iter()
            .map(|n| format!("2023-12-19 {}", n.name))
            .collect();
        assert_eq!(entries.len(), nodes.len(), "{list}: {entries:?}");
        assert_eq!(entries.into_iter().collect::<BTreeSet<_>>(), titles);
        let servers: usize = nodes
            .iter_mut()
            .map(|n| n.count_output(&format!("Starting to-do server for {list}.")))
            .sum();
        assert_eq!(servers, 1, "{list}: servers started");
    }
}
