//! Floats: always finite, because OTP has no NaN or infinity terms.
//! Equality and hashing are by value as in OTP 25 (`0.0 =:= -0.0`); the sign of zero is kept.

/// A finite float. Equality and hashing are by value as in OTP 25 (`0.0 =:= -0.0`), but the sign of
/// zero is kept for encoding. Build with [`Float::new`] to keep it finite.
#[derive(Debug, Clone, Copy)]
pub struct Float(pub f64);

impl Float {
    /// A float term, or `None` for NaN and infinities (OTP cannot represent them).
    pub fn new(value: f64) -> Option<Float> {
        value.is_finite().then_some(Float(value))
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

impl From<Float> for f64 {
    fn from(f: Float) -> f64 {
        f.0
    }
}
