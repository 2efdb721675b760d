//! Our `epmd` client library against OTP's real epmd daemon: register (creation, visible in
//! `epmd -names`, dropped on close), port_please, names, dump, kill, stop, timeouts and errors.

use epmd::{Alive2Params, ClientError, EpmdClient, KillReply, StopReply};
use interop_tests::{free_port, EpmdDaemon, EpmdKind};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn otp_epmd(flags: &[&str]) -> (EpmdDaemon, EpmdClient) {
    let daemon = EpmdDaemon::start_free(EpmdKind::Otp, flags);
    let client = EpmdClient::localhost_v4(daemon.port).with_timeout(Duration::from_secs(5));
    (daemon, client)
}

/// What OTP's own `epmd -names` prints for this daemon.
fn otp_names_cli(port: u16) -> String {
    let out = Command::new("/usr/bin/epmd")
        .args(["-port", &port.to_string(), "-names"])
        .env_remove("ERL_EPMD_PORT")
        .output()
        .expect("run epmd -names");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits (bounded) until `name` is no longer registered.
async fn await_gone(client: &EpmdClient, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.port_please(name).await.expect("lookup").is_some() {
        assert!(
            Instant::now() < deadline,
            "{name} still registered after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn register_is_visible_to_otp_and_dropped_on_close() {
    let (daemon, client) = otp_epmd(&[]);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let reg = client
        .register(&Alive2Params::new("foo", 5555))
        .await
        .expect("register with OTP's epmd");
    assert_eq!(reg.name(), "foo");
    assert!(
        (reg.creation() as i64 - now).abs() <= 5,
        "creation {} not near Unix time {now}",
        reg.creation()
    );
    let listed = otp_names_cli(daemon.port);
    assert!(
        listed.contains("name foo at port 5555\n"),
        "epmd -names printed: {listed:?}"
    );
    let first = reg.creation();
    drop(reg);
    await_gone(&client, "foo").await;
    assert!(!otp_names_cli(daemon.port).contains("name foo"));

    let again = client
        .register(&Alive2Params::new("foo", 5556))
        .await
        .unwrap();
    assert_eq!(again.creation(), first.wrapping_add(1), "re-registration");
    again.close().await.unwrap();
    await_gone(&client, "foo").await;

    let mut v5 = Alive2Params::new("foo", 5557);
    v5.highest_version = 5;
    let old = client.register(&v5).await.unwrap();
    assert_eq!(old.creation(), first.wrapping_add(2) % 3 + 1, "v5 creation");
}

#[tokio::test]
async fn duplicate_name_is_refused() {
    let (_daemon, client) = otp_epmd(&[]);
    let _held = client
        .register(&Alive2Params::new("dup", 5555))
        .await
        .unwrap();
    match client.register(&Alive2Params::new("dup", 5556)).await {
        Err(ClientError::NameRefused { name, .. }) => assert_eq!(name, "dup"),
        other => panic!("expected NameRefused, got {other:?}"),
    }
}

#[tokio::test]
async fn port_please_returns_the_registered_fields() {
    let (_daemon, client) = otp_epmd(&[]);
    let mut params = Alive2Params::new("ñandú", 4321);
    params.extra = b"\0EXTRA\0".to_vec();
    params.node_type = 72;
    let _reg = client.register(&params).await.unwrap();
    let info = client
        .port_please("ñandú")
        .await
        .unwrap()
        .expect("registered");
    assert_eq!(info.port, 4321);
    assert_eq!(info.node_type, 72);
    assert_eq!(info.protocol, 0);
    assert_eq!((info.highest_version, info.lowest_version), (6, 5));
    assert_eq!(info.name, "ñandú");
    assert_eq!(info.extra, b"\0EXTRA\0");
    assert_eq!(client.port_please("nobody").await.unwrap(), None);
}

#[tokio::test]
async fn names_and_dump_list_registrations_newest_first() {
    let (daemon, client) = otp_epmd(&[]);
    assert_eq!(client.names().await.unwrap(), vec![]);
    let _a = client
        .register(&Alive2Params::new("alpha", 5001))
        .await
        .unwrap();
    let b = client
        .register(&Alive2Params::new("beta", 5002))
        .await
        .unwrap();
    assert_eq!(
        client.names().await.unwrap(),
        vec![("beta".to_string(), 5002), ("alpha".to_string(), 5001)]
    );
    let raw = client.names_reply().await.unwrap();
    assert_eq!(raw.epmd_port, u32::from(daemon.port));
    assert_eq!(
        raw.text,
        b"name beta at port 5002\nname alpha at port 5001\n"
    );

    drop(b);
    await_gone(&client, "beta").await;
    let dump = client.dump().await.unwrap();
    assert_eq!(dump.epmd_port, u32::from(daemon.port));
    let text = String::from_utf8_lossy(&dump.text);
    assert!(
        text.starts_with("active name     <alpha> at port 5001, fd = "),
        "{text:?}"
    );
    assert!(
        text.contains("old/unused name <beta>, port = 5002, fd = "),
        "{text:?}"
    );
}

#[tokio::test]
async fn kill_is_refused_with_live_nodes_then_kills() {
    let (mut daemon, client) = otp_epmd(&[]);
    let reg = client
        .register(&Alive2Params::new("alive", 5555))
        .await
        .unwrap();
    assert_eq!(client.kill().await.unwrap(), KillReply::NotAllowed);
    drop(reg);
    await_gone(&client, "alive").await;
    assert_eq!(client.kill().await.unwrap(), KillReply::Killed);
    let status = daemon.guard.wait_timeout(Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "OTP epmd did not exit 0 after KILL: {status:?}"
    );
    assert!(matches!(
        client.names().await,
        Err(ClientError::NotRunning { .. })
    ));
}

#[tokio::test]
async fn kill_relaxed_with_live_nodes_closes_the_registration() {
    let (_daemon, client) = otp_epmd(&["-relaxed_command_check"]);
    let mut reg = client
        .register(&Alive2Params::new("alive", 5555))
        .await
        .unwrap();
    assert_eq!(client.kill().await.unwrap(), KillReply::Killed);
    tokio::time::timeout(Duration::from_secs(5), reg.closed())
        .await
        .expect("registration closed when the daemon exits")
        .ok();
}

#[tokio::test]
async fn stop_needs_relaxed_mode_and_closes_the_registration() {
    let (_strict, strict_client) = otp_epmd(&[]);
    let _kept = strict_client
        .register(&Alive2Params::new("foo", 5555))
        .await
        .unwrap();
    assert!(
        strict_client.stop("foo").await.is_err(),
        "strict daemon closes STOP silently"
    );
    assert!(strict_client.port_please("foo").await.unwrap().is_some());

    let (_relaxed, client) = otp_epmd(&["-relaxed_command_check"]);
    let mut reg = client
        .register(&Alive2Params::new("foo", 5555))
        .await
        .unwrap();
    assert_eq!(client.stop("foo").await.unwrap(), StopReply::Stopped);
    tokio::time::timeout(Duration::from_secs(5), reg.closed())
        .await
        .expect("STOP closes the registration connection")
        .ok();
    assert_eq!(client.port_please("foo").await.unwrap(), None);
    assert_eq!(client.stop("nope").await.unwrap(), StopReply::NotRegistered);
    assert_eq!(client.stop_raw(b"nope").await.unwrap(), b"NOEXIST");
}

#[tokio::test]
async fn calls_time_out_on_a_stalled_daemon_and_fail_when_none_runs() {
    let (daemon, client) = otp_epmd(&[]);
    daemon.guard.signal(libc::SIGSTOP);
    let quick = client.clone().with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let result = quick.names().await;
    daemon.guard.signal(libc::SIGCONT);
    assert!(
        matches!(result, Err(ClientError::Timeout { .. })),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(client.names().await.is_ok(), "answers again after SIGCONT");

    let nobody = EpmdClient::localhost_v4(free_port()).with_timeout(Duration::from_secs(2));
    assert!(matches!(
        nobody.names().await,
        Err(ClientError::NotRunning { .. })
    ));
}

#[tokio::test]
async fn invalid_names_are_refused_before_sending() {
    let (_daemon, client) = otp_epmd(&[]);
    for name in ["", "a\0b", &"x".repeat(256)] {
        assert!(
            matches!(
                client.register(&Alive2Params::new(name, 1)).await,
                Err(ClientError::InvalidName { .. })
            ),
            "{name:?}"
        );
    }
}
