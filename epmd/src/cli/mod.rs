//! The `epmd` program's command line: OTP-compatible argument parsing, usage text and the
//! interactive client commands. The daemon itself lives in `daemon`.

pub mod args;
pub mod commands;
pub mod usage;

pub use args::{parse, ClientCommand, Environment, Invocation};
pub use usage::USAGE;
