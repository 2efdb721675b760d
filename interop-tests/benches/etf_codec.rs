//! ETF codec benchmark: our decode/encode vs the eetf crate vs BEAM's binary_to_term/term_to_binary
//! over the shared corpus, all in one run, printing MB/s and ratios. Run with `cargo bench`.
//!
//! `cargo bench -p interop-tests --bench etf_codec [-- FILTER]`; the corpus is
//! `<workspace>/../shared/bench-corpus` unless `ETF_BENCH_CORPUS` names another directory.
//! Rounds are interleaved: for each file, each of the 5 rounds times BEAM (decode, encode) and
//! then each Rust codec; every figure is the median of its 5 rounds, each round ≥ 100 ms of CPU
//! time (CPU time, not wall time, so that other load on a shared machine does not count).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use distproto::etf::{self, EncodeOptions};
use interop_tests::{compile_erl, ErlNode, ErlOptions};

const ROUNDS: usize = 5;
const MIN_ROUND: Duration = Duration::from_millis(100);

/// Nanoseconds per iteration of each measured operation, per round.
#[derive(Default)]
struct Samples {
    ours_decode: Vec<f64>,
    ours_decode_bytes: Vec<f64>,
    ours_encode: Vec<f64>,
    eetf_decode: Vec<f64>,
    eetf_encode: Vec<f64>,
    beam_decode: Vec<f64>,
    beam_encode: Vec<f64>,
}

/// One file's results: medians in MB/s (10^6 bytes per second), `None` where a codec failed.
struct Row {
    name: String,
    size: usize,
    ours_decode: f64,
    ours_decode_bytes: f64,
    ours_encode: f64,
    eetf_decode: Option<f64>,
    eetf_encode: Option<f64>,
    beam_decode: f64,
    beam_encode: f64,
    identical: bool,
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let corpus = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("read corpus {}: {e}", corpus.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "etf"))
        .filter(|p| match &filter {
            Some(f) => p.to_string_lossy().contains(f.as_str()),
            None => true,
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .etf files in {}", corpus.display());
    if let Ok(op) = std::env::var("ETF_BENCH_PROFILE") {
        profile_loop(&op, &files);
        return;
    }

    let mut beam = ErlNode::start(ErlOptions {
        // One scheduler that sleeps when idle: the OS process's CPU time is then the work timed.
        args: [
            "+S",
            "1:1",
            "+sbwt",
            "none",
            "+sbwtdcpu",
            "none",
            "+sbwtdio",
            "none",
            "-pa",
        ]
        .map(String::from)
        .into_iter()
        .chain([compile_erl("etf_bench").display().to_string()])
        .collect(),
        ..Default::default()
    });
    let scratch = tempfile::tempdir().expect("temp dir");
    println!(
        "ETF codec benchmark: {} files from {}; median of {ROUNDS} rounds (>= {} ms CPU time each), BEAM and Rust interleaved per round",
        files.len(),
        corpus.display(),
        MIN_ROUND.as_millis()
    );
    let started = Instant::now();
    let rows: Vec<Row> = files
        .iter()
        .map(|file| bench_file(file, &mut beam, scratch.path()))
        .collect();
    print_table(&rows);
    println!("total time {:.1} s", started.elapsed().as_secs_f64());
}

/// For profilers (`perf record`): only our `decode` or `encode` of each file, for 3 s each, with
/// no BEAM and no eetf in the profile.
fn profile_loop(op: &str, files: &[PathBuf]) {
    for file in files {
        let input = std::fs::read(file).expect("read corpus file");
        let term = etf::decode(&input).expect("our decode");
        let mut out = Vec::with_capacity(input.len());
        let start = Instant::now();
        let cpu_start = thread_cpu_time();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_secs(3) {
            for _ in 0..16 {
                match op {
                    "decode" => drop(black_box(etf::decode(black_box(&input)))),
                    "encode" => {
                        out.clear();
                        etf::encode_into(black_box(&term), &mut out, &EncodeOptions::OTP25).ok();
                        black_box(&out);
                    }
                    other => panic!("ETF_BENCH_PROFILE={other}: use decode or encode"),
                }
            }
            n += 16;
        }
        let per = (thread_cpu_time() - cpu_start).as_nanos() as f64 / n as f64;
        println!(
            "{op} {}: {:.0} ns of CPU time per call",
            file.display(),
            per
        );
    }
}

/// `ETF_BENCH_CORPUS`, else `<workspace>/../shared/bench-corpus`.
fn corpus_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("ETF_BENCH_CORPUS") {
        return PathBuf::from(dir);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    workspace.join("../shared/bench-corpus")
}

fn bench_file(file: &Path, beam: &mut ErlNode, scratch: &Path) -> Row {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let input = std::fs::read(file).expect("read corpus file");
    let input_bytes = Bytes::from(input.clone());

    // Correctness first: each codec's result must be right, not just fast.
    let term = etf::decode(&input).unwrap_or_else(|e| panic!("{name}: our decode failed: {e}"));
    assert!(
        etf::decode_bytes(input_bytes.clone()).as_ref() == Ok(&term),
        "{name}: decode_bytes differs from decode"
    );
    let ours = etf::encode_with(&term, &EncodeOptions::OTP25).expect("our encode");
    let ours_path = scratch.join(format!("ours-{name}"));
    std::fs::write(&ours_path, &ours).expect("write our encoding");
    let verdict = beam.eval(&format!(
        "etf_bench:verify({:?}, {:?}).",
        file.display().to_string(),
        ours_path.display().to_string()
    ));
    assert_eq!(
        verdict, "true",
        "{name}: BEAM decodes our encoding to another term"
    );
    let eetf_term = eetf::Term::decode(&input[..]).ok();
    let eetf_ok = eetf_term.as_ref().is_some_and(|t| {
        let mut out = Vec::new();
        t.encode(&mut out).is_ok() && etf::decode(&out).as_ref() == Ok(&term)
    });
    if !eetf_ok {
        println!("  {name}: eetf does not round-trip this file; its columns are n/a");
    }

    let file_literal = format!("{:?}", file.display().to_string());
    let mut s = Samples::default();
    let mut out = Vec::with_capacity(ours.len());
    let mut beam_encoded_size = 0;
    let mut n = [1u64; 5];
    for _ in 0..ROUNDS {
        let reply = beam.eval(&format!(
            "etf_bench:round({file_literal}, {}).",
            MIN_ROUND.as_millis()
        ));
        let [dec_ps, enc_ps, size] = parse_triple(&reply);
        s.beam_decode.push(dec_ps / 1000.0);
        s.beam_encode.push(enc_ps / 1000.0);
        beam_encoded_size = size as usize;

        s.ours_decode.push(time(&mut n[0], || {
            black_box(etf::decode(black_box(&input)).is_ok());
        }));
        s.ours_decode_bytes.push(time(&mut n[1], || {
            black_box(etf::decode_bytes(black_box(input_bytes.clone())).is_ok());
        }));
        s.ours_encode.push(time(&mut n[2], || {
            out.clear();
            etf::encode_into(black_box(&term), &mut out, &EncodeOptions::OTP25).ok();
            black_box(&out);
        }));
        if let (true, Some(t)) = (eetf_ok, &eetf_term) {
            s.eetf_decode.push(time(&mut n[3], || {
                black_box(eetf::Term::decode(black_box(&input[..])).is_ok());
            }));
            let mut eetf_out = Vec::with_capacity(input.len());
            s.eetf_encode.push(time(&mut n[4], || {
                eetf_out.clear();
                black_box(t).encode(&mut eetf_out).ok();
                black_box(&eetf_out);
            }));
        }
    }
    let mbps = |bytes: usize, ns: &[f64]| bytes as f64 / median(ns) * 1e3;
    let eetf_size = eetf_term.as_ref().map_or(0, |t| {
        let mut v = Vec::new();
        t.encode(&mut v).ok();
        v.len()
    });
    Row {
        size: input.len(),
        ours_decode: mbps(input.len(), &s.ours_decode),
        ours_decode_bytes: mbps(input.len(), &s.ours_decode_bytes),
        ours_encode: mbps(ours.len(), &s.ours_encode),
        eetf_decode: eetf_ok.then(|| mbps(input.len(), &s.eetf_decode)),
        eetf_encode: eetf_ok.then(|| mbps(eetf_size, &s.eetf_encode)),
        beam_decode: mbps(input.len(), &s.beam_decode),
        beam_encode: mbps(beam_encoded_size, &s.beam_encode),
        identical: ours == input,
        name,
    }
}

/// CPU time consumed by this thread: unlike wall time, not inflated when other processes share
/// the cores.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass and nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` enough times to take at least `MIN_ROUND` of CPU time; returns CPU nanoseconds per
/// call. `iterations` carries the count found in the first round over to the next ones.
fn time(iterations: &mut u64, mut f: impl FnMut()) -> f64 {
    let mut n = (*iterations).max(1);
    loop {
        let start = thread_cpu_time();
        for _ in 0..n {
            f();
        }
        let elapsed = thread_cpu_time() - start;
        if elapsed >= MIN_ROUND {
            *iterations = n;
            return elapsed.as_nanos() as f64 / n as f64;
        }
        // Aim just past the minimum from what this attempt measured.
        let per = (elapsed.as_nanos() as f64 / n as f64).max(1.0);
        let wanted = (MIN_ROUND.as_nanos() as f64 * 1.1 / per).ceil() as u64;
        n = wanted.clamp(n + 1, n * 100);
    }
}

fn median(samples: &[f64]) -> f64 {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn geomean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v.ln(), n + 1));
    (sum / n as f64).exp()
}

/// `{A,B,C}` of integers as printed by `~p`.
fn parse_triple(text: &str) -> [f64; 3] {
    let parts: Vec<f64> = text
        .trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .map(|p| {
            p.trim()
                .parse()
                .unwrap_or_else(|_| panic!("bad reply {text}"))
        })
        .collect();
    [parts[0], parts[1], parts[2]]
}

fn print_table(rows: &[Row]) {
    let na = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.0}"));
    let ratio = |a: f64, b: Option<f64>| b.map_or("n/a".to_string(), |b| format!("{:.2}x", a / b));
    println!();
    println!("MB/s (10^6 bytes/s of ETF: the input for decode, the output for encode)");
    println!(
        "| file | KB | dec ours | dec ours (Bytes) | dec eetf | dec BEAM | dec ours/BEAM | dec ours/eetf | enc ours | enc eetf | enc BEAM | enc ours/BEAM | enc ours/eetf | enc = OTP bytes |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|");
    for r in rows {
        println!(
            "| {} | {:.1} | {:.0} | {:.0} | {} | {:.0} | {} | {} | {:.0} | {} | {:.0} | {} | {} | {} |",
            r.name,
            r.size as f64 / 1000.0,
            r.ours_decode,
            r.ours_decode_bytes,
            na(r.eetf_decode),
            r.beam_decode,
            ratio(r.ours_decode, Some(r.beam_decode)),
            ratio(r.ours_decode, r.eetf_decode),
            r.ours_encode,
            na(r.eetf_encode),
            r.beam_encode,
            ratio(r.ours_encode, Some(r.beam_encode)),
            ratio(r.ours_encode, r.eetf_encode),
            if r.identical { "yes" } else { "no" },
        );
    }
    let g = |f: &dyn Fn(&Row) -> Option<f64>| geomean(rows.iter().filter_map(f));
    let dec_beam = g(&|r| Some(r.ours_decode / r.beam_decode));
    let dec_bytes_beam = g(&|r| Some(r.ours_decode_bytes / r.beam_decode));
    let dec_eetf = g(&|r| r.eetf_decode.map(|e| r.ours_decode / e));
    let enc_beam = g(&|r| Some(r.ours_encode / r.beam_encode));
    let enc_eetf = g(&|r| r.eetf_encode.map(|e| r.ours_encode / e));
    let eetf_dec_beam = g(&|r| r.eetf_decode.map(|e| e / r.beam_decode));
    let eetf_enc_beam = g(&|r| r.eetf_encode.map(|e| e / r.beam_encode));
    println!(
        "| geometric mean | | {:.0} | {:.0} | {:.0} | {:.0} | {dec_beam:.2}x | {dec_eetf:.2}x | {:.0} | {:.0} | {:.0} | {enc_beam:.2}x | {enc_eetf:.2}x | |",
        g(&|r| Some(r.ours_decode)),
        g(&|r| Some(r.ours_decode_bytes)),
        g(&|r| r.eetf_decode),
        g(&|r| Some(r.beam_decode)),
        g(&|r| Some(r.ours_encode)),
        g(&|r| r.eetf_encode),
        g(&|r| Some(r.beam_encode)),
    );
    println!();
    println!("decode (Bytes input) ours/BEAM geometric mean: {dec_bytes_beam:.2}x");
    println!("eetf/BEAM geometric mean: decode {eetf_dec_beam:.2}x, encode {eetf_enc_beam:.2}x");
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!("targets:");
    println!(
        "  decode >= 1.0x BEAM: {dec_beam:.2}x {}",
        verdict(dec_beam >= 1.0)
    );
    println!(
        "  decode >= 2.5x eetf: {dec_eetf:.2}x {}",
        verdict(dec_eetf >= 2.5)
    );
    println!(
        "  encode >= 2.0x BEAM: {enc_beam:.2}x {}",
        verdict(enc_beam >= 2.0)
    );
}
