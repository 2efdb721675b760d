//! `todo-node` with no epmd running starts ours (as `erl` starts OTP's), registers with it, and
//! serves; OTP's own `epmd -names` sees the node there. The daemon is stopped with `epmd -kill`.

use interop_tests::http_client::http_post;
use interop_tests::todo_nodes::todo_node_bin;
use interop_tests::{cargo_bin, free_port, unique_name, ChildGuard};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// OTP's `epmd` as a client of the daemon on `port` (`-names`, `-kill`).
fn otp_epmd(port: u16, command: &str) -> Output {
    Command::new("epmd")
        .args(["-port", &port.to_string(), command])
        .env_remove("ERL_EPMD_PORT")
        .output()
        .expect("run OTP's epmd (apt-get install erlang-nox)")
}

/// Stops the epmd daemon the node started, also when the test fails (by protocol: the daemon
/// detached, so it is not ours to signal; `-kill` is what an operator would run).
struct StopDaemon(u16);

impl Drop for StopDaemon {
    fn drop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        // A kill request is refused while names are registered; the node is gone by now, but
        // its registration closes asynchronously.
        while !String::from_utf8_lossy(&otp_epmd(self.0, "-kill").stdout).contains("Killed")
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn todo_node_starts_our_epmd_when_none_runs() {
    let epmd_port = free_port();
    let http_port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let alive = unique_name("rs");
    let before = otp_epmd(epmd_port, "-names");
    assert!(
        !before.status.success(),
        "an epmd already answers on {epmd_port}: {before:?}"
    );

    // todo-node looks for our epmd next to itself (target/<profile>/epmd): make sure it is built.
    let our_epmd = cargo_bin("epmd");
    assert_eq!(our_epmd.parent(), todo_node_bin().parent());

    let stop_daemon = StopDaemon(epmd_port);
    let mut cmd = Command::new(todo_node_bin());
    cmd.current_dir(dir.path())
        .env("HOME", dir.path())
        .env("TODO_HTTP_PORT", http_port.to_string())
        .env("TODO_DB_FOLDER", dir.path().join("persist"))
        .env_remove("ERL_EPMD_PORT")
        .env_remove("ERLDIST_EPMD")
        .args(["--sname", &format!("{alive}@localhost")])
        .args(["--epmd-port", &epmd_port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut node = ChildGuard::spawn("todo-node", &mut cmd).expect("start todo-node");
    let lines = node.output_lines();
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains(" ready: http port")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => log.push(line),
            Err(_) => panic!("todo-node did not get ready:\n{}", log.join("\n")),
        }
    }
    assert!(
        log.iter()
            .any(|l| l.contains("no epmd running; starting ours")),
        "{}",
        log.join("\n")
    );

    let names = otp_epmd(epmd_port, "-names");
    let names = String::from_utf8_lossy(&names.stdout);
    assert!(
        names.contains(&format!("up and running on port {epmd_port}")),
        "{names}"
    );
    assert!(names.contains(&format!("name {alive} at port")), "{names}");
    let added = http_post(
        http_port,
        "/add_entry?list=bob&date=2023-12-19&title=Dentist",
    )
    .expect("POST");
    assert_eq!((added.status, added.body.as_str()), (200, "OK"));

    node.kill();
    drop(stop_daemon);
    let after = otp_epmd(epmd_port, "-names");
    assert!(
        !after.status.success(),
        "the daemon still answers after -kill: {after:?}"
    );
}
