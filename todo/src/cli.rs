//! The `todo-node` command line: the node's name and cookie as `erl`/`iex` take them, its epmd
//! port, and the peers to connect to at start. The todo settings come from the environment.

use clap::Parser;
use node::{NodeConfig, NodeName};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "todo-node",
    about = "The todo node of Elixir in Action (chapter 12) in Rust: HTTP on TODO_HTTP_PORT \
             (5454), lists in TODO_DB_FOLDER (./persist), servers idle for TODO_SERVER_EXPIRY \
             seconds (60) stop"
)]
pub struct Args {
    /// Short node name, as `iex --sname`: node1@localhost (or node1).
    #[arg(long, conflicts_with = "name")]
    pub sname: Option<String>,
    /// Long node name, as `iex --name`: node1@host.domain.
    #[arg(long)]
    pub name: Option<String>,
    /// The cookie; default: ~/.erlang.cookie (created when missing), as erl.
    #[arg(long)]
    pub cookie: Option<String>,
    /// EPMD port (default: ERL_EPMD_PORT or 4369); our epmd is started there when none runs.
    #[arg(long)]
    pub epmd_port: Option<u16>,
    /// A node to connect to at start (`Node.connect/1`), e.g. node2@localhost; repeatable.
    /// The lists this node lacks or holds older copies of are copied before HTTP is served.
    #[arg(long, value_name = "NODE")]
    pub connect: Vec<String>,
    /// net_ticktime in seconds (default 60): how soon a silent peer counts as down.
    #[arg(long, value_name = "SECONDS")]
    pub net_ticktime: Option<u64>,
}

impl Args {
    /// The node's configuration: a visible node (hidden nodes get no replicas in the book).
    pub fn node_config(&self) -> Result<NodeConfig, String> {
        let name = match (&self.sname, &self.name) {
            (_, Some(long)) => NodeName::long(long).map_err(|e| e.to_string())?,
            (Some(short), None) => NodeName::short(short).map_err(|e| e.to_string())?,
            (None, None) => {
                return Err("give the node a name: --sname node1@localhost (or --name)".into())
            }
        };
        let mut config = NodeConfig::new(name);
        if let Some(cookie) = &self.cookie {
            config = config.with_cookie(cookie.clone());
        }
        if let Some(port) = self.epmd_port {
            config = config.with_epmd_port(port);
        }
        if let Some(seconds) = self.net_ticktime {
            config = config.with_net_ticktime(Duration::from_secs(seconds.max(1)));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_walk_through_command_line() {
        let args = Args::try_parse_from([
            "todo-node",
            "--sname",
            "node1@localhost",
            "--connect",
            "node2@localhost",
            "--connect",
            "node3@localhost",
            "--epmd-port",
            "4400",
        ])
        .unwrap();
        let config = args.node_config().unwrap();
        assert_eq!(config.name.to_string(), "node1@localhost");
        assert_eq!(config.epmd_port, 4400);
        assert_eq!(args.connect, ["node2@localhost", "node3@localhost"]);
    }

    #[test]
    fn a_name_is_required() {
        let args = Args::try_parse_from(["todo-node"]).unwrap();
        assert!(args.node_config().unwrap_err().contains("--sname"));
        assert!(Args::try_parse_from(["todo-node", "--sname", "a", "--name", "b"]).is_err());
    }
}
