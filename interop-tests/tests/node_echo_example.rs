//! The `echo` example node as a separate program, seen from real OTP 25 nodes: it answers
//! messages, and erl notices at once when it is killed and after net_ticktime when it stalls.

use interop_tests::{
    cargo_example, free_port, unique_name, ChildGuard, ErlNode, ErlOptions, OtpEpmd,
};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start_echo(epmd: &OtpEpmd, cookie: &str, extra: &[&str]) -> (ChildGuard, String) {
    let (guard, name, _stdout) = start_echo_with_stdout(epmd, cookie, extra);
    (guard, name)
}

/// Starts the example; also returns the rest of its standard output (its group leader prints
/// there), line by line.
fn start_echo_with_stdout(
    epmd: &OtpEpmd,
    cookie: &str,
    extra: &[&str],
) -> (ChildGuard, String, std::sync::mpsc::Receiver<String>) {
    let name = format!("{}@localhost", unique_name("echo"));
    let mut cmd = Command::new(cargo_example("node", "echo"));
    cmd.args([
        "--sname",
        &name,
        "--cookie",
        cookie,
        "--epmd-port",
        &epmd.port.to_string(),
    ])
    .args(extra);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut guard = ChildGuard::spawn("echo", &mut cmd).expect("start the echo example");
    let stdout = guard.child_mut().stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).expect("ready line");
    assert!(line.contains("ready"), "echo example said {line:?}");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (guard, name, rx)
}

fn erl(epmd: &OtpEpmd, cookie: &str) -> ErlNode {
    ErlNode::start(ErlOptions {
        sname: Some(format!("{}@localhost", unique_name("erl"))),
        cookie: Some(cookie.into()),
        epmd_port: Some(epmd.port),
        args: vec!["-kernel".into(), "net_ticktime".into(), "4".into()],
        ..Default::default()
    })
}

#[test]
fn echo_answers_and_erl_sees_it_die() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let (mut echo, name) = start_echo(&epmd, &cookie, &[]);
    let mut node = erl(&epmd, &cookie);
    let reply = node.eval(&format!(
        "{{echo, '{name}'}} ! {{self(), ping}}, receive R -> R after 5000 -> timeout end."
    ));
    assert_eq!(reply, "ping");
    node.eval(&format!("erlang:monitor_node('{name}', true)."));
    node.eval(&format!("EchoRef = monitor(process, {{echo, '{name}'}})."));
    let started = Instant::now();
    echo.kill();
    let down = node.eval(&format!(
        "receive {{nodedown, '{name}'}} -> down after 3000 -> still_up end."
    ));
    assert_eq!(down, "down");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        node.eval("receive {'DOWN', EchoRef, process, _, Why} -> Why after 3000 -> none end."),
        "noconnection"
    );
}

#[test]
fn erl_notices_a_stalled_rust_node_after_net_ticktime() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let (echo, name) = start_echo(&epmd, &cookie, &["--net-ticktime", "4"]);
    let mut node = erl(&epmd, &cookie);
    assert_eq!(node.eval(&format!("net_adm:ping('{name}').")), "pong");
    // Idle but alive: our ticks keep the connection up past net_ticktime.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(node.eval("nodes()."), format!("[{name}]"));
    node.eval(&format!("erlang:monitor_node('{name}', true)."));
    let stopped = Instant::now();
    echo.signal(libc::SIGSTOP);
    let down = node.eval(&format!(
        "receive {{nodedown, '{name}'}} -> down after 15000 -> still_up end."
    ));
    echo.signal(libc::SIGCONT);
    assert_eq!(down, "down");
    let waited = stopped.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited <= Duration::from_secs(10),
        "nodedown after {waited:?}"
    );
}

#[test]
fn elixir_connects_lists_pings_and_calls_the_echo_node() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let (_echo, name) = start_echo(&epmd, &cookie, &[]);
    let home = tempfile::tempdir().expect("temp HOME");
    let script = format!(
        r#"IO.inspect(Node.connect(:"{name}")); IO.inspect(Node.list()); IO.inspect(Node.ping(:"{name}")); send({{:echo, :"{name}"}}, {{self(), :hi}}); receive do m -> IO.inspect(m) after 5000 -> IO.inspect(:timeout) end"#
    );
    let output = Command::new("elixir")
        .args([
            "--sname",
            &unique_name("iex"),
            "--cookie",
            &cookie,
            "--erl",
            "-start_epmd false",
            "-e",
            &script,
        ])
        .env("ERL_EPMD_PORT", epmd.port.to_string())
        .env("HOME", home.path())
        .current_dir(home.path())
        .output()
        .expect("run elixir (apt-get install elixir)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        format!("true\n[:{name}]\n:pong\n:hi\n"),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_wrong_cookie_is_logged_with_the_peer_name_and_the_node_keeps_serving() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let name = format!("{}@localhost", unique_name("echo"));
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut cmd = Command::new(cargo_example("node", "echo"));
    cmd.args([
        "--sname",
        &name,
        "--cookie",
        &cookie,
        "--epmd-port",
        &epmd.port.to_string(),
    ]);
    cmd.stdout(Stdio::piped())
        .stderr(log.reopen().expect("log handle"));
    let mut guard = ChildGuard::spawn("echo", &mut cmd).expect("start the echo example");
    let mut line = String::new();
    BufReader::new(guard.child_mut().stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");

    let mut intruder = erl(&epmd, "wrong-cookie");
    let intruder_name = intruder.eval("node().");
    assert_eq!(intruder.eval(&format!("net_adm:ping('{name}').")), "pang");
    let mut friend = erl(&epmd, &cookie);
    assert_eq!(friend.eval(&format!("net_adm:ping('{name}').")), "pong");
    let logged = std::fs::read_to_string(log.path()).expect("read log");
    let refusal = logged
        .lines()
        .find(|l| l.contains("cookie mismatch"))
        .unwrap_or_else(|| panic!("no refusal logged: {logged}"));
    assert!(refusal.contains(&intruder_name), "{refusal}");
    assert!(!logged.contains(&cookie), "the cookie must never be logged");
}

#[test]
fn elixir_calls_the_echo_gen_server_rpcs_spawns_and_prints_both_ways() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let (_echo, name, echo_stdout) = start_echo_with_stdout(&epmd, &cookie, &[]);
    let home = tempfile::tempdir().expect("temp HOME");
    let script = format!(
        r#"n = :"{name}"
IO.inspect(GenServer.call({{:echo, n}}, :hi))
{{:ok, agent}} = Agent.start(fn -> 41 end)
IO.inspect(GenServer.call({{:echo, n}}, {{:call, agent, {{:get, fn s -> s + 1 end}}}}))
IO.inspect(GenServer.call({{:echo, n}}, {{:call, {{:nobody, node()}}, :x}}))
IO.inspect(:rpc.call(n, :echo, :echo, [[1, 2]]))
IO.inspect(:erpc.call(n, :erlang, :node, []))
Node.spawn(n, :echo, :hello, ["iex"])
Process.sleep(500)
g = :rpc.call(n, :erlang, :whereis, [:user])
IO.puts(g, "printed by elixir on the Rust node")
:io.format(g, "~p and ~ts~n", [[104, 105], "ünïcode"])
:io.format(g, "~p~n", [g])
"#
    );
    let output = Command::new("elixir")
        .args([
            "--sname",
            &unique_name("iex"),
            "--cookie",
            &cookie,
            "--erl",
            "-start_epmd false",
            "-e",
            &script,
        ])
        .env("ERL_EPMD_PORT", epmd.port.to_string())
        .env("HOME", home.path())
        .current_dir(home.path())
        .output()
        .expect("run elixir (apt-get install elixir)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        format!(
            "{{:echo, :hi}}\n42\n{{:error, :noproc}}\n[1, 2]\n:{name}\nHello, iex, from {name}\n"
        ),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Vec<String> = (0..3)
        .map_while(|_| echo_stdout.recv_timeout(Duration::from_secs(5)).ok())
        .collect();
    assert_eq!(printed.len(), 3, "{printed:?}");
    assert_eq!(printed[0], "printed by elixir on the Rust node");
    assert_eq!(printed[1], "\"hi\" and ünïcode");
    // The Rust node's own pid prints as OTP prints a local pid.
    let pid = &printed[2];
    assert!(pid.starts_with("<0.") && pid.ends_with(".0>"), "{pid}");
}
