//! FLOAT_EXT text.
