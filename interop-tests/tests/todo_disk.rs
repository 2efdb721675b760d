//! The replica files as the book's nodes and the Rust node share them: a Rust node started under
//! an Elixir node's name in the same folder serves that node's lists, and the other way round.

use interop_tests::{TodoCluster, TodoKind, TodoNode};

/// Starts `kind` under `old`'s name, HTTP port and folder (after `old` was killed).
fn take_over(cluster: &TodoCluster, old: &TodoNode, kind: TodoKind) -> TodoNode {
    let mut options = old.options.clone();
    options.kind = kind;
    options.connect.clear();
    cluster.start(options)
}

#[test]
fn rust_and_elixir_nodes_read_each_others_files() {
    let cluster = TodoCluster::new();
    let mut elixir = cluster.node(TodoKind::Elixir, &[]);
    elixir.add_ok("bob", "2023-12-19", "Dentist");
    elixir.add_ok("bob", "2023-12-20", "Shopping");
    elixir.add_ok("alice", "2023-12-19", "Zahnärztin");
    elixir.kill();

    // The Rust node reads the files OTP 25 wrote (ATOM_EXT atoms) ...
    let mut rust = take_over(&cluster, &elixir, TodoKind::Rust);
    assert_eq!(rust.entries("bob", "2023-12-19"), ["2023-12-19 Dentist"]);
    assert_eq!(
        rust.entries("alice", "2023-12-19"),
        ["2023-12-19 Zahnärztin"]
    );
    rust.add_ok("bob", "2023-12-19", "Movies");
    rust.kill();

    // ... and the book's code reads the file the Rust node rewrote, ids and next_id included.
    let elixir = take_over(&cluster, &rust, TodoKind::Elixir);
    assert_eq!(
        elixir.entries("bob", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    assert_eq!(elixir.entries("bob", "2023-12-20"), ["2023-12-20 Shopping"]);
    elixir.add_ok("bob", "2023-12-21", "Gym");
    assert_eq!(elixir.entries("bob", "2023-12-21"), ["2023-12-21 Gym"]);
    let ids = elixir.replica_term("bob").expect("replica");
    assert!(ids.contains("next_id => 5"), "{ids}");
}

/// Known gap, a decision documented in docs/todo.md: the Rust node percent-escapes every list
/// name byte outside `[A-Za-z0-9._-]` (`my list` is stored as `my%20list`), where the book writes
/// the name unchanged, so it does not find such lists in a book node's folder.
#[test]
#[ignore = "known gap: the Rust node escapes names the book stores unchanged (my list -> my%20list)"]
fn a_rust_node_finds_a_book_nodes_list_whose_name_has_a_space() {
    let cluster = TodoCluster::new();
    let mut elixir = cluster.node(TodoKind::Elixir, &[]);
    elixir.add_ok("my list", "2023-12-19", "Dentist");
    elixir.kill();
    let rust = take_over(&cluster, &elixir, TodoKind::Rust);
    assert_eq!(
        rust.entries("my list", "2023-12-19"),
        ["2023-12-19 Dentist"]
    );
}
