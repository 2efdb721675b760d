//! Either EPMD daemon — OTP's `/usr/bin/epmd` or this workspace's `epmd` binary — started in the
//! foreground on a private port with the same arguments, stopped by pid when dropped.

use crate::child::{cargo_bin, ChildGuard};
use std::net::TcpStream;
use std::path::PathBuf;
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
    /// until it accepts on 127.0.0.1.
    pub fn start(kind: EpmdKind, port: u16, extra: &[&str]) -> EpmdDaemon {
        let mut cmd = Command::new(kind.program());
        cmd.arg("-port").arg(port.to_string()).args(extra);
        cmd.env_remove("ERL_EPMD_PORT")
            .env_remove("ERL_EPMD_ADDRESS")
            .env_remove("ERL_EPMD_RELAXED_COMMAND_CHECK");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut guard = ChildGuard::spawn(&format!("{}-epmd", kind.label()), &mut cmd)
            .unwrap_or_else(|e| panic!("start {:?} epmd: {e}", kind));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = guard.child_mut().try_wait() {
                panic!(
                    "{kind:?} epmd -port {port} {extra:?} exited at start ({status}); port busy?"
                );
            }
            assert!(
                Instant::now() < deadline,
                "{kind:?} epmd: nothing listens on port {port} after 10 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        EpmdDaemon { kind, port, guard }
    }
}
