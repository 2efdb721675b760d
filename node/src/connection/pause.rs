//! The pause of a moderating reader (see `moderation`): tens of microseconds, timed by a timerfd,
//! during which the socket's receive low-water mark is raised so that arriving data wakes nobody.
//!
//! Waiting for readiness instead would not do: each segment the peer writes would wake this
//! node's I/O driver, a cost paid inside the peer's write. Linux only; elsewhere `new` fails and
//! the reader never pauses.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// The receive low-water mark during a pause: more than arrives in one on a busy connection,
/// small enough that the kernel need not grow the socket's receive buffer for it.
#[cfg(target_os = "linux")]
const LOW_WATER: i32 = 64 * 1024;

#[cfg(target_os = "linux")]
pub(crate) struct Pause {
    timer: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

#[cfg(target_os = "linux")]
impl Pause {
    /// A pause timer, registered with the current runtime.
    pub fn new() -> io::Result<Pause> {
        use std::os::fd::FromRawFd;
        // SAFETY: a plain system call; its result is checked.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and nothing else owns it.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        // SAFETY: the `OwnedFd` keeps the descriptor open, unchanged, for the `AsyncFd`'s life.
        let timer = unsafe {
            tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
        }
        .map_err(io::Error::from)?;
        Ok(Pause { timer })
    }

    /// Waits `length`, during which data arriving on `socket` wakes nobody.
    pub async fn pause(&self, socket: RawFd, length: Duration) -> io::Result<()> {
        set_rcvlowat(socket, LOW_WATER)?;
        let waited = self.sleep(length).await;
        // Lowering the mark again makes the socket readable at once if data is waiting.
        set_rcvlowat(socket, 1)?;
        waited
    }

    async fn sleep(&self, length: Duration) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let spec = libc::itimerspec {
            it_interval: zero,
            it_value: libc::timespec {
                tv_sec: 0,
                tv_nsec: length.as_nanos().clamp(1, 999_999_999) as libc::c_long,
            },
        };
        // SAFETY: a valid descriptor and a pointer to a live `itimerspec`; no old value wanted.
        let armed = unsafe {
            libc::timerfd_settime(self.timer.as_raw_fd(), 0, &spec, std::ptr::null_mut())
        };
        if armed < 0 {
            return Err(io::Error::last_os_error());
        }
        loop {
            let mut ready = self.timer.readable().await?;
            let mut expirations = [0u8; 8];
            let read = ready.try_io(|timer| {
                // SAFETY: reads at most 8 bytes into an 8-byte buffer.
                let n =
                    unsafe { libc::read(timer.as_raw_fd(), expirations.as_mut_ptr().cast(), 8) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            if let Ok(result) = read {
                return result;
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn set_rcvlowat(socket: RawFd, bytes: i32) -> io::Result<()> {
    // SAFETY: passes a pointer to a live int and its size.
    let set = unsafe {
        libc::setsockopt(
            socket,
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&bytes as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if set < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(crate) struct Pause;

#[cfg(not(target_os = "linux"))]
impl Pause {
    pub fn new() -> io::Result<Pause> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub async fn pause(&self, _socket: RawFd, _length: Duration) -> io::Result<()> {
        Ok(())
    }
}
