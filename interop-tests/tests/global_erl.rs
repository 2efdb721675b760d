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
    async fn handle_call(&mut self, _ctx: &mut Ctx<'_>, request: Term, _from: GenCall) -> CallReply {
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
    let node = rt.block_on(Node::start(cluster.config("rust"))).expect("node");
    let r = node.name().to_string();
    let global = node.global().expect("global runs");
    let mut a = cluster.erl(&[]);
    let mut b = cluster.erl(&[]);
    let a_name = a.eval("node().");
    let b_name = b.eval("node().");
    a.eval(&format!("{}, yes = global:register_name(beam_a, PA).", erl_echo("PA")));
    connect_all(&mut [&mut a, &mut b], &[&r]);
    erl_sync(&mut a);
    erl_sync(&mut b);

    // a's name (registered before the Rust node joined) reached the Rust node.
    eventually("Rust sees beam_a", || match global.whereis_name(&Term::atom("beam_a")) {
        Some(pid) if pid.node.as_str() == a_name => Ok(()),
        other => Err(format!("{other:?}")),
    });
    let mut known = global.known_nodes();
    known.sort();
    let mut expected = vec![a_name.clone(), b_name.clone()];
    expected.sort();
    assert_eq!(known, expected);

    // A name registered on b afterwards is seen on the Rust node.
    b.eval(&format!("{}, yes = global:register_name(beam_b, PB).", erl_echo("PB")));
    eventually("Rust sees beam_b", || {
        global.whereis_name(&Term::atom("beam_b")).map(|_| ()).ok_or_else(|| "undefined".into())
    });

    // A Rust registration is seen on both BEAM nodes; a second name for the same pid is no.
    let server = node.start_gen_server(None, Echo).expect("gen_server");
    assert!(rt.block_on(global.register_name(Term::atom("rust_echo"), &server)));
    assert!(!rt.block_on(global.register_name(Term::atom("rust_echo_2"), &server)));
    assert!(!rt.block_on(global.register_name(Term::atom("beam_a"), &server)));
    assert_eq!(erl_whereis(&mut a, "rust_echo"), r);
    assert_eq!(erl_whereis(&mut b, "rust_echo"), r);
    assert_eq!(global.whereis_name(&Term::atom("rust_echo")), Some(server.clone()));

    // {global, Name} calls both ways.
    assert_eq!(
        a.eval("gen_server:call({global, rust_echo}, hello)."),
        "{rust_echo,hello}"
    );
    let mut me = node.spawn_process();
    let reply = rt
        .block_on(me.call(&Dest::global(Term::atom("beam_b")), Term::atom("hi"), Some(5 * SECOND)))
        .expect("call beam_b");
    assert_eq!(text(&reply), "{beam_echo,hi}");
    assert_eq!(
        rt.block_on(me.call(&Dest::global(Term::atom("nobody")), Term::atom("hi"), Some(SECOND))),
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
    assert_eq!(a.eval("lists:sort(global:registered_names())."), "[beam_b,rust_again]");

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
    rt.block_on(async { tokio::time::timeout(5 * SECOND, global.sync()).await }).expect("sync");
    a.eval("yes = global:register_name(late, self()).");
    assert_eq!(erl_whereis(&mut b, "late"), a_name);
    eventually("Rust sees late", || {
        global.whereis_name(&Term::atom("late")).map(|_| ()).ok_or_else(|| "undefined".into())
    });
}
