//! The message layer of `distproto` (distribution header, atom cache, fragments, control
//! messages) against a real OTP 25 node, over the blocking test peer: messages both ways.

use distproto::control::ControlMessage;
use distproto::term::{Atom, Term};
use interop_tests::raw_node::{epmd_port_please, RawConnection};
use interop_tests::{free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};
use std::time::Duration;

/// An erl node with a registered `echo` process that sends `Msg` back to `From` for `{From, Msg}`,
/// and our raw connection to it.
fn connected() -> (OtpEpmd, ErlNode, RawConnection) {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let mut node = ErlNode::start(ErlOptions {
        sname: Some(format!("{}@localhost", unique_name("msg"))),
        cookie: Some(cookie.clone()),
        epmd_port: Some(epmd.port),
        ..Default::default()
    });
    node.eval(
        "register(echo, spawn(fun Loop() -> receive {From, M} -> From ! M, Loop() end end)).",
    );
    let peer = node.eval("node().");
    let port = epmd_port_please(epmd.port, peer.split('@').next().expect("sname"));
    let me = format!("{}@localhost", unique_name("rust"));
    let conn = RawConnection::dial(port, &me, &peer, &cookie).expect("connected");
    (epmd, node, conn)
}

/// Sends `{OurPid, message}` to erl's `echo` and waits for what comes back to our pid.
fn echo(conn: &mut RawConnection, message: Term) -> Term {
    let me = conn.pid(1);
    let payload = Term::tuple(vec![Term::Pid(me.clone()), message]);
    conn.send(
        ControlMessage::RegSend {
            from: me.clone(),
            to_name: Atom::new("echo").expect("atom"),
        },
        Some(payload),
    )
    .expect("send");
    conn.recv_matching(Duration::from_secs(30), |m| {
        match (&m.control, &m.payload) {
            (ControlMessage::SendSender { to, .. } | ControlMessage::Send { to }, Some(p))
                if *to == me =>
            {
                Some(p.clone())
            }
            _ => None,
        }
    })
    .expect("echo reply")
}

#[test]
fn small_messages_echo_through_erl() {
    let (_epmd, _node, mut conn) = connected();
    let message = Term::tuple(vec![
        Term::atom("hello"),
        Term::list((1..=10).map(Term::from).collect()),
        Term::binary(b"bin".to_vec()),
    ]);
    assert_eq!(echo(&mut conn, message.clone()), message);
}

#[test]
fn ten_megabytes_are_fragmented_both_ways() {
    let (_epmd, _node, mut conn) = connected();
    let big = Term::binary(
        (0..10_000_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    assert_eq!(echo(&mut conn, big.clone()), big);
}

#[test]
fn many_distinct_atoms_go_through_the_atom_cache() {
    let (_epmd, mut node, mut conn) = connected();
    let atoms: Vec<Term> = (0..3000)
        .map(|i| Term::atom(&format!("atom_{i}")))
        .collect();
    let message = Term::list(atoms);
    // Twice: the second time erl refers to the atoms it cached the first time.
    assert_eq!(echo(&mut conn, message.clone()), message);
    assert_eq!(echo(&mut conn, message.clone()), message);
    // And erl sending on its own initiative, to a name on our node.
    let me = conn.me.clone();
    node.eval(&format!("{{inbox, '{me}'}} ! {{from_erl, [list_to_atom(\"x\" ++ integer_to_list(I)) || I <- lists:seq(1, 300)]}}."));
    let got = conn
        .recv_matching(Duration::from_secs(10), |m| {
            match (&m.control, &m.payload) {
                (ControlMessage::RegSend { to_name, .. }, Some(p))
                    if to_name.as_str() == "inbox" =>
                {
                    Some(p.clone())
                }
                _ => None,
            }
        })
        .expect("reg send from erl");
    let expected = Term::tuple(vec![
        Term::atom("from_erl"),
        Term::list((1..=300).map(|i| Term::atom(&format!("x{i}"))).collect()),
    ]);
    assert_eq!(got, expected);
}
