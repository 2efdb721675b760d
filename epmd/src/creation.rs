//! The creation rule of OTP's epmd: a per-name 32-bit counter seeded from Unix time, bumped on
//! every registration, never 0..=3; old (v5) clients get `counter % 3 + 1`.

/// One name's creation counter (`cr_counter` in OTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreationCounter(u32);

impl CreationCounter {
    /// A counter for a name never seen before: Unix seconds (truncated to 32 bits), not yet bumped.
    pub fn seeded(unix_secs: u64) -> Self {
        CreationCounter(unix_secs as u32)
    }

    /// Advances the counter, skipping 0..=3 (they mean "no creation" to old nodes).
    pub fn bump(&mut self) {
        self.0 = self.0.wrapping_add(1);
        if self.0 < 4 {
            self.0 = 4;
        }
    }

    /// The raw counter.
    pub fn value(self) -> u32 {
        self.0
    }

    /// The creation to send: the counter for HighestVersion ≥ 6, else 1..=3.
    pub fn creation_for(self, highest_version: u16) -> u32 {
        if highest_version >= 6 {
            self.0
        } else {
            self.0 % 3 + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_then_bumped_is_time_plus_one() {
        let mut c = CreationCounter::seeded(0x6b08_2dd8);
        c.bump();
        assert_eq!(c.creation_for(6), 0x6b08_2dd9);
        c.bump();
        assert_eq!(c.creation_for(6), 0x6b08_2dda);
    }

    #[test]
    fn never_zero_to_three() {
        let mut c = CreationCounter::seeded(u32::MAX as u64 - 1);
        c.bump();
        assert_eq!(c.value(), u32::MAX);
        c.bump();
        assert_eq!(c.value(), 4);
        let mut c = CreationCounter::seeded(0);
        c.bump();
        assert_eq!(c.value(), 4);
    }

    #[test]
    fn old_clients_get_one_to_three() {
        // OTP observed: counters 0x6b082ddb and 0x6b082ddc give 2 and 3 to v5 clients.
        assert_eq!(CreationCounter(0x6b08_2ddb).creation_for(5), 2);
        assert_eq!(CreationCounter(0x6b08_2ddc).creation_for(5), 3);
        for v in 4..100u32 {
            let c = CreationCounter(v).creation_for(5);
            assert!((1..=3).contains(&c));
        }
    }
}
