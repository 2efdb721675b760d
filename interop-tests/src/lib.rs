//! Harness for the interop tests: starts real `epmd`, `erl` and our own binaries on private ports
//! in private temp directories, and stops them by pid when the test ends, pass or fail.

mod child;
mod cluster;
mod epmd_daemon;
pub mod epmd_script;
pub mod epmd_wire;
mod erl;
mod erlc;
pub mod http_client;
mod names;
pub mod netns;
pub mod raw_node;
pub mod todo_nodes;

pub use child::{cargo_bin, cargo_example, ChildGuard};
pub use cluster::{runtime, Cluster};
pub use epmd_daemon::{EpmdDaemon, EpmdKind};
pub use erl::{ErlNode, ErlOptions, OtpEpmd};
pub use erlc::compile_erl;
pub use names::{free_port, unique_name};
pub use todo_nodes::{TodoCluster, TodoHttp, TodoKind, TodoNode, TodoOptions};
