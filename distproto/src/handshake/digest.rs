//! The cookie challenge: MD5 of the cookie text followed by the challenge in decimal, fresh
//! challenges from the operating system's CSPRNG, and a constant-time comparison of digests.

use md5::{Digest as _, Md5};
use std::fmt;

/// A distribution cookie. Its text is never shown: `Debug` and `Display` print `Cookie(<hidden>)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie(String);

impl Cookie {
    pub fn new(text: impl Into<String>) -> Cookie {
        Cookie(text.into())
    }

    /// The cookie text, for computing digests and for writing `~/.erlang.cookie`. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cookie(<hidden>)")
    }
}

/// `MD5(Cookie ++ integer_to_list(Challenge))`, as OTP's `dist_util:gen_digest/2`.
pub fn gen_digest(challenge: u32, cookie: &Cookie) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(cookie.expose().as_bytes());
    md5.update(challenge.to_string().as_bytes());
    md5.finalize().into()
}

/// Compares two digests in time independent of where they differ.
pub fn digests_equal(a: &[u8; 16], b: &[u8; 16]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// A fresh 32-bit challenge from the operating system's CSPRNG.
pub fn gen_challenge() -> Result<u32, ring::error::Unspecified> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 4];
    ring::rand::SystemRandom::new().fill(&mut bytes)?;
    Ok(u32::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_otp() {
        // erlang:md5("secret" ++ integer_to_list(4294967295)) on OTP 25.
        let digest = gen_digest(4_294_967_295, &Cookie::new("secret"));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5dfd181e69aa587cc812eb333e6536b6");
    }

    #[test]
    fn cookie_is_never_printed() {
        let cookie = Cookie::new("supersecret");
        assert_eq!(format!("{cookie:?}"), "Cookie(<hidden>)");
    }

    #[test]
    fn digests_compare() {
        let a = gen_digest(1, &Cookie::new("a"));
        let mut b = a;
        assert!(digests_equal(&a, &b));
        b[15] ^= 1;
        assert!(!digests_equal(&a, &b));
    }

    #[test]
    fn challenges_vary() {
        let draws: std::collections::HashSet<u32> =
            (0..16).map(|_| gen_challenge().expect("CSPRNG")).collect();
        assert!(draws.len() > 1);
    }
}
