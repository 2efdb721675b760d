//! Fuzz target for the ETF decoder: arbitrary bytes must decode or fail cleanly, and anything
//! that decodes must survive encode -> decode unchanged (for both OTP 25 and OTP 26 encodings).
#![no_main]

use distproto::etf::{self, DecodeOptions, EncodeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // As a complete external term (with 131) and as a bare term (as after a dist header).
    let with_magic = std::iter::once(131u8).chain(data.iter().copied()).collect::<Vec<u8>>();
    for input in [data, with_magic.as_slice()] {
        let Ok(term) = etf::decode(input) else { continue };
        for options in [EncodeOptions::OTP25, EncodeOptions::OTP26] {
            let bytes = etf::encode_with(&term, &options).expect("a decoded term encodes");
            let again = etf::decode(&bytes).expect("an encoded term decodes");
            assert_eq!(again, term);
        }
        let shared = etf::decode_bytes(bytes::Bytes::copy_from_slice(input)).expect("same input");
        assert_eq!(shared, term);
    }
    let _ = etf::decode_term_at(data, 0, &DecodeOptions::default());
});
