//! The ALIVE2 creation rule on OTP's epmd and ours: new name near Unix time, re-registration +1,
//! HighestVersion 5 gets counter%3+1, a new name stealing the oldest old slot keeps its counter.

use interop_tests::epmd_script::{poll, request};
use interop_tests::epmd_wire::{alive2_with, creation_of, port_please};
use interop_tests::{EpmdDaemon, EpmdKind};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Registers `name` with the given HighestVersion on a new connection; returns the connection
/// (the registration lives while it is open) and the creation.
fn register(addr: SocketAddr, name: &str, high: u16) -> (TcpStream, u32) {
    let mut s = TcpStream::connect(addr).expect("connect to epmd");
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.write_all(&alive2_with(5555, high, 5, name.as_bytes(), b""))
        .unwrap();
    let mut reply = vec![0u8; if high >= 6 { 6 } else { 4 }];
    s.read_exact(&mut reply).expect("ALIVE2 reply");
    let creation = creation_of(&reply).unwrap_or_else(|| panic!("ALIVE2 refused: {reply:?}"));
    (s, creation)
}

/// Closes a registration and waits until the daemon has dropped it.
fn unregister(addr: SocketAddr, conn: TcpStream, name: &str) {
    drop(conn);
    let gone = poll(Duration::from_secs(5), || {
        request(addr, &port_please(name.as_bytes())).is_some_and(|r| r == [119, 1])
    });
    assert!(
        gone,
        "{name} still registered 5 s after its connection closed"
    );
}

fn check_creation_rule(kind: EpmdKind) {
    let daemon = EpmdDaemon::start_free(kind, &[]);
    let addr = SocketAddr::from(([127, 0, 0, 1], daemon.port));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let (conn, first) = register(addr, "foo", 6);
    assert!(
        (first as i64 - now).abs() <= 5,
        "{kind:?}: first creation {first:#x} is not near Unix time {now:#x}"
    );
    assert!(first >= 4, "{kind:?}: creation 0..3 for a v6 node");
    unregister(addr, conn, "foo");

    let (conn, second) = register(addr, "foo", 6);
    assert_eq!(second, first.wrapping_add(1), "{kind:?}: re-registration");
    unregister(addr, conn, "foo");

    for bump in 2..=3u32 {
        let (conn, old_style) = register(addr, "foo", 5);
        let counter = first.wrapping_add(bump);
        assert_eq!(
            old_style,
            counter % 3 + 1,
            "{kind:?}: HighestVersion 5 creation for counter {counter:#x}"
        );
        assert!((1..=3).contains(&old_style));
        unregister(addr, conn, "foo");
    }

    let (_conn, again) = register(addr, "foo", 6);
    assert_eq!(again, first.wrapping_add(4), "{kind:?}: v6 after v5 ones");

    // Names are counted separately: another new name starts near Unix time again.
    let (_conn2, other) = register(addr, "bar", 6);
    assert!(
        (other as i64 - now).abs() <= 5,
        "{kind:?}: new name creation {other:#x}"
    );
}

#[test]
fn creation_rule_on_otp_epmd() {
    check_creation_rule(EpmdKind::Otp);
}

#[test]
fn creation_rule_on_our_epmd() {
    check_creation_rule(EpmdKind::under_test());
}

/// What a recycling run saw: the new name's creation, the last creation of `first`, and DUMP.
struct Recycled {
    fresh: u32,
    first_last: u32,
    dump: String,
}

/// Bumps `first` 20 times, then unregisters `others` more names, then registers a new name.
/// OTP keeps up to 1000 unregistered names (5 with -d) and steals the oldest slot only when the
/// list is longer than that, keeping its counter *without* a bump.
fn recycle_run(kind: EpmdKind, flags: &[&str], others: usize) -> Recycled {
    let daemon = EpmdDaemon::start_free(kind, flags);
    let addr = SocketAddr::from(([127, 0, 0, 1], daemon.port));
    let mut first_last = 0;
    for _ in 0..20 {
        let (conn, c) = register(addr, "first", 6);
        first_last = c;
        unregister(addr, conn, "first");
    }
    for i in 0..others {
        let name = format!("other{i}");
        let (conn, _) = register(addr, &name, 6);
        unregister(addr, conn, &name);
    }
    let (_conn, fresh) = register(addr, "newcomer", 6);
    let dump = request(addr, &interop_tests::epmd_wire::dump()).expect("DUMP");
    let dump = interop_tests::epmd_script::show(Some(b'd'), &dump);
    Recycled {
        fresh,
        first_last,
        dump,
    }
}

fn both(flags: &[&str], others: usize) -> (Recycled, Recycled) {
    std::thread::scope(|s| {
        let otp = s.spawn(|| recycle_run(EpmdKind::Otp, flags, others));
        let ours = s.spawn(|| recycle_run(EpmdKind::under_test(), flags, others));
        (otp.join().unwrap(), ours.join().unwrap())
    })
}

/// When the oldest slot is stolen, the new name's creation equals the oldest name's last one.
fn check_stealing(flags: &[&str], others: usize) {
    let (otp, ours) = both(flags, others);
    assert_eq!(
        otp.fresh, otp.first_last,
        "OTP {flags:?}: stolen slot keeps its counter"
    );
    assert_eq!(
        ours.fresh as i64 - ours.first_last as i64,
        otp.fresh as i64 - otp.first_last as i64,
        "{flags:?}: new name's creation after {} old names, relative to the oldest's last",
        others + 1
    );
    assert_eq!(ours.dump, otp.dump, "{flags:?}: DUMP after stealing");
}

#[test]
fn new_name_steals_the_oldest_unregistered_slot_like_otp() {
    check_stealing(&[], 1000);
}

#[test]
fn debug_mode_steals_after_5_old_names_like_otp() {
    check_stealing(&["-d"], 5);
}

#[test]
fn unregistered_memory_not_yet_full_gives_a_fresh_creation_like_otp() {
    let (otp, ours) = both(&[], 999);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for (kind, run) in [("otp", &otp), ("ours", &ours)] {
        assert!(
            (run.fresh as i64 - now).abs() <= 10,
            "{kind}: a new name below the limit gets a time-based creation, got {:#x} at {now:#x}",
            run.fresh
        );
    }
    assert_eq!(ours.dump, otp.dump, "DUMP with 1000 old names");
}
