//! An async EPMD client: register a node, look nodes up, list names, dump, kill and stop.
//! Every call has a timeout; every failure is a typed `ClientError`. Used by nodes and by our CLI.

mod error;
mod read;
mod registration;
mod replies;

pub use error::ClientError;
pub use registration::Registration;
pub use replies::{KillReply, StopReply, TextReply};

use read::{read_to_close, read_up_to};

use crate::protocol::codes::*;
use crate::protocol::reply::{self, decode_alive2, decode_port2, parse_names, split_port_prefix};
use crate::protocol::request::{encode_code, encode_named};
use crate::protocol::{Alive2Params, NodeInfo};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Default timeout for one request (OTP's node waits 10 s for registration replies).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest NAMES/DUMP reply accepted.
pub const MAX_TEXT_REPLY: usize = 64 * 1024 * 1024;

/// A handle on one EPMD daemon (tried at each address in turn).
#[derive(Debug, Clone)]
pub struct EpmdClient {
    addrs: Vec<SocketAddr>,
    timeout: Duration,
}

impl EpmdClient {
    /// The daemon at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        EpmdClient {
            addrs: vec![addr],
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The local daemon on `port`: `[::1]` first, then `127.0.0.1`, as OTP's `epmd -names` does.
    pub fn local(port: u16) -> Self {
        EpmdClient {
            addrs: vec![
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            ],
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The local daemon over IPv4 only (`127.0.0.1:port`), as OTP nodes register.
    pub fn localhost_v4(port: u16) -> Self {
        Self::new(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
    }

    /// Sets the timeout applied to each call (connect and reply together).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The addresses tried, in order.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    fn describe(&self) -> String {
        self.addrs
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(" or ")
    }

    async fn timed<T>(
        &self,
        what: &'static str,
        f: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(r) => r,
            Err(_) => Err(ClientError::Timeout {
                addr: self.describe(),
                timeout: self.timeout,
                what,
            }),
        }
    }

    async fn connect(&self) -> Result<(TcpStream, SocketAddr), ClientError> {
        let mut last = None;
        for addr in &self.addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok((s, *addr));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(ClientError::NotRunning {
            addr: self.describe(),
            source: last.unwrap_or_else(|| std::io::Error::other("no address to connect to")),
        })
    }

    async fn send(&self, request: &[u8]) -> Result<(TcpStream, SocketAddr), ClientError> {
        let (mut stream, addr) = self.connect().await?;
        stream
            .write_all(request)
            .await
            .map_err(|source| ClientError::Io { addr, source })?;
        Ok((stream, addr))
    }

    /// Registers a node (ALIVE2_REQ) and keeps the connection open in the returned
    /// `Registration`; dropping it unregisters.
    pub async fn register(&self, params: &Alive2Params) -> Result<Registration, ClientError> {
        validate_name(&params.name)?;
        if params.extra.len() > MAXSYMLEN {
            return Err(ClientError::InvalidName {
                name: params.name.clone(),
                why: "extra data longer than 1020 bytes",
            });
        }
        self.timed("ALIVE2", async {
            let (mut stream, addr) = self.send(&params.encode()).await?;
            let mut buf = [0u8; 6];
            let got = read_up_to(&mut stream, &mut buf[..1], addr).await?;
            if got == 0 {
                return Err(ClientError::NoReply {
                    addr,
                    what: "ALIVE2",
                });
            }
            let garbage = |source| ClientError::Garbage {
                addr,
                what: "ALIVE2",
                source,
            };
            let len = reply::alive2_reply_len(buf[0])
                .ok_or_else(|| garbage(crate::protocol::ReplyError::Garbage(vec![buf[0]])))?;
            let got = 1 + read_up_to(&mut stream, &mut buf[1..len], addr).await?;
            let reply = decode_alive2(&buf[..got]).map_err(garbage)?;
            if reply.result != 0 {
                return Err(ClientError::NameRefused {
                    addr,
                    name: params.name.clone(),
                });
            }
            Ok(Registration {
                stream,
                name: params.name.clone(),
                creation: reply.creation,
                epmd: addr,
            })
        })
        .await
    }

    /// Looks a node up (PORT_PLEASE2_REQ); `None` when the name is not registered.
    pub async fn port_please(&self, name: &str) -> Result<Option<NodeInfo>, ClientError> {
        validate_name(name)?;
        self.timed("PORT2", async {
            let (mut stream, addr) = self
                .send(&encode_named(PORT_PLEASE2_REQ, name.as_bytes()))
                .await?;
            let bytes = read_to_close(&mut stream, addr, "PORT2", 16 + 2 * MAXSYMLEN).await?;
            if bytes.is_empty() {
                return Err(ClientError::NoReply {
                    addr,
                    what: "PORT2",
                });
            }
            decode_port2(&bytes).map_err(|source| ClientError::Garbage {
                addr,
                what: "PORT2",
                source,
            })
        })
        .await
    }

    async fn text_request(
        &self,
        code: u8,
        what: &'static str,
    ) -> Result<(TextReply, SocketAddr), ClientError> {
        self.timed(what, async {
            let (mut stream, addr) = self.send(&encode_code(code)).await?;
            let bytes = read_to_close(&mut stream, addr, what, MAX_TEXT_REPLY).await?;
            if bytes.is_empty() {
                return Err(ClientError::NoReply { addr, what });
            }
            let (epmd_port, text) = split_port_prefix(&bytes)
                .map_err(|source| ClientError::Garbage { addr, what, source })?;
            Ok((
                TextReply {
                    epmd_port,
                    text: text.to_vec(),
                },
                addr,
            ))
        })
        .await
    }

    /// NAMES_REQ as received (port prefix not checked).
    pub async fn names_reply(&self) -> Result<TextReply, ClientError> {
        self.text_request(NAMES_REQ, "NAMES").await.map(|r| r.0)
    }

    /// Registered names and ports, newest first. Like OTP's `erl_epmd:names/1`, fails when the
    /// reported port differs from the one we connected to.
    pub async fn names(&self) -> Result<Vec<(String, u16)>, ClientError> {
        let (reply, addr) = self.text_request(NAMES_REQ, "NAMES").await?;
        if reply.epmd_port != u32::from(addr.port()) {
            return Err(ClientError::PortMismatch {
                addr,
                reported: reply.epmd_port,
                expected: addr.port(),
            });
        }
        Ok(parse_names(&reply.text))
    }

    /// DUMP_REQ (local peers only): NUL-terminated records, active then old.
    pub async fn dump(&self) -> Result<TextReply, ClientError> {
        self.text_request(DUMP_REQ, "DUMP").await.map(|r| r.0)
    }

    /// KILL_REQ: up to the 2 reply bytes as received (empty if the daemon closed silently).
    pub async fn kill_raw(&self) -> Result<Vec<u8>, ClientError> {
        self.raw_reply(&encode_code(KILL_REQ), 2, "KILL").await
    }

    /// KILL_REQ, typed.
    pub async fn kill(&self) -> Result<KillReply, ClientError> {
        let bytes = self.kill_raw().await?;
        match bytes.as_slice() {
            b"OK" => Ok(KillReply::Killed),
            [_, _] => Ok(KillReply::NotAllowed),
            _ => Err(self.no_reply("KILL")),
        }
    }

    /// STOP_REQ: up to the first 7 reply bytes as received (what OTP's `epmd -stop` reads).
    pub async fn stop_raw(&self, name: &[u8]) -> Result<Vec<u8>, ClientError> {
        self.raw_reply(&encode_named(STOP_REQ, name), 7, "STOP")
            .await
    }

    /// STOP_REQ, typed. Needs a daemon started with relaxed command check.
    pub async fn stop(&self, name: &str) -> Result<StopReply, ClientError> {
        validate_name(name)?;
        let bytes = self.stop_raw(name.as_bytes()).await?;
        match bytes.as_slice() {
            b"STOPPED" => Ok(StopReply::Stopped),
            b"NOEXIST" => Ok(StopReply::NotRegistered),
            _ => Err(self.no_reply("STOP")),
        }
    }

    fn no_reply(&self, what: &'static str) -> ClientError {
        ClientError::NoReply {
            addr: self
                .addrs
                .first()
                .copied()
                .unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), EPMD_PORT_NO)),
            what,
        }
    }

    async fn raw_reply(
        &self,
        request: &[u8],
        len: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, ClientError> {
        self.timed(what, async {
            let (mut stream, addr) = self.send(request).await?;
            let mut buf = vec![0u8; len];
            let got = read_up_to(&mut stream, &mut buf, addr).await?;
            buf.truncate(got);
            Ok(buf)
        })
        .await
    }
}

/// Client-side checks so that a refusal from epmd means what it says.
fn validate_name(name: &str) -> Result<(), ClientError> {
    let why = if name.is_empty() {
        Some("empty")
    } else if name.contains('\0') {
        Some("contains a NUL byte")
    } else if name.len() > MAXSYMLEN || name.chars().count() > MAX_NAME_CHARS {
        Some("longer than 255 characters or 1020 bytes")
    } else {
        None
    };
    match why {
        Some(why) => Err(ClientError::InvalidName {
            name: name.to_string(),
            why,
        }),
        None => Ok(()),
    }
}
