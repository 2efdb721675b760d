//! The sans-IO handshake state machines of `distproto`, driven over plain blocking sockets against
//! real OTP 25 nodes: we dial erl, erl dials us; wrong cookies are refused both ways.

use distproto::handshake::DistFlags;
use interop_tests::raw_node::{epmd_port_please, epmd_register, RawConnection};
use interop_tests::{free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};
use std::net::TcpListener;

fn erl(epmd: &OtpEpmd, cookie: &str) -> ErlNode {
    ErlNode::start(ErlOptions {
        sname: Some(format!("{}@localhost", unique_name("hs"))),
        cookie: Some(cookie.into()),
        epmd_port: Some(epmd.port),
        ..Default::default()
    })
}

#[test]
fn we_dial_erl_with_the_right_cookie_and_wrong_one() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let mut node = erl(&epmd, &cookie);
    let peer = node.eval("node().");
    let port = epmd_port_please(epmd.port, peer.split('@').next().expect("sname"));
    let me = format!("{}@localhost", unique_name("rust"));

    let up =
        RawConnection::dial(port, &me, &peer, &cookie).expect("handshake with the right cookie");
    assert_eq!(up.peer.peer_name, peer);
    assert!(!up.peer.peer_is_hidden());
    assert!(up.peer.flags.contains(DistFlags::MANDATORY_25));
    assert_eq!(node.eval("nodes()."), format!("[{me}]"));

    let refused = RawConnection::dial(
        port,
        &format!("{}@localhost", unique_name("rust")),
        &peer,
        "wrong-cookie",
    );
    assert!(refused.is_err(), "erl must refuse a wrong cookie");
}

#[test]
fn erl_dials_us_and_wrong_cookie_is_refused() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let mut node = erl(&epmd, &cookie);
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let short = unique_name("rust");
    let me = format!("{short}@localhost");
    let _registration = epmd_register(
        epmd.port,
        &short,
        listener.local_addr().expect("addr").port(),
    );

    let accept = {
        let listener = listener.try_clone().expect("clone listener");
        let (me, cookie) = (me.clone(), cookie.clone());
        std::thread::spawn(move || RawConnection::accept(&listener, &me, &cookie))
    };
    assert_eq!(
        node.eval(&format!("net_kernel:connect_node('{me}').")),
        "true"
    );
    let up = accept
        .join()
        .expect("acceptor thread")
        .expect("handshake accepted");
    assert_eq!(up.peer.peer_name, node.eval("node()."));
    assert_eq!(node.eval("nodes()."), format!("[{me}]"));

    // The same erl node with another cookie for us: we refuse it and it reports false.
    let accept = {
        let me = me.clone();
        std::thread::spawn(move || RawConnection::accept(&listener, &me, "another-cookie"))
    };
    node.eval(&format!("erlang:disconnect_node('{me}')."));
    drop(up);
    assert_eq!(
        node.eval(&format!("net_kernel:connect_node('{me}').")),
        "false"
    );
    let refused = accept.join().expect("acceptor thread");
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("cookie mismatch")),
        "{:?}",
        refused.err()
    );
}
