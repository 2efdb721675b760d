//! Registration holders: helper processes (the `epmd` binary re-executed) that keep registration
//! sockets for the daemon once it runs short of descriptors. `control` is their channel, `child` their main.

pub mod child;
pub mod control;

/// The internal first argument that turns `epmd` into a registration holder (not in the usage).
pub const HOLDER_ARG: &str = "-registration_holder";
