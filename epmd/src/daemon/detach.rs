//! `-daemon`: detach like OTP's epmd (fork, setsid, fork again, chdir /, umask 0, stdio on
//! /dev/null). Must run before any thread exists, so before the async runtime starts.

use std::ffi::CString;

/// Detaches from the terminal; returns only in the grandchild. The parents exit with status 0.
pub fn detach() -> std::io::Result<()> {
    // SAFETY: called while the process is single-threaded; only async-signal-safe calls follow fork.
    unsafe {
        match libc::fork() {
            -1 => return Err(std::io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        if libc::setsid() < 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        match libc::fork() {
            -1 => return Err(std::io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        let root = CString::new("/").unwrap_or_default();
        libc::chdir(root.as_ptr());
        libc::umask(0);
        let null = CString::new("/dev/null").unwrap_or_default();
        let fd = libc::open(null.as_ptr(), libc::O_RDWR);
        if fd >= 0 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
    Ok(())
}
