//! Randomised differential check: seeded random (often malformed) requests, each on its own
//! connection, sent in the same order to OTP's epmd and ours; replies and closes must match.

use interop_tests::epmd_script::show;
use interop_tests::epmd_wire::{alive2_payload, framed};
use interop_tests::{EpmdDaemon, EpmdKind};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A name-like byte string: mostly ASCII, sometimes NULs, invalid or multi-byte UTF-8, of a
/// length around the interesting limits (0, 254..256, 1020..1021).
fn name(rng: &mut Rng) -> Vec<u8> {
    let len = match rng.below(6) {
        0 => rng.below(4),
        1 => 253 + rng.below(4),
        2 => 1018 + rng.below(5),
        _ => 1 + rng.below(20),
    };
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match rng.below(20) {
            0 => out.push(0),
            1 => out.push(0xff),
            2 => out.extend_from_slice("é".as_bytes()),
            3 => out.extend_from_slice("😀".as_bytes()),
            4 => out.push(0xc3), // a lone UTF-8 lead byte
            _ => out.push(b'a' + rng.below(26) as u8),
        }
    }
    out
}

/// One random request (already framed, possibly with a wrong length prefix).
fn request(rng: &mut Rng) -> Vec<u8> {
    let payload = match rng.below(7) {
        0 | 1 => {
            let mut p = vec![b'z'];
            p.extend(name(rng));
            p
        }
        2 | 3 => {
            let extra_len = if rng.chance(20) {
                1019 + rng.below(3)
            } else {
                rng.below(8)
            };
            let extra: Vec<u8> = (0..extra_len).map(|_| rng.below(256) as u8).collect();
            let high = [5, 6, 7][rng.below(3)];
            let mut p = alive2_payload(5000 + rng.below(1000) as u16, high, 5, &name(rng), &extra);
            if rng.chance(25) {
                // Corrupt Nlen (offset 9) or Elen so the lengths disagree with the payload.
                let at = if rng.chance(50) {
                    9
                } else {
                    p.len() - extra.len() - 2
                };
                let delta = [1u8, 2, 0x10][rng.below(3)];
                p[at + 1] = p[at + 1].wrapping_add(delta);
            }
            if rng.chance(15) {
                p.extend_from_slice(b"trailing");
            }
            p
        }
        4 => {
            let mut p = vec![[b'n', b'd', b's'][rng.below(3)]];
            if rng.chance(50) {
                p.extend(name(rng));
            }
            p
        }
        5 => {
            // Any code except KILL (which would end the daemon).
            let mut code = rng.below(256) as u8;
            if code == b'k' {
                code = b'K';
            }
            let mut p = vec![code];
            p.extend((0..rng.below(12)).map(|_| rng.below(256) as u8));
            p
        }
        _ => vec![b'z'; rng.below(3058) + 1],
    };
    let mut bytes = framed(&payload);
    if rng.chance(10) {
        let len = u16::from_be_bytes([bytes[0], bytes[1]]);
        let wrong = match rng.below(3) {
            0 => len.saturating_sub(1 + rng.below(3) as u16),
            1 => len.saturating_add(1 + rng.below(3) as u16),
            _ => 0,
        };
        bytes[..2].copy_from_slice(&wrong.to_be_bytes());
    }
    bytes
}

/// Sends one request, half-closes, reads until the daemon closes (bounded); normalised text.
fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return "connect refused".into();
    };
    let _ = s.write_all(bytes);
    let _ = s.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut reply = Vec::new();
    let mut buf = [0u8; 8192];
    let closed = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break false;
        }
        let _ = s.set_read_timeout(Some(left));
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false
            }
            Err(_) => break true,
        }
    };
    let code = bytes.get(2).copied();
    let state = if closed { "closed" } else { "open" };
    format!("[{}] {state}", show(code, &reply))
}

#[test]
fn random_requests_get_the_same_replies_as_from_otp() {
    let seed: u64 = std::env::var("EPMD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_e9bd);
    let count: usize = std::env::var("EPMD_FUZZ_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let mut rng = Rng(seed | 1);
    let requests: Vec<Vec<u8>> = (0..count).map(|_| request(&mut rng)).collect();
    let flags = ["-relaxed_command_check"];
    let run = |kind: EpmdKind| {
        let daemon = EpmdDaemon::start_free(kind, &flags);
        let addr = SocketAddr::from(([127, 0, 0, 1], daemon.port));
        requests
            .iter()
            .map(|r| exchange(addr, r))
            .collect::<Vec<_>>()
    };
    let (otp, ours) = std::thread::scope(|s| {
        let otp = s.spawn(|| run(EpmdKind::Otp));
        let ours = s.spawn(|| run(EpmdKind::under_test()));
        (otp.join().unwrap(), ours.join().unwrap())
    });
    if std::env::var_os("EPMD_DIFF_SHOW").is_some() {
        let mut kinds = std::collections::BTreeMap::new();
        for outcome in &otp {
            let key: String = outcome.chars().take(14).collect();
            *kinds.entry(key).or_insert(0) += 1;
        }
        eprintln!("OTP outcomes by prefix: {kinds:#?}");
    }
    let diffs: Vec<String> = requests
        .iter()
        .zip(otp.iter().zip(&ours))
        .enumerate()
        .filter(|(_, (_, (a, b)))| a != b)
        .take(10)
        .map(|(i, (req, (a, b)))| {
            let hex: String = req.iter().take(48).map(|b| format!("{b:02x}")).collect();
            format!(
                "#{i} request {hex}{}\n  otp : {a}\n  ours: {b}",
                if req.len() > 48 { ".." } else { "" }
            )
        })
        .collect();
    assert!(
        diffs.is_empty(),
        "seed {seed:#x}: replies differ from OTP's (first 10):\n{}",
        diffs.join("\n")
    );
}
