//! The daemon's command line and environment, ours against OTP's: usage errors, "already running",
//! ERL_EPMD_PORT / _ADDRESS / _RELAXED_COMMAND_CHECK, -address binding and -daemon detaching.

use interop_tests::epmd_script::{poll, request};
use interop_tests::epmd_wire;
use interop_tests::{free_port, ChildGuard, EpmdDaemon, EpmdKind};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `program args` with `env` (and no other EPMD variable) to completion (bounded); returns
/// stdout, stderr and exit code with `port` masked.
fn run_to_exit(kind: EpmdKind, args: &[String], env: &[(&str, String)], port: u16) -> String {
    let mut cmd = Command::new(kind.program());
    cmd.args(args)
        .env_remove("ERL_EPMD_PORT")
        .env_remove("ERL_EPMD_ADDRESS")
        .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut guard = ChildGuard::spawn("epmd-cmd", &mut cmd).expect("start epmd");
    let status = guard.wait_timeout(Duration::from_secs(5));
    let child = guard.child_mut();
    let read = |r: Option<&mut dyn std::io::Read>| {
        let mut s = String::new();
        if let Some(r) = r {
            let _ = r.read_to_string(&mut s);
        }
        s.replace(&port.to_string(), "<PORT>")
    };
    let out = read(child.stdout.as_mut().map(|s| s as &mut dyn std::io::Read));
    let err = read(child.stderr.as_mut().map(|s| s as &mut dyn std::io::Read));
    format!(
        "exit {:?}\nstdout: {out:?}\nstderr: {err:?}",
        status.map(|s| s.code())
    )
}

fn same_for_both(args: &[String], env: &[(&str, String)], port: u16) {
    let otp = run_to_exit(EpmdKind::Otp, args, env, port);
    let ours = run_to_exit(EpmdKind::under_test(), args, env, port);
    assert_eq!(ours, otp, "epmd {args:?} env {env:?}: ours vs OTP");
}

/// Like `same_for_both` for a daemon that fails to start: same exit code and stdout, and both
/// explain on stderr (OTP's text carries a timestamp; ours is its own wording).
fn same_failure_for_both(args: &[String], port: u16) {
    let otp = run_to_exit(EpmdKind::Otp, args, &[], port);
    let ours = run_to_exit(EpmdKind::under_test(), args, &[], port);
    let status = |s: &str| s.split("\nstderr: ").next().unwrap_or("").to_string();
    assert_eq!(
        status(&ours),
        status(&otp),
        "epmd {args:?}: exit and stdout, ours vs OTP"
    );
    assert!(!otp.ends_with("stderr: \"\""), "OTP says why: {otp}");
    assert!(!ours.ends_with("stderr: \"\""), "ours says why: {ours}");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn usage_errors_match_otp() {
    let p = free_port();
    let ps = p.to_string();
    for args in [
        vec!["-port", "0"],
        vec!["-port"],
        vec!["-names", "-port", &ps],
        vec!["-port", &ps, "-bogus"],
        vec!["-port", &ps, "-packet_timeout", "0"],
        vec!["-port", &ps, "-stop"],
    ] {
        same_for_both(&strings(&args), &[], p);
    }
}

#[test]
fn second_daemon_on_a_busy_port_exits_like_otp() {
    let holder = EpmdDaemon::start_free(EpmdKind::Otp, &[]);
    let args = strings(&["-port", &holder.port.to_string()]);
    same_for_both(&args, &[], holder.port);
}

#[test]
fn client_commands_take_the_port_from_erl_epmd_port() {
    let daemon = EpmdDaemon::start_free(EpmdKind::Otp, &[]);
    let env = [("ERL_EPMD_PORT", daemon.port.to_string())];
    same_for_both(&strings(&["-names"]), &env, daemon.port);
    same_for_both(&strings(&["-dump"]), &env, daemon.port);
}

/// Starts a daemon of `kind` with `args`/`env` that listens on `port` (not given via `-port`
/// necessarily); panics if nothing listens within 5 s.
fn daemon_with(kind: EpmdKind, args: &[&str], env: &[(&str, String)], port: u16) -> ChildGuard {
    let mut cmd = Command::new(kind.program());
    cmd.args(args)
        .env_remove("ERL_EPMD_PORT")
        .env_remove("ERL_EPMD_ADDRESS")
        .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let guard = ChildGuard::spawn("epmd-env", &mut cmd).expect("start epmd");
    let up = poll(Duration::from_secs(5), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(
        up,
        "{kind:?} epmd {args:?} {env:?} does not listen on {port}"
    );
    guard
}

#[test]
fn daemon_takes_port_and_relaxed_mode_from_the_environment() {
    for kind in [EpmdKind::Otp, EpmdKind::under_test()] {
        let port = free_port();
        let env = [
            ("ERL_EPMD_PORT", port.to_string()),
            ("ERL_EPMD_RELAXED_COMMAND_CHECK", String::new()),
        ];
        let _daemon = daemon_with(kind, &[], &env, port);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let names = request(addr, &epmd_wire::names()).expect("NAMES");
        assert_eq!(names, (port as u32).to_be_bytes(), "{kind:?}: NAMES port");
        let stop = request(addr, &epmd_wire::stop("nobody")).expect("STOP");
        assert_eq!(
            stop, b"NOEXISTSTOPPED",
            "{kind:?}: an empty ERL_EPMD_RELAXED_COMMAND_CHECK enables relaxed mode"
        );
    }
}

/// Which of 127.0.0.1, 127.0.0.2, 127.0.0.3 accept connections on `port`.
fn reachable(port: u16) -> Vec<bool> {
    (1..=3u8)
        .map(|last| {
            TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, last], port)),
                Duration::from_secs(1),
            )
            .is_ok()
        })
        .collect()
}

#[test]
fn address_option_and_variable_bind_like_otp() {
    for (args, env) in [
        (vec!["-address", "127.0.0.1"], vec![]),
        (vec!["-address", "127.0.0.2"], vec![]),
        (vec!["-address", "127.0.0.2,127.0.0.3"], vec![]),
        (vec![], vec![("ERL_EPMD_ADDRESS", "127.0.0.3".to_string())]),
    ] {
        let mut seen = Vec::new();
        for kind in [EpmdKind::Otp, EpmdKind::under_test()] {
            let port = free_port();
            let mut full = vec!["-port".to_string(), port.to_string()];
            full.extend(args.iter().map(|a| a.to_string()));
            let full: Vec<&str> = full.iter().map(String::as_str).collect();
            let _daemon = daemon_with(kind, &full, &env, port);
            seen.push(reachable(port));
        }
        assert_eq!(
            seen[1], seen[0],
            "{args:?} {env:?}: [127.0.0.1, .2, .3] reachable, ours vs OTP"
        );
    }
}

#[test]
fn unbindable_address_fails_like_otp() {
    let p = free_port();
    // 192.0.2.1 (TEST-NET-1) is not an address of this host: bind fails, epmd exits.
    same_failure_for_both(
        &strings(&["-port", &p.to_string(), "-address", "192.0.2.1"]),
        p,
    );
}

/// A detached daemon found by its listening port; stopped with KILL_REQ, or SIGKILL to the pid
/// that `ss` reports for the port if it does not go.
struct Detached {
    port: u16,
}

impl Drop for Detached {
    fn drop(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let _ = request(addr, &epmd_wire::kill());
        let down = poll(Duration::from_secs(3), || {
            TcpStream::connect(("127.0.0.1", self.port)).is_err()
        });
        if !down {
            let out = Command::new("ss")
                .args(["-ltnpH", &format!("sport = :{}", self.port)])
                .output();
            let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
            for pid in text.unwrap_or_default().split("pid=").skip(1) {
                if let Ok(pid) = pid.split(',').next().unwrap_or("").parse::<i32>() {
                    // SAFETY: kill(2) on the pid listening on our private port (our daemon).
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
        }
    }
}

#[test]
fn daemon_flag_detaches_like_otp() {
    let mut seen = Vec::new();
    for kind in [EpmdKind::Otp, EpmdKind::under_test()] {
        let port = free_port();
        let _detached = Detached { port };
        let started = run_to_exit(
            kind,
            &strings(&["-port", &port.to_string(), "-daemon"]),
            &[],
            port,
        );
        let up = poll(Duration::from_secs(5), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let names = request(addr, &epmd_wire::names()).unwrap_or_default();
        let kill = request(addr, &epmd_wire::kill()).unwrap_or_default();
        let down = poll(Duration::from_secs(5), || {
            TcpStream::connect(("127.0.0.1", port)).is_err()
        });
        seen.push(format!(
            "{started}\nlistening: {up}\nnames port ok: {}\nkill: {:?}\ndown: {down}",
            names == (port as u32).to_be_bytes(),
            String::from_utf8_lossy(&kill)
        ));
    }
    assert_eq!(seen[1], seen[0], "-daemon: ours vs OTP");
}
