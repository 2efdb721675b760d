//! Processes inside one Rust node, with the BEAM's semantics: links and exit signals (trapped,
//! ignored, killing), monitors by pid and by name, aliases, spawn with link/monitor, panics as
//! exit reasons, and a local GenServer's calls, casts, idle timeout and stop.

use interop_tests::{runtime, Cluster};
use node::{
    CallError, CallReply, Ctx, Dest, GenCall, GenServer, MonitorNodesOptions, Node, Process,
    SpawnOptions, Step, Term,
};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);

fn text(term: &Term) -> String {
    distproto::text::write_term(term)
}

async fn next(process: &mut Process) -> String {
    match process.mailbox.recv_timeout(Duration::from_secs(5)).await {
        Some(m) => text(&m),
        None => "no message".into(),
    }
}

/// A process that waits for `{exit, Reason}` and exits with it.
fn waiter(node: &Node) -> node::Pid {
    node.spawn(|mut process| async move {
        loop {
            if let Some(Term::Tuple(items)) = &process.mailbox.recv().await {
                if items.len() == 2 && items[0].as_atom() == Some("exit") {
                    return Err(items[1].clone());
                }
            }
        }
    })
}

fn exit_msg(reason: &str) -> Term {
    Term::tuple(vec![Term::atom("exit"), Term::atom(reason)])
}

#[test]
fn links_monitors_and_exit_signals_inside_one_node() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    rt.block_on(async {
        // A non-trapping linked process dies with the reason; a trapping one gets a message.
        let a = waiter(&node);
        let b = waiter(&node);
        let mut trapper = node.spawn_process();
        trapper.trap_exit(true);
        trapper.link(&a).await;
        let mut watcher = node.spawn_process();
        let mref = watcher.monitor(&Dest::Pid(b.clone())).await;
        // b is linked to a, both ways.
        node.spawn_opt(
            SpawnOptions {
                link: Some(b.clone()),
                ..Default::default()
            },
            |_p| async {},
        );
        let linker = node.spawn(|p| {
            let (a, b) = (a.clone(), b.clone());
            async move {
                p.link(&a).await;
                p.link(&b).await;
                std::future::pending::<()>().await;
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        trapper.send(&a, exit_msg("boom")).await;
        assert_eq!(
            next(&mut trapper).await,
            format!("{{'EXIT',{},boom}}", text(&Term::Pid(a.clone())))
        );
        // a's death killed the linker (not trapping), whose death killed b: watcher sees b go
        // with the linker's reason, boom.
        assert_eq!(
            next(&mut watcher).await,
            format!(
                "{{'DOWN',{},process,{},boom}}",
                text(&Term::from(mref)),
                text(&Term::Pid(b.clone()))
            )
        );
        assert!(!node.is_alive(&linker) && !node.is_alive(&b));

        // normal is ignored by a non-trapping process; kill cannot be trapped and is `killed`.
        let c = waiter(&node);
        let mref = watcher.monitor(&Dest::Pid(c.clone())).await;
        watcher.exit_signal(&c, Term::atom("normal")).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(node.is_alive(&c));
        let mut stubborn = node.spawn_process();
        stubborn.trap_exit(true);
        watcher
            .exit_signal(stubborn.pid(), Term::atom("please"))
            .await;
        assert!(next(&mut stubborn).await.ends_with(",please}"));
        watcher.exit_signal(&c, Term::atom("kill")).await;
        assert!(next(&mut watcher).await.ends_with(",killed}"));
        let _ = mref;

        // Monitor by name: the DOWN names {Name, Node}; a missing name is noproc at once.
        let d = waiter(&node);
        assert!(node.register("named", &d));
        let name = Dest::Name(node::Atom::new("named").expect("atom"));
        watcher.monitor(&name).await;
        watcher.send(&d, exit_msg("bye")).await;
        assert!(next(&mut watcher)
            .await
            .ends_with(&format!(",process,{{named,{}}},bye}}", node.name())),);
        assert!(
            node.whereis("named").is_none(),
            "names go with their process"
        );
        watcher.monitor(&name).await;
        assert!(next(&mut watcher).await.ends_with(",noproc}"));

        // demonitor(flush) removes a DOWN already delivered.
        let e = waiter(&node);
        let mref = watcher.monitor(&Dest::Pid(e.clone())).await;
        watcher.send(&e, exit_msg("gone")).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        watcher.demonitor_flush(&mref);
        assert!(watcher.mailbox.recv_timeout(SHORT).await.is_none());

        // A panic is the exit reason {panic, Message}; spawn_opt's monitor sees it.
        let reference = node.make_ref();
        node.spawn_opt(
            SpawnOptions {
                monitor: Some((watcher.pid().clone(), reference)),
                ..Default::default()
            },
            |_p| async {
                let fail = true;
                if fail {
                    panic!("oops");
                }
            },
        );
        let down = next(&mut watcher).await;
        assert!(down.ends_with(",{panic,<<111,111,112,115>>}}"), "{down}"); // <<"oops">>

        // Aliases: messages to an active alias arrive; after unalias they are dropped.
        let alias = trapper.alias();
        node.send_alias(watcher.pid(), &alias, Term::atom("via_alias"))
            .await;
        assert_eq!(next(&mut trapper).await, "via_alias");
        assert!(trapper.unalias(&alias));
        node.send_alias(watcher.pid(), &alias, Term::atom("late"))
            .await;
        assert!(trapper.mailbox.recv_timeout(SHORT).await.is_none());
    });
}

/// A counter: `get`, `{add, N}` cast, `stop` stops with a reply, `crash` stops without one,
/// idles out after 200 ms of silence when asked (`idle`), reporting to `report`.
struct Counter {
    count: i64,
    report: node::Pid,
}

impl GenServer for Counter {
    async fn handle_call(&mut self, ctx: &mut Ctx<'_>, request: Term, _from: GenCall) -> CallReply {
        match request.as_atom() {
            Some("get") => CallReply::Reply(Term::Integer(self.count)),
            Some("stop") => CallReply::Stop {
                reason: Term::atom("normal"),
                reply: Some(Term::atom("stopping")),
            },
            Some("crash") => CallReply::Stop {
                reason: Term::atom("crashed"),
                reply: None,
            },
            Some("idle") => {
                ctx.set_timeout(Duration::from_millis(200));
                CallReply::Reply(Term::atom("ok"))
            }
            _ => CallReply::Reply(Term::atom("unknown")),
        }
    }

    async fn handle_cast(&mut self, _ctx: &mut Ctx<'_>, request: Term) -> Step {
        if let Term::Tuple(items) = &request {
            if let [_, Term::Integer(n)] = items.as_slice() {
                self.count += n;
            }
        }
        Step::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Ctx<'_>, message: Term) -> Step {
        ctx.process.send(&self.report, message).await;
        Step::Continue
    }
}

#[test]
fn a_local_gen_server_calls_casts_idles_and_stops() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let mut me = node.spawn_process();
    let server = node
        .start_gen_server(
            Some("counter"),
            Counter {
                count: 0,
                report: me.pid().clone(),
            },
        )
        .expect("starts");
    assert!(
        node.start_gen_server(
            Some("counter"),
            Counter {
                count: 0,
                report: me.pid().clone()
            }
        )
        .is_none(),
        "the name is taken"
    );
    let dest = Dest::Name(node::Atom::new("counter").expect("atom"));
    let add = |n| Term::tuple(vec![Term::atom("add"), Term::Integer(n)]);
    rt.block_on(async {
        me.cast(&dest, add(2)).await;
        me.cast(&Dest::Pid(server.clone()), add(3)).await;
        assert_eq!(
            me.call(&dest, Term::atom("get"), None).await,
            Ok(Term::Integer(5))
        );
        // A borrowed request: the local server gets a copy, the caller keeps its term.
        let get = Term::atom("get");
        assert_eq!(me.call_ref(&dest, &get, None).await, Ok(Term::Integer(5)));
        assert_eq!(get, Term::atom("get"));
        // The idle timeout arrives as handle_info(timeout); any message resets it.
        assert_eq!(
            me.call(&dest, Term::atom("idle"), None).await,
            Ok(Term::atom("ok"))
        );
        assert_eq!(next(&mut me).await, "timeout");
        assert!(
            me.mailbox
                .recv_timeout(Duration::from_millis(400))
                .await
                .is_none(),
            "once"
        );
        // Stop with a reply; a call to the stopped server is noproc.
        assert_eq!(
            me.call(&dest, Term::atom("stop"), None).await,
            Ok(Term::atom("stopping"))
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            me.call(&dest, Term::atom("get"), Some(SHORT)).await,
            Err(CallError::NoProc)
        );
        // A server that stops without replying: the caller gets its exit reason.
        let crasher = node
            .start_gen_server(
                None,
                Counter {
                    count: 0,
                    report: me.pid().clone(),
                },
            )
            .expect("starts");
        assert_eq!(
            me.call(&Dest::Pid(crasher), Term::atom("crash"), None)
                .await,
            Err(CallError::Exit(Term::atom("crashed")))
        );
    });
}

#[test]
fn monitor_nodes_with_map_options_and_rex_features() {
    let cluster = Cluster::new();
    let rt = runtime();
    let _guard = rt.enter();
    let node = rt
        .block_on(Node::start(cluster.config("rust")))
        .expect("node");
    let r = node.name().to_string();
    let mut me = node.spawn_process();
    let options = distproto::text::parse_term(
        "#{node_type => all, nodedown_reason => true, connection_id => true}",
    )
    .expect("term");
    me.monitor_nodes(
        true,
        MonitorNodesOptions::from_term(&options).expect("options"),
    );
    let mut erl = cluster.erl(&[]);
    let erl_name = erl.eval("node().");
    // rex answers features_request (what BEAM nodes send on connect) and C-node style calls.
    assert_eq!(
        erl.eval(&format!("{{rex, '{r}'}} ! {{self(), features_request}}, receive F -> F after 5000 -> timeout end.")),
        format!("{{features_reply,{r},[erpc]}}")
    );
    assert_eq!(
        erl.eval(&format!("{{rex, '{r}'}} ! {{self(), {{call, erlang, node, [], user}}}}, receive X -> X after 5000 -> timeout end.")),
        format!("{{rex,{r}}}")
    );
    assert_eq!(
        erl.eval(&format!("rpc:cast('{r}', erlang, node, []).")),
        "true"
    );
    let up = rt.block_on(next(&mut me));
    assert!(up.starts_with(&format!("{{nodeup,{erl_name},#{{")), "{up}");
    assert!(
        up.contains("node_type => visible") && up.contains("connection_id => "),
        "{up}"
    );
    erl.eval(&format!("erlang:disconnect_node('{r}')."));
    let down = rt.block_on(next(&mut me));
    assert!(
        down.starts_with(&format!("{{nodedown,{erl_name},#{{")),
        "{down}"
    );
    assert!(
        down.contains("nodedown_reason => connection_closed"),
        "{down}"
    );
}
