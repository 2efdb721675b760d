//! The local-peer rule of OTP's epmd (`conn_local_peer_check`): ALIVE2, DUMP, KILL and STOP are
//! served only to loopback peers or peers connecting from the socket's own address.

use std::net::IpAddr;

/// True for 127.0.0.0/8, ::1 (also IPv4-mapped forms), or a peer address equal to `local`.
pub fn is_local_peer(peer: IpAddr, local: IpAddr) -> bool {
    let peer = peer.to_canonical();
    let local = local.to_canonical();
    let loopback = match peer {
        IpAddr::V4(v4) => v4.octets()[0] == 127,
        IpAddr::V6(v6) => v6.is_loopback(),
    };
    loopback || peer == local
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(is_local_peer(ip("127.0.0.1"), ip("127.0.0.1")));
        assert!(is_local_peer(ip("127.1.2.3"), ip("10.0.0.1")));
        assert!(is_local_peer(ip("::1"), ip("::1")));
        assert!(is_local_peer(ip("::ffff:127.0.0.1"), ip("::1")));
        assert!(is_local_peer(ip("10.0.0.5"), ip("10.0.0.5")));
        assert!(!is_local_peer(ip("10.0.0.6"), ip("10.0.0.5")));
        assert!(!is_local_peer(ip("192.0.2.2"), ip("127.0.0.1")));
    }
}
