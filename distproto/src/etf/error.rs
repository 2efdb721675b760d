//! Typed errors of the external term format codec: what is wrong and at which byte.
//! Decoding reports the offset in the input (or in the inflated data of a compressed term).

use std::fmt;

/// Why an external term could not be decoded, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset of the problem: in the input, or in the inflated data when `inflated` is set.
    pub offset: usize,
    /// Whether `offset` counts in the data inflated from a compressed (131, 80) term.
    pub inflated: bool,
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    pub(crate) fn new(offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            offset,
            inflated: false,
            kind,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = if self.inflated {
            " of the inflated data"
        } else {
            ""
        };
        write!(f, "at byte {}{}: {}", self.offset, place, self.kind)
    }
}

impl std::error::Error for DecodeError {}

/// What is wrong with an external term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    #[error("expected the version byte 131, found {found:?}")]
    BadVersion { found: Option<u8> },
    #[error("input ends early: {needed} more byte(s) needed")]
    Truncated { needed: usize },
    #[error("unknown tag {0}")]
    UnknownTag(u8),
    #[error("FUN_EXT (117) is no longer supported by OTP")]
    FunExt,
    #[error("LOCAL_EXT (121) is a node-local encoding that cannot be decoded elsewhere")]
    LocalExt,
    #[error("a distribution header (tag {0}) is not a term")]
    DistHeader(u8),
    #[error("compressed data (tag 80) is only allowed at the top level")]
    NestedCompression,
    #[error("atom is not valid UTF-8")]
    AtomNotUtf8,
    #[error("atom has {chars} characters, more than 255")]
    AtomTooLong { chars: usize },
    #[error("expected an atom, found tag {0}")]
    ExpectedAtom(u8),
    #[error("expected an integer, found tag {0}")]
    ExpectedInteger(u8),
    #[error("{what} {value} is out of range")]
    OutOfRange { what: &'static str, value: String },
    #[error("bad length: {0}")]
    BadLength(String),
    #[error("float is NaN or infinite")]
    NotFinite,
    #[error("FLOAT_EXT text is not a float: {0:?}")]
    BadFloatText(String),
    #[error("nesting deeper than the limit of {max}")]
    TooDeep { max: usize },
    #[error("term larger than the limit of {max} bytes")]
    TooLarge { max: usize },
    #[error("compressed term declares {declared} bytes but inflates to {actual}")]
    BadCompressedSize { declared: u64, actual: u64 },
    #[error("zlib stream is broken: {0}")]
    Zlib(String),
    #[error("duplicate map key")]
    DuplicateMapKey,
    #[error("BIT_BINARY_EXT of {len} byte(s) with {bits} bits in the last byte")]
    BadBitStringBits { len: usize, bits: u8 },
    #[error("reference with {words} id words (at most 5)")]
    ReferenceTooLong { words: usize },
    #[error("ATOM_CACHE_REF {index} but no atom cache was given")]
    NoAtomCache { index: u8 },
    #[error("ATOM_CACHE_REF {index} is not in the atom cache")]
    AtomCacheMiss { index: u8 },
}

/// Why a term could not be encoded, and where in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// Output offset at which the offending term would have started.
    pub offset: usize,
    pub kind: EncodeErrorKind,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at output byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for EncodeError {}

/// What cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeErrorKind {
    #[error("float is NaN or infinite")]
    NotFinite,
    #[error("bitstring with {bits} bits in the last byte (must be 1..=7)")]
    BadBitString { bits: u8 },
    #[error("{what} of {len} is too long for the external format")]
    TooLong { what: &'static str, len: usize },
    #[error("minor_version {0} is not 0, 1 or 2")]
    BadMinorVersion(u8),
    #[error("compression level {0} is not 0..=9")]
    BadCompressionLevel(u32),
    #[error("compression failed: {0}")]
    Zlib(String),
}
