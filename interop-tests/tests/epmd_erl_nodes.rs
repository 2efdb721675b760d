//! Real `erl -sname` nodes use our EPMD daemon: they register, find each other through it and
//! ping; `erl_epmd:names()` lists them; a node that stops is dropped and can come back.

use interop_tests::{free_port, unique_name, EpmdDaemon, EpmdKind, ErlNode, ErlOptions};

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
    let epmd = EpmdDaemon::start(EpmdKind::under_test(), free_port(), &[]);
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
    let epmd = EpmdDaemon::start(EpmdKind::under_test(), free_port(), &[]);
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
    let epmd = EpmdDaemon::start(EpmdKind::under_test(), free_port(), &[]);
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
