//! The daemon served in-process on a private port, driven by our own client and by raw
//! sockets: registration lifecycle, lookups, limits, bad input, STOP and KILL rules.

use epmd::client::{ClientError, EpmdClient, KillReply, StopReply};
use epmd::daemon::Daemon;
use epmd::{Alive2Params, DaemonConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts a daemon on 127.0.0.1 with a kernel-chosen port.
async fn start(mut config: DaemonConfig) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    config.port = i32::from(addr.port());
    let daemon = Daemon::from_listeners(config, vec![listener], 100_000).unwrap();
    tokio::spawn(daemon.run());
    addr
}

fn client(addr: SocketAddr) -> EpmdClient {
    EpmdClient::new(addr).with_timeout(Duration::from_secs(5))
}

/// Sends raw bytes and returns everything read until the daemon closes.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    out
}

#[tokio::test]
async fn register_lookup_names_and_unregister_on_close() {
    let addr = start(DaemonConfig::default()).await;
    let c = client(addr);
    let mut params = Alive2Params::new("alpha", 5555);
    params.extra = b"EX\0TRA".to_vec();
    let reg = c.register(&params).await.unwrap();
    assert!(reg.creation() > 3);
    let b = c.register(&Alive2Params::new("beta", 5556)).await.unwrap();

    let info = c.port_please("alpha").await.unwrap().unwrap();
    assert_eq!(info.port, 5555);
    assert_eq!(info.node_type, 77);
    assert_eq!((info.highest_version, info.lowest_version), (6, 5));
    assert_eq!(info.extra, b"EX\0TRA");
    assert_eq!(c.port_please("nobody").await.unwrap(), None);

    let names = c.names().await.unwrap();
    assert_eq!(
        names,
        vec![("beta".to_string(), 5556), ("alpha".to_string(), 5555)]
    );

    drop(reg);
    b.close().await.unwrap();
    for _ in 0..100 {
        if c.names().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(c.names().await.unwrap().is_empty());
    let dump = c.dump().await.unwrap();
    let text = String::from_utf8_lossy(&dump.text);
    assert!(text.contains("old/unused name <alpha>, port = 5555"));

    // Re-registering a remembered name bumps its creation.
    let again = c.register(&Alive2Params::new("beta", 5556)).await.unwrap();
    assert!(again.creation() > 3);
}

#[tokio::test]
async fn duplicate_names_are_refused() {
    let addr = start(DaemonConfig::default()).await;
    let c = client(addr);
    let _held = c.register(&Alive2Params::new("dup", 1)).await.unwrap();
    let err = c.register(&Alive2Params::new("dup", 2)).await.unwrap_err();
    assert!(matches!(err, ClientError::NameRefused { .. }), "{err}");
    assert!(err
        .to_string()
        .contains("epmd: name dup already registered"));
}

#[tokio::test]
async fn maximum_refuses_registrations_but_lookups_go_on() {
    let addr = start(DaemonConfig {
        max_nodes: Some(3),
        ..DaemonConfig::default()
    })
    .await;
    let c = client(addr);
    let mut held = Vec::new();
    for i in 0..3 {
        held.push(
            c.register(&Alive2Params::new(format!("n{i}"), 100 + i))
                .await
                .unwrap(),
        );
    }
    assert!(matches!(
        c.register(&Alive2Params::new("n3", 200)).await,
        Err(ClientError::NameRefused { .. })
    ));
    assert_eq!(
        c.port_please("n1").await.unwrap().map(|n| n.port),
        Some(101)
    );
    assert_eq!(c.names().await.unwrap().len(), 3);
}

#[tokio::test]
async fn bad_input_closes_only_that_connection() {
    let addr = start(DaemonConfig::default()).await;
    assert!(raw(addr, b"\x00\x00").await.is_empty());
    assert!(raw(addr, b"\x0b\xf2nnnn").await.is_empty()); // length 3058
    assert!(raw(addr, b"\x00\x01a").await.is_empty()); // garbage code
    assert!(raw(addr, b"\x00\x01n\x00\x01n").await.is_empty()); // pipelined
    assert_eq!(raw(addr, b"\x00\x03zf\x00").await, b"w\x01"); // "f" + NUL: looked up, not found
    assert!(raw(addr, b"\x00\x04zf\x00o").await.is_empty()); // NUL inside
    let names = raw(addr, b"\x00\x01n").await;
    assert_eq!(names, u32::from(addr.port()).to_be_bytes());
}

#[tokio::test]
async fn alive2_reply_shapes() {
    let addr = start(DaemonConfig::default()).await;
    // HighestVersion 5 gets the 4-byte 'y' reply with creation 1..3.
    let mut p = Alive2Params::new("old", 7);
    p.highest_version = 5;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&p.encode()).await.unwrap();
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf[..2], b"y\x00");
    assert!((1..=3).contains(&buf[3]));
    // A second request on the registration connection unregisters it.
    s.write_all(&p.encode()).await.unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    assert_eq!(client(addr).port_please("old").await.unwrap(), None);
}

#[tokio::test]
async fn idle_connections_time_out() {
    let addr = start(DaemonConfig {
        packet_timeout: Duration::from_secs(1),
        ..DaemonConfig::default()
    })
    .await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"\x00").await.unwrap();
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert!(out.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn kill_and_stop_rules() {
    let addr = start(DaemonConfig::default()).await;
    let c = client(addr);
    let _n = c.register(&Alive2Params::new("live", 1)).await.unwrap();
    assert_eq!(c.kill().await.unwrap(), KillReply::NotAllowed);
    // STOP without relaxed mode: closed without a reply.
    assert!(matches!(
        c.stop("live").await,
        Err(ClientError::NoReply { .. })
    ));

    let addr = start(DaemonConfig {
        relaxed: true,
        ..DaemonConfig::default()
    })
    .await;
    let c = client(addr);
    let mut reg = c.register(&Alive2Params::new("victim", 1)).await.unwrap();
    assert_eq!(c.stop("victim").await.unwrap(), StopReply::Stopped);
    tokio::time::timeout(Duration::from_secs(5), reg.closed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.stop("victim").await.unwrap(), StopReply::NotRegistered);
    assert_eq!(
        raw(addr, b"\x00\x07svictim").await,
        b"NOEXISTSTOPPED".to_vec()
    );
}

#[tokio::test]
async fn not_running_is_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(addr).names().await.unwrap_err();
    assert!(matches!(err, ClientError::NotRunning { .. }), "{err}");
}

#[tokio::test]
async fn large_names_reply_arrives_whole() {
    // ~80 KB of NAMES text: more than a fresh socket takes at once, so the rest is written
    // asynchronously after the synchronous attempt.
    let addr = start(DaemonConfig::default()).await;
    let c = client(addr);
    let mut held = Vec::new();
    for i in 0..300u16 {
        let name = format!("{i:03}{}", "n".repeat(240));
        held.push(
            c.register(&Alive2Params::new(name, 1000 + i))
                .await
                .unwrap(),
        );
    }
    let names = c.names().await.unwrap();
    assert_eq!(names.len(), 300);
    assert_eq!(names[0].1, 1299);
    assert_eq!(names[299].1, 1000);
}
