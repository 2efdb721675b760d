//! A test cluster's shared parts: a private OTP epmd, one cookie, and factories for `erl` nodes
//! and in-process Rust node configurations that use them, plus the tokio runtime tests drive.

use crate::{free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};
use node::{NodeConfig, NodeName};

pub struct Cluster {
    pub epmd: OtpEpmd,
    pub cookie: String,
}

impl Cluster {
    pub fn new() -> Cluster {
        Cluster {
            epmd: OtpEpmd::start(free_port(), &[]),
            cookie: unique_name("cookie"),
        }
    }

    /// A new `erl -sname erl_N@localhost` node of this cluster, with `extra` arguments.
    pub fn erl(&self, extra: &[&str]) -> ErlNode {
        ErlNode::start(ErlOptions {
            sname: Some(format!("{}@localhost", unique_name("erl"))),
            cookie: Some(self.cookie.clone()),
            epmd_port: Some(self.epmd.port),
            args: extra.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
    }

    /// The configuration of a Rust node `PREFIX_N@localhost` of this cluster.
    pub fn config(&self, prefix: &str) -> NodeConfig {
        let name =
            NodeName::short(&format!("{}@localhost", unique_name(prefix))).expect("node name");
        NodeConfig::new(name)
            .with_cookie(self.cookie.clone())
            .with_epmd_port(self.epmd.port)
            .start_epmd(false)
    }
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster::new()
    }
}

/// The runtime the tests run Rust nodes on: 2 worker threads, like this machine's cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
