//! A minimal blocking distribution peer built directly on `distproto`, for tests that check the
//! protocol layers against real erl before (and beneath) the tokio node: dial or accept, send, receive.

use bytes::Bytes;
use distproto::control::ControlMessage;
use distproto::dist::{DistLimits, DistMessage, DistReceiver, DistSender};
use distproto::framing::{split16, split32, Frame, TICK};
use distproto::handshake::*;
use distproto::term::{Atom, Pid, Term};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// One established connection to a real node.
pub struct RawConnection {
    stream: TcpStream,
    buf: Vec<u8>,
    pub peer: Established,
    receiver: DistReceiver,
    sender: DistSender,
    pub me: String,
    /// Ticks received so far.
    pub ticks: usize,
}

fn local(me: &str) -> LocalNode {
    LocalNode {
        name: me.into(),
        creation: 0x1234_5678,
        flags: DistFlags::OTP_DEFAULT,
        mandatory: DistFlags::MANDATORY_25,
    }
}

impl RawConnection {
    /// Dials `peer` (listening on `port`) as node `me` with `cookie`.
    pub fn dial(port: u16, me: &str, peer: &str, cookie: &str) -> Result<RawConnection, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let challenge = gen_challenge().map_err(|_| "no CSPRNG")?;
        let (mut initiator, hello) =
            Initiator::start(local(me), peer, Cookie::new(cookie), challenge);
        stream.write_all(&hello).map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        loop {
            let packet = read16(&mut stream, &mut buf)?;
            match initiator.receive(&packet).map_err(|e| e.to_string())? {
                InitiatorStep::Continue => {}
                InitiatorStep::Send(bytes) => {
                    stream.write_all(&bytes).map_err(|e| e.to_string())?
                }
                InitiatorStep::AskAlive => {
                    let answer = initiator.answer_alive(true).map_err(|e| e.to_string())?;
                    stream.write_all(&answer).map_err(|e| e.to_string())?
                }
                InitiatorStep::Established(peer) => return Ok(Self::up(stream, buf, peer, me)),
            }
        }
    }

    /// Accepts one connection on `listener` as node `me`, using `cookie` for whoever it is.
    pub fn accept(listener: &TcpListener, me: &str, cookie: &str) -> Result<RawConnection, String> {
        let (mut stream, _) = listener.accept().map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let challenge = gen_challenge().map_err(|_| "no CSPRNG")?;
        let mut acceptor = Acceptor::new(local(me), challenge);
        let mut buf = Vec::new();
        loop {
            let packet = read16(&mut stream, &mut buf)?;
            let step = match acceptor.receive(&packet).map_err(|e| e.to_string())? {
                AcceptorStep::Decide(_) => acceptor
                    .decide(Decision::Ok, Cookie::new(cookie))
                    .map_err(|e| e.to_string())?,
                step => step,
            };
            match step {
                AcceptorStep::Continue | AcceptorStep::Decide(_) => {}
                AcceptorStep::Send(bytes) | AcceptorStep::ReplaceOld(bytes) => {
                    stream.write_all(&bytes).map_err(|e| e.to_string())?
                }
                AcceptorStep::Close { send, reason } => {
                    let _ = stream.write_all(&send);
                    return Err(reason.to_string());
                }
                AcceptorStep::Established { send, peer } => {
                    stream.write_all(&send).map_err(|e| e.to_string())?;
                    return Ok(Self::up(stream, buf, peer, me));
                }
            }
        }
    }

    fn up(stream: TcpStream, buf: Vec<u8>, peer: Established, me: &str) -> RawConnection {
        RawConnection {
            stream,
            buf,
            receiver: DistReceiver::new(peer.flags, DistLimits::default()),
            sender: DistSender::new(peer.flags),
            peer,
            me: me.to_string(),
            ticks: 0,
        }
    }

    /// A pid of ours (id `n`) that the peer can send to.
    pub fn pid(&self, n: u32) -> Pid {
        Pid {
            node: Atom::new(&self.me).expect("node name atom"),
            id: n,
            serial: 0,
            creation: 0x1234_5678,
        }
    }

    pub fn send(&mut self, control: ControlMessage, payload: Option<Term>) -> Result<(), String> {
        let mut out = Vec::new();
        self.sender
            .encode(&control, payload.as_ref(), &mut out)
            .map_err(|e| e.to_string())?;
        self.stream.write_all(&out).map_err(|e| e.to_string())
    }

    pub fn tick(&mut self) -> Result<(), String> {
        self.stream.write_all(&TICK).map_err(|e| e.to_string())
    }

    /// The next message (ticks are counted and answered), waiting up to `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Result<DistMessage, String> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some((frame, used)) =
                split32(&self.buf, 256 << 20).map_err(|e| e.to_string())?
            {
                let packet = match frame {
                    Frame::Tick => None,
                    Frame::Packet(p) => Some(Bytes::copy_from_slice(p)),
                };
                self.buf.drain(..used);
                match packet {
                    None => {
                        self.ticks += 1;
                        self.tick()?;
                    }
                    Some(packet) => {
                        if let Some(message) = self
                            .receiver
                            .receive(packet, 0)
                            .map_err(|e| e.to_string())?
                        {
                            return Ok(message);
                        }
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("timeout".into());
            }
            self.stream
                .set_read_timeout(Some(left.min(Duration::from_secs(1))))
                .map_err(|e| e.to_string())?;
            let mut chunk = vec![0u8; 256 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err("connection closed by peer".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Receives until `pick` accepts a message (others are dropped: net_kernel, global, ...).
    pub fn recv_matching<T>(
        &mut self,
        timeout: Duration,
        mut pick: impl FnMut(&DistMessage) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self.recv(left)?;
            if let Some(found) = pick(&message) {
                return Ok(found);
            }
        }
    }
}

/// Reads one u16-framed handshake packet, never reading past it (the rest stays in the socket).
fn read16(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Vec<u8>, String> {
    let mut chunk = [0u8; 1024];
    loop {
        if let Some((packet, used)) = split16(buf).map_err(|e| e.to_string())? {
            let packet = packet.to_vec();
            buf.drain(..used);
            return Ok(packet);
        }
        let want = if buf.len() < 2 {
            2 - buf.len()
        } else {
            2 + usize::from(u16::from_be_bytes([buf[0], buf[1]])) - buf.len()
        };
        let n = stream
            .read(&mut chunk[..want.min(1024)])
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Registers `name` with the epmd on `epmd_port` (raw ALIVE2_REQ); keep the stream to stay registered.
pub fn epmd_register(epmd_port: u16, name: &str, listen_port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", epmd_port)).expect("connect epmd");
    stream
        .write_all(&crate::epmd_wire::alive2(listen_port, name))
        .expect("send ALIVE2");
    let mut reply = [0u8; 6];
    stream.read_exact(&mut reply).expect("ALIVE2 reply");
    assert_eq!(&reply[..2], &[b'v', 0], "epmd accepted {name}");
    stream
}

/// The distribution port of `name` from the epmd on `epmd_port` (raw PORT_PLEASE2_REQ).
pub fn epmd_port_please(epmd_port: u16, name: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", epmd_port)).expect("connect epmd");
    let req = crate::epmd_wire::port_please(name.as_bytes());
    stream.write_all(&req).expect("send PORT_PLEASE2");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("PORT2 reply");
    assert_eq!(&reply[..2], &[b'w', 0], "epmd knows {name}");
    u16::from_be_bytes([reply[2], reply[3]])
}
