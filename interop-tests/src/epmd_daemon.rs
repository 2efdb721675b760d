//! Either EPMD daemon — OTP's `/usr/bin/epmd` or this workspace's `epmd` binary — started in the
//! foreground on a private port with the same arguments, stopped by pid when dropped.

use crate::child::{cargo_bin, ChildGuard};
use crate::names::free_port;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Which implementation to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpmdKind {
    Otp,
    Ours,
}

impl EpmdKind {
    /// The executable: `epmd` from PATH for OTP, `cargo_bin("epmd")` for ours.
    pub fn program(self) -> PathBuf {
        match self {
            EpmdKind::Otp => PathBuf::from("/usr/bin/epmd"),
            EpmdKind::Ours => cargo_bin("epmd"),
        }
    }

    /// The kind the differential tests compare OTP against: ours, unless `EPMD_DIFF_AGAINST=otp`
    /// (used to validate the test harness itself with OTP on both sides).
    pub fn under_test() -> EpmdKind {
        match std::env::var("EPMD_DIFF_AGAINST").as_deref() {
            Ok("otp") => EpmdKind::Otp,
            _ => EpmdKind::Ours,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EpmdKind::Otp => "otp",
            EpmdKind::Ours => "ours",
        }
    }
}

/// A running daemon.
pub struct EpmdDaemon {
    pub kind: EpmdKind,
    pub port: u16,
    pub guard: ChildGuard,
}

impl EpmdDaemon {
    /// Starts `<program> -port PORT <extra...>` with no EPMD environment variables and waits
    /// until this very process listens on the port and accepts on 127.0.0.1 (and on ::1 when it
    /// binds all addresses). Panics if it cannot.
    pub fn start(kind: EpmdKind, port: u16, extra: &[&str]) -> EpmdDaemon {
        Self::try_start(kind, &kind.program(), port, extra).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like `start` on a port from `free_port`, retrying on another port when the daemon finds
    /// its port taken (another test process may bind the same free port in between).
    pub fn start_free(kind: EpmdKind, extra: &[&str]) -> EpmdDaemon {
        Self::start_free_program(kind, &kind.program(), extra)
    }

    /// `start_free` with an explicit executable (e.g. a daemon binary given to a benchmark).
    pub fn start_free_program(kind: EpmdKind, program: &Path, extra: &[&str]) -> EpmdDaemon {
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start(kind, program, free_port(), extra) {
                Ok(daemon) => return daemon,
                Err(e) => last = e,
            }
        }
        panic!("{kind:?} epmd did not start on 5 free ports; last: {last}");
    }

    fn try_start(
        kind: EpmdKind,
        program: &Path,
        port: u16,
        extra: &[&str],
    ) -> Result<EpmdDaemon, String> {
        let mut cmd = Command::new(program);
        cmd.arg("-port").arg(port.to_string()).args(extra);
        cmd.env_remove("ERL_EPMD_PORT")
            .env_remove("ERL_EPMD_ADDRESS")
            .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK")
            .env_remove("RUST_LOG");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut guard = ChildGuard::spawn(&format!("{}-epmd", kind.label()), &mut cmd)
            .map_err(|e| format!("start {kind:?} epmd: {e}"))?;
        // Wait until *our child* listens: a connect alone could reach another test process's
        // daemon that took the same port first (ours would then exit "already running").
        // Without -address both daemons also listen on [::]; wait for that too when the host has
        // IPv6, since that second bind can still find the port taken.
        let want_v6 = !extra.contains(&"-address") && TcpListener::bind("[::1]:0").is_ok();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v4 = TcpStream::connect(("127.0.0.1", port)).is_ok();
            let v6 = !want_v6 || TcpStream::connect(("::1", port)).is_ok();
            if v4 && v6 && listens_on(guard.pid(), port) {
                if let Ok(Some(status)) = guard.child_mut().try_wait() {
                    return Err(format!("{kind:?} epmd -port {port} exited ({status})"));
                }
                return Ok(EpmdDaemon { kind, port, guard });
            }
            if let Ok(Some(status)) = guard.child_mut().try_wait() {
                return Err(format!(
                    "{kind:?} epmd -port {port} {extra:?} exited at start ({status}); port busy?"
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{kind:?} epmd: does not listen on port {port} after 10 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Whether process `pid` holds a listening TCP socket on `port` (from /proc/net/tcp{,6} and the
/// process's fd links). The kernel lists listening sockets first, so reading stops at the first
/// socket in another state (there may be tens of thousands in TIME_WAIT after a load run).
fn listens_on(pid: u32, port: u16) -> bool {
    use std::io::BufRead;
    let wanted = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(file) = std::fs::File::open(table) else {
            continue;
        };
        for line in std::io::BufReader::new(file)
            .lines()
            .skip(1)
            .map_while(Result::ok)
        {
            // sl, local_address, rem_address, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
            let fields: Vec<&str> = line.split_whitespace().take(10).collect();
            if fields.len() < 10 || fields[3] != "0A" {
                break;
            }
            if fields[1].ends_with(&wanted) {
                inodes.push(format!("socket:[{}]", fields[9]));
            }
        }
    }
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .map(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
            .unwrap_or(false)
    })
}
