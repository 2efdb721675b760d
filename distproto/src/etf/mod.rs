//! The external term format (ETF): `term_to_binary`/`binary_to_term` compatible encode and
//! decode. Total on any input (errors, never panics), with explicit limits; no I/O.
//!
//! Public API (stable; other crates code against it):
//!
//! ```text
//! // Decoding. Input starts with 131 (optionally 131,80 compressed); trailing bytes are ignored.
//! pub fn decode(bytes: &[u8]) -> Result<Term, DecodeError>;
//! pub fn decode_with(bytes: &[u8], options: &DecodeOptions) -> Result<(Term, usize /*used*/), DecodeError>;
//! pub fn decode_bytes(bytes: Bytes) -> Result<Term, DecodeError>;        // binaries borrow (Bytes::slice)
//! pub fn decode_bytes_with(bytes: &Bytes, options: &DecodeOptions) -> Result<(Term, usize), DecodeError>;
//! // A term with no leading 131 (after a distribution header), starting at `pos`:
//! pub fn decode_term_at(bytes: &[u8], pos: usize, options: &DecodeOptions) -> Result<(Term, usize /*end*/), DecodeError>;
//! pub fn decode_term_bytes_at(bytes: &Bytes, pos: usize, options: &DecodeOptions) -> Result<(Term, usize), DecodeError>;
//! pub struct Decoder<'a>;   // Decoder::new(&[u8], &DecodeOptions) / Decoder::with_bytes(&Bytes, &DecodeOptions)
//!                           // .decode_term() -> Result<Term, DecodeError> (no 131), .position() -> usize
//! pub struct DecodeOptions<'a> { pub max_depth: usize, pub max_size: usize,
//!                                pub atom_cache: Option<&'a (dyn AtomCacheLookup + Sync)> }
//!     // Default: DecodeOptions::DEFAULT_MAX_DEPTH (512), DEFAULT_MAX_SIZE (128 MiB), no atom cache
//! pub trait AtomCacheLookup { fn lookup(&self, index: u8) -> Option<Atom>; }  // impl for [Atom], Vec<Atom>, [Option<Atom>]
//! pub struct DecodeError { pub offset: usize, pub inflated: bool, pub kind: DecodeErrorKind }
//!
//! // Encoding. Output starts with 131.
//! pub fn encode(term: &Term) -> Result<Vec<u8>, EncodeError>;              // = OTP 26+ term_to_binary/1
//! pub fn encode_with(term: &Term, options: &EncodeOptions) -> Result<Vec<u8>, EncodeError>;
//! pub fn encode_into(term: &Term, out: &mut Vec<u8>, options: &EncodeOptions) -> Result<(), EncodeError>; // appends
//! pub fn encode_term_into(term: &Term, out: &mut Vec<u8>, options: &EncodeOptions) -> Result<(), EncodeError>; // no 131, never compressed
//! // Like encode_term_into, writing ATOM_CACHE_REF for the atoms `refs` lists (distribution only):
//! pub fn encode_term_with_atom_cache(term: &Term, out: &mut Vec<u8>, options: &EncodeOptions, refs: &mut dyn AtomCacheRefs) -> Result<(), EncodeError>;
//! pub struct EncodeOptions { pub minor_version: u8 /*0|1|2, default 2*/, pub compressed: Option<u32 /*0..=9*/> }
//!     // EncodeOptions::OTP25 (minor 1), EncodeOptions::OTP26 (minor 2, the default)
//! pub struct EncodeError { pub offset: usize, pub kind: EncodeErrorKind }
//!
//! // Term model (crate::term): Term::atom("ok"), Term::try_atom, Term::from(i64 | u64 | i128 | BigInt
//! // (normalising) | bool | Atom | Pid | ...), Term::list(vec), Term::nil(), Term::improper_list(head, tail),
//! // Term::tuple(vec), Term::binary(bytes), Term::bitstring(bytes, bits), Term::float(f64) -> Option,
//! // Term::normalize(self), Term::erlang_eq (==), Term::erlang_cmp; Float::new(f64) -> Option<Float>;
//! // Map::from_pairs(iter) -> Result<Map, DuplicateKey>, Map::get, Map::insert, Map::iter (map key
//! // order), Map::len; Atom::new(&str) -> Option<Atom>, Atom::as_str.
//! ```

// Performance notes. The fast paths are `decode_bytes` (binaries share the input) and
// `encode_into` with a reused `Vec`. Decoding allocates one vector per tuple, list and map and
// dropping frees them (a `Term` is 40 bytes; keep it so, see the size test in `term`). In a loop
// that decodes and drops large terms, glibc's malloc may give the freed heap back to the kernel
// each time and the time then goes to page faults; whether it does depends on malloc's dynamic
// thresholds, i.e. on what the process freed before. Benchmarks should say which they run.

mod compress;
mod decode;
mod encode;
mod error;
mod float_text;
mod options;
pub mod tag;

pub use decode::Decoder;
pub use error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
pub use options::{AtomCacheLookup, AtomCacheRefs, DecodeOptions, EncodeOptions};

use bytes::Bytes;

use crate::term::Term;

/// `binary_to_term/1`: decodes a complete external term (starting with 131, maybe compressed)
/// with the default limits. Bytes after the term are ignored, as OTP does.
///
/// Binaries in the result are copied out of `bytes`; for inputs up to 256 KiB they share one copy
/// of the whole input (one allocation instead of one per binary), which stays alive as long as
/// any of them does. Use [`decode_bytes`] to share the caller's buffer instead.
pub fn decode(bytes: &[u8]) -> Result<Term, DecodeError> {
    decode_with(bytes, &DecodeOptions::default()).map(|(term, _)| term)
}

/// `binary_to_term(B, [used])`: decodes with the given options and also returns how many input
/// bytes the term used.
pub fn decode_with(bytes: &[u8], options: &DecodeOptions) -> Result<(Term, usize), DecodeError> {
    decode::decode_external(bytes, None, options)
}

/// Like [`decode`], but binaries in the result share `bytes` (`Bytes::slice`) instead of copying.
pub fn decode_bytes(bytes: Bytes) -> Result<Term, DecodeError> {
    decode_bytes_with(&bytes, &DecodeOptions::default()).map(|(term, _)| term)
}

/// Like [`decode_with`], but binaries in the result share `bytes` instead of copying.
pub fn decode_bytes_with(
    bytes: &Bytes,
    options: &DecodeOptions,
) -> Result<(Term, usize), DecodeError> {
    decode::decode_external(bytes, Some(bytes), options)
}

/// Decodes one term with no version byte (as found after a distribution header) starting at
/// `pos`; returns the term and the offset just after it.
pub fn decode_term_at(
    bytes: &[u8],
    pos: usize,
    options: &DecodeOptions,
) -> Result<(Term, usize), DecodeError> {
    let mut decoder = Decoder::new(bytes, options);
    decoder.set_position(pos);
    let term = decoder.decode_term()?;
    Ok((term, decoder.position()))
}

/// Like [`decode_term_at`], but binaries in the result share `bytes`.
pub fn decode_term_bytes_at(
    bytes: &Bytes,
    pos: usize,
    options: &DecodeOptions,
) -> Result<(Term, usize), DecodeError> {
    let mut decoder = Decoder::with_bytes(bytes, options);
    decoder.set_position(pos);
    let term = decoder.decode_term()?;
    Ok((term, decoder.position()))
}

/// `term_to_binary/1` as OTP 26+ does it.
pub fn encode(term: &Term) -> Result<Vec<u8>, EncodeError> {
    encode_with(term, &EncodeOptions::default())
}

/// `term_to_binary/2` with the given minor version and compression.
pub fn encode_with(term: &Term, options: &EncodeOptions) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_into(term, &mut out, options)?;
    Ok(out)
}

/// Appends the external format of `term` (131, ...) to `out`; on error `out` is left as it was.
pub fn encode_into(
    term: &Term,
    out: &mut Vec<u8>,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    encode::encode_external(term, out, options)
}

/// Appends `term` without the version byte and never compressed (what follows a distribution
/// header); on error `out` is left as it was.
pub fn encode_term_into(
    term: &Term,
    out: &mut Vec<u8>,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    encode::encode_bare(term, out, options)
}

/// Like [`encode_term_into`], but atoms that `refs` lists are written as ATOM_CACHE_REF to their
/// index in the distribution header that will precede the term.
pub fn encode_term_with_atom_cache(
    term: &Term,
    out: &mut Vec<u8>,
    options: &EncodeOptions,
    refs: &mut dyn AtomCacheRefs,
) -> Result<(), EncodeError> {
    encode::encode_bare_with(term, out, options, Some(refs))
}
