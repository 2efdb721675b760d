//! Terms as text: the `~w` printer (exactly what OTP 25's `io_lib:format("~w", [T])` prints) and a
//! parser for Erlang term literals. Used by the `etf` tool; never touches I/O itself.

mod atom_text;
mod bits;
mod float_text;
mod format;
mod ids;
mod io_write;
mod lex;
mod parse;
mod pretty;
mod print;
#[cfg(test)]
mod roundtrip_tests;

pub use format::{format, format_with, FormatError, FormatOptions, MAX_FIELD};
pub use ids::FORMS as ID_FORMS;
pub use parse::{parse_term, ParseError, MAX_BINARY_NESTING, MAX_NESTING};
pub use print::write_term;
