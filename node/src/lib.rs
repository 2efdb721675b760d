//! A Rust node of an Erlang cluster: connections to BEAM nodes (handshake, ticks, nodeup and
//! nodedown), processes with mailboxes, registered names, and `net_kernel` so peers can ping it.

pub mod config;
mod connection;
pub mod cookie;
mod epmd_link;
pub mod error;
pub mod gen;
pub mod name;
mod net_kernel;
mod node;
pub mod process;

pub use config::{CookieSource, NodeConfig};
pub use connection::PeerStats;
pub use distproto::term::{Atom, Pid, Reference, Term};
pub use error::NodeError;
pub use name::NodeName;
pub use node::{Node, NodeEvent, Process};
