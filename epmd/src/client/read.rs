//! Reading EPMD replies, which carry no length: up to a known size, or until the daemon closes
//! (bounded). Every I/O error becomes a `ClientError` naming the daemon.

use super::ClientError;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads until `buf` is full or the peer closes; returns the bytes read.
pub(crate) async fn read_up_to(
    stream: &mut (impl AsyncRead + Unpin),
    buf: &mut [u8],
    addr: SocketAddr,
) -> Result<usize, ClientError> {
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]).await {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(source) => return Err(ClientError::Io { addr, source }),
        }
    }
    Ok(got)
}

/// Reads until the daemon closes, refusing more than `limit` bytes.
pub(crate) async fn read_to_close(
    stream: &mut (impl AsyncRead + Unpin),
    addr: SocketAddr,
    what: &'static str,
    limit: usize,
) -> Result<Vec<u8>, ClientError> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) => return Ok(out),
            Ok(n) => {
                if out.len() + n > limit {
                    return Err(ClientError::TooLarge { addr, what, limit });
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(source) => return Err(ClientError::Io { addr, source }),
        }
    }
}
