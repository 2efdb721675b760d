//! Issue 5 against real OTP 25 nodes: gen_server calls and casts both ways (both tag forms),
//! links, monitors and exit signals both ways with OTP's reasons, node loss, rpc/erpc both ways
//! with every outcome, `spawn/4` onto the Rust node, monitor_nodes, I/O and hidden peers.

use interop_tests::{compile_erl, runtime, Cluster, ErlNode};
use node::{
    CallError, CallReply, Ctx, Dest, ErpcError, GenCall, GenServer, MonitorNodesOptions, Node, Pid,
    Process, Step, Term,
};
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// A gen_server for the tests: `{echo, Request}`, casts recorded (`casts` returns them),
/// `{later, X}` replied 50 ms later from another task, `{sleep, Ms}` replied after sleeping.
struct TestEcho {
    casts: Vec<Term>,
}

impl GenServer for TestEcho {
    async fn handle_call(&mut self, ctx: &mut Ctx<'_>, request: Term, from: GenCall) -> CallReply {
        if request.as_atom() == Some("casts") {
            return CallReply::Reply(Term::list(self.casts.clone()));
        }
        if let Term::Tuple(items) = &request {
            match items.as_slice() {
                [label, reply] if label.as_atom() == Some("later") => {
                    let (node, me, reply) = (
                        ctx.process.node().clone(),
                        ctx.process.pid().clone(),
                        reply.clone(),
                    );
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        from.reply(&node, &me, reply).await;
                    });
                    return CallReply::NoReply;
                }
                [label, Term::Integer(ms)] if label.as_atom() == Some("sleep") => {
                    tokio::time::sleep(Duration::from_millis(*ms as u64)).await;
                    return CallReply::Reply(Term::atom("slept"));
                }
                _ => {}
            }
        }
        CallReply::Reply(Term::tuple(vec![Term::atom("echo"), request]))
    }

    async fn handle_cast(&mut self, _ctx: &mut Ctx<'_>, request: Term) -> Step {
        self.casts.push(request);
        Step::Continue
    }
}

fn text(term: &Term) -> String {
    distproto::text::write_term(term)
}

fn svc_erl(cluster: &Cluster) -> ErlNode {
    let dir = compile_erl("svc");
    cluster.erl(&["-pa", dir.to_str().expect("utf-8 path")])
}

/// The next message within 5 s, as `~w` text.
async fn next(process: &mut Process) -> String {
    match process.mailbox.recv_timeout(5 * SECOND).await {
        Some(message) => text(&message),
        None => "no message".into(),
    }
}

/// Waits until every signal the Rust node sent to `erl` so far has been handled there: an rpc
/// travels the same connection, after them.
fn sync(rt: &tokio::runtime::Runtime, node: &Node, erl: &mut ErlNode) {
    let erl_name = erl.eval("node().");
    let reply = rt.block_on(node.rpc_call(&erl_name, "erlang", "node", vec![], 5 * SECOND));
    assert_eq!(reply, Term::atom(&erl_name));
}

/// A pid an erl node sends to `inbox` (the expression must send `{pid, Pid}` to it).
async fn pid_from(inbox: &mut Process) -> Pid {
    let message = inbox.mailbox.recv_timeout(5 * SECOND).await;
    match &message {
        Some(Term::Tuple(items)) if items.len() == 2 => match &items[1] {
            Term::Pid(pid) => pid.clone(),
            other => panic!("expected a pid, got {}", text(other)),
        },
        other => panic!("expected {{pid, Pid}}, got {other:?}"),
    }
}

#[test]
fn gen_server_calls_from_beam_to_rust() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    node.start_gen_server(Some("echo"), TestEcho { casts: vec![] })
        .expect("echo starts");
    let r = node.name().to_string();
    let mut erl = cluster.erl(&[]);
    let erl_name = erl.eval("node().");

    // gen_server:call sends the [alias | Ref] tag; we reply to the alias.
    assert_eq!(
        erl.eval(&format!("gen_server:call({{echo, '{r}'}}, hello).")),
        "{echo,hello}"
    );
    // The same by pid.
    erl.eval(&format!(
        "EchoPid = rpc:call('{r}', erlang, whereis, [echo])."
    ));
    assert_eq!(
        erl.eval("gen_server:call(EchoPid, {by, pid})."),
        "{echo,{by,pid}}"
    );
    // The plain {Pid, Ref} tag of older callers: we reply to the pid.
    assert_eq!(
        erl.eval(&format!(
            "Ref = make_ref(), {{echo, '{r}'}} ! {{'$gen_call', {{self(), Ref}}, plain}}, receive {{Ref, R}} -> R after 5000 -> timeout end."
        )),
        "{echo,plain}"
    );
    // A reply given later, from another task.
    assert_eq!(
        erl.eval(&format!(
            "gen_server:call({{echo, '{r}'}}, {{later, done}})."
        )),
        "done"
    );
    // noproc for a name nobody has, timeout for a slow reply.
    let missing = erl
        .try_eval(
            &format!("gen_server:call({{nobody, '{r}'}}, x)."),
            10 * SECOND,
        )
        .expect_err("no such server");
    assert!(missing.contains("noproc"), "{missing}");
    let slow = erl
        .try_eval(
            &format!("gen_server:call({{echo, '{r}'}}, {{sleep, 1000}}, 100)."),
            10 * SECOND,
        )
        .expect_err("times out");
    assert!(slow.starts_with("{exit,{timeout,"), "{slow}");
    // Casts and abcast land; multi_call reports the node without the server as bad.
    erl.eval(&format!("gen_server:cast({{echo, '{r}'}}, c1)."));
    assert_eq!(
        erl.eval(&format!("gen_server:abcast(['{r}'], echo, c2).")),
        "abcast"
    );
    assert_eq!(
        erl.eval(&format!("gen_server:call({{echo, '{r}'}}, casts).")),
        "[c1,c2]"
    );
    assert_eq!(
        erl.eval(&format!(
            "gen_server:multi_call(['{r}', node()], echo, hi)."
        )),
        format!("{{[{{{r},{{echo,hi}}}}],[{erl_name}]}}")
    );
}

#[test]
fn gen_server_calls_from_rust_to_beam() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let mut erl = svc_erl(&cluster);
    let erl_name = erl.eval("node().");
    erl.eval("svc:start(svc_echo).");
    let server = Dest::remote("svc_echo", &erl_name).expect("dest");
    let mut me = node.spawn_process();
    rt.block_on(async {
        let reply = me.call(&server, Term::atom("hi"), Some(5 * SECOND)).await;
        assert_eq!(
            text(&reply.expect("reply")),
            format!("{{echo,{erl_name},hi}}")
        );

        // By pid, found with rpc.
        let pid = node
            .rpc_call(
                &erl_name,
                "erlang",
                "whereis",
                vec![Term::atom("svc_echo")],
                5 * SECOND,
            )
            .await;
        let reply = me
            .call(
                &Dest::from_term(&pid).expect("pid"),
                Term::atom("p"),
                Some(5 * SECOND),
            )
            .await;
        assert_eq!(
            text(&reply.expect("reply")),
            format!("{{echo,{erl_name},p}}")
        );

        // A borrowed request (encoded from its parts, not copied into the call's tuple), large
        // enough to use the atom cache for the pids' node, sent twice from the same term.
        let pids = Term::list(
            (1..=200)
                .map(|id| {
                    Term::Pid(node::Pid {
                        id,
                        serial: 0,
                        ..me.pid().clone()
                    })
                })
                .collect(),
        );
        let request = Term::tuple(vec![Term::atom("pids"), pids, Term::binary(b"x".to_vec())]);
        for _ in 0..2 {
            let reply = me.call_ref(&server, &request, Some(5 * SECOND)).await;
            assert_eq!(
                reply.expect("reply"),
                Term::tuple(vec![
                    Term::atom("echo"),
                    Term::atom(&erl_name),
                    request.clone()
                ])
            );
        }

        // A reply sent later with gen_server:reply/2.
        let later = Term::tuple(vec![Term::atom("later"), Term::atom("x")]);
        assert_eq!(
            me.call(&server, later, Some(5 * SECOND)).await,
            Ok(Term::atom("x"))
        );

        // noproc, timeout (and the late reply never reaches the mailbox), the server's exit reason.
        let nobody = Dest::remote("nobody", &erl_name).expect("dest");
        assert_eq!(
            me.call(&nobody, Term::atom("x"), Some(5 * SECOND)).await,
            Err(CallError::NoProc)
        );
        let sleep = Term::tuple(vec![Term::atom("sleep"), Term::Integer(500)]);
        assert_eq!(
            me.call(&server, sleep, Some(Duration::from_millis(100)))
                .await,
            Err(CallError::Timeout)
        );
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(
            me.mailbox.is_empty(),
            "a late reply must vanish with the alias"
        );
        let crash = Term::tuple(vec![Term::atom("crash"), Term::atom("boom")]);
        assert_eq!(
            me.call(&server, crash, Some(5 * SECOND)).await,
            Err(CallError::Exit(Term::atom("boom")))
        );
    });
    erl.eval("svc:start(svc_echo).");
    rt.block_on(async {
        // cast, abcast, multi_call with a node that does not exist.
        me.cast(&server, Term::atom("c1")).await;
        me.abcast(
            std::slice::from_ref(&erl_name),
            "svc_echo",
            Term::atom("c2"),
        )
        .await;
        let casts = me
            .call(&server, Term::atom("casts"), Some(5 * SECOND))
            .await;
        assert_eq!(text(&casts.expect("casts")), "[c1,c2]");
        let nodes = vec![erl_name.clone(), "nonode@localhost".to_string()];
        let (replies, bad) = me
            .multi_call(&nodes, "svc_echo", Term::atom("m"), Some(5 * SECOND))
            .await;
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].0, erl_name);
        assert_eq!(text(&replies[0].1), format!("{{echo,{erl_name},m}}"));
        assert_eq!(bad, vec!["nonode@localhost".to_string()]);
    });
}

#[test]
fn links_monitors_and_exit_signals_both_ways() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let mut erl = cluster.erl(&[]);
    let mut inbox = node.spawn_process();
    assert!(inbox.register("inbox"));
    let spawn_waiter = |erl: &mut ErlNode, var: &str| {
        erl.eval(&format!(
            "{var} = spawn(fun() -> receive {{die, X}} -> exit(X) end end), {{inbox, '{r}'}} ! {{pid, {var}}}, ok."
        ));
    };

    // Rust monitors an erl process that exits with `boom`.
    spawn_waiter(&mut erl, "P1");
    let p1 = rt.block_on(pid_from(&mut inbox));
    let mut watcher = node.spawn_process();
    let mref = rt.block_on(watcher.monitor(&Dest::Pid(p1.clone())));
    sync(&rt, &node, &mut erl);
    erl.eval("P1 ! {die, boom}.");
    let down = rt.block_on(next(&mut watcher));
    assert_eq!(
        down,
        format!(
            "{{'DOWN',{},process,{},boom}}",
            text(&Term::from(mref)),
            text(&Term::Pid(p1.clone()))
        )
    );
    // A dead pid and a missing name give noproc at once.
    rt.block_on(watcher.monitor(&Dest::Pid(p1.clone())));
    assert!(rt.block_on(next(&mut watcher)).ends_with(",noproc}"));
    let erl_name = erl.eval("node().");
    rt.block_on(watcher.monitor(&Dest::remote("no_such", &erl_name).expect("dest")));
    assert!(rt
        .block_on(next(&mut watcher))
        .ends_with(&format!(",process,{{no_such,{erl_name}}},noproc}}")));

    // A trapping Rust process linked to an erl process gets {'EXIT', Pid, Reason}.
    spawn_waiter(&mut erl, "P2");
    let p2 = rt.block_on(pid_from(&mut inbox));
    let mut trapper = node.spawn_process();
    trapper.trap_exit(true);
    rt.block_on(trapper.link(&p2));
    sync(&rt, &node, &mut erl);
    erl.eval("P2 ! {die, bang}.");
    assert_eq!(
        rt.block_on(next(&mut trapper)),
        format!("{{'EXIT',{},bang}}", text(&Term::Pid(p2)))
    );

    // A non-trapping Rust process dies of a link's exit signal; its monitor sees the reason.
    let victim =
        node.spawn(|mut process| async move { while process.mailbox.recv().await.is_some() {} });
    let mut observer = node.spawn_process();
    rt.block_on(observer.monitor(&Dest::Pid(victim.clone())));
    erl.eval(&format!(
        "P4 = spawn(fun() -> receive {{link, Pid}} -> link(Pid), exit(crash) end end), {{inbox, '{r}'}} ! {{pid, P4}}, ok."
    ));
    let p4 = rt.block_on(pid_from(&mut inbox));
    rt.block_on(inbox.send(
        &p4,
        Term::tuple(vec![Term::atom("link"), Term::Pid(victim.clone())]),
    ));
    let down = rt.block_on(next(&mut observer));
    assert!(down.ends_with(",crash}"), "{down}");
    assert!(!node.is_alive(&victim));

    // erl links and monitors a Rust process that exits with a custom reason.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let quitter = node.spawn(|_process| async move {
        let _ = rx.await;
        Err(Term::tuple(vec![Term::atom("custom"), Term::Integer(42)]))
    });
    assert!(node.register("quitter", &quitter));
    // The rpc after link and monitor makes sure both signals reached us before the exit.
    erl.eval(&format!(
        "process_flag(trap_exit, true), Q = rpc:call('{r}', erlang, whereis, [quitter]), link(Q), M = monitor(process, Q), rpc:call('{r}', erlang, node, []), ok."
    ));
    tx.send(()).expect("quitter waits");
    assert_eq!(
        erl.eval("receive {'EXIT', Q, R1} -> R1 after 5000 -> timeout end."),
        "{custom,42}"
    );
    assert_eq!(
        erl.eval("receive {'DOWN', M, process, Q, R2} -> R2 after 5000 -> timeout end."),
        "{custom,42}"
    );

    // exit(Pid, kill) from erl kills a trapping Rust process: monitors see `killed`.
    let mut stubborn = node.spawn_process();
    stubborn.trap_exit(true);
    assert!(stubborn.register("stubborn"));
    erl.eval(&format!(
        "S = rpc:call('{r}', erlang, whereis, [stubborn]), MS = monitor(process, S), exit(S, please), ok."
    ));
    let trapped = rt.block_on(next(&mut stubborn));
    assert!(
        trapped.starts_with("{'EXIT',") && trapped.ends_with(",please}"),
        "{trapped}"
    );
    erl.eval("exit(S, normal).");
    erl.eval("exit(S, kill).");
    assert_eq!(
        erl.eval("receive {'DOWN', MS, process, S, R3} -> R3 after 5000 -> timeout end."),
        "killed"
    );
    assert!(!stubborn.is_alive());

    // Unlinked before the exit: nothing arrives.
    spawn_waiter(&mut erl, "P5");
    let p5 = rt.block_on(pid_from(&mut inbox));
    let mut quiet = node.spawn_process();
    quiet.trap_exit(true);
    rt.block_on(quiet.link(&p5));
    quiet.unlink(&p5);
    sync(&rt, &node, &mut erl);
    erl.eval("P5 ! {die, bang}.");
    assert!(rt
        .block_on(quiet.mailbox.recv_timeout(Duration::from_millis(500)))
        .is_none());

    // Linking to a process that is gone gives noproc.
    rt.block_on(quiet.link(&p5));
    assert_eq!(
        rt.block_on(next(&mut quiet)),
        format!("{{'EXIT',{},noproc}}", text(&Term::Pid(p5)))
    );
}

#[test]
fn node_loss_is_noconnection_everywhere() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let mut erl = svc_erl(&cluster);
    let erl_name = erl.eval("node().");
    erl.eval("svc:start(svc_echo).");
    let mut inbox = node.spawn_process();
    assert!(inbox.register("inbox"));
    erl.eval(&format!(
        "P = spawn(fun() -> receive _ -> ok end end), {{inbox, '{r}'}} ! {{pid, P}}, ok."
    ));
    let p = rt.block_on(pid_from(&mut inbox));

    let mut watcher = node.spawn_process();
    watcher.trap_exit(true);
    rt.block_on(watcher.link(&p));
    let mref = rt.block_on(watcher.monitor(&Dest::Pid(p.clone())));
    let mut node_watcher = node.spawn_process();
    rt.block_on(node_watcher.monitor_node(&erl_name));
    let mut all_nodes = node.spawn_process();
    let options = MonitorNodesOptions::from_term(&Term::list(vec![
        Term::atom("nodedown_reason"),
        Term::tuple(vec![Term::atom("node_type"), Term::atom("all")]),
    ]))
    .expect("options");
    all_nodes.monitor_nodes(true, options);
    // A call in flight when the node dies fails with nodedown.
    let server = Dest::remote("svc_echo", &erl_name).expect("dest");
    let sleep = Term::tuple(vec![Term::atom("sleep"), Term::Integer(10_000)]);
    let node2 = node.clone();
    let call = rt.spawn(async move {
        let mut caller = node2.spawn_process();
        caller.call(&server, sleep, Some(20 * SECOND)).await
    });
    std::thread::sleep(Duration::from_millis(300));
    erl.guard.kill();

    let p_text = text(&Term::Pid(p));
    let mut got = vec![
        rt.block_on(next(&mut watcher)),
        rt.block_on(next(&mut watcher)),
    ];
    got.sort();
    assert_eq!(
        got,
        vec![
            format!(
                "{{'DOWN',{},process,{p_text},noconnection}}",
                text(&Term::from(mref))
            ),
            format!("{{'EXIT',{p_text},noconnection}}"),
        ]
    );
    assert_eq!(
        rt.block_on(next(&mut node_watcher)),
        format!("{{nodedown,{erl_name}}}")
    );
    assert_eq!(
        rt.block_on(next(&mut all_nodes)),
        format!(
            "{{nodedown,{erl_name},[{{nodedown_reason,connection_closed}},{{node_type,visible}}]}}"
        )
    );
    let result = rt.block_on(call).expect("caller task");
    assert_eq!(result, Err(CallError::NodeDown(erl_name.clone())));

    // monitor_nodes sees the next node come up.
    let mut other = cluster.erl(&[]);
    let other_name = other.eval("node().");
    assert_eq!(other.eval(&format!("net_adm:ping('{r}').")), "pong");
    assert_eq!(
        rt.block_on(next(&mut all_nodes)),
        format!("{{nodeup,{other_name},[{{node_type,visible}}]}}")
    );
}

#[test]
fn rpc_and_erpc_from_beam_with_every_outcome() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    node.register_function(
        "t",
        "echo",
        1,
        |_ctx, args| async move { Ok(args[0].clone()) },
    );
    node.register_function("t", "fail", 1, |_ctx, args| async move {
        let Term::Tuple(items) = &args[0] else {
            return Err(node::Exception::badarg());
        };
        match (items[0].as_atom(), items[1].clone()) {
            (Some("throw"), v) => Err(node::Exception::Throw(v)),
            (Some("exit"), v) => Err(node::Exception::Exit(v)),
            (Some("error"), v) => Err(node::Exception::error(v)),
            _ => panic!("asked to panic"),
        }
    });
    node.register_function("t", "sleep", 1, |_ctx, args| async move {
        if let Term::Integer(ms) = args[0] {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        }
        Ok(Term::atom("slept"))
    });
    let r = node.name().to_string();
    let mut erl = cluster.erl(&[]);
    let erl_name = erl.eval("node().");
    let mut other = cluster.erl(&[]);
    let other_name = other.eval("node().");
    other.eval(&format!("net_adm:ping('{r}')."));

    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', t, echo, [hello]).")),
        "hello"
    );
    assert_eq!(erl.eval(&format!("rpc:call('{r}', erlang, node, []).")), r);
    assert_eq!(
        erl.eval(&format!("erpc:call('{r}', t, echo, [#{{a => 1}}]).")),
        "#{a => 1}"
    );
    assert_eq!(
        erl.eval(&format!("rpc:block_call('{r}', t, echo, [blocked]).")),
        "blocked"
    );
    // rpc's shapes.
    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', t, fail, [{{throw, v}}]).")),
        "v"
    );
    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', t, fail, [{{exit, x}}]).")),
        "{badrpc,{'EXIT',x}}"
    );
    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', t, fail, [{{error, e}}]).")),
        "{badrpc,{'EXIT',{e,[]}}}"
    );
    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', nomod, nofun, [1]).")),
        "{badrpc,{'EXIT',{undef,[{nomod,nofun,[1],[]}]}}}"
    );
    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', t, sleep, [2000], 200).")),
        "{badrpc,timeout}"
    );
    // erpc's exceptions.
    let check = |erl: &mut ErlNode, call: &str, expected: &str| {
        let result = erl
            .try_eval(&format!("erpc:call('{r}', {call})."), 10 * SECOND)
            .expect_err("erpc raises");
        assert!(result.starts_with(expected), "{call}: {result}");
    };
    check(&mut erl, "t, fail, [{throw, v}]", "{throw,v,");
    check(&mut erl, "t, fail, [{exit, x}]", "{exit,{exception,x},");
    check(
        &mut erl,
        "t, fail, [{error, e}]",
        "{error,{exception,e,[]},",
    );
    check(
        &mut erl,
        "nomod, nofun, []",
        "{error,{exception,undef,[{nomod,nofun,[],[]}]},",
    );
    check(
        &mut erl,
        "t, fail, [{panic, p}]",
        "{error,{exception,{panic,<<\"asked to panic\">>},[]},",
    );
    check(&mut erl, "t, sleep, [2000], 200", "{error,{erpc,timeout},");
    // multicall mixing BEAM and Rust nodes.
    assert_eq!(
        erl.eval(&format!(
            "rpc:multicall([node(), '{r}', '{other_name}'], erlang, node, [], 5000)."
        )),
        format!("{{[{erl_name},{r},{other_name}],[]}}")
    );
    assert_eq!(
        erl.eval(&format!(
            "rpc:multicall(['{r}', nonode@localhost], t, echo, [m], 5000)."
        )),
        "{[m],[nonode@localhost]}"
    );
    // Casts run; spawn/4 runs a registered function as a process.
    erl.eval(&format!("erpc:cast('{r}', erlang, register, [x, self()])."));
    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', erlang, nodes, []).")),
        format!("[{erl_name},{other_name}]")
    );
    erl.eval(&format!(
        "{{SP, SM}} = spawn_monitor('{r}', t, sleep, [300]), ok."
    ));
    assert_eq!(
        erl.eval("receive {'DOWN', SM, process, SP, Why} -> Why after 5000 -> timeout end."),
        "normal"
    );
    erl.eval(&format!(
        "{{FP, FM}} = spawn_monitor('{r}', t, fail, [{{exit, gone}}]), ok."
    ));
    assert_eq!(
        erl.eval("receive {'DOWN', FM, process, FP, Why2} -> Why2 after 5000 -> timeout end."),
        "gone"
    );
    erl.eval(&format!(
        "{{UP, UM}} = spawn_monitor('{r}', nomod, nofun, []), ok."
    ));
    assert_eq!(
        erl.eval("receive {'DOWN', UM, process, UP, Why3} -> Why3 after 5000 -> timeout end."),
        "{undef,[{nomod,nofun,[],[]}]}"
    );
}

async fn erpc(
    node: &Node,
    target: &str,
    m: &str,
    f: &str,
    args: Vec<Term>,
) -> Result<Term, ErpcError> {
    node.erpc_call(target, m, f, args, 5 * SECOND).await
}

#[test]
fn rpc_and_erpc_from_rust_with_every_outcome() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let mut erl = cluster.erl(&[]);
    let erl_name = erl.eval("node().");
    let r = node.name().to_string();
    rt.block_on(async {
        assert_eq!(
            erpc(&node, &erl_name, "erlang", "node", vec![]).await,
            Ok(Term::atom(&erl_name))
        );
        assert_eq!(
            erpc(&node, &erl_name, "erlang", "throw", vec![Term::atom("t")]).await,
            Err(ErpcError::Throw(Term::atom("t")))
        );
        assert_eq!(
            erpc(&node, &erl_name, "erlang", "exit", vec![Term::atom("x")]).await,
            Err(ErpcError::Exit(Term::atom("x")))
        );
        match erpc(&node, &erl_name, "erlang", "error", vec![Term::atom("e")]).await {
            Err(ErpcError::Error { reason, .. }) => assert_eq!(reason, Term::atom("e")),
            other => panic!("{other:?}"),
        }
        match erpc(&node, &erl_name, "nomod", "nofun", vec![]).await {
            Err(ErpcError::Error { reason, stack }) => {
                assert_eq!(reason, Term::atom("undef"));
                assert_eq!(text(&stack), "[{nomod,nofun,[],[]}]");
            }
            other => panic!("{other:?}"),
        }
        let slow = node
            .erpc_call(
                &erl_name,
                "timer",
                "sleep",
                vec![Term::Integer(2000)],
                Duration::from_millis(200),
            )
            .await;
        assert_eq!(slow, Err(ErpcError::Erpc(Term::atom("timeout"))));
        // rpc's shapes.
        assert_eq!(
            text(
                &node
                    .rpc_call(
                        &erl_name,
                        "erlang",
                        "exit",
                        vec![Term::atom("x")],
                        5 * SECOND
                    )
                    .await
            ),
            "{badrpc,{'EXIT',x}}"
        );
        assert_eq!(
            text(
                &node
                    .rpc_call("nonode@localhost", "erlang", "node", vec![], 5 * SECOND)
                    .await
            ),
            "{badrpc,nodedown}"
        );
        let multi = node
            .rpc_multicall(
                &[erl_name.clone(), r.clone(), "nonode@localhost".into()],
                "erlang",
                "node",
                vec![],
                5 * SECOND,
            )
            .await;
        assert_eq!(multi.replies, vec![Term::atom(&erl_name), Term::atom(&r)]);
        assert_eq!(multi.bad_nodes, vec!["nonode@localhost".to_string()]);
        // A cast of erlang:send({inbox, Rust}, casted) runs on erl: the message comes back.
        let mut inbox = node.spawn_process();
        assert!(inbox.register("inbox"));
        let back = Term::tuple(vec![Term::atom("inbox"), Term::atom(&r)]);
        node.erpc_cast(
            &erl_name,
            "erlang",
            "send",
            vec![back, Term::atom("casted")],
        )
        .await;
        assert_eq!(next(&mut inbox).await, "casted");
    });
}

#[test]
fn io_to_group_leaders_both_ways() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    node.register_function("t", "hello", 1, |mut ctx, args| async move {
        let who = node::io::chardata_to_string(&args[0]).unwrap_or_default();
        ctx.process
            .put_chars(&format!("Hello from Rust, {who}\n"))
            .await
            .map_err(|e| node::Exception::error(Term::binary(e.to_string().into_bytes())))?;
        ctx.process
            .format(
                "~p and ~s~n",
                vec![
                    Term::list(vec![Term::Integer(104), Term::Integer(105)]),
                    Term::atom("done"),
                ],
            )
            .await
            .map_err(|e| node::Exception::error(Term::binary(e.to_string().into_bytes())))?;
        Ok(Term::atom("ok"))
    });
    let r = node.name().to_string();
    let mut erl = cluster.erl(&[]);
    // rpc carries the caller's group leader: the output lands on erl's console.
    assert_eq!(
        erl.eval(&format!("rpc:call('{r}', t, hello, [\"rpc\"]).")),
        "ok"
    );
    // spawn/4 too (Node.spawn in the book).
    erl.eval(&format!("spawn('{r}', t, hello, [\"spawn\"])."));
    erl.eval("timer:sleep(500).");
    erl.eval("ok.");
    let output = erl.output.join("\n");
    assert!(output.contains("Hello from Rust, rpc"), "{output}");
    assert!(output.contains("Hello from Rust, spawn"), "{output}");
    assert!(output.contains("\"hi\" and done"), "{output}");
    // BEAM code printing to the Rust node's group leader (registered as `user`) gets ok.
    assert_eq!(
        erl.eval(&format!(
            "G = rpc:call('{r}', erlang, whereis, [user]), io:format(G, \"~p~n\", [[1,2]])."
        )),
        "ok"
    );
    assert_eq!(erl.eval("io:put_chars(G, <<\"text\">>)."), "ok");
    let bad = erl.try_eval("io:format(G, \"~d~n\", [not_a_number]).", 10 * SECOND);
    assert!(
        bad.is_err(),
        "a bad format raises in the caller, as with a BEAM group leader"
    );
}

#[test]
fn hidden_peers_are_left_out_of_nodes_and_multicalls() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let mut hidden = cluster.erl(&["-hidden"]);
    let hidden_name = hidden.eval("node().");
    assert_eq!(hidden.eval(&format!("net_adm:ping('{r}').")), "pong");
    assert_eq!(
        hidden.eval(&format!("rpc:call('{r}', erlang, nodes, []).")),
        "[]"
    );
    assert_eq!(
        hidden.eval(&format!("rpc:call('{r}', erlang, nodes, [hidden]).")),
        format!("[{hidden_name}]")
    );
    let mut inbox = node.spawn_process();
    inbox.monitor_nodes(true, MonitorNodesOptions::plain());
    let mut visible = cluster.erl(&[]);
    let visible_name = visible.eval("node().");
    assert_eq!(visible.eval(&format!("net_adm:ping('{r}').")), "pong");
    // Plain monitor_nodes reports the visible node only.
    assert_eq!(
        rt.block_on(next(&mut inbox)),
        format!("{{nodeup,{visible_name}}}")
    );
    hidden.guard.kill();
    assert!(rt
        .block_on(inbox.mailbox.recv_timeout(Duration::from_millis(500)))
        .is_none());
}
