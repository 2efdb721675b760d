//! The atom-cache part of a normal distribution header (after `131, 68`, or after the ids of a
//! first fragment): reading it into this message's atom list, and writing it.

use super::atom_cache::{InAtomCache, OutSlot};
use super::DistError;
use crate::term::Atom;

/// Reads the header starting at `pos` (at NumberOfAtomCacheRefs): updates `cache` with new
/// entries and returns the atoms that ATOM_CACHE_REF indexes refer to, and the end offset.
pub fn read_header(
    buf: &[u8],
    pos: usize,
    cache: &mut InAtomCache,
) -> Result<(Vec<Atom>, usize), DistError> {
    let mut r = Reader { buf, pos };
    let count = usize::from(r.u8()?);
    if count == 0 {
        return Ok((Vec::new(), r.pos));
    }
    let flags = r.take(count / 2 + 1)?;
    let nibble = |k: usize| (flags[k / 2] >> (4 * (k % 2))) & 0x0f;
    let long_atoms = nibble(count) & 1 == 1;
    let mut atoms = Vec::with_capacity(count);
    for k in 0..count {
        let segment = usize::from(nibble(k) & 0x07);
        let is_new = nibble(k) & 0x08 != 0;
        let slot = segment * 256 + usize::from(r.u8()?);
        if is_new {
            let len = if long_atoms {
                usize::from(r.u16()?)
            } else {
                usize::from(r.u8()?)
            };
            let text = std::str::from_utf8(r.take(len)?)
                .map_err(|_| DistError::BadHeader("cached atom is not UTF-8"))?;
            let atom = Atom::new(text).ok_or(DistError::BadHeader(
                "cached atom longer than 255 characters",
            ))?;
            cache.set(slot, atom.clone());
            atoms.push(atom);
        } else {
            atoms.push(
                cache
                    .get(slot)
                    .cloned()
                    .ok_or(DistError::EmptyCacheSlot(slot))?,
            );
        }
    }
    Ok((atoms, r.pos))
}

/// Appends the header for `entries` (the atoms this message refers to by index, in order).
pub fn write_header(out: &mut Vec<u8>, entries: &[(OutSlot, Atom)]) {
    let count = entries.len();
    debug_assert!(count <= 255, "at most 255 atom cache refs per message");
    out.push(count as u8);
    if count == 0 {
        return;
    }
    let long_atoms = entries
        .iter()
        .any(|(slot, atom)| matches!(slot, OutSlot::New(_)) && atom.as_str().len() > 255);
    let flags_at = out.len();
    out.resize(flags_at + count / 2 + 1, 0);
    let set_nibble =
        |out: &mut Vec<u8>, k: usize, value: u8| out[flags_at + k / 2] |= value << (4 * (k % 2));
    for (k, (slot, _)) in entries.iter().enumerate() {
        let (slot, new) = match *slot {
            OutSlot::Cached(slot) => (slot, 0),
            OutSlot::New(slot) => (slot, 0x08),
        };
        set_nibble(out, k, new | (slot / 256) as u8);
    }
    if long_atoms {
        set_nibble(out, count, 1);
    }
    for (slot, atom) in entries {
        match *slot {
            OutSlot::Cached(slot) => out.push((slot % 256) as u8),
            OutSlot::New(slot) => {
                out.push((slot % 256) as u8);
                let text = atom.as_str().as_bytes();
                if long_atoms {
                    out.extend_from_slice(&(text.len() as u16).to_be_bytes());
                } else {
                    out.push(text.len() as u8);
                }
                out.extend_from_slice(text);
            }
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DistError> {
        let slice = self
            .buf
            .get(self.pos..self.pos + n)
            .ok_or(DistError::Truncated(self.pos))?;
        self.pos += n;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, DistError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, DistError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::atom_cache::OutAtomCache;

    #[test]
    fn otp_header_bytes_parse() {
        // Captured from OTP 25: 4 new entries in segments 7, 0, 4 and 5 (flags 8f dc 00).
        let mut buf = vec![4, 0x8f, 0xdc, 0x00, 0x3f, 11];
        buf.extend_from_slice(b"a@127.0.0.1");
        buf.extend_from_slice(&[0x05, 0]);
        buf.extend_from_slice(&[0x74, 3]);
        buf.extend_from_slice(b"rex");
        buf.extend_from_slice(&[0x05, 16]);
        buf.extend_from_slice(b"features_request");
        let mut cache = InAtomCache::default();
        let (atoms, end) = read_header(&buf, 0, &mut cache).expect("OTP's header parses");
        assert_eq!(end, buf.len());
        let texts: Vec<&str> = atoms.iter().map(Atom::as_str).collect();
        assert_eq!(texts, ["a@127.0.0.1", "", "rex", "features_request"]);
    }

    #[test]
    fn written_headers_read_back_and_reuse_slots() {
        let mut out_cache = OutAtomCache::default();
        let mut in_cache = InAtomCache::default();
        let atoms: Vec<Atom> = ["ok", "error", "a_rather_long_atom_name_for_the_cache"]
            .iter()
            .map(|t| Atom::new(t).expect("atom"))
            .collect();
        for round in 0..2 {
            let entries: Vec<(OutSlot, Atom)> = atoms
                .iter()
                .map(|a| (out_cache.slot_for(a), a.clone()))
                .collect();
            assert_eq!(
                entries.iter().all(|(s, _)| matches!(s, OutSlot::Cached(_))),
                round == 1
            );
            let mut buf = Vec::new();
            write_header(&mut buf, &entries);
            let (read, end) = read_header(&buf, 0, &mut in_cache).expect("reads back");
            assert_eq!((read, end), (atoms.clone(), buf.len()));
        }
    }

    #[test]
    fn long_atoms_use_two_byte_lengths() {
        let long = Atom::new(&"é".repeat(200)).expect("400 bytes, 200 chars");
        let entries = vec![
            (OutSlot::New(5), long.clone()),
            (OutSlot::New(2047), Atom::new("x").expect("atom")),
        ];
        let mut buf = Vec::new();
        write_header(&mut buf, &entries);
        let (read, _) = read_header(&buf, 0, &mut InAtomCache::default()).expect("reads back");
        assert_eq!(read, vec![long, Atom::new("x").expect("atom")]);
    }

    #[test]
    fn bad_headers_are_errors() {
        let mut cache = InAtomCache::default();
        assert!(matches!(
            read_header(&[1, 0x00, 7], 0, &mut cache),
            Err(DistError::EmptyCacheSlot(7))
        ));
        assert!(read_header(&[1, 0x08, 7, 5, b'a'], 0, &mut cache).is_err());
        assert!(read_header(&[2], 0, &mut cache).is_err());
        assert!(read_header(&[1, 0x08, 7, 2, 0xff, 0xfe], 0, &mut cache).is_err());
    }
}
