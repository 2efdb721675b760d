//! The usage text, byte for byte what OTP 25's epmd prints to stderr on a bad command line, so
//! scripts and tests see no difference. Our own extensions are documented in docs/epmd.md.

/// Printed to stderr, followed by exit status 1.
pub const USAGE: &str = include_str!("usage.txt");

#[cfg(test)]
mod tests {
    #[test]
    fn starts_like_otp() {
        assert!(super::USAGE.starts_with("usage: epmd [-d|-debug] [DbgExtra...] [-address List]\n"));
        assert!(super::USAGE.ends_with("        epmd was started).\n"));
    }
}
