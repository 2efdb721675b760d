//! The encoder: [`Term`] to external term format bytes, as OTP 25 (minor_version 1) or OTP 26+
//! (minor_version 2) `term_to_binary` writes them. Appends to a caller's `Vec<u8>` for reuse.

use num_bigint::{BigInt, Sign};
use num_traits::ToPrimitive;

use super::compress;
use super::float_text;
use super::tag::*;
use super::{AtomCacheRefs, EncodeError, EncodeErrorKind as Kind, EncodeOptions};
use crate::term::{Atom, BitString, ExportFun, Fun, LocalFun, Map, Pid, Port, Reference, Term};

/// Writes 131 and the term, compressed when asked and worthwhile; `out` is unchanged on error.
pub(super) fn encode_external(
    term: &Term,
    out: &mut Vec<u8>,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    let start = out.len();
    out.push(VERSION_MAGIC);
    if let Err(e) = encode_bare(term, out, options) {
        out.truncate(start);
        return Err(e);
    }
    match options.compressed {
        None | Some(0) => Ok(()),
        Some(level) if level > 9 => {
            out.truncate(start);
            Err(EncodeError {
                offset: start,
                kind: Kind::BadCompressionLevel(level),
            })
        }
        Some(level) => {
            let body = out.get(start + 1..).unwrap_or_default();
            let raw_len = body.len();
            let size = u32::try_from(raw_len).map_err(|_| EncodeError {
                offset: start,
                kind: Kind::TooLong {
                    what: "uncompressed term",
                    len: raw_len,
                },
            })?;
            let packed = compress::deflate(body, level).map_err(|e| EncodeError {
                offset: start,
                kind: Kind::Zlib(e),
            })?;
            // As OTP: keep the plain form unless compressing makes the whole binary smaller.
            if 6 + packed.len() < 1 + raw_len {
                out.truncate(start);
                out.extend_from_slice(&[VERSION_MAGIC, COMPRESSED]);
                out.extend_from_slice(&size.to_be_bytes());
                out.extend_from_slice(&packed);
            }
            Ok(())
        }
    }
}

/// Writes the term without 131, never compressed; `out` is unchanged on error.
pub(super) fn encode_bare(
    term: &Term,
    out: &mut Vec<u8>,
    options: &EncodeOptions,
) -> Result<(), EncodeError> {
    encode_bare_with(term, out, options, None)
}

/// [`encode_bare`] with an optional atom cache for distribution headers.
pub(super) fn encode_bare_with<'a>(
    term: &Term,
    out: &'a mut Vec<u8>,
    options: &EncodeOptions,
    atom_refs: Option<&'a mut (dyn AtomCacheRefs + 'a)>,
) -> Result<(), EncodeError> {
    let start = out.len();
    if options.minor_version > 2 {
        return Err(EncodeError {
            offset: start,
            kind: Kind::BadMinorVersion(options.minor_version),
        });
    }
    let mut encoder = Encoder {
        out,
        minor_version: options.minor_version,
        atom_refs,
    };
    let result = encoder.term(term);
    if result.is_err() {
        encoder.out.truncate(start);
    }
    result.map_err(|e| *e)
}

struct Encoder<'o> {
    out: &'o mut Vec<u8>,
    minor_version: u8,
    atom_refs: Option<&'o mut (dyn AtomCacheRefs + 'o)>,
}

/// Internal results carry a boxed error so that they fit in a register.
type Res<T> = Result<T, Box<EncodeError>>;

impl Encoder<'_> {
    #[cold]
    fn fail(&self, kind: Kind) -> Box<EncodeError> {
        Box::new(EncodeError {
            offset: self.out.len(),
            kind,
        })
    }

    fn len32(&self, what: &'static str, len: usize) -> Res<[u8; 4]> {
        u32::try_from(len)
            .map(u32::to_be_bytes)
            .map_err(|_| self.fail(Kind::TooLong { what, len }))
    }

    /// [`Encoder::term`] with integers and atoms (most elements of containers) handled at the
    /// call site, so each container loop gets its own well-predicted branch for them.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn element(&mut self, term: &Term) -> Res<()> {
        match term {
            Term::Integer(i) => {
                self.integer(*i);
                Ok(())
            }
            Term::Atom(a) => {
                self.atom(a);
                Ok(())
            }
            Term::Binary(data) => self.binary(data),
            Term::Float(f) => self.float(f.0),
            other => self.term(other),
        }
    }

    /// Encodes one term. Containers recurse through here, so this frame is kept small: most
    /// scalars are encoded in [`Encoder::scalar`], out of line.
    fn term(&mut self, term: &Term) -> Res<()> {
        match term {
            Term::Integer(i) => {
                self.integer(*i);
                Ok(())
            }
            Term::Atom(a) => {
                self.atom(a);
                Ok(())
            }
            Term::Tuple(items) => self.tuple(items),
            Term::List(items) => self.list(items, None),
            Term::ImproperList(items, tail) => self.list(items, Some(tail)),
            Term::Map(map) => self.map(map),
            Term::Fun(Fun::Local(f)) => self.local_fun(f),
            other => self.scalar(other),
        }
    }

    /// Encodes a term that holds no other terms.
    #[inline(never)]
    fn scalar(&mut self, term: &Term) -> Res<()> {
        match term {
            Term::Integer(i) => {
                self.integer(*i);
                Ok(())
            }
            Term::Atom(a) => {
                self.atom(a);
                Ok(())
            }
            Term::Binary(data) => self.binary(data),
            Term::Float(f) => self.float(f.0),
            Term::BigInt(b) => match b.to_i64() {
                Some(i) => {
                    self.integer(i);
                    Ok(())
                }
                None => self.bignum(b),
            },
            Term::Pid(p) => {
                self.pid(p);
                Ok(())
            }
            Term::Port(p) => {
                self.port(p);
                Ok(())
            }
            Term::Reference(r) => self.reference(r),
            Term::Fun(Fun::Export(f)) => {
                self.export_fun(f);
                Ok(())
            }
            Term::BitString(b) => self.bit_binary(b),
            Term::Tuple(_) | Term::List(_) | Term::ImproperList(..) | Term::Map(_) => {
                self.term(term)
            }
            Term::Fun(Fun::Local(f)) => self.local_fun(f),
        }
    }

    #[inline]
    fn integer(&mut self, i: i64) {
        if let Ok(small) = u8::try_from(i) {
            self.out.extend_from_slice(&[SMALL_INTEGER_EXT, small]);
        } else if let Ok(int) = i32::try_from(i) {
            let b = int.to_be_bytes();
            self.out
                .extend_from_slice(&[INTEGER_EXT, b[0], b[1], b[2], b[3]]);
        } else {
            let magnitude = i.unsigned_abs();
            let n = (64 - magnitude.leading_zeros() as usize).div_ceil(8);
            let le = magnitude.to_le_bytes();
            self.out
                .extend_from_slice(&[SMALL_BIG_EXT, n as u8, u8::from(i < 0)]);
            self.out.extend_from_slice(le.get(..n).unwrap_or(&le));
        }
    }

    /// SMALL_BIG_EXT / LARGE_BIG_EXT: sign byte, then the magnitude little-endian with no high
    /// zero bytes, written straight from the bigint's digits (no temporary vector).
    fn bignum(&mut self, b: &BigInt) -> Res<()> {
        let len = usize::try_from(b.bits().div_ceil(8)).unwrap_or(usize::MAX);
        let sign = u8::from(b.sign() == Sign::Minus);
        match u8::try_from(len) {
            Ok(n) => self.out.extend_from_slice(&[SMALL_BIG_EXT, n, sign]),
            Err(_) => {
                let n = self.len32("bignum", len)?;
                self.out.push(LARGE_BIG_EXT);
                self.out.extend_from_slice(&n);
                self.out.push(sign);
            }
        }
        let mut left = len;
        for digit in b.iter_u64_digits() {
            let bytes = digit.to_le_bytes();
            let take = left.min(8);
            self.out
                .extend_from_slice(bytes.get(..take).unwrap_or(&bytes));
            left -= take;
        }
        Ok(())
    }

    #[inline]
    fn atom(&mut self, atom: &Atom) {
        if let Some(refs) = self.atom_refs.as_deref_mut() {
            if let Some(index) = refs.index_of(atom) {
                self.out.extend_from_slice(&[ATOM_CACHE_REF, index]);
                return;
            }
        }
        let len = atom.as_bytes().len();
        if self.minor_version < 2 {
            // OTP 25: ATOM_EXT whenever every character is Latin-1.
            if atom.is_ascii() {
                self.out.extend_from_slice(&[ATOM_EXT, 0, len as u8]);
                self.atom_text(atom);
                return;
            }
            if let Some(n) = atom.latin1_len() {
                let b = (n as u16).to_be_bytes();
                self.out.extend_from_slice(&[ATOM_EXT, b[0], b[1]]);
                atom.write_latin1(self.out);
                return;
            }
        }
        match u8::try_from(len) {
            Ok(n) => self.out.extend_from_slice(&[SMALL_ATOM_UTF8_EXT, n]),
            Err(_) => {
                let b = (len as u16).to_be_bytes();
                self.out.extend_from_slice(&[ATOM_UTF8_EXT, b[0], b[1]]);
            }
        }
        self.atom_text(atom);
    }

    /// Appends the atom's UTF-8 bytes; short atoms as a fixed-size block, then trimmed.
    #[inline]
    fn atom_text(&mut self, atom: &Atom) {
        match atom.inline_block() {
            Some((block, len)) => {
                let end = self.out.len() + len;
                self.out.extend_from_slice(block);
                self.out.truncate(end);
            }
            None => self.out.extend_from_slice(atom.as_bytes()),
        }
    }

    #[inline]
    fn binary(&mut self, data: &[u8]) -> Res<()> {
        let len = self.len32("binary", data.len())?;
        self.out.push(BINARY_EXT);
        self.out.extend_from_slice(&len);
        self.out.extend_from_slice(data);
        Ok(())
    }

    fn float(&mut self, value: f64) -> Res<()> {
        if !value.is_finite() {
            return Err(self.fail(Kind::NotFinite));
        }
        if self.minor_version == 0 {
            self.out.push(FLOAT_EXT);
            self.out.extend_from_slice(&float_text::format(value));
        } else {
            self.out.push(NEW_FLOAT_EXT);
            self.out.extend_from_slice(&value.to_bits().to_be_bytes());
        }
        Ok(())
    }

    fn tuple(&mut self, items: &[Term]) -> Res<()> {
        match u8::try_from(items.len()) {
            Ok(n) => self.out.extend_from_slice(&[SMALL_TUPLE_EXT, n]),
            Err(_) => {
                let n = self.len32("tuple", items.len())?;
                self.out.push(LARGE_TUPLE_EXT);
                self.out.extend_from_slice(&n);
            }
        }
        for item in items {
            self.element(item)?;
        }
        Ok(())
    }

    fn list(&mut self, items: &[Term], tail: Option<&Term>) -> Res<()> {
        if items.is_empty() {
            return match tail {
                None => {
                    self.out.push(NIL_EXT);
                    Ok(())
                }
                Some(tail) => self.term(tail),
            };
        }
        if tail.is_none() && items.len() <= usize::from(u16::MAX) {
            let is_byte = |t: &Term| matches!(t, Term::Integer(0..=255));
            if items.iter().all(is_byte) {
                let n = (items.len() as u16).to_be_bytes();
                self.out.extend_from_slice(&[STRING_EXT, n[0], n[1]]);
                self.out.extend(items.iter().map(|t| match t {
                    Term::Integer(i) => *i as u8,
                    _ => 0,
                }));
                return Ok(());
            }
        }
        let n = self.len32("list", items.len())?;
        self.out.push(LIST_EXT);
        self.out.extend_from_slice(&n);
        for item in items {
            self.element(item)?;
        }
        match tail {
            None => {
                self.out.push(NIL_EXT);
                Ok(())
            }
            Some(tail) => self.term(tail),
        }
    }

    fn map(&mut self, map: &Map) -> Res<()> {
        let n = self.len32("map", map.len())?;
        self.out.push(MAP_EXT);
        self.out.extend_from_slice(&n);
        for (key, value) in map.entries() {
            self.element(key)?;
            self.element(value)?;
        }
        Ok(())
    }

    fn bit_binary(&mut self, b: &BitString) -> Res<()> {
        if !(1..=7).contains(&b.bits) || b.data.is_empty() {
            return Err(self.fail(Kind::BadBitString { bits: b.bits }));
        }
        let n = self.len32("bitstring", b.data.len())?;
        self.out.push(BIT_BINARY_EXT);
        self.out.extend_from_slice(&n);
        self.out.push(b.bits);
        let (last, whole) = b.data.split_last().unwrap_or((&0, &[]));
        self.out.extend_from_slice(whole);
        self.out.push(last & !(0xFFu8 >> b.bits));
        Ok(())
    }

    fn pid(&mut self, p: &Pid) {
        self.out.push(NEW_PID_EXT);
        self.atom(&p.node);
        self.out.extend_from_slice(&p.id.to_be_bytes());
        self.out.extend_from_slice(&p.serial.to_be_bytes());
        self.out.extend_from_slice(&p.creation.to_be_bytes());
    }

    fn port(&mut self, p: &Port) {
        match u32::try_from(p.id) {
            // OTP 25 uses NEW_PORT_EXT for ids below 2^28 (the old port number range), V4_PORT_EXT
            // from there on (measured on 25.2.3); OTP 26+ always V4_PORT_EXT.
            Ok(id) if self.minor_version < 2 && id < (1 << 28) => {
                self.out.push(NEW_PORT_EXT);
                self.atom(&p.node);
                self.out.extend_from_slice(&id.to_be_bytes());
            }
            _ => {
                self.out.push(V4_PORT_EXT);
                self.atom(&p.node);
                self.out.extend_from_slice(&p.id.to_be_bytes());
            }
        }
        self.out.extend_from_slice(&p.creation.to_be_bytes());
    }

    fn reference(&mut self, r: &Reference) -> Res<()> {
        let n = (r.ids.len() as u16).to_be_bytes();
        self.out
            .extend_from_slice(&[NEWER_REFERENCE_EXT, n[0], n[1]]);
        self.atom(&r.node);
        self.out.extend_from_slice(&r.creation.to_be_bytes());
        for id in r.ids.iter() {
            self.out.extend_from_slice(&id.to_be_bytes());
        }
        Ok(())
    }

    fn export_fun(&mut self, f: &ExportFun) {
        self.out.push(EXPORT_EXT);
        self.atom(&f.module);
        self.atom(&f.function);
        self.out.extend_from_slice(&[SMALL_INTEGER_EXT, f.arity]);
    }

    fn local_fun(&mut self, f: &LocalFun) -> Res<()> {
        self.out.push(NEW_FUN_EXT);
        let size_at = self.out.len();
        self.out.extend_from_slice(&[0; 4]);
        self.out.push(f.arity);
        self.out.extend_from_slice(&f.uniq);
        self.out.extend_from_slice(&f.index.to_be_bytes());
        let num_free = self.len32("fun environment", f.free_vars.len())?;
        self.out.extend_from_slice(&num_free);
        self.atom(&f.module);
        self.integer(i64::from(f.old_index));
        self.integer(i64::from(f.old_uniq));
        self.pid(&f.pid);
        for var in &f.free_vars {
            self.term(var)?;
        }
        let size = self.len32("fun", self.out.len() - size_at)?;
        if let Some(slot) = self.out.get_mut(size_at..size_at + 4) {
            slot.copy_from_slice(&size);
        }
        Ok(())
    }
}
