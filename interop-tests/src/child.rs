//! A child process that is stopped (SIGKILL to its own process group) when its guard drops, so a
//! failing test never leaves a process behind; and where to find this workspace's binaries.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Receiver};

/// Owns a started process and everything in its process group.
pub struct ChildGuard {
    child: Child,
    name: String,
}

impl ChildGuard {
    /// Starts `command` in a new process group of its own.
    pub fn spawn(name: &str, command: &mut Command) -> std::io::Result<ChildGuard> {
        use std::os::unix::process::CommandExt;
        let child = command.process_group(0).spawn()?;
        Ok(ChildGuard {
            child,
            name: name.to_string(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Sends `signal` (e.g. `libc::SIGSTOP`) to the process itself.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on a pid we started and have not reaped yet.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Kills the process group and reaps the process.
    pub fn kill(&mut self) {
        // SAFETY: the process group was created by `spawn` and its id is our child's pid.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself, up to `timeout`; returns its status if it did.
    pub fn wait_timeout(
        &mut self,
        timeout: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The lines the process prints, from the moment of the call: stdout's as they are, stderr's
    /// prefixed `stderr: `, in one channel (read by two threads that end with the process). Both
    /// must have been spawned with `Stdio::piped()`.
    pub fn output_lines(&mut self) -> Receiver<String> {
        let (tx, lines) = mpsc::channel();
        let stdout = self
            .child
            .stdout
            .take()
            .map(|o| (Box::new(o) as Box<dyn Read + Send>, ""));
        let stderr = self
            .child
            .stderr
            .take()
            .map(|e| (Box::new(e) as Box<dyn Read + Send>, "stderr: "));
        for (output, prefix) in [stdout, stderr].into_iter().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines().map_while(Result::ok) {
                    if tx.send(format!("{prefix}{line}")).is_err() {
                        break;
                    }
                }
            });
        }
        lines
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The path of a binary of this workspace (e.g. `epmd`, `etf`), built with the same profile as the
/// running test; builds it first when it is missing.
pub fn cargo_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test-exe>  ->  target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile> dir");
    let path = profile_dir.join(name);
    if !path.exists() {
        let release = profile_dir.file_name().is_some_and(|p| p == "release");
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.args(["build", "--bin", name]);
        if release {
            cargo.arg("--release");
        }
        if let Some(target) = profile_dir.parent() {
            cargo.env("CARGO_TARGET_DIR", target);
        }
        let status = cargo.status().expect("run cargo build");
        assert!(status.success(), "cargo build --bin {name} failed");
    }
    path
}

/// The path of an example of this workspace (e.g. `echo` of the `node` crate), built with the
/// same profile as the running test; builds it first when it is missing.
pub fn cargo_example(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile> dir");
    let path = profile_dir.join("examples").join(name);
    if !path.exists() {
        let release = profile_dir.file_name().is_some_and(|p| p == "release");
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.args(["build", "-p", package, "--example", name]);
        if release {
            cargo.arg("--release");
        }
        if let Some(target) = profile_dir.parent() {
            cargo.env("CARGO_TARGET_DIR", target);
        }
        let status = cargo.status().expect("run cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    path
}
