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

/// The book writes a list under its name unchanged (`Path.join(folder, name)`), spaces and
/// non-ASCII letters included; the Rust node does the same, so each finds the other's lists.
#[test]
fn list_names_with_spaces_and_accents_are_the_same_files_on_both() {
    let cluster = TodoCluster::new();
    let mut elixir = cluster.node(TodoKind::Elixir, &[]);
    elixir.add_ok("my list", "2023-12-19", "Dentist");
    elixir.kill();
    let mut rust = take_over(&cluster, &elixir, TodoKind::Rust);
    assert_eq!(
        rust.entries("my list", "2023-12-19"),
        ["2023-12-19 Dentist"]
    );
    rust.add_ok("Einkäufe", "2023-12-20", "Brot");
    rust.kill();
    let elixir = take_over(&cluster, &rust, TodoKind::Elixir);
    assert_eq!(
        elixir.entries("Einkäufe", "2023-12-20"),
        ["2023-12-20 Brot"]
    );
    assert_eq!(
        elixir.entries("my list", "2023-12-19"),
        ["2023-12-19 Dentist"]
    );
}
