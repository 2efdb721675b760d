//! The control channel between the daemon and a registration holder: a UNIX SOCK_SEQPACKET
//! socketpair carrying fixed 9-byte messages, a registration socket riding along as SCM_RIGHTS.

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Conn id of a registration on the daemon side (the registry's `ConnId`).
pub type ConnId = u64;

/// Bytes in one message: a tag, then the connection id (big-endian).
pub const MESSAGE_LEN: usize = 9;

/// One message on the control channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// Daemon → holder: keep this registration socket (attached as SCM_RIGHTS).
    Hold(ConnId),
    /// Daemon → holder: close this registration socket (STOP_REQ).
    Close(ConnId),
    /// Holder → daemon: this registration socket got data, EOF or an error and is closed.
    Ended(ConnId),
}

impl Message {
    /// The wire form.
    pub fn encode(self) -> [u8; MESSAGE_LEN] {
        let (tag, conn) = match self {
            Message::Hold(c) => (b'H', c),
            Message::Close(c) => (b'C', c),
            Message::Ended(c) => (b'E', c),
        };
        let mut out = [0u8; MESSAGE_LEN];
        out[0] = tag;
        out[1..].copy_from_slice(&conn.to_be_bytes());
        out
    }

    /// Reads a message; `None` for anything that is not exactly one known message.
    pub fn decode(bytes: &[u8]) -> Option<Message> {
        let (&tag, rest) = bytes.split_first()?;
        let conn = ConnId::from_be_bytes(rest.try_into().ok()?);
        match tag {
            b'H' => Some(Message::Hold(conn)),
            b'C' => Some(Message::Close(conn)),
            b'E' => Some(Message::Ended(conn)),
            _ => None,
        }
    }
}

/// What one receive gave.
#[derive(Debug)]
pub enum Received {
    /// A well-formed message, with the descriptor that came along (if any).
    Message(Message, Option<OwnedFd>),
    /// The other end closed the channel.
    Eof,
    /// Bytes that are not a message (wrong length, unknown tag, truncated) — a protocol error.
    Bad(String),
}

/// A non-blocking SOCK_SEQPACKET socketpair for (daemon end, holder end), both close-on-exec.
pub fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1, -1];
    // SAFETY: socketpair fills the two-element array we pass.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are new and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// True if `fd` is a SOCK_SEQPACKET socket (what `socketpair()` makes), checked before a holder
/// touches its stdin: run by hand from a terminal, it must not make the terminal non-blocking.
pub fn is_control_socket(fd: RawFd) -> bool {
    let mut kind: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into a live int.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut kind as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    rc == 0 && kind == libc::SOCK_SEQPACKET
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// One end of the control channel, driven by the tokio reactor (never blocks the loop).
pub struct ControlSocket {
    fd: AsyncFd<OwnedFd>,
}

impl ControlSocket {
    /// Wraps one end of `socketpair()` (made non-blocking here). Call inside a tokio runtime.
    pub fn new(fd: OwnedFd) -> io::Result<ControlSocket> {
        set_nonblocking(&fd)?;
        // SAFETY: the OwnedFd is moved into the AsyncFd, which owns it until dropped.
        let fd = unsafe {
            AsyncFd::register_with_interest(fd, Interest::READABLE | Interest::WRITABLE)?
        };
        Ok(ControlSocket { fd })
    }

    /// Shuts the channel down both ways: the other end reads EOF (a holder then exits).
    pub fn shutdown(&self) {
        // SAFETY: shutdown(2) on the descriptor this socket owns.
        unsafe {
            libc::shutdown(self.fd.get_ref().as_raw_fd(), libc::SHUT_RDWR);
        }
    }

    /// Sends one message, with `attach` as SCM_RIGHTS if given (the kernel duplicates it; the
    /// caller still owns and closes its copy).
    pub async fn send(&self, msg: Message, attach: Option<BorrowedFd<'_>>) -> io::Result<()> {
        let bytes = msg.encode();
        loop {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|fd| send_raw(fd.as_raw_fd(), &bytes, attach)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Receives one message (and the descriptor that came with it).
    pub async fn recv(&self) -> io::Result<Received> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| recv_raw(fd.as_raw_fd())) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}

/// Room for the control header of one descriptor, as `CMSG_SPACE(sizeof(int))` computes it.
fn cmsg_space() -> usize {
    // SAFETY: CMSG_SPACE is a pure computation.
    unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) as usize }
}

/// Control-message buffer, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct CmsgBuf([u8; 64]);

fn send_raw(sock: RawFd, bytes: &[u8], attach: Option<BorrowedFd<'_>>) -> io::Result<()> {
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    let mut cbuf = CmsgBuf([0u8; 64]);
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if let Some(fd) = attach {
        msg.msg_control = cbuf.0.as_mut_ptr().cast();
        msg.msg_controllen = cmsg_space() as _;
        // SAFETY: the control buffer is large enough for one cmsghdr carrying one int (64 bytes
        // > CMSG_SPACE(4)); CMSG_FIRSTHDR/CMSG_DATA point inside it.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            if cmsg.is_null() {
                return Err(io::Error::other("no room for SCM_RIGHTS header"));
            }
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd.as_raw_fd());
        }
    }
    loop {
        // SAFETY: msg points at live buffers for the duration of the call.
        let n = unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            return if n as usize == bytes.len() {
                Ok(())
            } else {
                Err(io::Error::other("control message sent only in part"))
            };
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn recv_raw(sock: RawFd) -> io::Result<Received> {
    let mut buf = [0u8; 32];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut cbuf = CmsgBuf([0u8; 64]);
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.0.as_mut_ptr().cast();
    msg.msg_controllen = cbuf.0.len() as _;
    let n = loop {
        // SAFETY: msg points at live buffers for the duration of the call.
        let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    // Take ownership of every descriptor that arrived first, so that none leaks on a bad message.
    let mut fds = Vec::new();
    // SAFETY: the kernel filled msg_control; the CMSG_* walk stays inside msg_controllen, and
    // each SCM_RIGHTS payload holds (cmsg_len - CMSG_LEN(0)) / 4 descriptors now ours.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                let len = ((*cmsg).cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize);
                for i in 0..len / size_of::<RawFd>() {
                    let fd = std::ptr::read_unaligned(data.add(i));
                    if fd >= 0 {
                        fds.push(OwnedFd::from_raw_fd(fd));
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    if n == 0 && fds.is_empty() {
        return Ok(Received::Eof);
    }
    if msg.msg_flags & libc::MSG_TRUNC != 0 {
        return Ok(Received::Bad(format!(
            "message longer than {} bytes",
            buf.len()
        )));
    }
    let Some(message) = buf.get(..n).and_then(Message::decode) else {
        return Ok(Received::Bad(format!(
            "unexpected {n}-byte message {:?}",
            buf.get(..n).unwrap_or(&[]).escape_ascii().to_string()
        )));
    };
    if fds.len() > 1 {
        return Ok(Received::Bad(format!(
            "{} descriptors in one message",
            fds.len()
        )));
    }
    // MSG_CTRUNC: the descriptor could not be installed (e.g. the receiver is out of
    // descriptors); the kernel closed it. The message still says which registration it was.
    Ok(Received::Message(message, fds.pop()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn messages_round_trip_and_bad_bytes_are_refused() {
        for m in [
            Message::Hold(1),
            Message::Close(u64::MAX),
            Message::Ended(42),
        ] {
            assert_eq!(Message::decode(&m.encode()), Some(m));
        }
        assert_eq!(Message::decode(b"X00000000"), None);
        assert_eq!(Message::decode(b"E"), None);
        assert_eq!(Message::decode(b""), None);
        assert_eq!(Message::decode(b"E0000000000"), None);
    }

    #[tokio::test]
    async fn a_descriptor_travels_with_its_message() {
        let (a, b) = socketpair().unwrap();
        let (a, b) = (
            ControlSocket::new(a).unwrap(),
            ControlSocket::new(b).unwrap(),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let sent = OwnedFd::from(listener);
        a.send(Message::Hold(7), Some(sent.as_fd())).await.unwrap();
        drop(sent);
        let Received::Message(Message::Hold(7), Some(fd)) = b.recv().await.unwrap() else {
            panic!("expected Hold(7) with a descriptor");
        };
        let got = std::net::TcpListener::from(fd);
        assert_eq!(got.local_addr().unwrap(), addr);
        b.send(Message::Ended(7), None).await.unwrap();
        assert!(matches!(
            a.recv().await.unwrap(),
            Received::Message(Message::Ended(7), None)
        ));
        drop(b);
        assert!(matches!(a.recv().await.unwrap(), Received::Eof));
    }
}
