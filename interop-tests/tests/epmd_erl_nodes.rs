//! Real `erl -sname` nodes on our EPMD daemon: register, find each other, ping, `erl_epmd:names()`;
//! a killed node is dropped and comes back; nodes re-register after a daemon restart or `-stop`.

use interop_tests::epmd_script::{poll, request};
use interop_tests::epmd_wire;
use interop_tests::{unique_name, EpmdDaemon, EpmdKind, ErlNode, ErlOptions};
use std::time::Duration;

fn start_node(name: &str, cookie: &str, epmd_port: u16, args: &[&str]) -> ErlNode {
    ErlNode::start(ErlOptions {
        sname: Some(format!("{name}@localhost")),
        cookie: Some(cookie.to_string()),
        epmd_port: Some(epmd_port),
        args: args.iter().map(|a| a.to_string()).collect(),
        ..Default::default()
    })
}

#[test]
fn erl_nodes_register_find_each_other_and_ping_through_our_epmd() {
    let epmd = EpmdDaemon::start_free(EpmdKind::under_test(), &[]);
    let cookie = unique_name("cookie");
    let (a_name, b_name) = (unique_name("a"), unique_name("b"));
    let mut a = start_node(&a_name, &cookie, epmd.port, &[]);
    let mut b = start_node(&b_name, &cookie, epmd.port, &[]);

    assert_eq!(
        a.eval(&format!("net_adm:ping('{b_name}@localhost').")),
        "pong"
    );
    assert_eq!(
        b.eval(&format!("net_adm:ping('{a_name}@localhost').")),
        "pong"
    );
    assert_eq!(
        a.eval("lists:sort(nodes())."),
        format!("[{b_name}@localhost]")
    );

    // erl_epmd:names/0 asks the daemon on ERL_EPMD_PORT and checks the port it echoes.
    let names = a.eval("{ok, Ns} = erl_epmd:names(), lists:sort([N || {N, _} <- Ns]).");
    let mut expected = [a_name.clone(), b_name.clone()];
    expected.sort();
    assert_eq!(names, format!("[\"{}\",\"{}\"]", expected[0], expected[1]));
    // PORT_PLEASE2 through our daemon: a port and the version 6 agreed from its reply.
    let looked_up = a.eval(&format!(
        "{{port, P, V}} = erl_epmd:port_please(\"{b_name}\", \"localhost\"), {{is_integer(P), V}}."
    ));
    assert_eq!(looked_up, "{true,6}");
    assert_eq!(
        a.eval("erl_epmd:port_please(\"no_such_node\", \"localhost\")."),
        "noport"
    );
}

#[test]
fn stopped_node_is_dropped_and_its_name_can_register_again() {
    let epmd = EpmdDaemon::start_free(EpmdKind::under_test(), &[]);
    let cookie = unique_name("cookie");
    let (a_name, b_name) = (unique_name("a"), unique_name("b"));
    let mut a = start_node(&a_name, &cookie, epmd.port, &[]);
    let b = start_node(&b_name, &cookie, epmd.port, &[]);
    let b_node = format!("'{b_name}@localhost'");
    assert_eq!(a.eval(&format!("net_adm:ping({b_node}).")), "pong");
    drop(b); // SIGKILL: the registration socket closes without a goodbye.

    let wait_gone = format!(
        "W = fun W(0) -> timeout; W(N) -> case erl_epmd:port_please(\"{b_name}\", \"localhost\") of \
         noport -> gone; _ -> timer:sleep(50), W(N - 1) end end, W(200)."
    );
    assert_eq!(a.eval(&wait_gone), "gone");

    let mut b2 = start_node(&b_name, &cookie, epmd.port, &[]);
    assert_eq!(
        b2.eval(&format!("net_adm:ping('{a_name}@localhost').")),
        "pong"
    );
    assert_eq!(a.eval("erlang:disconnect_node(hd(nodes()))."), "true");
    assert_eq!(a.eval(&format!("net_adm:ping({b_node}).")), "pong");
}

#[test]
fn hidden_node_registers_and_connects_through_our_epmd() {
    let epmd = EpmdDaemon::start_free(EpmdKind::under_test(), &[]);
    let cookie = unique_name("cookie");
    let (a_name, h_name) = (unique_name("a"), unique_name("h"));
    let mut a = start_node(&a_name, &cookie, epmd.port, &[]);
    let mut h = start_node(&h_name, &cookie, epmd.port, &["-hidden"]);
    assert_eq!(
        h.eval(&format!("net_adm:ping('{a_name}@localhost').")),
        "pong"
    );
    assert_eq!(a.eval("nodes(hidden)."), format!("[{h_name}@localhost]"));
    assert_eq!(
        a.eval("{ok, Ns} = net_adm:names(), length(Ns)."),
        "2",
        "net_adm:names() through our epmd"
    );
}

/// Waits (bounded) until NAMES on `port` lists every one of `names`.
fn await_listed(port: u16, names: &[&str]) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    poll(Duration::from_secs(15), || {
        let text = request(addr, &epmd_wire::names()).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        names
            .iter()
            .all(|n| text.contains(&format!("name {n} at port ")))
    })
}

#[test]
fn nodes_re_register_when_our_epmd_restarts_on_the_same_port() {
    let epmd = EpmdDaemon::start_free(EpmdKind::under_test(), &[]);
    let port = epmd.port;
    let cookie = unique_name("cookie");
    let (a_name, b_name) = (unique_name("a"), unique_name("b"));
    let mut a = start_node(&a_name, &cookie, port, &[]);
    let _b = start_node(&b_name, &cookie, port, &[]);
    drop(epmd);
    let _epmd = EpmdDaemon::start(EpmdKind::under_test(), port, &[]);
    // OTP 25 nodes retry registration every 2 s after losing their epmd connection.
    assert!(
        await_listed(port, &[&a_name, &b_name]),
        "nodes did not re-register with the restarted daemon"
    );
    assert_eq!(
        a.eval(&format!("net_adm:ping('{b_name}@localhost').")),
        "pong"
    );
}

#[test]
fn epmd_stop_of_a_live_node_is_followed_by_its_re_registration() {
    let epmd = EpmdDaemon::start_free(EpmdKind::under_test(), &["-relaxed_command_check"]);
    let cookie = unique_name("cookie");
    let a_name = unique_name("a");
    let _a = start_node(&a_name, &cookie, epmd.port, &[]);
    let out = std::process::Command::new("/usr/bin/epmd")
        .args(["-port", &epmd.port.to_string(), "-stop", &a_name])
        .env_remove("ERL_EPMD_PORT")
        .output()
        .expect("run epmd -stop");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "STOPPED\n");
    assert!(
        await_listed(epmd.port, &[&a_name]),
        "the node did not re-register after epmd -stop"
    );
}
