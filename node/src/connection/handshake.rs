//! Drives distproto's handshake state machines over a TCP stream, within the setup time.
//! Bytes that arrive after the last handshake packet are kept for the connection (OTP sends
//! its first messages in the same segment as the ack).

use bytes::BytesMut;
use distproto::framing::split16;
use distproto::handshake::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the acceptor asks the connection manager once it knows who is connecting.
pub(crate) type Decide<'a> = dyn FnMut(&PeerHello) -> (Decision, Cookie) + Send + 'a;

async fn next_packet(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<Vec<u8>, String> {
    loop {
        if let Some((packet, used)) = split16(buf).map_err(|e| e.to_string())? {
            let packet = packet.to_vec();
            let _ = buf.split_to(used);
            return Ok(packet);
        }
        if stream
            .read_buf(buf)
            .await
            .map_err(|e| format!("read: {e}"))?
            == 0
        {
            return Err("peer closed the connection during the handshake".into());
        }
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Ok(());
    }
    stream
        .write_all(bytes)
        .await
        .map_err(|e| format!("write: {e}"))
}

/// Dials: runs the initiator over `stream`. `connected` tells whether a connection to the peer
/// is up by now (one it made to us while we dialed): then the peer's `alive` status is answered
/// `false`, as net_kernel does for a pending setup that is no longer current.
pub(crate) async fn dial_handshake(
    stream: &mut TcpStream,
    local: LocalNode,
    peer: &str,
    cookie: Cookie,
    setup_time: Duration,
    connected: impl Fn() -> bool,
) -> Result<(Established, BytesMut), HandshakeFailure> {
    let run = async {
        let challenge =
            gen_challenge().map_err(|_| HandshakeFailure::Protocol(HandshakeError::NoRandom))?;
        let (mut initiator, hello) = Initiator::start(local, peer, cookie, challenge);
        write(stream, &hello).await.map_err(HandshakeFailure::Io)?;
        let mut buf = BytesMut::with_capacity(1024);
        loop {
            let packet = next_packet(stream, &mut buf)
                .await
                .map_err(HandshakeFailure::Io)?;
            match initiator
                .receive(&packet)
                .map_err(HandshakeFailure::Protocol)?
            {
                InitiatorStep::Continue => {}
                InitiatorStep::Send(bytes) => {
                    write(stream, &bytes).await.map_err(HandshakeFailure::Io)?
                }
                // We dial a peer we had no connection to; but the peer's own dial may have been
                // accepted meanwhile (a simultaneous connect): keep that one.
                InitiatorStep::AskAlive => {
                    let replace = !connected();
                    let answer = initiator
                        .answer_alive(replace)
                        .map_err(HandshakeFailure::Protocol)?;
                    write(stream, &answer).await.map_err(HandshakeFailure::Io)?;
                    if !replace {
                        return Err(HandshakeFailure::Protocol(
                            HandshakeError::SimultaneousConnectLost,
                        ));
                    }
                }
                InitiatorStep::Established(peer) => return Ok((peer, buf)),
            }
        }
    };
    tokio::time::timeout(setup_time, run)
        .await
        .map_err(|_| HandshakeFailure::Timeout)?
}

/// Accepts: runs the acceptor over `stream`, asking `decide` for the verdict on the peer.
/// `replace_old` is called when the peer answered `alive` with `true`.
pub(crate) async fn accept_handshake(
    stream: &mut TcpStream,
    local: LocalNode,
    decide: &mut Decide<'_>,
    replace_old: &mut (dyn FnMut(&str) + Send),
    setup_time: Duration,
) -> Result<(Established, BytesMut), HandshakeFailure> {
    let run = async {
        let challenge =
            gen_challenge().map_err(|_| HandshakeFailure::Protocol(HandshakeError::NoRandom))?;
        let mut acceptor = Acceptor::new(local, challenge);
        let mut buf = BytesMut::with_capacity(1024);
        let mut peer_name = String::new();
        loop {
            let packet = next_packet(stream, &mut buf)
                .await
                .map_err(HandshakeFailure::Io)?;
            let mut step = acceptor
                .receive(&packet)
                .map_err(HandshakeFailure::Protocol)?;
            if let AcceptorStep::Decide(hello) = &step {
                peer_name = hello.name.clone();
                let (decision, cookie) = decide(hello);
                step = acceptor
                    .decide(decision, cookie)
                    .map_err(HandshakeFailure::Protocol)?;
            }
            match step {
                AcceptorStep::Decide(_) | AcceptorStep::Continue => {}
                AcceptorStep::Send(bytes) => {
                    write(stream, &bytes).await.map_err(HandshakeFailure::Io)?
                }
                AcceptorStep::ReplaceOld(bytes) => {
                    replace_old(&peer_name);
                    write(stream, &bytes).await.map_err(HandshakeFailure::Io)?
                }
                AcceptorStep::Close { send, reason } => {
                    let _ = write(stream, &send).await;
                    return Err(HandshakeFailure::Protocol(reason));
                }
                AcceptorStep::Established { send, peer } => {
                    write(stream, &send).await.map_err(HandshakeFailure::Io)?;
                    return Ok((peer, buf));
                }
            }
        }
    };
    tokio::time::timeout(setup_time, run)
        .await
        .map_err(|_| HandshakeFailure::Timeout)?
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum HandshakeFailure {
    #[error("{0}")]
    Protocol(HandshakeError),
    #[error("{0}")]
    Io(String),
    #[error("handshake not finished within net_setuptime")]
    Timeout,
}
