//! global between the Rust node and real OTP 25 nodes: the connect protocol (names seen
//! everywhere, `global:sync/0` returning), registration from both sides, `{global, Name}` calls
//! both ways, concurrent registration, `global:trans` mutual exclusion, node loss and restart,
//! and prevent_overlapping_partitions after `erlang:disconnect_node/1` between BEAM nodes.

use interop_tests::{runtime, Cluster, ErlNode};
use node::{CallReply, Ctx, Dest, GenCall, GenServer, LockId, Node, Term};
use std::time::{Duration, Instant};

const SECOND: Duration = Duration::from_secs(1);

/// Polls `check` until it returns Ok (up to 20 s); the last error is the panic message.
fn eventually(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match check() {
            Ok(()) => return,
            Err(last) if Instant::now() > deadline => panic!("{what}: {last}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn text(term: &Term) -> String {
    distproto::text::write_term(term)
}

/// `global:sync()` on `erl` within 10 s (it must not block on the Rust node).
fn erl_sync(erl: &mut ErlNode) {
    let started = Instant::now();
    let r = erl.try_eval(
        "erpc:call(node(), global, sync, [], 10000).",
        Duration::from_secs(20),
    );
    assert_eq!(r.as_deref(), Ok("ok"), "global:sync() on BEAM");
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn erl_whereis(erl: &mut ErlNode, name: &str) -> String {
    erl.eval(&format!(
        "(fun(undefined) -> undefined; (WhereisPid) -> node(WhereisPid) end)(global:whereis_name({name}))."
    ))
}

struct Echo;

impl GenServer for Echo {
    async fn handle_call(
        &mut self,
        _ctx: &mut Ctx<'_>,
        request: Term,
        _from: GenCall,
    ) -> CallReply {
        CallReply::Reply(Term::tuple(vec![Term::atom("rust_echo"), request]))
    }
}

/// An Erlang gen_server-alike answering `{beam_echo, Request}`, spawned by `erl` as `Var`.
fn erl_echo(var: &str) -> String {
    format!(
        "{var} = spawn(fun Loop() -> receive {{'$gen_call', From, Req}} -> \
         gen_server:reply(From, {{beam_echo, Req}}), Loop(); stop -> ok end end)"
    )
}

fn connect_all(erls: &mut [&mut ErlNode], rust: &[&str]) {
    let names: Vec<String> = erls.iter_mut().map(|e| e.eval("node().")).collect();
    for erl in erls.iter_mut() {
        for r in rust {
            assert_eq!(erl.eval(&format!("net_adm:ping('{r}').")), "pong");
        }
        for n in &names {
            assert_eq!(erl.eval(&format!("net_adm:ping('{n}').")), "pong");
        }
    }
}

#[test]
fn names_are_shared_between_two_beam_nodes_and_a_rust_node() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let global = node.global().expect("global runs");
    let mut a = cluster.erl(&[]);
    let mut b = cluster.erl(&[]);
    let a_name = a.eval("node().");
    let b_name = b.eval("node().");
    a.eval(&format!(
        "{}, yes = global:register_name(beam_a, PA).",
        erl_echo("PA")
    ));
    connect_all(&mut [&mut a, &mut b], &[&r]);
    erl_sync(&mut a);
    erl_sync(&mut b);

    // a's name (registered before the Rust node joined) reached the Rust node.
    eventually("Rust sees beam_a", || {
        match global.whereis_name(&Term::atom("beam_a")) {
            Some(pid) if pid.node.as_str() == a_name => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let mut known = global.known_nodes();
    known.sort();
    let mut expected = vec![a_name.clone(), b_name.clone()];
    expected.sort();
    assert_eq!(known, expected);

    // A name registered on b afterwards is seen on the Rust node.
    b.eval(&format!(
        "{}, yes = global:register_name(beam_b, PB).",
        erl_echo("PB")
    ));
    eventually("Rust sees beam_b", || {
        global
            .whereis_name(&Term::atom("beam_b"))
            .map(|_| ())
            .ok_or_else(|| "undefined".into())
    });

    // A Rust registration is seen on both BEAM nodes; a second name for the same pid is no.
    let server = node.start_gen_server(None, Echo).expect("gen_server");
    assert!(rt.block_on(global.register_name(Term::atom("rust_echo"), &server)));
    assert!(!rt.block_on(global.register_name(Term::atom("rust_echo_2"), &server)));
    assert!(!rt.block_on(global.register_name(Term::atom("beam_a"), &server)));
    assert_eq!(erl_whereis(&mut a, "rust_echo"), r);
    assert_eq!(erl_whereis(&mut b, "rust_echo"), r);
    assert_eq!(
        global.whereis_name(&Term::atom("rust_echo")),
        Some(server.clone())
    );

    // {global, Name} calls both ways.
    assert_eq!(
        a.eval("gen_server:call({global, rust_echo}, hello)."),
        "{rust_echo,hello}"
    );
    let mut me = node.spawn_process();
    let reply = rt
        .block_on(me.call(
            &Dest::global(Term::atom("beam_b")),
            Term::atom("hi"),
            Some(5 * SECOND),
        ))
        .expect("call beam_b");
    assert_eq!(text(&reply), "{beam_echo,hi}");
    assert_eq!(
        rt.block_on(me.call(
            &Dest::global(Term::atom("nobody")),
            Term::atom("hi"),
            Some(SECOND)
        )),
        Err(node::CallError::NoProc)
    );
    let sent = rt.block_on(global.send(&me, &Term::atom("beam_a"), Term::atom("stop")));
    assert!(sent.is_ok());
    eventually("beam_a's exit removed it everywhere", || {
        let on_b = erl_whereis(&mut b, "beam_a");
        let on_r = global.whereis_name(&Term::atom("beam_a"));
        (on_b == "undefined" && on_r.is_none())
            .then_some(())
            .ok_or(format!("b: {on_b}, rust: {on_r:?}"))
    });

    // Unregister and re-register from Rust; registered_names agrees with BEAM's.
    rt.block_on(global.unregister_name(&Term::atom("rust_echo")));
    assert_eq!(erl_whereis(&mut a, "rust_echo"), "undefined");
    assert!(rt.block_on(global.re_register_name(Term::atom("rust_again"), &server)));
    assert_eq!(erl_whereis(&mut b, "rust_again"), r);
    let mut names: Vec<String> = global.registered_names().iter().map(text).collect();
    names.sort();
    assert_eq!(names, vec!["beam_b".to_string(), "rust_again".to_string()]);
    assert_eq!(
        a.eval("lists:sort(global:registered_names())."),
        "[beam_b,rust_again]"
    );

    // A BEAM unregister reaches Rust; the Rust pid's exit removes its name on BEAM.
    b.eval("global:unregister_name(beam_b).");
    assert!(global.whereis_name(&Term::atom("beam_b")).is_none());
    let short = node.spawn_process();
    assert!(rt.block_on(global.register_name(Term::atom("short_lived"), short.pid())));
    assert_eq!(erl_whereis(&mut a, "short_lived"), r);
    drop(short);
    eventually("short_lived gone on a", || {
        let w = erl_whereis(&mut a, "short_lived");
        (w == "undefined").then_some(()).ok_or(w)
    });

    // Rust sync returns; BEAM still registers promptly.
    rt.block_on(async { tokio::time::timeout(5 * SECOND, global.sync()).await })
        .expect("sync");
    a.eval("yes = global:register_name(late, self()).");
    assert_eq!(erl_whereis(&mut b, "late"), a_name);
    eventually("Rust sees late", || {
        global
            .whereis_name(&Term::atom("late"))
            .map(|_| ())
            .ok_or_else(|| "undefined".into())
    });
}

#[test]
fn concurrent_registration_has_exactly_one_winner() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let global = node.global().expect("global");
    let mut a = cluster.erl(&[]);
    let mut b = cluster.erl(&[]);
    let a_name = a.eval("node().");
    let b_name = b.eval("node().");
    connect_all(&mut [&mut a, &mut b], &[&r]);
    erl_sync(&mut a);
    erl_sync(&mut b);
    a.eval("Me = self().");
    b.eval("Me = self().");
    for round in 0..8 {
        let name = format!("contested_{round}");
        let arm = |erl: &mut ErlNode| {
            erl.eval(&format!(
                "P{round} = spawn(fun() -> receive go -> Me ! {{reg{round}, global:register_name({name}, self())}} end, \
                 receive stop -> ok end end)."
            ));
        };
        arm(&mut a);
        arm(&mut b);
        let rust_pid = node.spawn_process();
        let (g, n, p) = (global.clone(), name.clone(), rust_pid.pid().clone());
        let rust = rt.spawn(async move { g.register_name(Term::atom(&n), &p).await });
        a.eval(&format!("P{round} ! go."));
        b.eval(&format!("P{round} ! go."));
        let rust_won = rt.block_on(rust).expect("rust registration");
        let got = |erl: &mut ErlNode| {
            erl.eval(&format!(
                "receive {{reg{round}, R{round}}} -> R{round} after 30000 -> timeout end."
            ))
        };
        let (ra, rb) = (got(&mut a), got(&mut b));
        let winners = [ra == "yes", rb == "yes", rust_won]
            .iter()
            .filter(|w| **w)
            .count();
        assert_eq!(winners, 1, "round {round}: a {ra}, b {rb}, rust {rust_won}");
        for loser in [&ra, &rb] {
            assert!(loser == "yes" || loser == "no", "round {round}: {loser}");
        }
        let owner = if rust_won {
            r.clone()
        } else if ra == "yes" {
            a_name.clone()
        } else {
            b_name.clone()
        };
        assert_eq!(erl_whereis(&mut a, &name), owner, "round {round} on a");
        assert_eq!(erl_whereis(&mut b, &name), owner, "round {round} on b");
        let on_rust = global
            .whereis_name(&Term::atom(&name))
            .map(|p| p.node.as_str().to_string());
        assert_eq!(
            on_rust.as_deref(),
            Some(owner.as_str()),
            "round {round} on rust"
        );
        std::mem::forget(rust_pid);
    }
}

/// A log of who is inside the critical section: `{enter, Who}` / `{leave, Who}` calls; counts
/// entries and any overlap. Holders call it while holding the lock, so its order is causal.
struct TransLog {
    inside: Vec<Term>,
    entries: i64,
    overlaps: i64,
}

impl GenServer for TransLog {
    async fn handle_call(
        &mut self,
        _ctx: &mut Ctx<'_>,
        request: Term,
        _from: GenCall,
    ) -> CallReply {
        let reply = match &request {
            Term::Tuple(items) if items.len() == 2 && items[0].as_atom() == Some("enter") => {
                if !self.inside.is_empty() {
                    self.overlaps += 1;
                }
                self.inside.push(items[1].clone());
                self.entries += 1;
                Term::atom("ok")
            }
            Term::Tuple(items) if items.len() == 2 && items[0].as_atom() == Some("leave") => {
                self.inside.retain(|w| *w != items[1]);
                Term::atom("ok")
            }
            _ => Term::tuple(vec![
                Term::Integer(self.entries),
                Term::Integer(self.overlaps),
            ]),
        };
        CallReply::Reply(reply)
    }
}

#[test]
fn trans_on_one_resource_never_overlaps_nor_deadlocks() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let global = node.global().expect("global");
    let mut a = cluster.erl(&[]);
    let mut b = cluster.erl(&[]);
    connect_all(&mut [&mut a, &mut b], &[&r]);
    erl_sync(&mut a);
    erl_sync(&mut b);
    node.start_gen_server(
        Some("trans_log"),
        TransLog {
            inside: Vec::new(),
            entries: 0,
            overlaps: 0,
        },
    )
    .expect("log");
    const ROUNDS: i64 = 6;
    const WORKERS: i64 = 3;
    let beam_workers = format!(
        "Me = self(), Log = {{trans_log, '{r}'}}, \
         [spawn(fun() -> [global:trans({{shared_res, self()}}, fun() -> \
            ok = gen_server:call(Log, {{enter, self()}}), timer:sleep(5), \
            ok = gen_server:call(Log, {{leave, self()}}) end) || _ <- lists:seq(1, {ROUNDS})], \
            Me ! trans_done end) || _ <- lists:seq(1, {WORKERS})], started."
    );
    let mut rust_workers = Vec::new();
    for _ in 0..WORKERS {
        let g = global.clone();
        let mut me = node.spawn_process();
        rust_workers.push(rt.spawn(async move {
            let log = Dest::Name(node::Atom::new("trans_log").expect("atom"));
            for _ in 0..ROUNDS {
                let id = LockId::new(Term::atom("shared_res"), Term::Pid(me.pid().clone()));
                let who = Term::Pid(me.pid().clone());
                // trans from a Rust process: the closure cannot borrow `me`, so the log calls
                // go through a helper process while `me` holds the lock.
                let mut caller = me.node().spawn_process();
                let log = log.clone();
                let done = g
                    .trans(&mut me, &id, None, None, || async move {
                        let enter = Term::tuple(vec![Term::atom("enter"), who.clone()]);
                        caller
                            .call(&log, enter, Some(Duration::from_secs(30)))
                            .await
                            .ok();
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        let leave = Term::tuple(vec![Term::atom("leave"), who]);
                        caller
                            .call(&log, leave, Some(Duration::from_secs(30)))
                            .await
                            .ok();
                    })
                    .await;
                assert!(done.is_some());
            }
        }));
    }
    a.eval(&beam_workers);
    b.eval(&beam_workers);
    for worker in rust_workers {
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(120), worker).await })
            .expect("Rust trans workers finish (no deadlock)")
            .expect("worker");
    }
    for erl in [&mut a, &mut b] {
        let done = erl.eval(&format!(
            "[receive trans_done -> ok after 120000 -> timeout end || _ <- lists:seq(1, {WORKERS})]."
        ));
        assert_eq!(
            done, "[ok,ok,ok]",
            "BEAM trans workers finish (no deadlock)"
        );
    }
    let mut me = node.spawn_process();
    let log = Dest::Name(node::Atom::new("trans_log").expect("atom"));
    let counts = rt
        .block_on(me.call(&log, Term::atom("counts"), Some(5 * SECOND)))
        .expect("counts");
    assert_eq!(text(&counts), format!("{{{},0}}", 3 * WORKERS * ROUNDS));
    // The lock is free again everywhere: a set_lock with no retries succeeds at once.
    let id = LockId::new(Term::atom("shared_res"), Term::atom("final"));
    assert!(rt.block_on(global.set_lock(&mut me, &id, None, Some(0))));
    assert_eq!(
        a.eval("global:set_lock({shared_res, other}, [node()], 0)."),
        "false"
    );
    rt.block_on(global.del_lock(&mut me, &id, None));
    assert_eq!(
        a.eval("global:set_lock({shared_res, other}, [node()], 0)."),
        "true"
    );
}

#[test]
fn node_loss_removes_names_and_a_restarted_node_resyncs() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let global = node.global().expect("global");
    let mut a = cluster.erl(&[]);
    let mut b = cluster.erl(&[]);
    let b_name = b.eval("node().");
    connect_all(&mut [&mut a, &mut b], &[&r]);
    erl_sync(&mut a);
    erl_sync(&mut b);
    b.eval(&format!(
        "{}, yes = global:register_name(on_b, PB).",
        erl_echo("PB")
    ));
    let mine = node.spawn_process();
    assert!(rt.block_on(global.register_name(Term::atom("on_rust"), mine.pid())));
    assert_eq!(erl_whereis(&mut a, "on_b"), b_name);
    assert!(global.whereis_name(&Term::atom("on_b")).is_some());

    // Killing b removes its name on a and on the Rust node.
    b.guard.kill();
    eventually("on_b gone everywhere", || {
        let on_a = erl_whereis(&mut a, "on_b");
        let on_r = global.whereis_name(&Term::atom("on_b"));
        (on_a == "undefined" && on_r.is_none())
            .then_some(())
            .ok_or(format!("a: {on_a}, rust: {on_r:?}"))
    });
    assert_eq!(
        a.eval("yes = global:register_name(after_loss, self())."),
        "yes"
    );

    // b restarted under the same name re-syncs: it sees the names, and its own are seen.
    let mut b = ErlNode::start(interop_tests::ErlOptions {
        sname: Some(b_name.clone()),
        cookie: Some(cluster.cookie.clone()),
        epmd_port: Some(cluster.epmd.port),
        ..Default::default()
    });
    assert_eq!(b.eval(&format!("net_adm:ping('{r}').")), "pong");
    erl_sync(&mut b);
    erl_sync(&mut a);
    assert_eq!(erl_whereis(&mut b, "on_rust"), r);
    assert_eq!(erl_whereis(&mut b, "after_loss"), a.eval("node()."));
    b.eval(&format!(
        "{}, yes = global:register_name(on_b_again, PB2).",
        erl_echo("PB2")
    ));
    eventually("Rust sees on_b_again", || {
        global
            .whereis_name(&Term::atom("on_b_again"))
            .map(|_| ())
            .ok_or_else(|| "undefined".into())
    });
    assert_eq!(erl_whereis(&mut a, "on_b_again"), b_name);
    let mut known = global.known_nodes();
    known.sort();
    let mut expected = vec![a.eval("node()."), b_name];
    expected.sort();
    assert_eq!(known, expected);
}

#[test]
fn a_killed_rust_node_loses_its_global_name() {
    let cluster = Cluster::new();
    let mut a = cluster.erl(&[]);
    let a_name = a.eval("node().");
    let echo_name = format!("{}@localhost", interop_tests::unique_name("echo"));
    let mut cmd = std::process::Command::new(interop_tests::cargo_example("node", "echo"));
    cmd.args(["--sname", &echo_name, "--cookie", &cluster.cookie])
        .args(["--epmd-port", &cluster.epmd.port.to_string()])
        .args(["--connect", &a_name, "--global", "rust_echo_server"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut echo = interop_tests::ChildGuard::spawn("echo", &mut cmd).expect("echo example");
    let stdout = echo.child_mut().stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("line");
    assert!(line.contains("ready"), "{line}");
    assert_eq!(erl_whereis(&mut a, "rust_echo_server"), echo_name);
    assert_eq!(
        a.eval("gen_server:call({global, rust_echo_server}, hi)."),
        "{echo,hi}"
    );
    echo.kill();
    eventually("the name went with the node", || {
        let w = erl_whereis(&mut a, "rust_echo_server");
        (w == "undefined").then_some(()).ok_or(w)
    });
    assert_eq!(
        a.eval("yes = global:register_name(rust_echo_server, self())."),
        "yes"
    );
}

/// `nodes()` of an erl node, sorted, as names.
fn erl_nodes(erl: &mut ErlNode) -> Vec<String> {
    let list = erl.eval("lists:sort(nodes()).");
    list.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_matches('\'').to_string())
        .collect()
}

/// The node of the pid `name` is registered to as the Rust node sees it, or `undefined`.
fn rust_whereis(global: &node::Global, name: &str) -> String {
    global
        .whereis_name(&Term::atom(name))
        .map_or("undefined".to_string(), |pid| pid.node.as_str().to_string())
}

#[test]
fn a_partition_between_beam_nodes_ends_as_otp_says() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let global = node.global().expect("global");
    let mut a = cluster.erl(&[]);
    let mut b = cluster.erl(&[]);
    let a_name = a.eval("node().");
    let b_name = b.eval("node().");
    connect_all(&mut [&mut a, &mut b], &[&r]);
    erl_sync(&mut a);
    erl_sync(&mut b);
    a.eval(&format!(
        "{}, yes = global:register_name(name_a, PA).",
        erl_echo("PA")
    ));
    b.eval(&format!(
        "{}, yes = global:register_name(name_b, PB).",
        erl_echo("PB")
    ));
    let mine = node.spawn_process();
    assert!(rt.block_on(global.register_name(Term::atom("name_r"), mine.pid())));

    a.eval(&format!("erlang:disconnect_node('{b_name}')."));
    // OTP 25 with prevent_overlapping_partitions: a node told that A lost B asks B to leave,
    // so the partitions never overlap. With three nodes each usually ends alone (captured
    // with three BEAM nodes in otp-services.md §5.7); when one loss report overtakes the
    // other, the third node stays with one of them. Both are OTP's behaviour; what must hold
    // is that a and b are apart and every node's view is its whole partition.
    let partition_of = |a: &mut ErlNode, b: &mut ErlNode| -> Result<Vec<Vec<String>>, String> {
        let views = [erl_nodes(a), erl_nodes(b), node.nodes()];
        let names = [a_name.clone(), b_name.clone(), r.clone()];
        let partitions: Vec<Vec<String>> = (0..3)
            .map(|i| {
                let mut p = views[i].clone();
                p.push(names[i].clone());
                p.sort();
                p
            })
            .collect();
        let consistent = (0..3).all(|i| {
            partitions[i]
                .iter()
                .all(|n| partitions[names.iter().position(|m| m == n).unwrap()] == partitions[i])
        });
        (consistent && !views[0].contains(&b_name))
            .then_some(partitions)
            .ok_or(format!(
                "a: {:?}, b: {:?}, rust: {:?}",
                views[0], views[1], views[2]
            ))
    };
    let mut partitions = Vec::new();
    eventually("partitions do not overlap, and stay so", || {
        let first = partition_of(&mut a, &mut b)?;
        std::thread::sleep(SECOND);
        let again = partition_of(&mut a, &mut b)?;
        (first == again)
            .then_some(())
            .ok_or(format!("changed: {first:?} -> {again:?}"))?;
        partitions = again;
        Ok(())
    });
    println!("partitions after the split: {partitions:?}");
    let [pa, pb, pr] = [&partitions[0], &partitions[1], &partitions[2]];
    // No stale names: each node sees the names of its own partition and no others.
    let expected = |partition: &Vec<String>, owner: &String| {
        if partition.contains(owner) {
            owner.clone()
        } else {
            "undefined".to_string()
        }
    };
    eventually("no stale names", || {
        let seen = [
            erl_whereis(&mut a, "name_b"),
            erl_whereis(&mut a, "name_r"),
            erl_whereis(&mut b, "name_a"),
            erl_whereis(&mut b, "name_r"),
            rust_whereis(&global, "name_a"),
            rust_whereis(&global, "name_b"),
        ];
        let want = [
            expected(pa, &b_name),
            expected(pa, &r),
            expected(pb, &a_name),
            expected(pb, &r),
            expected(pr, &a_name),
            expected(pr, &b_name),
        ];
        (seen == want)
            .then_some(())
            .ok_or(format!("{seen:?}, expected {want:?}"))
    });
    // Registration keeps working on every node, promptly: each registers `split` unless a
    // node of its partition registered it first (a, then b, then the Rust node).
    let mut registrants: Vec<String> = Vec::new();
    for (erl, name, partition) in [(&mut a, &a_name, pa), (&mut b, &b_name, pb)] {
        let first = !registrants.iter().any(|n| partition.contains(n));
        let reply = erl.try_eval(
            "SplitPid = spawn(fun() -> receive stop -> ok end end), \
             erpc:call(node(), global, register_name, [split, SplitPid], 10000).",
            Duration::from_secs(20),
        );
        assert_eq!(
            reply.as_deref(),
            Ok(if first { "yes" } else { "no" }),
            "{name}"
        );
        if first {
            registrants.push(name.clone());
        }
    }
    let split = node.spawn_process();
    let first = !registrants.iter().any(|n| pr.contains(n));
    let registered = rt
        .block_on(async {
            tokio::time::timeout(
                10 * SECOND,
                global.register_name(Term::atom("split"), split.pid()),
            )
            .await
        })
        .expect("prompt");
    assert_eq!(registered, first, "split on the Rust node");
    if first {
        registrants.push(r.clone());
    }

    // Healing: everyone connects again; the conflicting `split` keeps the pid on the lowest
    // node name (random_exit_name), the others are killed; every node agrees.
    connect_all(&mut [&mut a, &mut b], &[&r]);
    erl_sync(&mut a);
    erl_sync(&mut b);
    registrants.sort();
    let winner = registrants[0].clone();
    eventually("one split everywhere", || {
        let seen = (erl_whereis(&mut a, "split"), erl_whereis(&mut b, "split"));
        let on_r = global
            .whereis_name(&Term::atom("split"))
            .map(|p| p.node.as_str().to_string());
        (seen.0 == winner && seen.1 == winner && on_r.as_deref() == Some(winner.as_str()))
            .then_some(())
            .ok_or(format!("{seen:?} {on_r:?}"))
    });
    if winner != r && registrants.contains(&r) {
        eventually("the Rust loser was killed", || {
            (!split.is_alive()).then_some(()).ok_or("alive".into())
        });
    }
    for name in ["name_a", "name_b"] {
        assert!(global.whereis_name(&Term::atom(name)).is_some(), "{name}");
    }
    assert_eq!(erl_whereis(&mut a, "name_r"), r);
    assert_eq!(erl_whereis(&mut b, "name_r"), r);
}

#[test]
fn one_beam_node_and_two_rust_nodes() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let n1 = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node 1");
    let n2 = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node 2");
    let (g1, g2) = (n1.global().expect("g1"), n2.global().expect("g2"));
    let mut a = cluster.erl(&[]);
    let a_name = a.eval("node().");
    // The Rust nodes meet first, then a joins through one of them and meets the other.
    rt.block_on(n1.connect_node(n2.name())).expect("connect");
    rt.block_on(async { tokio::time::timeout(10 * SECOND, g1.sync()).await })
        .expect("sync");
    let p1 = n1.start_gen_server(None, Echo).expect("server 1");
    assert!(rt.block_on(g1.register_name(Term::atom("on_r1"), &p1)));
    assert_eq!(g2.whereis_name(&Term::atom("on_r1")), Some(p1.clone()));
    assert_eq!(a.eval(&format!("net_adm:ping('{}').", n1.name())), "pong");
    erl_sync(&mut a);
    eventually("a met the second Rust node", || {
        let nodes = erl_nodes(&mut a);
        nodes
            .contains(&n2.name().to_string())
            .then_some(())
            .ok_or(format!("{nodes:?}"))
    });
    erl_sync(&mut a);
    assert_eq!(erl_whereis(&mut a, "on_r1"), n1.name());
    let p2 = n2.start_gen_server(None, Echo).expect("server 2");
    assert!(rt.block_on(g2.register_name(Term::atom("on_r2"), &p2)));
    assert_eq!(erl_whereis(&mut a, "on_r2"), n2.name());
    assert_eq!(g1.whereis_name(&Term::atom("on_r2")), Some(p2.clone()));
    a.eval(&format!(
        "{}, yes = global:register_name(on_a, PA).",
        erl_echo("PA")
    ));
    for g in [&g1, &g2] {
        let pid = g.whereis_name(&Term::atom("on_a")).expect("on_a");
        assert_eq!(pid.node.as_str(), a_name);
    }
    // Calls across: Rust 2 calls a's process, a calls Rust 1's.
    let mut me = n2.spawn_process();
    let reply = rt
        .block_on(me.call(
            &Dest::global(Term::atom("on_a")),
            Term::atom("x"),
            Some(5 * SECOND),
        ))
        .expect("call");
    assert_eq!(text(&reply), "{beam_echo,x}");
    assert_eq!(
        a.eval("gen_server:call({global, on_r1}, y)."),
        "{rust_echo,y}"
    );
    // Concurrent registration of one name from both Rust nodes and a.
    a.eval("Me = self(), PC = spawn(fun() -> receive go -> Me ! {c, global:register_name(c, self())} end, receive stop -> ok end end).");
    let (q1, q2) = (n1.spawn_process(), n2.spawn_process());
    let (ga, gb, pa, pb) = (g1.clone(), g2.clone(), q1.pid().clone(), q2.pid().clone());
    let t1 = rt.spawn(async move { ga.register_name(Term::atom("c"), &pa).await });
    let t2 = rt.spawn(async move { gb.register_name(Term::atom("c"), &pb).await });
    a.eval("PC ! go.");
    let (w1, w2) = (rt.block_on(t1).expect("t1"), rt.block_on(t2).expect("t2"));
    let wa = a.eval("receive {c, R} -> R after 30000 -> timeout end.") == "yes";
    assert_eq!(
        [w1, w2, wa].iter().filter(|w| **w).count(),
        1,
        "{w1} {w2} {wa}"
    );
    let owner = erl_whereis(&mut a, "c");
    for g in [&g1, &g2] {
        let on = g
            .whereis_name(&Term::atom("c"))
            .map(|p| p.node.as_str().to_string());
        assert_eq!(on.as_deref(), Some(owner.as_str()));
    }
    std::mem::forget((q1, q2));
}

#[test]
fn three_rust_nodes_and_one_beam_node() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let nodes: Vec<Node> = (0..3)
        .map(|_| {
            rt.block_on(Node::start(cluster.config("rust")))
                .expect("node")
        })
        .collect();
    let globals: Vec<_> = nodes.iter().map(|n| n.global().expect("global")).collect();
    let mut a = cluster.erl(&[]);
    // a connects to every Rust node at once; they meet each other through global.
    for n in &nodes {
        assert_eq!(a.eval(&format!("net_adm:ping('{}').", n.name())), "pong");
    }
    erl_sync(&mut a);
    eventually("every Rust node knows everyone", || {
        let counts: Vec<usize> = globals.iter().map(|g| g.known_nodes().len()).collect();
        (counts == [3, 3, 3])
            .then_some(())
            .ok_or(format!("{counts:?}"))
    });
    for g in &globals {
        rt.block_on(async { tokio::time::timeout(10 * SECOND, g.sync()).await })
            .expect("sync");
    }
    let servers: Vec<_> = nodes
        .iter()
        .map(|n| n.start_gen_server(None, Echo).expect("server"))
        .collect();
    for (i, g) in globals.iter().enumerate() {
        assert!(rt.block_on(g.register_name(Term::atom(&format!("r{i}")), &servers[i])));
    }
    a.eval(&format!(
        "{}, yes = global:register_name(on_a, PA).",
        erl_echo("PA")
    ));
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(erl_whereis(&mut a, &format!("r{i}")), n.name());
        for g in &globals {
            assert_eq!(
                g.whereis_name(&Term::atom(&format!("r{i}"))),
                Some(servers[i].clone())
            );
            assert!(g.whereis_name(&Term::atom("on_a")).is_some());
        }
    }
    assert_eq!(a.eval("gen_server:call({global, r2}, z)."), "{rust_echo,z}");
    // trans across all four nodes from Rust processes on each Rust node and from a.
    a.eval("Me = self(), spawn(fun() -> [global:trans({res4, self()}, fun() -> timer:sleep(2) end) || _ <- lists:seq(1, 5)], Me ! t_done end).");
    let mut workers = Vec::new();
    for (i, g) in globals.iter().enumerate() {
        let g = g.clone();
        let mut me = nodes[i].spawn_process();
        workers.push(rt.spawn(async move {
            for _ in 0..5 {
                let id = LockId::new(Term::atom("res4"), Term::Pid(me.pid().clone()));
                let r = g
                    .trans(&mut me, &id, None, None, || {
                        tokio::time::sleep(Duration::from_millis(2))
                    })
                    .await;
                assert!(r.is_some());
            }
        }));
    }
    for w in workers {
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), w).await })
            .expect("no deadlock")
            .expect("worker");
    }
    assert_eq!(
        a.eval("receive t_done -> ok after 60000 -> timeout end."),
        "ok"
    );
}

#[test]
fn a_conflict_between_partitions_is_resolved_as_otp_does() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let global = node.global().expect("global");
    let mut x = cluster.erl(&[]);
    let mut y = cluster.erl(&[]);
    let (xn, yn) = (x.eval("node()."), y.eval("node()."));
    // `low` (the lower node name) forms a partition with the Rust node; `high` is alone.
    let (mut low, mut high, high_name) = if xn < yn { (x, y, yn) } else { (y, x, xn) };
    assert_eq!(low.eval(&format!("net_adm:ping('{r}').")), "pong");
    erl_sync(&mut low);
    let rust_pid = node.spawn_process();
    assert!(rt.block_on(global.register_name(Term::atom("clash"), rust_pid.pid())));
    assert_eq!(erl_whereis(&mut low, "clash"), r);
    high.eval(&format!(
        "{}, yes = global:register_name(clash, PH).",
        erl_echo("PH")
    ));
    // The partitions meet: `low` resolves the clash between its entry (the Rust pid) and
    // high's by calling global:resolve_it/4 on the Rust node (erpc); the default method keeps
    // the pid on the lower node name (high's, "erl_..." < "rust_...") and kills the other.
    assert_eq!(
        high.eval(&format!("net_adm:ping('{}').", low.eval("node()."))),
        "pong"
    );
    erl_sync(&mut high);
    erl_sync(&mut low);
    eventually("everyone agrees on high's pid", || {
        let seen = (
            erl_whereis(&mut low, "clash"),
            erl_whereis(&mut high, "clash"),
        );
        let on_r = global
            .whereis_name(&Term::atom("clash"))
            .map(|p| p.node.as_str().to_string());
        (seen.0 == high_name && seen.1 == high_name && on_r.as_deref() == Some(high_name.as_str()))
            .then_some(())
            .ok_or(format!("{seen:?} {on_r:?}"))
    });
    eventually("the Rust pid was killed", || {
        (!rust_pid.is_alive()).then_some(()).ok_or("alive".into())
    });
    assert_eq!(high.eval("PH ! stop, ok."), "ok");
}

#[test]
fn a_hidden_rust_node_stays_out_of_global() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("hidden").hidden(true)))
        .expect("node");
    let global = node.global().expect("global");
    let mut a = cluster.erl(&[]);
    a.eval("yes = global:register_name(visible_only, self()).");
    assert_eq!(a.eval(&format!("net_adm:ping('{}').", node.name())), "pong");
    erl_sync(&mut a);
    std::thread::sleep(Duration::from_millis(300));
    assert!(global.whereis_name(&Term::atom("visible_only")).is_none());
    assert!(global.known_nodes().is_empty());
    assert_eq!(a.eval("global:registered_names()."), "[visible_only]");
}
