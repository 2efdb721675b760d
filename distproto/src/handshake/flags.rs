//! Distribution flags: the capability bits nodes exchange in the handshake, with OTP's exact
//! values, the mandatory sets of OTP 25 and 26/27, and the MANDATORY_25_DIGEST expansion.

use std::fmt;

/// A set of distribution flags (`DFLAG_*` in OTP's `dist.h`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DistFlags(pub u64);

macro_rules! flags {
    ($($name:ident = $value:expr,)*) => {
        impl DistFlags {
            $(pub const $name: DistFlags = DistFlags($value);)*
            /// Every named flag with its OTP name (without the `DFLAG_` prefix).
            pub const NAMED: &'static [(&'static str, DistFlags)] = &[$((stringify!($name), DistFlags($value)),)*];
        }
    };
}

flags! {
    PUBLISHED = 0x1,
    ATOM_CACHE = 0x2,
    EXTENDED_REFERENCES = 0x4,
    DIST_MONITOR = 0x8,
    FUN_TAGS = 0x10,
    DIST_MONITOR_NAME = 0x20,
    HIDDEN_ATOM_CACHE = 0x40,
    NEW_FUN_TAGS = 0x80,
    EXTENDED_PIDS_PORTS = 0x100,
    EXPORT_PTR_TAG = 0x200,
    BIT_BINARIES = 0x400,
    NEW_FLOATS = 0x800,
    UNICODE_IO = 0x1000,
    DIST_HDR_ATOM_CACHE = 0x2000,
    SMALL_ATOM_TAGS = 0x4000,
    ETS_COMPRESSED = 0x8000,
    UTF8_ATOMS = 0x10000,
    MAP_TAG = 0x20000,
    BIG_CREATION = 0x40000,
    SEND_SENDER = 0x80000,
    BIG_SEQTRACE_LABELS = 0x100000,
    PENDING_CONNECT = 0x200000,
    EXIT_PAYLOAD = 0x400000,
    FRAGMENTS = 0x800000,
    HANDSHAKE_23 = 0x1000000,
    UNLINK_ID = 0x2000000,
    MANDATORY_25_DIGEST = 0x4000000,
    SPAWN = 1 << 32,
    NAME_ME = 1 << 33,
    V4_NC = 1 << 34,
    ALIAS = 1 << 35,
    LOCAL_EXT = 1 << 36,
    ALTACT_SIG = 1 << 37,
}

impl DistFlags {
    /// `DFLAG_DIST_MANDATORY_25`: what OTP 25 requires of every peer (0x01070F94).
    pub const MANDATORY_25: DistFlags = DistFlags(
        Self::EXTENDED_REFERENCES.0
            | Self::FUN_TAGS.0
            | Self::EXTENDED_PIDS_PORTS.0
            | Self::UTF8_ATOMS.0
            | Self::NEW_FUN_TAGS.0
            | Self::BIG_CREATION.0
            | Self::NEW_FLOATS.0
            | Self::MAP_TAG.0
            | Self::EXPORT_PTR_TAG.0
            | Self::BIT_BINARIES.0
            | Self::HANDSHAKE_23.0,
    );

    /// What OTP 26 and 27 require: the OTP 25 set plus V4_NC and UNLINK_ID (0x4_0307_0F94).
    pub const MANDATORY_26: DistFlags =
        DistFlags(Self::MANDATORY_25.0 | Self::V4_NC.0 | Self::UNLINK_ID.0);

    /// The flags OTP 25-27 advertise by default for a visible node (0xD07DF7FBD).
    pub const OTP_DEFAULT: DistFlags = DistFlags(0xD_07DF_7FBD);

    /// Flags that a node may leave out of what it offers (`DFLAG_DIST_REJECTABLE`).
    pub const REJECTABLE: DistFlags = DistFlags(
        Self::DIST_HDR_ATOM_CACHE.0
            | Self::HIDDEN_ATOM_CACHE.0
            | Self::FRAGMENTS.0
            | Self::ATOM_CACHE.0,
    );

    pub const fn contains(self, other: DistFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: DistFlags) -> DistFlags {
        DistFlags(self.0 | other.0)
    }

    pub const fn intersection(self, other: DistFlags) -> DistFlags {
        DistFlags(self.0 & other.0)
    }

    pub const fn difference(self, other: DistFlags) -> DistFlags {
        DistFlags(self.0 & !other.0)
    }

    /// OTP's `expand_mandatory_25_flag`: a peer that sets MANDATORY_25_DIGEST has every flag of
    /// the OTP 25 mandatory set. Apply it to what a peer advertises before checking or intersecting.
    pub const fn expand_digest(self) -> DistFlags {
        if self.contains(Self::MANDATORY_25_DIGEST) {
            self.union(Self::MANDATORY_25)
        } else {
            self
        }
    }

    /// The flags of `required` missing from `self`; empty when `self` has them all.
    pub fn missing(self, required: DistFlags) -> DistFlags {
        required.difference(self)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for DistFlags {
    /// Flag names joined by `|`, e.g. `UTF8_ATOMS|MAP_TAG`; unnamed bits in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut first = true;
        for (name, flag) in Self::NAMED {
            if rest & flag.0 != 0 {
                write!(f, "{}{name}", if first { "" } else { "|" })?;
                rest &= !flag.0;
                first = false;
            }
        }
        if rest != 0 || first {
            write!(f, "{}{rest:#x}", if first { "" } else { "|" })?;
        }
        Ok(())
    }
}

impl fmt::Debug for DistFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DistFlags({:#x}: {self})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mandatory_sets_have_otps_values() {
        assert_eq!(DistFlags::MANDATORY_25.0, 0x0107_0F94);
        assert_eq!(DistFlags::MANDATORY_26.0, 0x4_0307_0F94);
    }

    #[test]
    fn otp_default_names_the_flags_otp_sends() {
        let text = DistFlags::OTP_DEFAULT.to_string();
        assert!(
            text.starts_with("PUBLISHED|EXTENDED_REFERENCES|DIST_MONITOR|"),
            "{text}"
        );
        assert!(text.ends_with("|SPAWN|V4_NC|ALIAS"), "{text}");
        assert!(!text.contains("0x"), "{text}");
    }

    #[test]
    fn digest_bit_expands_to_the_25_set() {
        let peer = DistFlags(0x400_0001).expand_digest();
        assert!(peer.missing(DistFlags::MANDATORY_25).is_empty());
        assert_eq!(
            DistFlags::PUBLISHED
                .missing(DistFlags::MANDATORY_25)
                .to_string(),
            "EXTENDED_REFERENCES|FUN_TAGS|NEW_FUN_TAGS|EXTENDED_PIDS_PORTS|EXPORT_PTR_TAG|\
             BIT_BINARIES|NEW_FLOATS|UTF8_ATOMS|MAP_TAG|BIG_CREATION|HANDSHAKE_23"
        );
    }
}
