//! Opens the daemon's listening sockets as OTP's epmd does: all interfaces (0.0.0.0 and [::]
//! v6-only), or loopback plus an `-address` list (at most 16). Never accepts connections itself.

use super::error::DaemonError;
use crate::protocol::codes::MAX_LISTEN_SOCKETS;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use tracing::debug;

/// One socket to open; failures of optional ones (implicit loopback, [::]) are only logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenSpec {
    pub addr: SocketAddr,
    pub required: bool,
}

/// The sockets for `-address` (or none): loopback first, then the listed addresses.
pub fn plan(addresses: Option<&str>, port: u16) -> Result<Vec<ListenSpec>, DaemonError> {
    let tokens: Vec<&str> = addresses
        .unwrap_or("")
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .collect();
    let at = |ip: IpAddr, required| ListenSpec {
        addr: SocketAddr::new(ip, port),
        required,
    };
    if tokens.is_empty() {
        return Ok(vec![
            at(IpAddr::V4(Ipv4Addr::UNSPECIFIED), true),
            at(IpAddr::V6(Ipv6Addr::UNSPECIFIED), false),
        ]);
    }
    let loopback = [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    let mut specs: Vec<ListenSpec> = loopback.iter().map(|ip| at(*ip, false)).collect();
    for token in tokens {
        let ip: IpAddr = token
            .parse()
            .map_err(|_| DaemonError::BadAddress(token.to_string()))?;
        if specs.iter().any(|s| s.addr.ip() == ip) {
            continue;
        }
        specs.push(at(ip, true));
        if specs.len() > MAX_LISTEN_SOCKETS {
            return Err(DaemonError::TooManyAddresses(MAX_LISTEN_SOCKETS));
        }
    }
    Ok(specs)
}

/// A bound socket: SO_REUSEADDR, v6-only for IPv6, non-blocking; not yet listening.
pub fn bind_one(addr: SocketAddr) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    // Wake up for a connection only once its request has arrived, so that the accept is
    // followed at once by a read that finds it (one wake-up per lookup, not two).
    let defer: libc::c_int = 1;
    // SAFETY: setsockopt on our own socket with a pointer to a local c_int of the given size.
    unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&socket),
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            std::ptr::addr_of!(defer).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    socket.bind(&addr.into())?;
    Ok(socket)
}

/// Opens every planned socket; EADDRINUSE on any means another epmd runs there. All sockets are
/// bound first, then listen in reverse order, so that once the loopback address accepts
/// connections every other address does too.
pub fn bind_all(specs: &[ListenSpec], port: u16) -> Result<Vec<TcpListener>, DaemonError> {
    let mut bound = Vec::new();
    for spec in specs {
        match bind_one(spec.addr) {
            Ok(socket) => bound.push((spec.addr, socket)),
            Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => {
                return Err(DaemonError::AlreadyRunning(port));
            }
            Err(source) if spec.required => {
                return Err(DaemonError::Bind {
                    addr: spec.addr,
                    source,
                })
            }
            Err(e) => debug!(addr = %spec.addr, error = %e, "optional listen socket not opened"),
        }
    }
    for (addr, socket) in bound.iter().rev() {
        socket
            .listen(libc::SOMAXCONN)
            .map_err(|source| DaemonError::Bind {
                addr: *addr,
                source,
            })?;
        debug!(%addr, "listening");
    }
    if bound.is_empty() {
        return Err(DaemonError::NoListener(port));
    }
    Ok(bound.into_iter().map(|(_, s)| s.into()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let all = plan(None, 4369).unwrap();
        assert_eq!(all[0].addr, "0.0.0.0:4369".parse().unwrap());
        assert_eq!(all[1].addr, "[::]:4369".parse().unwrap());
        assert_eq!(plan(Some(" , "), 4369).unwrap(), all);
        let some = plan(Some("127.0.0.1,10.1.2.3 ::1"), 1).unwrap();
        let addrs: Vec<String> = some.iter().map(|s| s.addr.to_string()).collect();
        assert_eq!(addrs, ["127.0.0.1:1", "[::1]:1", "10.1.2.3:1"]);
        assert!(!some[0].required && some[2].required);
        assert!(matches!(
            plan(Some("nope"), 1),
            Err(DaemonError::BadAddress(_))
        ));
        let many: Vec<String> = (1..=15).map(|i| format!("10.0.0.{i}")).collect();
        assert_eq!(plan(Some(&many[..14].join(",")), 1).unwrap().len(), 16);
        assert!(matches!(
            plan(Some(&many.join(",")), 1),
            Err(DaemonError::TooManyAddresses(16))
        ));
    }
}
