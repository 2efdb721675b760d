//! Checks the harness itself: an erl node evaluates expressions, two nodes registered with OTP's
//! epmd on a private port ping each other.

use interop_tests::{free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};

#[test]
fn erl_nodes_ping_through_private_otp_epmd() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let start = |name: &str| {
        ErlNode::start(ErlOptions {
            sname: Some(format!("{}@localhost", unique_name(name))),
            cookie: Some(cookie.clone()),
            epmd_port: Some(epmd.port),
            ..Default::default()
        })
    };
    let mut a = start("a");
    let mut b = start("b");
    assert_eq!(a.eval("1 + 1."), "2");
    let b_name = b.eval("node().");
    assert_eq!(a.eval(&format!("net_adm:ping({b_name}).")), "pong");
    assert!(a
        .try_eval("error(boom).", std::time::Duration::from_secs(5))
        .is_err());
}
