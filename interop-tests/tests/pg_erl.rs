//! pg between the Rust node and real OTP 25 nodes running pg (`-kernel start_pg true`): members
//! joined on any node are seen by all, leaves and deaths of members and of whole nodes remove
//! them everywhere, named scopes work the same, and monitor_scope reports the changes.

use interop_tests::{runtime, Cluster, ErlNode};
use node::{Node, Term};
use std::time::{Duration, Instant};

/// Polls `check` until it returns true (up to 5 s); the last value is the assertion's message.
fn eventually(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match check() {
            Ok(()) => return,
            Err(last) if Instant::now() > deadline => panic!("{what}: {last}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn erl_members(erl: &mut ErlNode, scope: &str, group: &str) -> usize {
    erl.eval(&format!("length(pg:get_members({scope}, {group}))."))
        .parse()
        .expect("a count")
}

#[test]
fn pg_groups_are_shared_between_beam_and_rust_nodes() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let mut a = cluster.erl(&["-kernel", "start_pg", "true"]);
    let mut b = cluster.erl(&["-kernel", "start_pg", "true"]);
    assert_eq!(a.eval(&format!("net_adm:ping('{r}').")), "pong");
    assert_eq!(b.eval(&format!("net_adm:ping('{r}').")), "pong");
    let b_name = b.eval("node().");
    assert_eq!(a.eval(&format!("net_adm:ping('{b_name}').")), "pong");
    let pg = node.pg();
    let group = |name: &str| Term::atom(name);

    // A BEAM member is seen on the Rust node.
    a.eval("P = spawn(fun() -> receive stop -> ok end end), ok = pg:join(beam_group, P).");
    eventually("Rust sees a's member", || {
        let n = pg.get_members(&group("beam_group")).len();
        (n == 1).then_some(()).ok_or(format!("{n} members"))
    });

    // A Rust member is seen on both BEAM nodes; a group with members everywhere has them all.
    let member = node.spawn_process();
    rt.block_on(pg.join(group("rust_group"), std::slice::from_ref(member.pid())))
        .expect("join");
    rt.block_on(pg.join(group("mixed"), std::slice::from_ref(member.pid())))
        .expect("join");
    a.eval("ok = pg:join(mixed, P).");
    b.eval("Q = spawn(fun() -> receive stop -> ok end end), ok = pg:join(mixed, Q).");
    eventually("every node sees every member", || {
        let counts = (
            erl_members(&mut a, "pg", "rust_group"),
            erl_members(&mut b, "pg", "rust_group"),
            erl_members(&mut a, "pg", "mixed"),
            erl_members(&mut b, "pg", "mixed"),
            pg.get_members(&group("mixed")).len(),
        );
        (counts == (1, 1, 3, 3, 3))
            .then_some(())
            .ok_or(format!("{counts:?}"))
    });
    assert_eq!(
        b.eval("[node(M) || M <- pg:get_members(rust_group)]."),
        format!("['{r}']").replace('\'', "")
    );
    assert_eq!(
        pg.get_local_members(&group("mixed")),
        vec![member.pid().clone()]
    );
    let groups = pg.which_groups();
    for g in ["beam_group", "mixed", "rust_group"] {
        assert!(groups.contains(&group(g)), "{g} in {groups:?}");
    }

    // A subscriber hears about changes.
    let mut watcher = node.spawn_process();
    let (mref, now) = rt
        .block_on(pg.monitor_scope(&watcher))
        .expect("monitor_scope");
    assert_eq!(now.get(&group("mixed")).map(Vec::len), Some(3));

    // A BEAM member that dies leaves everywhere; the subscriber hears it.
    a.eval("P ! stop.");
    eventually("P left", || {
        let n = pg.get_members(&group("beam_group")).len();
        (n == 0).then_some(()).ok_or(format!("{n} members"))
    });
    let note = rt
        .block_on(watcher.mailbox.recv_timeout(Duration::from_secs(5)))
        .expect("a leave notification");
    let text = distproto::text::write_term(&note);
    assert!(
        text.starts_with(&format!(
            "{{{},leave,",
            distproto::text::write_term(&Term::from(mref))
        )),
        "{text}"
    );

    // A Rust leave, and a Rust member's exit, are seen on BEAM.
    assert!(rt.block_on(pg.leave(group("rust_group"), std::slice::from_ref(member.pid()))));
    assert!(!rt.block_on(pg.leave(group("rust_group"), std::slice::from_ref(member.pid()))));
    eventually("the Rust leave reached b", || {
        let n = erl_members(&mut b, "pg", "rust_group");
        (n == 0).then_some(()).ok_or(format!("{n} members"))
    });
    drop(member);
    eventually("the Rust member's exit reached a", || {
        let n = erl_members(&mut a, "pg", "mixed");
        (n == 1).then_some(()).ok_or(format!("{n} members"))
    });

    // A node that goes down takes its members with it.
    b.guard.kill();
    eventually("b's member is gone", || {
        let n = pg.get_members(&group("mixed")).len();
        (n == 0).then_some(()).ok_or(format!("{n} members"))
    });

    // Named scopes work the same way.
    a.eval("{ok, _} = pg:start(my_scope).");
    let scope = node.pg_scope("my_scope").expect("scope");
    let worker = node.spawn_process();
    rt.block_on(scope.join(group("workers"), std::slice::from_ref(worker.pid())))
        .expect("join");
    eventually("a sees the named scope's member", || {
        let n = erl_members(&mut a, "my_scope", "workers");
        (n == 1).then_some(()).ok_or(format!("{n} members"))
    });
    a.eval(
        "W = spawn(fun() -> receive stop -> ok end end), ok = pg:join(my_scope, workers, [W, W]).",
    );
    eventually("Rust sees a's double join", || {
        let n = scope.get_members(&group("workers")).len();
        (n == 3).then_some(()).ok_or(format!("{n} members"))
    });
}

#[test]
fn pg_between_two_rust_nodes_and_a_beam_node() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let one = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let two = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let mut beam = cluster.erl(&["-kernel", "start_pg", "true"]);
    let beam_name = beam.eval("node().");
    rt.block_on(one.connect_node(two.name())).expect("connect");
    rt.block_on(one.connect_node(&beam_name)).expect("connect");
    rt.block_on(two.connect_node(&beam_name)).expect("connect");
    let group = Term::atom("g");
    let m1 = one.spawn_process();
    let m2 = two.spawn_process();
    rt.block_on(one.pg().join(group.clone(), std::slice::from_ref(m1.pid())))
        .expect("join");
    rt.block_on(two.pg().join(group.clone(), std::slice::from_ref(m2.pid())))
        .expect("join");
    beam.eval("P = spawn(fun() -> receive stop -> ok end end), ok = pg:join(g, P).");
    eventually("three members everywhere", || {
        let counts = (
            one.pg().get_members(&group).len(),
            two.pg().get_members(&group).len(),
            erl_members(&mut beam, "pg", "g"),
        );
        (counts == (3, 3, 3))
            .then_some(())
            .ok_or(format!("{counts:?}"))
    });
    drop(m2);
    eventually("the member of the second Rust node left everywhere", || {
        let counts = (
            one.pg().get_members(&group).len(),
            erl_members(&mut beam, "pg", "g"),
        );
        (counts == (2, 2))
            .then_some(())
            .ok_or(format!("{counts:?}"))
    });
}

#[test]
fn pg_between_three_rust_nodes_and_a_beam_node_with_a_crashed_rust_node() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let one = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let two = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    // The third node runs on a runtime of its own; dropping that runtime is its crash: every
    // task stops and every socket closes, without a goodbye.
    let rt3 = runtime();
    let three = rt3
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let mut beam = cluster.erl(&["-kernel", "start_pg", "true"]);
    let beam_name = beam.eval("node().");
    for (a, b) in [
        (&one, two.name()),
        (&one, three.name()),
        (&one, beam_name.as_str()),
        (&two, three.name()),
        (&two, beam_name.as_str()),
    ] {
        rt.block_on(a.connect_node(b)).expect("connect");
    }
    rt3.block_on(three.connect_node(&beam_name))
        .expect("connect");
    let group = Term::atom("g");
    let members: Vec<_> = [&one, &two].iter().map(|n| n.spawn_process()).collect();
    for (node, member) in [&one, &two].iter().zip(&members) {
        rt.block_on(
            node.pg()
                .join(group.clone(), std::slice::from_ref(member.pid())),
        )
        .expect("join");
    }
    let m3 = three.spawn_process();
    rt3.block_on(
        three
            .pg()
            .join(group.clone(), std::slice::from_ref(m3.pid())),
    )
    .expect("join");
    beam.eval("P = spawn(fun() -> receive stop -> ok end end), ok = pg:join(g, P).");
    let counts = |beam: &mut ErlNode| {
        (
            one.pg().get_members(&group).len(),
            two.pg().get_members(&group).len(),
            three.pg().get_members(&group).len(),
            erl_members(beam, "pg", "g"),
        )
    };
    eventually("four members everywhere", || {
        let seen = counts(&mut beam);
        (seen == (4, 4, 4, 4))
            .then_some(())
            .ok_or(format!("{seen:?}"))
    });

    // A BEAM member that dies leaves every Rust node.
    beam.eval("P ! stop.");
    eventually("the BEAM member left everywhere", || {
        let seen = counts(&mut beam);
        (seen == (3, 3, 3, 3))
            .then_some(())
            .ok_or(format!("{seen:?}"))
    });

    // The third Rust node crashes: its member leaves the groups on every surviving node.
    // (The runtime goes first: dropping m3 on a running node would be a normal exit.)
    let gone = three.name().to_string();
    rt3.shutdown_background();
    drop(m3);
    drop(three);
    eventually("the crashed node's member is gone", || {
        let seen = (
            one.pg().get_members(&group).len(),
            two.pg().get_members(&group).len(),
            erl_members(&mut beam, "pg", "g"),
        );
        (seen == (2, 2, 2)).then_some(()).ok_or(format!("{seen:?}"))
    });
    // The members may go (on the scope's DOWN) a moment before the peer leaves `nodes()`.
    eventually("the crashed node left the node list", || {
        (!one.nodes().contains(&gone))
            .then_some(())
            .ok_or(format!("{:?}", one.nodes()))
    });
}
