//! zlib for compressed terms (131, 80).
