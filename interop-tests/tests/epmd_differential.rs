//! Differential suite: scripted raw request sequences sent to OTP's epmd and to ours (same flags,
//! separate ports); replies must be byte-identical and closes must match (creations, ports, fds masked).

use interop_tests::epmd_script::{run_script, Step};
use interop_tests::epmd_wire::{self, alive2, alive2_with, framed, names, port_please};
use interop_tests::{EpmdDaemon, EpmdKind};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted case: a name, the daemon flags both sides get, and the steps.
struct Case {
    name: &'static str,
    flags: &'static [&'static str],
    steps: Vec<Step>,
}

fn case(name: &'static str, flags: &'static [&'static str], parts: Vec<Vec<Step>>) -> Case {
    Case {
        name,
        flags,
        steps: parts.concat(),
    }
}

// Step constructors, short so that a case reads as one line.
fn open(c: usize) -> Vec<Step> {
    vec![Step::Open(c)]
}
fn send(c: usize, bytes: Vec<u8>) -> Vec<Step> {
    vec![Step::Send(c, bytes)]
}
fn recv(c: usize, n: usize) -> Vec<Step> {
    vec![Step::Recv(c, n)]
}
fn reply(c: usize) -> Vec<Step> {
    vec![Step::ReadToClose(c)]
}
fn silent(c: usize, ms: u64) -> Vec<Step> {
    vec![Step::StaysOpen(c, Duration::from_millis(ms))]
}
fn half_close(c: usize) -> Vec<Step> {
    vec![Step::HalfClose(c)]
}
fn close(c: usize) -> Vec<Step> {
    vec![Step::Close(c)]
}
fn reset(c: usize) -> Vec<Step> {
    vec![Step::Reset(c)]
}
fn gone(name: &str) -> Vec<Step> {
    vec![Step::AwaitGone(name.as_bytes().to_vec())]
}
fn down() -> Vec<Step> {
    vec![Step::AwaitDown]
}
/// Open `c`, send one request, read the reply until the daemon closes.
fn ask(c: usize, bytes: Vec<u8>) -> Vec<Step> {
    [open(c), send(c, bytes), reply(c)].concat()
}
/// Open `c` and register `name` (v6) on it, reading the 6-byte reply; the connection stays open.
fn reg(c: usize, name: &str, port: u16) -> Vec<Step> {
    [open(c), send(c, alive2(port, name)), recv(c, 6)].concat()
}
/// Open `c`, send a framed ALIVE2 with raw payload fields, read a 6-byte reply or the close.
fn reg_raw(c: usize, payload: Vec<u8>) -> Vec<Step> {
    [open(c), send(c, framed(&payload)), recv(c, 6)].concat()
}
fn slow(c: usize, bytes: Vec<u8>, ms: u64) -> Vec<Step> {
    vec![Step::SendSlow(c, bytes, Duration::from_millis(ms))]
}
fn idle_closed(c: usize, lo: u64, hi: u64) -> Vec<Step> {
    vec![Step::ClosesWithin(
        c,
        Duration::from_secs(lo),
        Duration::from_secs(hi),
    )]
}
fn raw_payload(port: u16, high: u16, low: u16, name: &[u8], extra: &[u8]) -> Vec<u8> {
    epmd_wire::alive2_payload(port, high, low, name, extra)
}
/// An ALIVE2 payload whose Nlen field says `nlen` whatever the name bytes are.
fn lying_nlen(nlen: u16, name: &[u8], elen: u16, extra: &[u8]) -> Vec<u8> {
    let mut p = vec![b'x', 0x15, 0xb3, 77, 0, 0, 6, 0, 5];
    p.extend_from_slice(&nlen.to_be_bytes());
    p.extend_from_slice(name);
    p.extend_from_slice(&elen.to_be_bytes());
    p.extend_from_slice(extra);
    p
}
fn f(n: usize) -> String {
    "f".repeat(n)
}

const RELAXED: &[&str] = &["-relaxed_command_check"];
const FAST_IDLE: &[&str] = &["-packet_timeout", "2"];

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let four_byte_255 = "😀".repeat(255); // 255 chars, 1020 bytes
    let two_byte_256 = "é".repeat(256); // 256 chars, 512 bytes
    vec![
        // Every valid request.
        case("names_empty", &[], vec![ask(0, names())]),
        case("names_extra_bytes_ignored", &[], vec![ask(0, framed(b"nXYZ"))]),
        case("names_lifo_order", &[], vec![reg(0, "foo", 5555), reg(1, "bar", 5556), reg(2, "baz", 5557), ask(3, names())]),
        case("dump_empty", &[], vec![ask(0, epmd_wire::dump())]),
        case("dump_active", &[], vec![reg(0, "foo", 5555), reg(1, "bar", 5556), ask(2, epmd_wire::dump())]),
        case("dump_active_and_old", &[], vec![reg(0, "foo", 5555), reg(1, "bar", 5556), close(0), gone("foo"), ask(2, epmd_wire::dump())]),
        case("dump_debug_keeps_5_old_names", &["-d"], vec![reg(0, "n1", 5551), reg(1, "n2", 5552), reg(2, "n3", 5553), reg(3, "n4", 5554), reg(4, "n5", 5555), reg(5, "n6", 5556), close(0), gone("n1"), close(1), gone("n2"), close(2), gone("n3"), close(3), gone("n4"), close(4), gone("n5"), close(5), gone("n6"), ask(6, epmd_wire::dump())]),
        case("dump_old_slot_reused", &[], vec![reg(0, "foo", 5555), close(0), gone("foo"), reg(1, "foo", 5557), ask(2, epmd_wire::dump())]),
        case("port_please_found", &[], vec![open(0), send(0, alive2_with(5555, 6, 5, b"foo", b"EXTRA")), recv(0, 6), ask(1, port_please(b"foo"))]),
        case("port_please_extra_with_nuls", &[], vec![open(0), send(0, alive2_with(5555, 6, 6, b"foo", b"\0a\0")), recv(0, 6), ask(1, port_please(b"foo"))]),
        case("port_please_missing", &[], vec![ask(0, port_please(b"nope"))]),
        case("port_please_trailing_nul", &[], vec![reg(0, "foo", 5555), ask(1, port_please(b"foo\0"))]),
        case("port_please_nul_inside", &[], vec![reg(0, "foo", 5555), ask(1, port_please(b"fo\0o"))]),
        case("port_please_empty_name", &[], vec![ask(0, framed(b"z"))]),
        case("port_please_invalid_utf8", &[], vec![ask(0, port_please(&[0xff, 0xfe]))]),
        case("port_please_254_chars", &[], vec![reg(0, &f(254), 5555), ask(1, port_please(f(254).as_bytes()))]),
        case("port_please_255_chars", &[], vec![reg(0, &f(255), 5555), ask(1, port_please(f(255).as_bytes()))]),
        case("port_please_utf8_name", &[], vec![reg(0, "ñandú", 5555), ask(1, port_please("ñandú".as_bytes()))]),
        // ALIVE2 reply forms and validation.
        case("alive2_v6_reply_kept_open", &[], vec![reg(0, "foo", 5555), silent(0, 300), ask(1, names())]),
        case("alive2_v5_reply", &[], vec![open(0), send(0, alive2_with(5555, 5, 5, b"foo", b"")), recv(0, 4), silent(0, 300), ask(1, port_please(b"foo"))]),
        case("alive2_hidden_type_and_low6", &[], vec![open(0), send(0, framed(&[b'x', 0x15, 0xb3, 72, 0, 0, 6, 0, 6, 0, 3, b'f', b'o', b'o', 0, 0])), recv(0, 6), ask(1, port_please(b"foo"))]),
        case("alive2_short_13", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, b"", b""))]),
        case("alive2_short_5", &[], vec![reg_raw(0, vec![b'x', 0x15, 0xb3, 77, 0])]),
        case("alive2_nlen_too_big", &[], vec![reg_raw(0, lying_nlen(10, b"foo", 0, b""))]),
        case("alive2_elen_too_big", &[], vec![reg_raw(0, lying_nlen(3, b"foo", 10, b"ab"))]),
        case("alive2_nul_in_name", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, b"fo\0o", b"")), ask(1, names())]),
        case("alive2_trailing_nul_in_name", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, b"foo\0", b""))]),
        case("alive2_255_chars_ok", &[], vec![reg(0, &f(255), 5555), ask(1, names())]),
        case("alive2_256_chars_refused", &[], vec![reg(0, &f(256), 5555), silent(0, 200), ask(1, names())]),
        case("alive2_255_four_byte_chars_ok", &[], vec![reg(0, &four_byte_255, 5555), ask(1, names())]),
        case("alive2_256_two_byte_chars_refused", &[], vec![reg(0, &two_byte_256, 5555), ask(1, names())]),
        case("alive2_1021_bytes_refused", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, &[b'g'; 1021], b""))]),
        case("alive2_invalid_utf8_refused", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, &[b'a', 0xc3, 0x28], b"")), ask(1, names())]),
        case("alive2_elen_1020_ok", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, b"foo", &[7; 1020])), ask(1, port_please(b"foo"))]),
        case("alive2_elen_1021_refused", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, b"foo", &[7; 1021])), silent(0, 200)]),
        case("alive2_trailing_bytes_ignored", &[], vec![reg_raw(0, [raw_payload(5555, 6, 5, b"foo", b"E"), b"junk".to_vec()].concat()), ask(1, port_please(b"foo"))]),
        case("alive2_v5_refused_reply_form", &[], vec![open(0), send(0, alive2_with(5555, 5, 5, &[b'g'; 1021], b"")), recv(0, 4)]),
        // Collisions and registration lifecycle.
        case("alive2_duplicate_name", &[], vec![reg(0, "foo", 5555), reg(1, "foo", 5556), silent(1, 300), ask(2, port_please(b"foo"))]),
        case("refused_socket_then_data_closes", &[], vec![reg(0, "foo", 5555), reg(1, "foo", 5556), send(1, vec![1]), reply(1), ask(2, names())]),
        case("reregister_after_close", &[], vec![reg(0, "foo", 5555), close(0), gone("foo"), reg(1, "foo", 5556), ask(2, port_please(b"foo"))]),
        case("second_alive2_on_same_socket", &[], vec![reg(0, "foo", 5555), send(0, alive2(5556, "bar")), reply(0), gone("foo"), ask(1, names())]),
        case("data_on_registration_socket", &[], vec![reg(0, "foo", 5555), send(0, b"?".to_vec()), reply(0), gone("foo"), ask(1, names())]),
        case("closed_registration_disappears", &[], vec![reg(0, "foo", 5555), reg(1, "bar", 5556), close(1), gone("bar"), ask(2, names()), ask(3, port_please(b"bar"))]),
        case("half_closed_registration_disappears", &[], vec![reg(0, "foo", 5555), half_close(0), reply(0), gone("foo"), ask(1, names())]),
        case("alive2_then_reset_leaves_no_entry", &[], vec![open(0), send(0, alive2(5555, "foo")), reset(0), gone("foo"), reg(1, "foo", 5556), ask(2, names())]),
        case("registration_reset_unregisters", &[], vec![reg(0, "foo", 5555), reset(0), gone("foo"), ask(1, names())]),
        case("alive2_empty_name_with_extra", &[], vec![reg_raw(0, raw_payload(5555, 6, 5, b"", b"E")), ask(1, names()), ask(2, epmd_wire::dump())]),
        case("alive2_name_with_space_in_names", &[], vec![reg(0, "a b", 5555), ask(1, names()), ask(2, port_please(b"a b"))]),
        case("names_200_registrations", &[], (0..200).map(|i| reg(i, &format!("n{i:03}"), 5000 + i as u16)).chain([ask(200, names())]).collect()),
        // Framing: truncated, pipelined, zero and oversized lengths.
        case("truncated_one_byte", &[], vec![open(0), send(0, vec![0]), silent(0, 500), half_close(0), reply(0)]),
        case("truncated_length_only", &[], vec![open(0), send(0, vec![0, 5]), silent(0, 500), half_close(0), reply(0)]),
        case("truncated_body", &[], vec![open(0), send(0, vec![0, 10, b'z', b'f']), silent(0, 500), half_close(0), reply(0)]),
        case("truncated_alive2", &[], vec![open(0), send(0, alive2(5555, "foo")[..9].to_vec()), silent(0, 500), half_close(0), reply(0), ask(1, names())]),
        case("truncated_then_completed", &[], vec![reg(0, "foo", 5555), open(1), send(1, port_please(b"foo")[..4].to_vec()), silent(1, 300), send(1, port_please(b"foo")[4..].to_vec()), reply(1)]),
        case("pipelined_two_names", &[], vec![ask(0, [names(), names()].concat())]),
        case("pipelined_alive2_then_names", &[], vec![ask(0, [alive2(5555, "foo"), names()].concat()), ask(1, names())]),
        case("zero_length", &[], vec![ask(0, vec![0, 0])]),
        case("length_3057_names_answered", &[], vec![ask(0, framed(&[b"n".to_vec(), vec![b' '; 3056]].concat()))]),
        case("length_3058_closed", &[], vec![ask(0, framed(&[b"n".to_vec(), vec![b' '; 3057]].concat()))]),
        case("length_ffff_header_only", &[], vec![ask(0, vec![0xff, 0xff, b'n'])]),
        // Unknown request codes.
        case("unknown_code_a", &[], vec![ask(0, framed(b"afoo"))]),
        case("unknown_code_p", &[], vec![ask(0, framed(b"pfoo"))]),
        case("unknown_code_r", &[], vec![ask(0, framed(b"rfoo"))]),
        case("unknown_code_0", &[], vec![ask(0, framed(&[0]))]),
        case("unknown_code_y", &[], vec![ask(0, framed(b"y"))]),
        // KILL and STOP.
        case("kill_no_nodes", &[], vec![ask(0, epmd_wire::kill()), down()]),
        case("kill_with_nodes_refused", &[], vec![reg(0, "foo", 5555), ask(1, epmd_wire::kill()), silent(0, 200), ask(2, names())]),
        case("kill_with_nodes_relaxed", RELAXED, vec![reg(0, "foo", 5555), ask(1, epmd_wire::kill()), down(), reply(0)]),
        case("kill_extra_bytes", &[], vec![ask(0, framed(b"kk")), down()]),
        case("stop_strict_ignored", &[], vec![reg(0, "foo", 5555), ask(1, epmd_wire::stop("foo")), silent(0, 200), ask(2, names())]),
        case("stop_relaxed_registered", RELAXED, vec![reg(0, "foo", 5555), ask(1, epmd_wire::stop("foo")), reply(0), ask(2, names()), ask(3, epmd_wire::dump())]),
        case("stop_relaxed_missing", RELAXED, vec![ask(0, epmd_wire::stop("nope"))]),
        case("stop_relaxed_trailing_nul", RELAXED, vec![reg(0, "foo", 5555), ask(1, framed(b"sfoo\0")), ask(2, names())]),
        case("unknown_code_q_one_byte", &[], vec![ask(0, framed(b"q"))]),
        case("stop_relaxed_nul_inside_name", RELAXED, vec![reg(0, "foo", 5555), ask(1, framed(b"sfoo\0bar")), reply(0), ask(2, names())]),
        case("stop_relaxed_prefix_only", RELAXED, vec![reg(0, "foo", 5555), ask(1, framed(b"sfo")), ask(2, names())]),
        case("stop_relaxed_empty_name", RELAXED, vec![ask(0, framed(b"s"))]),
        // Slow and idle clients.
        case("slow_port_please", &[], vec![reg(0, "foo", 5555), open(1), slow(1, port_please(b"foo"), 150), reply(1)]),
        case("slow_alive2", &[], vec![open(0), slow(0, alive2(5555, "foo"), 60), recv(0, 6), ask(1, names())]),
        case("slow_client_keeps_idle_timer_fresh", FAST_IDLE, vec![reg(0, "foo", 5555), open(1), slow(1, port_please(b"foo"), 1000), reply(1)]),
        case("delay_write_holds_the_reply", &["-delay_write", "1"], vec![open(0), send(0, names()), silent(0, 500), reply(0)]),
        case("idle_empty_closed_by_timeout", FAST_IDLE, vec![open(0), idle_closed(0, 1, 8)]),
        case("idle_partial_closed_by_timeout", FAST_IDLE, vec![open(0), send(0, vec![0, 9, b'z']), idle_closed(0, 1, 8)]),
        case("idle_registration_kept", FAST_IDLE, vec![reg(0, "foo", 5555), silent(0, 4500), ask(1, port_please(b"foo"))]),
        case("idle_default_timeout_not_2s", &[], vec![open(0), silent(0, 3500)]),
    ]
}

/// Runs one case against a fresh daemon of `kind`.
fn run_on(kind: EpmdKind, case: &Case, ip: IpAddr) -> Vec<String> {
    let daemon = EpmdDaemon::start_free(kind, case.flags);
    run_script(SocketAddr::new(ip, daemon.port), &case.steps)
}

/// Runs OTP's and the tested daemon for one case at the same time; returns a diff if they differ.
fn compare(case: &Case, ip: IpAddr) -> Result<(), String> {
    let tested = EpmdKind::under_test();
    let (otp, ours) = std::thread::scope(|s| {
        let otp = s.spawn(|| run_on(EpmdKind::Otp, case, ip));
        let ours = s.spawn(|| run_on(tested, case, ip));
        (otp.join(), ours.join())
    });
    let otp = otp.map_err(|_| "the OTP side panicked".to_string())?;
    let ours = ours.map_err(|_| format!("the {} side panicked", tested.label()))?;
    if std::env::var_os("EPMD_DIFF_SHOW").is_some() {
        eprintln!("--- {} (otp)\n  {}", case.name, otp.join("\n  "));
    }
    if otp == ours {
        return Ok(());
    }
    let mut diff = String::new();
    for i in 0..otp.len().max(ours.len()) {
        let a = otp.get(i).map_or("-", String::as_str);
        let b = ours.get(i).map_or("-", String::as_str);
        let mark = if a == b { "  " } else { "!!" };
        diff.push_str(&format!(
            "  {mark} otp : {a}\n  {mark} {:4}: {b}\n",
            tested.label()
        ));
    }
    Err(diff)
}

/// Runs `cases` (12 at a time) over `ip` and fails with every difference found.
fn run_cases(cases: Vec<Case>, ip: IpAddr) {
    let queue = Arc::new(Mutex::new(cases.iter().collect::<Vec<_>>()));
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..12 {
            s.spawn(|| loop {
                let Some(case) = queue.lock().unwrap().pop() else {
                    break;
                };
                let outcome = compare(case, ip);
                let verdict = if outcome.is_ok() { "ok" } else { "DIFFERS" };
                eprintln!("case {:40} {verdict}", case.name);
                if let Err(diff) = outcome {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{}:\n{diff}", case.name));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases over {ip} differ from OTP's epmd:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn differential_suite_matches_otp_epmd() {
    let filter = std::env::var("EPMD_DIFF_CASE").unwrap_or_default();
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.name.contains(&filter))
        .collect();
    assert!(!cases.is_empty(), "no case matches EPMD_DIFF_CASE={filter}");
    run_cases(cases, IpAddr::V4(Ipv4Addr::LOCALHOST));
}

/// A few stateful cases again over IPv6 loopback (both daemons also listen on [::1]).
#[test]
fn differential_cases_over_ipv6_loopback() {
    let over_v6 = [
        "names_lifo_order",
        "dump_active_and_old",
        "port_please_found",
        "alive2_duplicate_name",
        "stop_relaxed_registered",
        "kill_with_nodes_refused",
        "pipelined_two_names",
    ];
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| over_v6.contains(&c.name))
        .collect();
    assert_eq!(cases.len(), over_v6.len(), "a listed case name is misspelt");
    run_cases(cases, IpAddr::V6(Ipv6Addr::LOCALHOST));
}
