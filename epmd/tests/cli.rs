//! The `epmd` binary run as OTP's would be: daemon on a private port, client commands and
//! their exact output, usage errors, and the "already running" exit status.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_epmd");

/// A port below the ephemeral range (so outgoing connections elsewhere cannot take it) that
/// was free on all interfaces a moment ago.
fn free_port() -> u16 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id().wrapping_mul(2_654_435_761);
    for i in 0..1000u32 {
        let port = 20_000 + (seed.wrapping_add(i.wrapping_mul(7919)) % 12_000) as u16;
        if TcpListener::bind(("0.0.0.0", port)).is_ok() && TcpListener::bind(("::", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range");
}

/// The daemon, killed by pid when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the daemon on a free port (retrying if another process takes the port first).
fn daemon(extra: &[&str]) -> (Daemon, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["-port", &port.to_string()])
            .args(extra)
            .env_remove("ERL_EPMD_ADDRESS")
            .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (Daemon(child), port);
            }
            if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("daemon did not start");
}

fn epmd(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("ERL_EPMD_PORT")
        .output()
        .unwrap()
}

#[test]
fn names_kill_and_stop_output() {
    let (mut d, port) = daemon(&[]);
    let p = port.to_string();
    let out = epmd(&["-port", &p, "-names"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("epmd: up and running on port {port} with data:\n")
    );
    let out = epmd(&["--port", &p, "--started"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let out = epmd(&["-port", &p, "-stop", "foo"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"epmd: local epmd responded with <>\n");
    let out = epmd(&["-port", &p, "-kill"]);
    assert_eq!(out.stdout, b"Killed\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(d.0.wait().unwrap().code(), Some(0));
}

#[test]
fn cannot_connect() {
    let port = free_port().to_string();
    let out = epmd(&["-port", &port, "-names"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stderr, b"epmd: Cannot connect to local epmd\n");
    let out = epmd(&["-port", &port, "-started"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty() && out.stdout.is_empty());
}

#[test]
fn usage_on_bad_arguments() {
    for args in [&["-bogus"][..], &["-names", "-port", "1"], &["-port", "0"]] {
        let out = epmd(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("usage: epmd"));
    }
}

#[test]
fn second_daemon_on_same_port_exits_zero() {
    let (_d, port) = daemon(&["-relaxed_command_check"]);
    let out = Command::new(BIN)
        .args(["-port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = epmd(&["-port", &port.to_string(), "-stop", "foo"]);
    assert_eq!(out.stdout, b"NOEXIST\n");
    assert_eq!(out.status.code(), Some(0));
}
