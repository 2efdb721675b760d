//! Registration holders end to end: our `epmd` binary started with a 300-descriptor limit holds
//! 2,000 registrations by handing sockets to holder processes, and still answers everything itself.

use epmd::protocol::reply::{decode_alive2, decode_port2, parse_names, split_port_prefix};
use epmd::protocol::request::{encode_code, encode_named};
use epmd::Alive2Params;
use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Registrations opened by the test.
const NODES: usize = 2_000;
/// The daemon's (and so each holder's) RLIMIT_NOFILE: its own budget is 300 - 75 = 225.
const DAEMON_NOFILE: u64 = 300;
/// Registrations the daemon keeps itself at that limit (the rest is handed over).
const OWN_BUDGET: usize = 225;

/// Kills the daemon (by pid) if the test ends before KILL_REQ did.
struct DaemonGuard(Child);

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn raise_own_nofile() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn start_daemon(port: u16) -> DaemonGuard {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_epmd"));
    cmd.args([
        "-address",
        "127.0.0.1",
        "-port",
        &port.to_string(),
        "-relaxed_command_check",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null());
    // SAFETY: only setrlimit (async-signal-safe) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: DAEMON_NOFILE as libc::rlim_t,
                rlim_max: DAEMON_NOFILE as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let guard = DaemonGuard(cmd.spawn().expect("start the epmd binary"));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "epmd did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    guard
}

/// Sends one request and reads the reply until the daemon closes.
fn request(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn names(addr: SocketAddr) -> HashSet<String> {
    let reply = request(addr, &encode_code(b'n'));
    let (_, text) = split_port_prefix(&reply).unwrap();
    parse_names(text).into_iter().map(|(n, _)| n).collect()
}

fn port_of(addr: SocketAddr, name: &str) -> Option<u16> {
    let reply = request(addr, &encode_named(b'z', name.as_bytes()));
    decode_port2(&reply).unwrap().map(|n| n.port)
}

fn name(i: usize) -> String {
    format!("held{i}")
}

fn node_port(i: usize) -> u16 {
    10_000 + i as u16
}

/// Registers node `i` and returns its open registration connection.
fn register(addr: SocketAddr, i: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&Alive2Params::new(name(i), node_port(i)).encode())
        .unwrap();
    let mut reply = [0u8; 6];
    s.read_exact(&mut reply).unwrap();
    let got = decode_alive2(&reply).unwrap();
    assert_eq!(got.result, 0, "registration {i} refused");
    s
}

/// Waits (bounded) until NAMES satisfies `done`.
fn wait_names(addr: SocketAddr, what: &str, done: impl Fn(&HashSet<String>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = names(addr);
        if done(&now) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: NAMES has {} names",
            now.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The daemon's child processes (its holders), from /proc/<pid>/task/*/children.
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    out
}

/// Open descriptors of a process.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// A process is gone when /proc no longer has it, or only as a zombie.
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// True when `s` reads EOF (or a reset) within a few seconds.
fn sees_eof(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut byte = [0u8; 1];
    match s.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
        ),
    }
}

#[test]
fn registrations_beyond_the_fd_limit_go_to_holders() {
    raise_own_nofile();
    let port = free_port();
    let mut daemon = start_daemon(port);
    let pid = daemon.0.id();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let mut regs: Vec<Option<TcpStream>> = (0..NODES).map(|i| Some(register(addr, i))).collect();
    let holders = children(pid);
    assert!(
        holders.len() >= 2,
        "expected holder processes, found {holders:?}"
    );
    // The sockets really live in the holders: the daemon stays within its own limit.
    let in_holders: usize = holders.iter().map(|&h| open_fds(h)).sum();
    assert!(
        open_fds(pid) < DAEMON_NOFILE as usize,
        "daemon has {} fds",
        open_fds(pid)
    );
    assert!(
        in_holders >= NODES - OWN_BUDGET,
        "holders keep only {in_holders} descriptors"
    );

    // Lookups of local and handed-over registrations, answered by the daemon.
    for i in [0, OWN_BUDGET - 1, OWN_BUDGET, 1000, NODES - 1] {
        assert_eq!(port_of(addr, &name(i)), Some(node_port(i)), "{}", name(i));
    }
    let all = names(addr);
    assert_eq!(all.len(), NODES);
    assert!((0..NODES).all(|i| all.contains(&name(i))));

    // Closing registrations (one local, two handed over) unregisters exactly those.
    let closed = [10, 500, 1500];
    for i in closed {
        regs[i] = None;
    }
    wait_names(addr, "after closing 3", |n| n.len() == NODES - closed.len());
    let now = names(addr);
    assert!(closed.iter().all(|&i| !now.contains(&name(i))));
    assert_eq!(port_of(addr, &name(500)), None);

    // Any byte on a handed-over registration ends it (OTP's rule).
    if let Some(s) = regs[700].as_mut() {
        s.write_all(b"x").unwrap();
    }
    wait_names(addr, "after a byte on held700", |n| !n.contains(&name(700)));
    assert!(regs[700].as_mut().is_some_and(sees_eof));

    // STOP (relaxed) closes a handed-over registration.
    let reply = request(addr, &encode_named(b's', name(900).as_bytes()));
    assert_eq!(reply, b"STOPPED");
    assert!(
        regs[900].as_mut().is_some_and(sees_eof),
        "STOP left held900 open"
    );
    assert_eq!(port_of(addr, &name(900)), None);
    assert_eq!(names(addr).len(), NODES - closed.len() - 2);

    // A name freed on a holder can be registered again (creation rule unchanged).
    regs[500] = Some(register(addr, 500));
    assert_eq!(port_of(addr, "held500"), Some(node_port(500)));

    // KILL (relaxed) ends the daemon and, with it, every holder; all nodes see EOF.
    assert_eq!(request(addr, &encode_code(b'k')), b"OK");
    let deadline = Instant::now() + Duration::from_secs(10);
    while daemon.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "daemon still running after KILL");
        std::thread::sleep(Duration::from_millis(20));
    }
    while !holders.iter().all(|&h| gone(h)) {
        assert!(
            Instant::now() < deadline,
            "holders still running: {holders:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for i in [0, OWN_BUDGET + 5, 1999] {
        assert!(
            regs[i].as_mut().is_some_and(sees_eof),
            "{} not closed",
            name(i)
        );
    }
}

/// Waits (bounded) for a child to exit and returns its exit code.
fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn start_holder() -> (Child, std::os::fd::OwnedFd) {
    let (ours, theirs) = epmd::holder::control::socketpair().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_epmd"))
        .arg(epmd::holder::HOLDER_ARG)
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    (child, ours)
}

#[test]
fn a_holder_exits_on_garbage_and_closes_its_sockets_when_the_daemon_goes() {
    use std::os::fd::AsRawFd;
    // Garbage on the control socket: the holder exits with status 1.
    let (mut holder, ours) = start_holder();
    // SAFETY: send(2) of a live buffer on a socket we own.
    let sent = unsafe { libc::send(ours.as_raw_fd(), b"garbage!!!".as_ptr().cast(), 10, 0) };
    assert_eq!(sent, 10);
    assert_eq!(exit_code(&mut holder), Some(1));

    // A held socket is closed (its peer reads EOF) once the daemon's end goes away; exit 0.
    let (mut holder, ours) = start_holder();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut node = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let control = epmd::holder::control::ControlSocket::new(ours).unwrap();
        let server_fd = std::os::fd::OwnedFd::from(server);
        control
            .send(
                epmd::holder::control::Message::Hold(7),
                Some(std::os::fd::AsFd::as_fd(&server_fd)),
            )
            .await
            .unwrap();
        drop(server_fd);
        // The holder keeps it: no EOF yet.
        node.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut byte = [0u8; 1];
        assert!(node.read(&mut byte).is_err(), "closed while held");
        drop(control);
    });
    assert!(sees_eof(&mut node));
    assert_eq!(exit_code(&mut holder), Some(0));
}
