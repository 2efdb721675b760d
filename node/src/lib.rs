//! A Rust node of an Erlang cluster: connections to BEAM nodes (handshake, ticks, nodeup and
//! nodedown), processes with links, monitors and exit signals, gen_server, rpc/erpc, I/O, and
//! the OTP services (`net_kernel`, `rex`, a group leader) that BEAM nodes expect to find.

pub mod config;
mod connection;
pub mod cookie;
mod dest;
mod epmd_link;
pub mod error;
pub mod gen_server;
pub mod global;
pub mod io;
pub mod name;
pub mod net_kernel;
mod node;
pub mod pg;
pub mod process;
mod routing;
pub mod rpc;

pub use config::{CookieSource, NodeConfig};
pub use connection::PeerStats;
pub use dest::Dest;
pub use distproto::term::{Atom, Pid, Reference, Term};
pub use error::NodeError;
pub use gen_server::{CallError, CallReply, Ctx, GenCall, GenServer, Step};
pub use global::{Global, GlobalError, LockId};
pub use name::NodeName;
pub use net_kernel::MonitorNodesOptions;
pub use node::{Node, NodeEvent};
pub use process::{ExitReason, Process, SpawnOptions};
pub use rpc::{CallContext, ErpcError, Exception, MulticallResult};
