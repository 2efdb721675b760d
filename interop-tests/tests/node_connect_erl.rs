//! The Rust node against real OTP 25 nodes: connect and ping both ways, hidden nodes, wrong
//! cookies, names in use, messages both ways, and nodedown when the BEAM peer dies or stalls.

use interop_tests::{runtime, unique_name, Cluster, ErlNode, ErlOptions};
use node::{Node, NodeEvent, Term};
use std::time::Duration;

#[test]
fn ping_both_ways_and_node_lists() {
    let cluster = Cluster::new();
    let rt = runtime();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node starts");
    let mut erl = cluster.erl(&[]);
    let erl_name = erl.eval("node().");

    assert_eq!(
        erl.eval(&format!("net_adm:ping('{}').", node.name())),
        "pong"
    );
    assert_eq!(erl.eval("nodes()."), format!("[{}]", node.name()));
    assert_eq!(node.nodes(), vec![erl_name.clone()]);

    let mut other = cluster.erl(&[]);
    let other_name = other.eval("node().");
    assert!(rt.block_on(node.ping(&other_name)), "Rust pings erl");
    assert!(other.eval("nodes().").contains(node.name()));
    assert!(
        !rt.block_on(node.ping("nobody@localhost")),
        "pang for a node that does not exist"
    );
}

#[test]
fn hidden_rust_node_is_listed_as_hidden() {
    let cluster = Cluster::new();
    let rt = runtime();
    let node = rt
        .block_on(Node::start(cluster.config("hidden").hidden(true)))
        .expect("node starts");
    let mut erl = cluster.erl(&[]);
    assert_eq!(
        erl.eval(&format!("net_adm:ping('{}').", node.name())),
        "pong"
    );
    assert_eq!(erl.eval("nodes()."), "[]");
    assert_eq!(erl.eval("nodes(hidden)."), format!("[{}]", node.name()));
}

#[test]
fn wrong_cookie_is_refused_both_ways_and_the_node_keeps_serving() {
    let cluster = Cluster::new();
    let rt = runtime();
    let config = cluster.config("rust").with_cookie("not-the-cluster-cookie");
    let node = rt.block_on(Node::start(config)).expect("node starts");
    let mut erl = cluster.erl(&[]);
    let erl_name = erl.eval("node().");
    assert_eq!(
        erl.eval(&format!("net_adm:ping('{}').", node.name())),
        "pang"
    );
    assert!(!rt.block_on(node.ping(&erl_name)));
    // A peer with the node's own cookie still gets in: the refusals closed only those connections.
    let mut friend = ErlNode::start(ErlOptions {
        sname: Some(format!("{}@localhost", unique_name("friend"))),
        cookie: Some("not-the-cluster-cookie".into()),
        epmd_port: Some(cluster.epmd.port),
        ..Default::default()
    });
    assert_eq!(
        friend.eval(&format!("net_adm:ping('{}').", node.name())),
        "pong"
    );
}

#[test]
fn a_name_in_use_is_refused() {
    let cluster = Cluster::new();
    let rt = runtime();
    let config = cluster.config("dup");
    let _first = rt
        .block_on(Node::start(config.clone()))
        .expect("first node starts");
    let second = rt.block_on(Node::start(config));
    assert!(
        matches!(second, Err(node::NodeError::NameInUse(_))),
        "{:?}",
        second.err()
    );
}

#[test]
fn messages_flow_both_ways() {
    let cluster = Cluster::new();
    let rt = runtime();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node starts");
    let mut echo = node.spawn_process();
    assert!(echo.register("echo"));
    let node2 = node.clone();
    rt.spawn(async move {
        while let Some(Ok(items)) = echo.mailbox.recv().await.map(Term::into_tuple) {
            if let [Term::Pid(from), msg] = items.as_slice() {
                echo.send(from, msg.clone()).await;
            }
        }
        drop(node2);
    });
    let mut erl = cluster.erl(&[]);
    let reply = erl.eval(&format!(
        "{{echo, '{}'}} ! {{self(), {{hello, [1,2,3], <<\"bin\">>}}}}, receive M -> M after 5000 -> timeout end.",
        node.name()
    ));
    assert_eq!(reply, "{hello,[1,2,3],<<\"bin\">>}");
    let big = erl.eval(&format!(
        "B = crypto:strong_rand_bytes(10000000), {{echo, '{}'}} ! {{self(), B}}, receive B -> ok after 20000 -> timeout end.",
        node.name()
    ));
    assert_eq!(big, "ok");
}

#[test]
fn nodedown_when_the_beam_peer_is_killed_or_stalls() {
    let cluster = Cluster::new();
    let rt = runtime();
    let config = cluster
        .config("rust")
        .with_net_ticktime(Duration::from_secs(4));
    let node = rt.block_on(Node::start(config)).expect("node starts");
    let mut events = node.monitor_nodes();

    let mut killed = cluster.erl(&["-kernel", "net_ticktime", "4"]);
    let killed_name = killed.eval("node().");
    assert!(rt.block_on(node.ping(&killed_name)));
    killed.guard.signal(libc::SIGKILL);
    let down = rt.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_secs(3), events.recv()).await {
                Ok(Ok(NodeEvent::Down { node, reason, .. })) if node == killed_name => {
                    return Some(reason)
                }
                Ok(Ok(_)) => continue,
                _ => return None,
            }
        }
    });
    assert!(down.is_some(), "nodedown within 3 s of kill -9");

    let mut stalled = cluster.erl(&["-kernel", "net_ticktime", "4"]);
    let stalled_name = stalled.eval("node().");
    assert!(rt.block_on(node.ping(&stalled_name)));
    let stopped_at = std::time::Instant::now();
    stalled.guard.signal(libc::SIGSTOP);
    let reason = rt.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_secs(15), events.recv()).await {
                Ok(Ok(NodeEvent::Down { node, reason, .. })) if node == stalled_name => {
                    return Some(reason)
                }
                Ok(Ok(_)) => continue,
                _ => return None,
            }
        }
    });
    stalled.guard.signal(libc::SIGCONT);
    assert_eq!(reason.as_deref(), Some("net_tick_timeout"));
    let waited = stopped_at.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited <= Duration::from_secs(9),
        "nodedown after {waited:?} with net_ticktime 4"
    );

    // A stalled peer while we have more to send than its socket takes: the blocked write must
    // not keep the connection from going down (it once did, and no nodedown ever came).
    let mut stuck = cluster.erl(&["-kernel", "net_ticktime", "4"]);
    let stuck_name = stuck.eval("node().");
    assert!(rt.block_on(node.ping(&stuck_name)));
    stuck.guard.signal(libc::SIGSTOP);
    let sender = node.spawn_process();
    let big = Term::binary(vec![1u8; 1 << 20]);
    let reason = rt.block_on(async {
        for _ in 0..40 {
            sender.send_named("nobody", &stuck_name, big.clone()).await;
        }
        loop {
            match tokio::time::timeout(Duration::from_secs(15), events.recv()).await {
                Ok(Ok(NodeEvent::Down { node, reason, .. })) if node == stuck_name => {
                    return Some(reason)
                }
                Ok(Ok(_)) => continue,
                _ => return None,
            }
        }
    });
    stuck.guard.signal(libc::SIGCONT);
    assert!(
        reason.is_some(),
        "nodedown for a peer stalled while we send"
    );
}

#[test]
fn simultaneous_connects_leave_one_connection() {
    let cluster = Cluster::new();
    let rt = runtime();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node starts");
    for round in 0..5 {
        let mut erl = cluster.erl(&[]);
        let erl_name = erl.eval("node().");
        let mut events = node.monitor_nodes();
        // erl dials from a spawned process while we dial at the same moment.
        erl.eval(&format!(
            "spawn(fun() -> timer:sleep(200), net_kernel:connect_node('{}') end).",
            node.name()
        ));
        std::thread::sleep(Duration::from_millis(200));
        rt.block_on(node.connect_node(&erl_name))
            .expect("connected");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(node.nodes(), vec![erl_name.clone()], "round {round}");
        assert_eq!(
            erl.eval("nodes()."),
            format!("[{}]", node.name()),
            "round {round}"
        );
        assert!(rt.block_on(node.ping(&erl_name)));
        let seen: Vec<NodeEvent> = std::iter::from_fn(|| events.try_recv().ok()).collect();
        let ups = seen
            .iter()
            .filter(|e| matches!(e, NodeEvent::Up { node, .. } if *node == erl_name))
            .count();
        let downs = seen
            .iter()
            .filter(|e| matches!(e, NodeEvent::Down { node, .. } if *node == erl_name))
            .count();
        assert_eq!(
            (ups, downs),
            (1, 0),
            "round {round}: one nodeup, no nodedown: {seen:?}"
        );
        drop(erl);
    }
}
