//! Remote procedure calls: Rust functions registered under `Module:Function/Arity` that BEAM
//! nodes call with `:rpc`/`:erpc`/`Node.spawn` (served by the spawn-request handler and `rex`),
//! and the client side that calls BEAM nodes from Rust with OTP 25's result shapes.

mod client;
mod exception;
mod functions;
mod rex;
mod spawn_server;

pub use client::{ErpcError, MulticallResult};
pub use exception::Exception;
pub use functions::CallContext;
pub(crate) use functions::Functions;
pub(crate) use spawn_server::serve_spawn_request;

use crate::node::Node;

/// Starts `rex` and registers the built-in functions (`erlang:node/0`, `erlang:nodes/0,1`).
pub(crate) fn start(node: &Node) {
    functions::register_builtins(node);
    rex::start(node);
}
