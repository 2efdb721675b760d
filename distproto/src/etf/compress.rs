//! zlib for compressed external terms (131, 80, u32 size, zlib stream), as `term_to_binary(T,
//! [compressed])` writes them. Inflating never produces more than the declared size.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::DecodeErrorKind;

/// Inflates a zlib stream that must expand to exactly `size` bytes; returns the data and how many
/// input bytes the stream used.
pub(super) fn inflate(input: &[u8], size: usize) -> Result<(Vec<u8>, usize), DecodeErrorKind> {
    let mut inflater = Decompress::new(true);
    // Grow the buffer as data comes instead of trusting the declared size up front.
    let mut out: Vec<u8> = Vec::with_capacity(size.min(input.len().saturating_mul(8)).max(64));
    loop {
        if out.len() == out.capacity() {
            // Never more than one byte past `size`: enough to notice an over-long stream.
            let room = (size + 1).saturating_sub(out.len());
            out.reserve(room.min(out.len().max(4096)).max(1));
        }
        let (in_before, out_before) = (inflater.total_in(), out.len());
        let consumed = usize::try_from(in_before).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        let status = inflater
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| DecodeErrorKind::Zlib(e.to_string()))?;
        if out.len() > size {
            return Err(DecodeErrorKind::BadCompressedSize {
                declared: size as u64,
                actual: out.len() as u64,
            });
        }
        if status == Status::StreamEnd {
            break;
        }
        if inflater.total_in() == in_before && out.len() == out_before {
            return Err(DecodeErrorKind::Zlib("the stream ends early".into()));
        }
    }
    if out.len() != size {
        return Err(DecodeErrorKind::BadCompressedSize {
            declared: size as u64,
            actual: out.len() as u64,
        });
    }
    let used = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
    Ok((out, used))
}

/// Deflates `data` as a zlib stream at `level` (0..=9).
pub(super) fn deflate(data: &[u8], level: u32) -> Result<Vec<u8>, String> {
    let mut deflater = Compress::new(Compression::new(level), true);
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let consumed = usize::try_from(deflater.total_in()).unwrap_or(usize::MAX);
        let rest = data.get(consumed..).unwrap_or_default();
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(1024));
        }
        let status = deflater
            .compress_vec(rest, &mut out, FlushCompress::Finish)
            .map_err(|e| e.to_string())?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
    }
}
