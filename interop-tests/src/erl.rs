//! Real OTP processes for tests: OTP's own `epmd` on a private port, and `erl` nodes driven line by
//! line through the `ctl` control module (erl/ctl.erl), with no sleeping and guessing.

use crate::child::ChildGuard;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// OTP's `epmd` daemon, in the foreground on a private port.
pub struct OtpEpmd {
    pub port: u16,
    pub guard: ChildGuard,
}

impl OtpEpmd {
    /// Starts `/usr/bin/epmd -port PORT` plus `extra` arguments and waits until it accepts.
    pub fn start(port: u16, extra: &[&str]) -> OtpEpmd {
        let mut cmd = Command::new("epmd");
        cmd.arg("-port").arg(port.to_string()).args(extra);
        cmd.env_remove("ERL_EPMD_PORT")
            .env_remove("ERL_EPMD_ADDRESS");
        cmd.env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK");
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let mut guard = ChildGuard::spawn("otp-epmd", &mut cmd)
            .expect("start OTP epmd (apt-get install erlang-nox)");
        wait_for_port(port, Duration::from_secs(10));
        // epmd exits 0 when the port is taken ("already running"): then we reached someone else's.
        let exited = guard.child_mut().try_wait().ok().flatten();
        assert!(
            exited.is_none(),
            "OTP epmd on port {port} exited ({exited:?}): port taken by another process"
        );
        OtpEpmd { port, guard }
    }
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on port {port} after {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How to start an `erl` node.
#[derive(Clone, Debug, Default)]
pub struct ErlOptions {
    /// `-sname` value, e.g. `a_123@localhost`; `None` starts a non-distributed node.
    pub sname: Option<String>,
    /// `-name` value (long names); used instead of `sname` when set.
    pub name: Option<String>,
    pub cookie: Option<String>,
    /// Exported to the node as `ERL_EPMD_PORT`.
    pub epmd_port: Option<u16>,
    /// Extra arguments for `erl`, e.g. `["-hidden"]` or `["-kernel", "net_ticktime", "4"]`.
    pub args: Vec<String>,
}

/// A running `erl` node that evaluates expressions sent to it.
pub struct ErlNode {
    pub guard: ChildGuard,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Everything the node printed that was not a control reply.
    pub output: Vec<String>,
    pub home: tempfile::TempDir,
}

impl ErlNode {
    /// Starts `erl` with the control module; panics with the node's output if it does not come up.
    pub fn start(opts: ErlOptions) -> ErlNode {
        let home = tempfile::tempdir().expect("temp dir for the node's HOME");
        let mut cmd = Command::new("erl");
        cmd.args(["-noshell", "-pa"]).arg(ctl_dir());
        if let Some(name) = &opts.name {
            cmd.args(["-name", name]);
        } else if let Some(sname) = &opts.sname {
            cmd.args(["-sname", sname]);
        }
        if let Some(cookie) = &opts.cookie {
            cmd.args(["-setcookie", cookie]);
        }
        cmd.args(["-start_epmd", "false"]);
        cmd.args(&opts.args);
        cmd.args(["-s", "ctl", "start"]);
        cmd.env("HOME", home.path()).current_dir(home.path());
        cmd.env_remove("ERL_EPMD_PORT");
        if let Some(port) = opts.epmd_port {
            cmd.env("ERL_EPMD_PORT", port.to_string());
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut guard =
            ChildGuard::spawn("erl", &mut cmd).expect("start erl (apt-get install erlang-nox)");
        let stdin = guard.child_mut().stdin.take().expect("erl stdin");
        let lines = guard.output_lines();
        let mut node = ErlNode {
            guard,
            stdin,
            lines,
            output: Vec::new(),
            home,
        };
        node.wait_for_line("@@CTL-READY@@", Duration::from_secs(30));
        node
    }

    /// Evaluates one line of Erlang (e.g. `"net_adm:ping('b@localhost')."`) and returns the value
    /// printed with `~p` on one line. Panics if evaluation raised, with the node's output.
    pub fn eval(&mut self, expr: &str) -> String {
        match self.try_eval(expr, Duration::from_secs(60)) {
            Ok(value) => value,
            Err(error) => panic!(
                "erl failed to evaluate `{expr}`: {error}\noutput: {:#?}",
                self.output
            ),
        }
    }

    /// Like `eval`, but returns `Err(text)` when the expression raised (`{Class, Reason, Stack}`).
    pub fn try_eval(&mut self, expr: &str, timeout: Duration) -> Result<String, String> {
        let line = expr.replace('\n', " ");
        writeln!(self.stdin, "{line}").expect("write to erl stdin");
        self.stdin.flush().expect("flush erl stdin");
        let reply = self.wait_for_line("@@CTL-", timeout);
        let body = reply.trim_start_matches("@@CTL-").trim_end_matches("@@");
        if let Some(value) = body.strip_prefix("OK ") {
            Ok(value.to_string())
        } else {
            Err(body.trim_start_matches("ERROR ").to_string())
        }
    }

    fn wait_for_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(line) => self.output.push(line),
                Err(_) => panic!(
                    "erl: no `{prefix}` line within {timeout:?}; exit status {:?}; output: {:#?}",
                    self.guard.child_mut().try_wait(),
                    self.output
                ),
            }
        }
    }
}

/// The directory holding the compiled control module (compiled once per test process).
pub fn ctl_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("interop-ctl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create dir for ctl.beam");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("erl/ctl.erl");
        let status = Command::new("erlc")
            .arg("-o")
            .arg(&dir)
            .arg(&src)
            .status()
            .expect("run erlc (apt-get install erlang-nox)");
        assert!(status.success(), "erlc {} failed", src.display());
        dir
    })
}
