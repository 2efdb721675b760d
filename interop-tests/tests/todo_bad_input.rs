//! Bad HTTP input on Rust and Elixir todo nodes: missing parameters and bad dates get a 400 that
//! names the problem, unknown routes a 404, malformed requests no crash; the node keeps serving.

use interop_tests::http_client::HttpConnection;
use interop_tests::{TodoCluster, TodoKind, TodoNode};

fn assert_400_naming(node: &TodoNode, method: &str, target: &str, named: &str) {
    let response = match method {
        "GET" => node.get(target),
        _ => node.post(target),
    };
    assert_eq!(
        response.status, 400,
        "{method} {target} on {}: {response:?}",
        node.name
    );
    assert!(
        response.body.contains(named),
        "{method} {target} on {}: the 400 should name `{named}`: {:?}",
        node.name,
        response.body
    );
}

fn bad_input_is_refused(kind: TodoKind) {
    let cluster = TodoCluster::new();
    let node = cluster.node(kind, &[]);
    node.add_ok("bob", "2023-12-19", "Dentist");

    assert_400_naming(&node, "GET", "/entries?date=2023-12-19", "list");
    assert_400_naming(&node, "GET", "/entries?list=bob", "date");
    assert_400_naming(&node, "POST", "/add_entry?date=2023-12-19&title=x", "list");
    assert_400_naming(&node, "POST", "/add_entry?list=bob&title=x", "date");
    assert_400_naming(
        &node,
        "POST",
        "/add_entry?list=bob&date=2023-12-19",
        "title",
    );
    for date in [
        "2023-13-01",
        "20231219",
        "2023-12-1",
        "2023-02-30",
        "tomorrow",
        "",
    ] {
        assert_400_naming(
            &node,
            "GET",
            &format!("/entries?list=bob&date={date}"),
            "date",
        );
        assert_400_naming(
            &node,
            "POST",
            &format!("/add_entry?list=bob&date={date}&title=x"),
            "date",
        );
    }

    // Routes the book does not have: 404, as the book's `match _`.
    for (method, target) in [
        ("GET", "/"),
        ("GET", "/add_entry?list=bob&date=2023-12-19&title=x"),
        ("POST", "/entries?list=bob&date=2023-12-19"),
        ("GET", "/entries/bob"),
        ("HEAD", "/entries?list=bob&date=2023-12-19"),
        ("DELETE", "/entries?list=bob&date=2023-12-19"),
    ] {
        let mut connection = HttpConnection::open(node.http_port).expect("connect");
        let response = connection.request(method, target).expect("response");
        assert_eq!(response.status, 404, "{method} {target}: {response:?}");
    }

    // A request line that is not HTTP: refused or dropped, never served.
    let mut connection = HttpConnection::open(node.http_port).expect("connect");
    if let Ok(response) = connection.raw(b"HELLO\r\n\r\n") {
        assert!(
            (400..500).contains(&response.status),
            "garbage got {response:?}"
        );
    }

    // Nothing was added by any of that, and the node still serves.
    assert_eq!(node.entries("bob", "2023-12-19"), ["2023-12-19 Dentist"]);
    node.add_ok("bob", "2023-12-19", "Movies");
    assert_eq!(
        node.entries("bob", "2023-12-19"),
        ["2023-12-19 Dentist", "2023-12-19 Movies"]
    );
    // Titles arrive URL-decoded and come back as UTF-8.
    node.add_ok("bob", "2023-12-20", "Zahnärztin & co");
    assert_eq!(
        node.entries("bob", "2023-12-20"),
        ["2023-12-20 Zahnärztin & co"]
    );
}

#[test]
fn a_rust_node_refuses_bad_input_and_keeps_serving() {
    bad_input_is_refused(TodoKind::Rust);
}

#[test]
fn the_elixir_app_refuses_bad_input_and_keeps_serving() {
    bad_input_is_refused(TodoKind::Elixir);
}

/// List names cannot escape the Rust node's folder: such a name is refused or stored inside it.
#[test]
fn a_list_name_cannot_escape_the_rust_nodes_folder() {
    let cluster = TodoCluster::new();
    let node = cluster.node(TodoKind::Rust, &[]);
    let outside = cluster.dir.path().join("escaped");
    for name in [
        "../../escaped",
        "../escaped",
        "/tmp/escaped",
        "a/../../../escaped",
        ".",
        "..",
    ] {
        let response = node.add(name, "2023-12-19", "x");
        if response.status == 200 {
            assert_eq!(
                node.entries(name, "2023-12-19"),
                ["2023-12-19 x"],
                "{name:?} was accepted, so it must be readable"
            );
        } else {
            assert_eq!(response.status, 400, "{name:?}: {response:?}");
        }
        assert!(!outside.exists(), "{name:?} wrote {}", outside.display());
    }
    let short = node.short_name().to_string();
    for entry in std::fs::read_dir(cluster.db_folder()).expect("db folder") {
        let entry = entry.expect("entry");
        assert_eq!(
            entry.file_name().to_string_lossy(),
            short,
            "a file outside the node's folder"
        );
    }
    node.add_ok("bob", "2023-12-19", "still serving");
}
