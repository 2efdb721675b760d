//! The decoder: external term format bytes to [`Term`], with a cursor over a byte slice.
//! Total: every malformed input is a [`DecodeError`]; allocation is bounded by the input size.

use bytes::Bytes;
use num_bigint::{BigInt, BigUint, Sign};

use super::compress;
use super::float_text;
use super::tag::*;
use super::{DecodeError, DecodeErrorKind as Kind, DecodeOptions};
use crate::term::{
    owns_nothing, Atom, ExportFun, Float, Fun, LocalFun, Map, Pid, Port, RefIds, Reference, Term,
};

/// Internal results carry a boxed error so that `Result<Term, _>` stays as small as `Term`.
type Res<T> = Result<T, Box<DecodeError>>;

/// Decodes terms without the version byte from a byte slice, one after another.
pub struct Decoder<'a> {
    input: &'a [u8],
    /// The same bytes as `input` when binaries may share them.
    source: Option<&'a Bytes>,
    pos: usize,
    options: &'a DecodeOptions<'a>,
    depth: usize,
    /// `input` was cut short to honour `max_size`: running out means "too large".
    cut_by_limit: bool,
    /// When set, binaries are sliced from one shared copy of the whole input (made at the first
    /// binary) instead of being copied one by one: far fewer allocations for inputs of many small
    /// binaries, at the price of keeping that copy alive while any of them lives.
    share_input: bool,
    shared_copy: Option<Bytes>,
    /// Atoms too long to be stored inline that this decoder made, so that an atom repeated in
    /// the input (a module or node name) shares one allocation instead of making one each time.
    long_atoms: Vec<Atom>,
    /// The atom of the last ATOM_CACHE_REF read and its index (`NO_CACHE_REF` before any): the
    /// node of every pid of a list of pids comes as the same reference, and is then taken from
    /// here without asking the atom cache.
    last_ref: u16,
    last_ref_atom: Atom,
}

const NO_CACHE_REF: u16 = u16::MAX;

/// How many distinct long atoms a decoder remembers.
const LONG_ATOM_CACHE: usize = 16;

/// Inputs up to this size get one shared copy for all their binaries (see `share_input`).
const SHARE_INPUT_LIMIT: usize = 256 << 10;

impl<'a> Decoder<'a> {
    /// A decoder over `input` whose binaries are copied out.
    pub fn new(input: &'a [u8], options: &'a DecodeOptions<'a>) -> Decoder<'a> {
        Decoder {
            input,
            source: None,
            pos: 0,
            options,
            depth: 0,
            cut_by_limit: false,
            share_input: false,
            shared_copy: None,
            long_atoms: Vec::new(),
            last_ref: NO_CACHE_REF,
            last_ref_atom: Atom::from_str_unchecked(""),
        }
    }

    /// A decoder over `input` whose binaries share it (`Bytes::slice`).
    pub fn with_bytes(input: &'a Bytes, options: &'a DecodeOptions<'a>) -> Decoder<'a> {
        Decoder {
            input,
            source: Some(input),
            pos: 0,
            options,
            depth: 0,
            cut_by_limit: false,
            share_input: false,
            shared_copy: None,
            long_atoms: Vec::new(),
            last_ref: NO_CACHE_REF,
            last_ref_atom: Atom::from_str_unchecked(""),
        }
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves the cursor (e.g. past a distribution header).
    pub fn set_position(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Decodes the term at the cursor (no version byte) and moves past it.
    pub fn decode_term(&mut self) -> Result<Term, DecodeError> {
        self.depth = 0;
        self.term().map_err(|e| *e)
    }

    #[cold]
    fn error(&self, offset: usize, kind: Kind) -> Box<DecodeError> {
        Box::new(DecodeError::new(offset, kind))
    }

    #[cold]
    fn truncated(&self, wanted: usize) -> Box<DecodeError> {
        if self.cut_by_limit {
            return self.error(
                self.pos,
                Kind::TooLarge {
                    max: self.options.max_size,
                },
            );
        }
        let have = self.input.len().saturating_sub(self.pos);
        self.error(
            self.pos,
            Kind::Truncated {
                needed: wanted.saturating_sub(have).max(1),
            },
        )
    }

    #[inline(always)]
    fn u8(&mut self) -> Res<u8> {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated(1)),
        }
    }

    #[inline(always)]
    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let input: &'a [u8] = self.input;
        match self
            .pos
            .checked_add(n)
            .and_then(|end| input.get(self.pos..end))
        {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(self.truncated(n)),
        }
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Res<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    #[inline(always)]
    fn u16(&mut self) -> Res<u16> {
        self.array().map(u16::from_be_bytes)
    }

    #[inline(always)]
    fn u32(&mut self) -> Res<u32> {
        self.array().map(u32::from_be_bytes)
    }

    #[inline(always)]
    fn u64(&mut self) -> Res<u64> {
        self.array().map(u64::from_be_bytes)
    }

    #[inline(always)]
    fn len32(&mut self) -> Res<usize> {
        self.u32().map(|n| n as usize)
    }

    /// Fails fast when the rest of the input cannot hold `count` items of at least `min_size`
    /// bytes each, so a length field never makes us allocate more than the input justifies.
    #[inline]
    fn check_room(&self, count: usize, min_size: usize) -> Res<()> {
        let have = self.input.len().saturating_sub(self.pos);
        if count.saturating_mul(min_size) > have {
            return Err(self.truncated(count.saturating_mul(min_size)));
        }
        Ok(())
    }

    fn enter(&mut self, start: usize) -> Res<()> {
        self.depth += 1;
        if self.depth > self.options.max_depth {
            return Err(self.error(
                start,
                Kind::TooDeep {
                    max: self.options.max_depth,
                },
            ));
        }
        Ok(())
    }

    /// Decodes the next term into `dst`, with the commonest scalar tags (small integers, floats,
    /// short ASCII atoms, binaries) handled inline: most elements of lists, tuples and maps are
    /// such scalars, and storing them straight into their slot (instead of returning them
    /// through a `Result` in memory and copying) roughly halves their cost.
    // Inlined only in optimised builds: in debug builds inlining would enlarge the frames of the
    // recursive container functions and lower the depth that fits in a 2 MiB stack.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn element_into(&mut self, dst: &mut Term) -> Res<()> {
        let pos = self.pos;
        let input: &'a [u8] = self.input;
        match input.get(pos..) {
            Some([SMALL_INTEGER_EXT, b, ..]) => {
                self.pos = pos + 2;
                put(dst, Term::Integer(i64::from(*b)));
                return Ok(());
            }
            Some([INTEGER_EXT, b0, b1, b2, b3, ..]) => {
                self.pos = pos + 5;
                put(
                    dst,
                    Term::Integer(i64::from(i32::from_be_bytes([*b0, *b1, *b2, *b3]))),
                );
                return Ok(());
            }
            Some([NEW_FLOAT_EXT, b0, b1, b2, b3, b4, b5, b6, b7, ..]) => {
                let value = f64::from_be_bytes([*b0, *b1, *b2, *b3, *b4, *b5, *b6, *b7]);
                if value.is_finite() {
                    self.pos = pos + 9;
                    put(dst, Term::Float(Float(value)));
                    return Ok(());
                }
            }
            Some([SMALL_ATOM_UTF8_EXT, n, rest @ ..]) => {
                let len = usize::from(*n);
                if ascii_prefix(rest, len) {
                    self.pos = pos + 2 + len;
                    put(dst, Term::Atom(self.ascii_atom(rest, len)));
                    return Ok(());
                }
            }
            Some([ATOM_EXT, 0, n, rest @ ..]) => {
                let len = usize::from(*n);
                if ascii_prefix(rest, len) {
                    self.pos = pos + 3 + len;
                    put(dst, Term::Atom(self.ascii_atom(rest, len)));
                    return Ok(());
                }
            }
            Some([BINARY_EXT, b0, b1, b2, b3, ..]) => {
                self.pos = pos + 5;
                let n = u32::from_be_bytes([*b0, *b1, *b2, *b3]) as usize;
                put(dst, Term::Binary(self.binary(n)?));
                return Ok(());
            }
            _ => {}
        }
        self.term_into(dst)
    }

    /// Decodes the next term onto the end of `items`.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn push_element(&mut self, items: &mut Vec<Term>) -> Res<()> {
        // A constant placeholder is stored in place; the term then overwrites it.
        items.push(Term::Integer(0));
        match items.last_mut() {
            Some(slot) => self.element_into(slot),
            None => Ok(()),
        }
    }

    /// Decodes `n` terms onto the end of `items`, runs of numbers in tight loops of their own
    /// (see [`Decoder::integer_run`] and [`Decoder::float_run`]).
    fn push_elements(&mut self, items: &mut Vec<Term>, n: usize) -> Res<()> {
        let mut left = n;
        while left > 0 {
            let run = match self.input.get(self.pos) {
                Some(&(SMALL_INTEGER_EXT | INTEGER_EXT)) => self.integer_run(items, left),
                Some(&NEW_FLOAT_EXT) => self.float_run(items, left),
                _ => 0,
            };
            if run > 0 {
                left -= run;
                continue;
            }
            self.push_element(items)?;
            left -= 1;
        }
        Ok(())
    }

    /// Decodes the run of up to `max` integers (SMALL_INTEGER_EXT, INTEGER_EXT) at the cursor
    /// onto `items` and returns its length, in one pass that writes each value straight into the
    /// vector's spare capacity (building each `Term` on the stack and pushing it costs a
    /// store-forwarding stall per element). Stops early when the capacity runs out.
    fn integer_run(&mut self, items: &mut Vec<Term>, max: usize) -> usize {
        let input: &'a [u8] = self.input;
        let mut at = self.pos;
        let mut count = 0;
        for slot in items.spare_capacity_mut().iter_mut().take(max) {
            let value = match input.get(at..) {
                Some([SMALL_INTEGER_EXT, b, ..]) => {
                    at += 2;
                    i64::from(*b)
                }
                Some([INTEGER_EXT, b0, b1, b2, b3, ..]) => {
                    at += 5;
                    i64::from(i32::from_be_bytes([*b0, *b1, *b2, *b3]))
                }
                _ => break,
            };
            slot.write(Term::Integer(value));
            count += 1;
        }
        // SAFETY: the first `count` slots of the spare capacity were initialised above.
        unsafe { items.set_len(items.len() + count) };
        self.pos = at;
        count
    }

    /// Like [`Decoder::integer_run`], for finite NEW_FLOAT_EXT floats.
    fn float_run(&mut self, items: &mut Vec<Term>, max: usize) -> usize {
        let input: &'a [u8] = self.input;
        let mut at = self.pos;
        let mut count = 0;
        for slot in items.spare_capacity_mut().iter_mut().take(max) {
            let value = match input.get(at..) {
                Some([NEW_FLOAT_EXT, b0, b1, b2, b3, b4, b5, b6, b7, ..]) => {
                    f64::from_be_bytes([*b0, *b1, *b2, *b3, *b4, *b5, *b6, *b7])
                }
                _ => break,
            };
            if !value.is_finite() {
                break;
            }
            at += 9;
            slot.write(Term::Float(Float(value)));
            count += 1;
        }
        // SAFETY: the first `count` slots of the spare capacity were initialised above.
        unsafe { items.set_len(items.len() + count) };
        self.pos = at;
        count
    }

    /// Decodes one term. Containers recurse through here, so this frame is kept small: scalars
    /// are decoded in [`Decoder::scalar`], out of line.
    fn term(&mut self) -> Res<Term> {
        let mut term = Term::Integer(0);
        self.term_into(&mut term)?;
        Ok(term)
    }

    /// [`Decoder::term`], written into `dst`: a container is stored straight into its parent's
    /// slot instead of being returned through memory and copied (which stalls the CPU).
    fn term_into(&mut self, dst: &mut Term) -> Res<()> {
        let start = self.pos;
        let tag = self.u8()?;
        match tag {
            SMALL_TUPLE_EXT => {
                let n = usize::from(self.u8()?);
                self.tuple(n, start, dst)
            }
            LARGE_TUPLE_EXT => {
                let n = self.len32()?;
                self.tuple(n, start, dst)
            }
            LIST_EXT => self.list(start, dst),
            MAP_EXT => self.map(start, dst),
            SMALL_BIG_EXT => {
                let n = usize::from(self.u8()?);
                self.big(n, dst)
            }
            NEW_FUN_EXT => self.local_fun(start, dst),
            NEW_PID_EXT | PID_EXT => self.pid_into(tag, dst),
            NEWER_REFERENCE_EXT | NEW_REFERENCE_EXT | REFERENCE_EXT => {
                self.reference_into(tag, start, dst)
            }
            _ => {
                put(dst, self.scalar(tag, start)?);
                Ok(())
            }
        }
    }

    /// Decodes a term that holds no other terms (its tag already read).
    #[inline(never)]
    fn scalar(&mut self, tag: u8, start: usize) -> Res<Term> {
        match tag {
            SMALL_INTEGER_EXT => Ok(Term::Integer(i64::from(self.u8()?))),
            INTEGER_EXT => Ok(Term::Integer(i64::from(self.u32()? as i32))),
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT | ATOM_CACHE_REF => {
                self.atom_body(tag, start).map(Term::Atom)
            }
            NIL_EXT => Ok(Term::List(Vec::new())),
            STRING_EXT => {
                let n = usize::from(self.u16()?);
                let bytes = self.take(n)?;
                Ok(Term::List(byte_list(Vec::new(), bytes)))
            }
            BINARY_EXT => {
                let n = self.len32()?;
                self.binary(n).map(Term::Binary)
            }
            NEW_FLOAT_EXT => {
                let value = f64::from_bits(self.u64()?);
                match Float::new(value) {
                    Some(f) => Ok(Term::Float(f)),
                    None => Err(self.error(start, Kind::NotFinite)),
                }
            }
            FLOAT_EXT => {
                let body = self.take(float_text::FLOAT_EXT_LEN)?;
                match float_text::parse(body).and_then(Float::new) {
                    Some(f) => Ok(Term::Float(f)),
                    None => {
                        let text = body.split(|&b| b == 0).next().unwrap_or_default();
                        let text = String::from_utf8_lossy(text).into_owned();
                        Err(self.error(start, Kind::BadFloatText(text)))
                    }
                }
            }
            SMALL_BIG_EXT => {
                let n = usize::from(self.u8()?);
                let mut term = Term::Integer(0);
                self.big(n, &mut term)?;
                Ok(term)
            }
            LARGE_BIG_EXT => {
                let n = self.len32()?;
                let mut term = Term::Integer(0);
                self.big(n, &mut term)?;
                Ok(term)
            }
            PID_EXT | NEW_PID_EXT => {
                let mut term = Term::Integer(0);
                self.pid_into(tag, &mut term)?;
                Ok(term)
            }
            PORT_EXT | NEW_PORT_EXT | V4_PORT_EXT => self.port_body(tag).map(Term::Port),
            REFERENCE_EXT | NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => {
                let mut term = Term::Integer(0);
                self.reference_into(tag, start, &mut term)?;
                Ok(term)
            }
            BIT_BINARY_EXT => self.bit_binary(start),
            EXPORT_EXT => self.export_fun(start),
            FUN_EXT => Err(self.error(start, Kind::FunExt)),
            LOCAL_EXT => Err(self.error(start, Kind::LocalExt)),
            COMPRESSED => Err(self.error(start, Kind::NestedCompression)),
            DIST_HEADER | DIST_FRAG_HEADER => Err(self.error(start, Kind::DistHeader(tag))),
            other => Err(self.error(start, Kind::UnknownTag(other))),
        }
    }

    fn tuple(&mut self, n: usize, start: usize, dst: &mut Term) -> Res<()> {
        self.check_room(n, 1)?;
        self.enter(start)?;
        let mut items = Vec::with_capacity(n);
        self.push_elements(&mut items, n)?;
        self.depth -= 1;
        put(dst, Term::Tuple(items));
        Ok(())
    }

    /// LIST_EXT: elements then a tail. A tail that is itself a list is appended in a loop (no
    /// recursion), so `[1 | [2 | [3 | ...]]]` nested a million times decodes as one flat list.
    fn list(&mut self, start: usize, dst: &mut Term) -> Res<()> {
        self.enter(start)?;
        let mut items: Vec<Term> = Vec::new();
        loop {
            let n = self.len32()?;
            // Each element takes at least one byte, and the tail one more.
            self.check_room(n.saturating_add(1), 1)?;
            // Exactly `n` for the first (usually only) segment: `reserve` on an empty vector
            // would round a list of 1 or 2 elements up to 4 (a larger, slower kind of block for
            // malloc).
            items.reserve_exact(n);
            self.push_elements(&mut items, n)?;
            match self.input.get(self.pos) {
                Some(&NIL_EXT) => {
                    self.pos += 1;
                    break;
                }
                Some(&LIST_EXT) => {
                    self.pos += 1;
                }
                Some(&STRING_EXT) => {
                    self.pos += 1;
                    let n = usize::from(self.u16()?);
                    let bytes = self.take(n)?;
                    items = byte_list(items, bytes);
                    break;
                }
                _ => {
                    let mut tail = Term::Integer(0);
                    self.term_into(&mut tail)?;
                    self.depth -= 1;
                    put(
                        dst,
                        if items.is_empty() {
                            tail
                        } else {
                            Term::ImproperList(items, Box::new(tail))
                        },
                    );
                    return Ok(());
                }
            }
        }
        self.depth -= 1;
        put(dst, Term::List(items));
        Ok(())
    }

    fn map(&mut self, start: usize, dst: &mut Term) -> Res<()> {
        let n = self.len32()?;
        self.check_room(n, 2)?;
        self.enter(start)?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            // Decode straight into the pair's slots (see `element_into`).
            entries.push((Term::Integer(0), Term::Integer(0)));
            if let Some((key, value)) = entries.last_mut() {
                self.element_into(key)?;
                self.element_into(value)?;
            }
        }
        self.depth -= 1;
        match Map::from_entries(entries) {
            Ok(map) => {
                put(dst, Term::Map(map));
                Ok(())
            }
            Err(_) => Err(self.error(start, Kind::DuplicateMapKey)),
        }
    }

    fn binary(&mut self, n: usize) -> Res<Bytes> {
        let at = self.pos;
        let bytes = self.take(n)?;
        if let Some(source) = self.source {
            return Ok(source.slice(at..at + n));
        }
        if self.share_input {
            let input = self.input;
            let copy = self
                .shared_copy
                .get_or_insert_with(|| Bytes::copy_from_slice(input));
            return Ok(copy.slice(at..at + n));
        }
        Ok(Bytes::copy_from_slice(bytes))
    }

    fn bit_binary(&mut self, start: usize) -> Res<Term> {
        let n = self.len32()?;
        let bits = self.u8()?;
        let valid = if n == 0 {
            bits == 0
        } else {
            (1..=8).contains(&bits)
        };
        if !valid {
            return Err(self.error(start, Kind::BadBitStringBits { len: n, bits }));
        }
        let data = self.binary(n)?;
        if bits == 8 || n == 0 {
            return Ok(Term::Binary(data));
        }
        // Term::bitstring clears unused bits (copying only when some are set).
        Ok(Term::bitstring(data, bits))
    }

    /// SMALL_BIG_EXT and LARGE_BIG_EXT after the length, written into `dst` (a bigint is 32
    /// bytes: returning it through a `Result` and copying it costs more than building it).
    fn big(&mut self, n: usize, dst: &mut Term) -> Res<()> {
        let negative = self.u8()? != 0;
        let digits = self.take(n)?;
        // Little-endian magnitude; high zero bytes do not count.
        let used = digits.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let digits = digits.get(..used).unwrap_or_default();
        if digits.len() <= 8 {
            let mut le = [0u8; 8];
            le.get_mut(..digits.len())
                .unwrap_or_default()
                .copy_from_slice(digits);
            let magnitude = u64::from_le_bytes(le);
            let value = if negative {
                -i128::from(magnitude)
            } else {
                i128::from(magnitude)
            };
            if let Ok(small) = i64::try_from(value) {
                put(dst, Term::Integer(small));
                return Ok(());
            }
        }
        let sign = if negative { Sign::Minus } else { Sign::Plus };
        if digits.len() <= 16 {
            // Up to 128 bits: `From<u128>` makes exactly one allocation of 2 words. The digits
            // are read with one 16-byte load when the input runs on that far (a byte-wise copy
            // into a buffer stalls the load that follows it).
            let digits_at = self.pos - n;
            let value = match self
                .input
                .get(digits_at..)
                .and_then(<[u8]>::first_chunk::<16>)
            {
                Some(block) => {
                    let mask = u128::MAX
                        .checked_shr(8 * (16 - digits.len() as u32))
                        .unwrap_or(0);
                    u128::from_le_bytes(*block) & mask
                }
                None => {
                    let mut le = [0u8; 16];
                    for (d, s) in le.iter_mut().zip(digits) {
                        *d = *s;
                    }
                    u128::from_le_bytes(le)
                }
            };
            let magnitude = BigUint::from(value);
            put(dst, Term::BigInt(BigInt::from_biguint(sign, magnitude)));
            return Ok(());
        }
        // Through 32-bit digits: `BigInt::from_slice` makes one allocation of the right size,
        // where `from_bytes_le` makes several.
        const STACK_WORDS: usize = 16;
        let n_words = digits.len().div_ceil(4);
        let mut stack = [0u32; STACK_WORDS];
        let mut heap = Vec::new();
        let words: &mut [u32] = if n_words <= STACK_WORDS {
            stack.get_mut(..n_words).unwrap_or_default()
        } else {
            heap.resize(n_words, 0);
            &mut heap
        };
        let chunks = digits.chunks_exact(4);
        let rest = chunks.remainder();
        for (word, chunk) in words.iter_mut().zip(chunks) {
            if let [b0, b1, b2, b3] = chunk {
                *word = u32::from_le_bytes([*b0, *b1, *b2, *b3]);
            }
        }
        if let Some(last) = words.last_mut().filter(|_| !rest.is_empty()) {
            let mut le = [0u8; 4];
            for (d, s) in le.iter_mut().zip(rest) {
                *d = *s;
            }
            *last = u32::from_le_bytes(le);
        }
        put(dst, Term::BigInt(BigInt::from_slice(sign, words)));
        Ok(())
    }

    /// An atom in a position that must hold one (node names, fun modules): short ASCII atoms
    /// (the usual node names) are read here with one 16-byte load, the others by [`Self::atom`].
    #[inline(always)]
    fn node_atom(&mut self) -> Res<Atom> {
        let pos = self.pos;
        let input: &'a [u8] = self.input;
        let (len, text_at) = match input.get(pos..) {
            Some([ATOM_CACHE_REF, index, ..]) if u16::from(*index) == self.last_ref => {
                self.pos = pos + 2;
                return Ok(self.last_ref_atom.clone());
            }
            Some([SMALL_ATOM_UTF8_EXT | SMALL_ATOM_EXT, n, ..]) => (usize::from(*n), pos + 2),
            Some([ATOM_EXT | ATOM_UTF8_EXT, 0, n, ..]) => (usize::from(*n), pos + 3),
            _ => return self.atom(),
        };
        let window = input.get(text_at..).unwrap_or_default();
        if Atom::fits_inline(len) && ascii_prefix(window, len) {
            self.pos = text_at + len;
            return Ok(self.ascii_atom(window, len));
        }
        self.atom()
    }

    /// An atom in a position that must hold one (node names, fun modules).
    fn atom(&mut self) -> Res<Atom> {
        let start = self.pos;
        let tag = self.u8()?;
        match tag {
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT | ATOM_CACHE_REF => {
                self.atom_body(tag, start)
            }
            other => Err(self.error(start, Kind::ExpectedAtom(other))),
        }
    }

    fn atom_body(&mut self, tag: u8, start: usize) -> Res<Atom> {
        let (latin1, n) = match tag {
            ATOM_EXT => (true, usize::from(self.u16()?)),
            SMALL_ATOM_EXT => (true, usize::from(self.u8()?)),
            ATOM_UTF8_EXT => (false, usize::from(self.u16()?)),
            SMALL_ATOM_UTF8_EXT => (false, usize::from(self.u8()?)),
            _ => return self.cached_atom(start),
        };
        let text_start = self.pos;
        let bytes = self.take(n)?;
        if n <= Atom::MAX_CHARS && bytes.is_ascii() {
            let window = self.input.get(text_start..).unwrap_or_default();
            return Ok(self.ascii_atom(window, n));
        }
        if latin1 {
            return Atom::from_latin1(bytes)
                .ok_or_else(|| self.error(start, Kind::AtomTooLong { chars: n }));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| self.error(start, Kind::AtomNotUtf8))?;
        if n > Atom::MAX_CHARS {
            let chars = text.chars().count();
            if chars > Atom::MAX_CHARS {
                return Err(self.error(start, Kind::AtomTooLong { chars }));
            }
        }
        if Atom::fits_inline(text.len()) {
            return Ok(Atom::from_str_unchecked(text));
        }
        Ok(self.long_atom(text))
    }

    /// An atom of the first `len` (at most 255) bytes of `window`, checked to be ASCII.
    #[inline]
    fn ascii_atom(&mut self, window: &[u8], len: usize) -> Atom {
        if Atom::fits_inline(len) {
            return Atom::from_ascii_prefix(window, len);
        }
        // ASCII is UTF-8.
        let text = window
            .get(..len)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default();
        self.long_atom(text)
    }

    /// An atom too long to be inline: shared with an earlier one of the same text if any.
    #[cold]
    fn long_atom(&mut self, text: &str) -> Atom {
        if let Some(atom) = self.long_atoms.iter().find(|a| a.as_str() == text) {
            return atom.clone();
        }
        let atom = Atom::from_str_unchecked(text);
        if self.long_atoms.len() < LONG_ATOM_CACHE {
            self.long_atoms.push(atom.clone());
        }
        atom
    }

    fn cached_atom(&mut self, start: usize) -> Res<Atom> {
        let index = self.u8()?;
        let cache = self
            .options
            .atom_cache
            .ok_or_else(|| self.error(start, Kind::NoAtomCache { index }))?;
        if u16::from(index) == self.last_ref {
            return Ok(self.last_ref_atom.clone());
        }
        let atom = cache
            .lookup(index)
            .ok_or_else(|| self.error(start, Kind::AtomCacheMiss { index }))?;
        self.last_ref = u16::from(index);
        self.last_ref_atom = atom.clone();
        Ok(atom)
    }

    /// A pid (its tag read) written into `dst`: built in registers and stored once, instead of
    /// being returned through memory and copied (which stalls the loads that follow).
    #[inline(never)]
    fn pid_into(&mut self, tag: u8, dst: &mut Term) -> Res<()> {
        put(dst, Term::Pid(self.pid_body(tag)?));
        Ok(())
    }

    /// A reference (its tag read) written into `dst`, as [`Self::pid_into`].
    #[inline(never)]
    fn reference_into(&mut self, tag: u8, start: usize, dst: &mut Term) -> Res<()> {
        put(
            dst,
            Term::Reference(Box::new(self.reference_body(tag, start)?)),
        );
        Ok(())
    }

    #[inline(always)]
    fn pid_body(&mut self, tag: u8) -> Res<Pid> {
        let node = self.node_atom()?;
        let id = self.u32()?;
        let serial = self.u32()?;
        let creation = if tag == PID_EXT {
            u32::from(self.u8()?)
        } else {
            self.u32()?
        };
        Ok(Pid {
            node,
            id,
            serial,
            creation,
        })
    }

    fn port_body(&mut self, tag: u8) -> Res<Port> {
        let node = self.node_atom()?;
        let (id, creation) = match tag {
            PORT_EXT => (u64::from(self.u32()?), u32::from(self.u8()?)),
            NEW_PORT_EXT => (u64::from(self.u32()?), self.u32()?),
            _ => (self.u64()?, self.u32()?),
        };
        Ok(Port { node, id, creation })
    }

    #[inline(always)]
    fn reference_body(&mut self, tag: u8, start: usize) -> Res<Reference> {
        if tag == REFERENCE_EXT {
            let node = self.node_atom()?;
            let id = self.u32()?;
            let creation = u32::from(self.u8()?);
            return Ok(Reference {
                node,
                creation,
                ids: RefIds::from([id]),
            });
        }
        let words = usize::from(self.u16()?);
        if words > Reference::MAX_WORDS {
            return Err(self.error(start, Kind::ReferenceTooLong { words }));
        }
        let node = self.node_atom()?;
        let creation = if tag == NEW_REFERENCE_EXT {
            u32::from(self.u8()?)
        } else {
            self.u32()?
        };
        let mut words_be = [0u32; Reference::MAX_WORDS];
        for word in words_be.iter_mut().take(words) {
            *word = self.u32()?;
        }
        let ids = RefIds::new(words_be.get(..words).unwrap_or_default())
            .map_err(|e| self.error(start, Kind::ReferenceTooLong { words: e.0 }))?;
        Ok(Reference {
            node,
            creation,
            ids,
        })
    }

    /// An integer field of a fun (SMALL_INTEGER_EXT, INTEGER_EXT or a small bignum) as u32.
    fn u32_term(&mut self, what: &'static str) -> Res<u32> {
        let start = self.pos;
        let tag = self.input.get(self.pos).copied().unwrap_or(0);
        if !matches!(
            tag,
            SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT
        ) {
            return Err(match self.input.get(self.pos) {
                Some(_) => self.error(start, Kind::ExpectedInteger(tag)),
                None => self.truncated(1),
            });
        }
        match self.term()? {
            Term::Integer(i) => u32::try_from(i).map_err(|_| {
                self.error(
                    start,
                    Kind::OutOfRange {
                        what,
                        value: i.to_string(),
                    },
                )
            }),
            other => Err(self.error(
                start,
                Kind::OutOfRange {
                    what,
                    value: format!("{other:?}"),
                },
            )),
        }
    }

    fn export_fun(&mut self, start: usize) -> Res<Term> {
        let module = self.atom()?;
        let function = self.atom()?;
        let arity_at = self.pos;
        let arity = self.u32_term("EXPORT_EXT arity")?;
        let arity = u8::try_from(arity).map_err(|_| {
            self.error(
                arity_at,
                Kind::OutOfRange {
                    what: "fun arity",
                    value: arity.to_string(),
                },
            )
        })?;
        let _ = start;
        Ok(Term::Fun(Fun::Export(Box::new(ExportFun {
            module,
            function,
            arity,
        }))))
    }

    fn local_fun(&mut self, start: usize, dst: &mut Term) -> Res<()> {
        let size = self.len32()?;
        // Size counts every byte after the tag, itself included.
        let body_start = start + 1;
        let arity = self.u8()?;
        let uniq: [u8; 16] = self.array()?;
        let index = self.u32()?;
        let num_free = self.len32()?;
        let module = self.atom()?;
        let old_index = self.u32_term("NEW_FUN_EXT old index")?;
        let old_uniq = self.u32_term("NEW_FUN_EXT old uniq")?;
        let pid_start = self.pos;
        let pid = match self.u8()? {
            tag @ (PID_EXT | NEW_PID_EXT) => self.pid_body(tag)?,
            _ => {
                return Err(self.error(
                    pid_start,
                    Kind::BadLength("NEW_FUN_EXT without a pid".into()),
                ))
            }
        };
        self.check_room(num_free, 1)?;
        self.enter(start)?;
        let mut free_vars = Vec::with_capacity(num_free);
        for _ in 0..num_free {
            self.push_element(&mut free_vars)?;
        }
        self.depth -= 1;
        if self.pos - body_start != size {
            let msg = format!(
                "NEW_FUN_EXT says {size} bytes but has {}",
                self.pos - body_start
            );
            return Err(self.error(start, Kind::BadLength(msg)));
        }
        put(
            dst,
            Term::Fun(Fun::Local(Box::new(LocalFun {
                arity,
                uniq,
                index,
                module,
                old_index,
                old_uniq,
                pid,
                free_vars,
            }))),
        );
        Ok(())
    }
}

/// Stores `value` in `dst`, which holds the placeholder `Term::Integer(0)` a container slot is
/// made with: it owns nothing, so it is overwritten without a call to the drop glue (a plain
/// `*dst = value` calls it for every element; anything that does own something is dropped).
#[inline(always)]
fn put(dst: &mut Term, value: Term) {
    let old = std::mem::replace(dst, value);
    if owns_nothing(&old) {
        std::mem::forget(old);
    }
}

/// Whether `window` has at least `len` bytes and the first `len` are ASCII. Short atoms (the
/// common case) are checked with one 16-byte load instead of a call to `is_ascii`.
#[inline(always)]
fn ascii_prefix(window: &[u8], len: usize) -> bool {
    match window.first_chunk::<16>() {
        Some(block) if len < 16 => {
            let word = u128::from_le_bytes(*block);
            let used = (1u128 << (8 * len)) - 1;
            word & used & 0x8080_8080_8080_8080_8080_8080_8080_8080 == 0
        }
        _ => window.get(..len).is_some_and(<[u8]>::is_ascii),
    }
}

/// Appends the bytes of a STRING_EXT to `items` as integers, written in place (see
/// [`Decoder::integer_run`] for why not `push`/`collect`).
fn byte_list(mut items: Vec<Term>, bytes: &[u8]) -> Vec<Term> {
    // `extend` from a slice iterator writes each element in place.
    items.reserve_exact(bytes.len());
    items.extend(bytes.iter().map(|&b| Term::Integer(i64::from(b))));
    items
}

/// Decodes a complete external term: 131, then a term or a compressed term. Binaries of a
/// compressed term share the inflated buffer.
pub(super) fn decode_external(
    input: &[u8],
    source: Option<&Bytes>,
    options: &DecodeOptions,
) -> Result<(Term, usize), DecodeError> {
    match input.first() {
        Some(&VERSION_MAGIC) => {}
        found => {
            return Err(DecodeError::new(
                0,
                Kind::BadVersion {
                    found: found.copied(),
                },
            ));
        }
    }
    if input.get(1) == Some(&COMPRESSED) {
        return decode_compressed(input, options);
    }
    // Honour max_size by only looking at that many bytes.
    let cut_by_limit = input.len() > options.max_size;
    let view = input.get(..options.max_size).unwrap_or(input);
    let mut decoder = Decoder {
        input: view,
        source: None,
        pos: 1,
        options,
        depth: 0,
        cut_by_limit,
        share_input: view.len() <= SHARE_INPUT_LIMIT,
        shared_copy: None,
        long_atoms: Vec::new(),
        last_ref: NO_CACHE_REF,
        last_ref_atom: Atom::from_str_unchecked(""),
    };
    if let Some(source) = source {
        if !cut_by_limit {
            decoder.source = Some(source);
        }
    }
    let term = decoder.term().map_err(|e| *e)?;
    Ok((term, decoder.pos))
}

fn decode_compressed(input: &[u8], options: &DecodeOptions) -> Result<(Term, usize), DecodeError> {
    let header = input.get(2..6).ok_or_else(|| {
        DecodeError::new(
            input.len(),
            Kind::Truncated {
                needed: 6usize.saturating_sub(input.len()),
            },
        )
    })?;
    let mut size_bytes = [0u8; 4];
    size_bytes.copy_from_slice(header);
    let size = u32::from_be_bytes(size_bytes) as usize;
    if size > options.max_size {
        return Err(DecodeError::new(
            2,
            Kind::TooLarge {
                max: options.max_size,
            },
        ));
    }
    let stream = input.get(6..).unwrap_or_default();
    let (inflated, used) =
        compress::inflate(stream, size).map_err(|kind| DecodeError::new(6, kind))?;
    let inflated = Bytes::from(inflated);
    let mut decoder = Decoder::with_bytes(&inflated, options);
    let term = decoder.term().map_err(|e| DecodeError {
        inflated: true,
        ..*e
    })?;
    Ok((term, 6 + used))
}
