//! The command-line client: OTP's `epmd -names/-dump/-kill/-stop` against our daemon prints what it
//! prints against OTP's, and our binary's client commands against OTP's daemon print what OTP's do.

use interop_tests::epmd_script::{poll, request, run_script, Step};
use interop_tests::epmd_wire;
use interop_tests::{free_port, EpmdDaemon, EpmdKind};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One client invocation against a daemon prepared with registrations.
struct Scenario {
    name: &'static str,
    /// Daemon flags.
    flags: &'static [&'static str],
    /// Names registered (and kept) before the command, in this order.
    live: &'static [&'static str],
    /// Names registered then closed before the command (old/unused slots).
    closed: &'static [&'static str],
    /// Client arguments after `-port P`.
    command: &'static [&'static str],
    /// Run the client with no daemon at all (the port is free).
    no_daemon: bool,
}

const NONE: &[&str] = &[];
const RELAXED: &[&str] = &["-relaxed_command_check"];

#[rustfmt::skip]
fn scenarios() -> Vec<Scenario> {
    let s = |name, flags, live, closed, command| Scenario { name, flags, live, closed, command, no_daemon: false };
    vec![
        s("names_empty", NONE, NONE, NONE, &["-names"]),
        s("names_two", NONE, &["foo", "bar"], NONE, &["-names"]),
        s("names_after_close", NONE, &["foo", "bar"], &["old"], &["-names"]),
        s("dump_active_and_old", NONE, &["foo", "bar"], &["old"], &["-dump"]),
        s("dump_empty", NONE, NONE, NONE, &["-dump"]),
        s("kill_no_nodes", NONE, NONE, NONE, &["-kill"]),
        s("kill_live_nodes_strict", NONE, &["foo"], NONE, &["-kill"]),
        s("kill_live_nodes_relaxed", RELAXED, &["foo"], NONE, &["-kill"]),
        s("stop_strict", NONE, &["foo"], NONE, &["-stop", "foo"]),
        s("stop_relaxed_registered", RELAXED, &["foo", "bar"], NONE, &["-stop", "foo"]),
        s("stop_relaxed_missing", RELAXED, &["foo"], NONE, &["-stop", "nope"]),
        s("started", NONE, &["foo"], NONE, &["-started"]),
        Scenario { name: "names_no_daemon", flags: NONE, live: NONE, closed: NONE, command: &["-names"], no_daemon: true },
        Scenario { name: "kill_no_daemon", flags: NONE, live: NONE, closed: NONE, command: &["-kill"], no_daemon: true },
    ]
}

fn register(port: u16, name: &str, node_port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to epmd");
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.write_all(&epmd_wire::alive2(node_port, name)).unwrap();
    let mut reply = [0u8; 6];
    s.read_exact(&mut reply).expect("ALIVE2 reply");
    assert_eq!(&reply[..2], b"v\0", "registration of {name} refused");
    s
}

/// Runs the scenario with `daemon` serving and `client`'s binary as the command-line client.
/// Returns the client's normalised stdout, stderr and exit code, then the daemon's state after.
fn run(sc: &Scenario, daemon_kind: EpmdKind, client: EpmdKind) -> Vec<String> {
    let daemon = (!sc.no_daemon).then(|| EpmdDaemon::start_free(daemon_kind, sc.flags));
    let port = daemon.as_ref().map_or_else(free_port, |d| d.port);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut held = Vec::new();
    for (i, name) in sc.closed.iter().chain(sc.live).enumerate() {
        held.push(register(port, name, 5555 + i as u16));
    }
    for name in sc.closed {
        held.remove(0);
        let gone = poll(Duration::from_secs(5), || {
            request(addr, &epmd_wire::port_please(name.as_bytes())).is_some_and(|r| r == [119, 1])
        });
        assert!(gone, "{name} not dropped after close");
    }
    let out = Command::new(client.program())
        .arg("-port")
        .arg(port.to_string())
        .args(sc.command)
        .env_remove("ERL_EPMD_PORT")
        .env_remove("ERL_EPMD_ADDRESS")
        .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK")
        .stdin(Stdio::null())
        .output()
        .expect("run the epmd client");
    let norm = |bytes: &[u8]| normalise(&String::from_utf8_lossy(bytes), port);
    let mut seen = vec![
        format!("stdout: {}", norm(&out.stdout)),
        format!("stderr: {}", norm(&out.stderr)),
        format!("exit: {:?}", out.status.code()),
    ];
    if daemon.is_some() {
        let after = if sc.command == ["-kill"] {
            vec![Step::AwaitDown]
        } else {
            vec![
                Step::Open(0),
                Step::Send(0, epmd_wire::names()),
                Step::ReadToClose(0),
            ]
        };
        seen.extend(
            run_script(addr, &after)
                .into_iter()
                .map(|l| format!("after: {l}")),
        );
    }
    seen
}

/// Masks the daemon's port number and DUMP fd numbers; shows NULs and newlines.
fn normalise(text: &str, port: u16) -> String {
    let text = text.replace(&port.to_string(), "<PORT>");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("fd = ") {
        out.push_str(&rest[..at + 5]);
        rest = rest[at + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push_str("<fd>");
    }
    out.push_str(rest);
    out.replace('\0', "\\0").replace('\n', "\\n")
}

/// Runs every scenario in parallel for the pairings given, comparing each with OTP-on-OTP.
fn check_all(pairing: (EpmdKind, EpmdKind), what: &str) {
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for sc in scenarios() {
            let failures = &failures;
            s.spawn(move || {
                let (reference, tested) = std::thread::scope(|s2| {
                    let r = s2.spawn(|| run(&sc, EpmdKind::Otp, EpmdKind::Otp));
                    let t = s2.spawn(|| run(&sc, pairing.0, pairing.1));
                    (r.join(), t.join())
                });
                let (reference, tested) = match (reference, tested) {
                    (Ok(r), Ok(t)) => (r, t),
                    _ => {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{}: panicked", sc.name));
                        return;
                    }
                };
                if std::env::var_os("EPMD_DIFF_SHOW").is_some() {
                    eprintln!("--- {} (otp on otp)\n  {}", sc.name, reference.join("\n  "));
                }
                eprintln!(
                    "{what} {:28} {}",
                    sc.name,
                    if reference == tested { "ok" } else { "DIFFERS" }
                );
                if reference != tested {
                    failures.lock().unwrap().push(format!(
                        "{}:\n  otp : {reference:?}\n  test: {tested:?}",
                        sc.name
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{what}:\n{}", failures.join("\n"));
}

#[test]
fn otp_client_against_our_daemon_prints_what_it_prints_against_otp() {
    check_all(
        (EpmdKind::under_test(), EpmdKind::Otp),
        "otp client -> our daemon",
    );
}

#[test]
fn our_client_against_otp_daemon_prints_what_otp_client_prints() {
    check_all(
        (EpmdKind::Otp, EpmdKind::under_test()),
        "our client -> otp daemon",
    );
}
