//! The local-only rule from a real non-loopback source (private netns + veth): ALIVE2/DUMP/KILL/STOP
//! closed silently, NAMES/PORT_PLEASE2 answered, own address to itself is local — as OTP does.

use interop_tests::epmd_script::{run_script, Step};
use interop_tests::epmd_wire;
use interop_tests::netns::NetNs;
use interop_tests::{EpmdDaemon, EpmdKind};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Creates the namespace or fails the test; only `EPMD_TEST_NO_NETNS=1` turns that into a skip.
fn netns_or_fail() -> Option<NetNs> {
    match NetNs::create() {
        Ok(ns) => Some(ns),
        Err(e) if std::env::var("EPMD_TEST_NO_NETNS").as_deref() == Ok("1") => {
            eprintln!("SKIPPED (EPMD_TEST_NO_NETNS=1): cannot create a network namespace: {e}");
            None
        }
        Err(e) => panic!(
            "cannot create a network namespace for the non-local source test: {e}\n\
             (run as root with iproute2 installed, or set EPMD_TEST_NO_NETNS=1 to skip explicitly)"
        ),
    }
}

/// Registers `name` from loopback; the registration lives while the returned stream is open.
fn register_locally(port: u16, name: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect from loopback");
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.write_all(&epmd_wire::alive2(5555, name)).unwrap();
    let mut reply = [0u8; 6];
    s.read_exact(&mut reply)
        .expect("ALIVE2 reply from loopback");
    assert_eq!(&reply[..2], b"v\0", "loopback registration refused");
    s
}

fn ask(c: usize, bytes: Vec<u8>) -> Vec<Step> {
    vec![Step::Open(c), Step::Send(c, bytes), Step::ReadToClose(c)]
}

/// What the namespace sends, and what OTP answers (the daemon's port masked as `<port32>`).
fn remote_script() -> (Vec<Step>, Vec<&'static str>) {
    let steps = [
        ask(0, epmd_wire::alive2(6000, "intruder")),
        ask(1, epmd_wire::dump()),
        ask(2, epmd_wire::kill()),
        ask(3, epmd_wire::stop("foo")),
        ask(4, epmd_wire::names()),
        ask(5, epmd_wire::port_please(b"foo")),
        ask(6, epmd_wire::port_please(b"intruder")),
    ]
    .concat();
    let expected = vec![
        "open c0: ok",
        "reply c0: [] closed",
        "open c1: ok",
        "reply c1: [] closed",
        "open c2: ok",
        "reply c2: [] closed",
        "open c3: ok",
        "reply c3: [] closed",
        "open c4: ok",
        "reply c4: [<port32>name foo at port 5555\\n] closed",
        "open c5: ok",
        "reply c5: [w\\x00\\x15\\xb3M\\x00\\x00\\x06\\x00\\x05\\x00\\x03foo\\x00\\x00] closed",
        "open c6: ok",
        "reply c6: [w\\x01] closed",
    ];
    (steps, expected)
}

/// Runs the remote script against a daemon of `kind` started with `flags`; returns what the
/// namespace saw and what loopback sees afterwards (foo still registered, daemon still up).
fn run(kind: EpmdKind, ns: &NetNs, flags: &[&str]) -> (Vec<String>, Vec<String>) {
    let daemon = EpmdDaemon::start_free(kind, flags);
    let _foo = register_locally(daemon.port, "foo");
    let target = SocketAddr::from((ns.host_addr, daemon.port));
    let (steps, _) = remote_script();
    let remote = ns.run_in(|| run_script(target, &steps));
    let local = run_script(
        SocketAddr::from(([127, 0, 0, 1], daemon.port)),
        &ask(0, epmd_wire::names()),
    );
    (remote, local)
}

fn check(flags: &[&str]) {
    let Some(ns) = netns_or_fail() else { return };
    let (_, expected) = remote_script();
    let expected_local = vec![
        "open c0: ok",
        "reply c0: [<port32>name foo at port 5555\\n] closed",
    ];
    for kind in [EpmdKind::Otp, EpmdKind::under_test()] {
        let (remote, local) = run(kind, &ns, flags);
        assert_eq!(
            remote, expected,
            "{kind:?} epmd {flags:?}: requests from non-local {} to {}",
            ns.ns_addr, ns.host_addr
        );
        assert_eq!(
            local, expected_local,
            "{kind:?} epmd {flags:?}: state after the non-local requests"
        );
    }
}

#[test]
fn non_local_peer_is_refused_all_addresses() {
    check(&["-relaxed_command_check"]);
}

#[test]
fn non_local_peer_is_refused_strict() {
    check(&[]);
}

#[test]
fn non_local_peer_is_refused_bound_to_the_veth_address() {
    let Some(ns) = netns_or_fail() else { return };
    let address = ns.host_addr.to_string();
    let flags = ["-relaxed_command_check", "-address", address.as_str()];
    let (_, expected) = remote_script();
    for kind in [EpmdKind::Otp, EpmdKind::under_test()] {
        let (remote, _) = run(kind, &ns, &flags);
        assert_eq!(remote, expected, "{kind:?} epmd {flags:?}");
    }
}

/// A connection from the host's own non-loopback address to that same address counts as local
/// (OTP compares the peer address with the socket's local address): ALIVE2 and DUMP are served.
#[test]
fn own_non_loopback_address_counts_as_local() {
    let Some(ns) = netns_or_fail() else { return };
    let mut seen = Vec::new();
    for kind in [EpmdKind::Otp, EpmdKind::under_test()] {
        let daemon = EpmdDaemon::start_free(kind, &[]);
        let target = SocketAddr::from((ns.host_addr, daemon.port));
        let steps = [
            vec![
                Step::Open(0),
                Step::Send(0, epmd_wire::alive2(5555, "own")),
                Step::Recv(0, 6),
            ],
            ask(1, epmd_wire::dump()),
        ]
        .concat();
        seen.push(run_script(target, &steps));
    }
    assert_eq!(
        seen[0],
        vec![
            "open c0: ok",
            "recv c0: v\\x00<creation32>",
            "open c1: ok",
            "reply c1: [<port32>active name     <own> at port 5555, fd = <fd>\\n\\x00] closed",
        ],
        "OTP from {} to itself",
        ns.host_addr
    );
    assert_eq!(
        seen[1], seen[0],
        "ours vs OTP from {} to itself",
        ns.host_addr
    );
}
