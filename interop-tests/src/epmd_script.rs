//! Scripted raw TCP conversations with an EPMD daemon (connect, send bytes, expect a reply or a
//! close), recorded as normalised text lines so two daemons' behaviour can be compared line by line.

use crate::epmd_wire;
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long a reply or a close may take before the script records "still open".
pub const REPLY_BOUND: Duration = Duration::from_secs(3);

/// One step of a script; connections are numbered by the script (`0`, `1`, ...).
#[derive(Clone, Debug)]
pub enum Step {
    /// Connect connection `c`; records "ok" or "refused".
    Open(usize),
    /// Write bytes in one `write` call.
    Send(usize, Vec<u8>),
    /// Write bytes one at a time with a pause after each.
    SendSlow(usize, Vec<u8>, Duration),
    /// Read exactly `n` bytes (records fewer if the daemon closes or `REPLY_BOUND` passes).
    Recv(usize, usize),
    /// Read until the daemon closes (records the bytes, and whether it closed within `REPLY_BOUND`).
    ReadToClose(usize),
    /// Records whether the connection is still open, with nothing to read, after waiting this long.
    StaysOpen(usize, Duration),
    /// Shut down our writing half (the daemon sees EOF).
    HalfClose(usize),
    /// Close the connection from our side.
    Close(usize),
    /// Reset the connection (SO_LINGER 0, then close): the daemon gets RST, not FIN.
    Reset(usize),
    /// Records whether the daemon closes the connection between `lo` and `hi` after our last send
    /// (or connect) on it.
    ClosesWithin(usize, Duration, Duration),
    /// Polls PORT_PLEASE2 for the name until the daemon says it is not registered (bounded).
    AwaitGone(Vec<u8>),
    /// Polls until connecting to the daemon is refused (bounded): the daemon has exited.
    AwaitDown,
}

struct Conn {
    stream: Option<TcpStream>,
    /// The request code of the first request sent on this connection, used for normalisation.
    code: Option<u8>,
    last_activity: Instant,
}

/// Runs `steps` against the daemon at `addr` and returns one normalised line per observing step.
pub fn run_script(addr: SocketAddr, steps: &[Step]) -> Vec<String> {
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut log = Vec::new();
    for step in steps {
        match step {
            Step::Open(c) => {
                let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok();
                let _ = stream.as_ref().map(|s| s.set_nodelay(true));
                log.push(format!(
                    "open c{c}: {}",
                    if stream.is_some() { "ok" } else { "refused" }
                ));
                conns.insert(
                    *c,
                    Conn {
                        stream,
                        code: None,
                        last_activity: Instant::now(),
                    },
                );
            }
            Step::Send(c, bytes) => {
                let conn = conn(&mut conns, *c);
                note_code(conn, bytes);
                if let Some(s) = conn.stream.as_mut() {
                    let _ = s.write_all(bytes);
                }
                conn.last_activity = Instant::now();
            }
            Step::SendSlow(c, bytes, pause) => {
                let conn = conn(&mut conns, *c);
                note_code(conn, bytes);
                for b in bytes {
                    if let Some(s) = conn.stream.as_mut() {
                        let _ = s.write_all(&[*b]);
                    }
                    conn.last_activity = Instant::now();
                    std::thread::sleep(*pause);
                }
            }
            Step::Recv(c, n) => {
                let conn = conn(&mut conns, *c);
                let (bytes, closed) = read_up_to(conn, Some(*n), REPLY_BOUND);
                let tail = if closed { " +closed" } else { "" };
                log.push(format!("recv c{c}: {}{tail}", show(conn.code, &bytes)));
            }
            Step::ReadToClose(c) => {
                let conn = conn(&mut conns, *c);
                let (bytes, closed) = read_up_to(conn, None, REPLY_BOUND);
                let tail = if closed {
                    "closed".to_string()
                } else {
                    format!("still open after {REPLY_BOUND:?}")
                };
                log.push(format!("reply c{c}: [{}] {tail}", show(conn.code, &bytes)));
            }
            Step::StaysOpen(c, wait) => {
                let conn = conn(&mut conns, *c);
                let (bytes, closed) = read_up_to(conn, None, *wait);
                let state = match (bytes.is_empty(), closed) {
                    (true, false) => "open, silent".to_string(),
                    (true, true) => "closed".to_string(),
                    (false, _) => format!("data [{}]", show(conn.code, &bytes)),
                };
                log.push(format!("after {wait:?} c{c}: {state}"));
            }
            Step::HalfClose(c) => {
                if let Some(s) = conn(&mut conns, *c).stream.as_ref() {
                    let _ = s.shutdown(Shutdown::Write);
                }
            }
            Step::Close(c) => {
                conn(&mut conns, *c).stream = None;
            }
            Step::Reset(c) => {
                if let Some(stream) = conn(&mut conns, *c).stream.take() {
                    reset(stream);
                }
            }
            Step::ClosesWithin(c, lo, hi) => {
                let conn = conn(&mut conns, *c);
                let since = conn.last_activity;
                let left = (since + *hi).saturating_duration_since(Instant::now());
                let (bytes, closed) = read_up_to(conn, None, left);
                let took = since.elapsed();
                let verdict = if !bytes.is_empty() {
                    format!("got data [{}]", show(conn.code, &bytes))
                } else if !closed {
                    format!("still open after {hi:?}")
                } else if took < *lo {
                    format!("closed too early ({took:?} < {lo:?})")
                } else {
                    format!("closed within {lo:?}..{hi:?}")
                };
                log.push(format!("idle c{c}: {verdict}"));
            }
            Step::AwaitGone(name) => {
                let gone = poll(Duration::from_secs(5), || {
                    lookup(addr, name).is_some_and(|r| r == [119, 1])
                });
                let shown = String::from_utf8_lossy(name);
                log.push(format!(
                    "await gone {shown}: {}",
                    if gone { "gone" } else { "still registered" }
                ));
            }
            Step::AwaitDown => {
                let down = poll(Duration::from_secs(5), || {
                    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err()
                });
                log.push(format!(
                    "await down: {}",
                    if down { "down" } else { "still up" }
                ));
            }
        }
    }
    log
}

/// Closes `stream` with SO_LINGER {on, 0} so that the kernel sends RST.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on an fd we own, with a pointer to a local of the stated size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

fn conn(conns: &mut HashMap<usize, Conn>, c: usize) -> &mut Conn {
    conns
        .get_mut(&c)
        .unwrap_or_else(|| panic!("script uses connection c{c} before opening it"))
}

fn note_code(conn: &mut Conn, bytes: &[u8]) {
    if conn.code.is_none() {
        conn.code = bytes.get(2).copied();
    }
}

/// Reads until `n` bytes (or EOF when `n` is None) or until `bound` passes. Returns the bytes and
/// whether the daemon closed the connection (EOF or reset).
fn read_up_to(conn: &mut Conn, n: Option<usize>, bound: Duration) -> (Vec<u8>, bool) {
    let Some(stream) = conn.stream.as_mut() else {
        return (Vec::new(), true);
    };
    let deadline = Instant::now() + bound;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if n.is_some_and(|n| out.len() >= n) {
            return (out, false);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (out, false);
        }
        let _ = stream.set_read_timeout(Some(left));
        let want = n.map_or(buf.len(), |n| (n - out.len()).min(buf.len()));
        match stream.read(&mut buf[..want]) {
            Ok(0) => return (out, true),
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (out, false)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (out, true),
        }
    }
}

/// One PORT_PLEASE2 lookup on a new connection: the whole reply, or None if connecting failed.
pub fn lookup(addr: SocketAddr, name: &[u8]) -> Option<Vec<u8>> {
    request(addr, &epmd_wire::port_please(name))
}

/// Sends one framed request on a new connection and reads until the daemon closes (bounded).
pub fn request(addr: SocketAddr, framed: &[u8]) -> Option<Vec<u8>> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    let mut conn = Conn {
        stream: Some(stream),
        code: None,
        last_activity: Instant::now(),
    };
    conn.stream.as_mut()?.write_all(framed).ok()?;
    Some(read_up_to(&mut conn, None, REPLY_BOUND).0)
}

/// Calls `cond` every 20 ms until it is true or `bound` passes; returns whether it became true.
pub fn poll(bound: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Shows reply bytes as text (printable ASCII kept, others as `\xNN`), masking what legitimately
/// differs between two daemons: successful ALIVE2 creation values, the daemon's own port at the start of
/// NAMES/DUMP replies, and the fd numbers in DUMP records.
pub fn show(code: Option<u8>, bytes: &[u8]) -> String {
    let mut masked_prefix = String::new();
    let mut rest = bytes;
    match (code, bytes) {
        (Some(b'x'), [b'v', 0, _, _, _, _, tail @ ..]) => {
            masked_prefix = "v\\x00<creation32>".to_string();
            rest = tail;
        }
        (Some(b'x'), [b'y', 0, _, _, tail @ ..]) => {
            masked_prefix = "y\\x00<creation16>".to_string();
            rest = tail;
        }
        (Some(b'n' | b'd'), [_, _, _, _, tail @ ..]) => {
            masked_prefix = "<port32>".to_string();
            rest = tail;
        }
        _ => {}
    }
    let mut text = masked_prefix;
    for &b in rest {
        if b == b'\\' {
            text.push_str("\\\\");
        } else if (0x20..0x7f).contains(&b) {
            text.push(b as char);
        } else if b == b'\n' {
            text.push_str("\\n");
        } else {
            text.push_str(&format!("\\x{b:02x}"));
        }
    }
    if code == Some(b'd') {
        text = mask_fds(&text);
    }
    text
}

/// Replaces the number after each `fd = ` with `<fd>`.
fn mask_fds(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("fd = ") {
        out.push_str(&rest[..at + 5]);
        rest = rest[at + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push_str("<fd>");
    }
    out.push_str(rest);
    out
}
