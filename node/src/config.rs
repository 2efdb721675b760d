//! How a node is set up: its name, cookies, visibility, ports and tick time, with OTP's defaults.
//! Build one with [`NodeConfig::new`] and the `with_*` methods, then `Node::start` it.

use crate::name::NodeName;
use distproto::handshake::Cookie;
use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// Where the cookie comes from.
#[derive(Debug, Clone)]
pub enum CookieSource {
    /// Given explicitly (`-setcookie`).
    Explicit(Cookie),
    /// Read from this file, created like erl does when missing.
    File(PathBuf),
    /// `~/.erlang.cookie`.
    HomeFile,
}

#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub name: NodeName,
    pub cookie: CookieSource,
    /// Cookies for particular peers (`erlang:set_cookie/2`), by full node name.
    pub peer_cookies: HashMap<String, Cookie>,
    /// A hidden node is not in its peers' `nodes()` and does not join global.
    pub hidden: bool,
    /// Distribution listen ports to try (`inet_dist_listen_min..max`); `0..=0` picks any.
    pub listen_ports: RangeInclusive<u16>,
    /// The EPMD port (`ERL_EPMD_PORT`, default 4369).
    pub epmd_port: u16,
    /// Start our own epmd daemon when none answers, as erl does.
    pub start_epmd: bool,
    /// `net_ticktime`: a peer silent this long is disconnected; ticks go out every quarter.
    pub net_ticktime: Duration,
    /// Handshake time limit (`net_setuptime`, default 7 s).
    pub setup_time: Duration,
    /// Largest packet accepted from a peer.
    pub max_packet: usize,
    /// Run global (`global_name_server`, its locker and registrar); default true, as in OTP.
    pub global: bool,
}

impl NodeConfig {
    /// A visible node named `name` with OTP's defaults: cookie from `~/.erlang.cookie`,
    /// `ERL_EPMD_PORT` or 4369, tick time 60 s.
    pub fn new(name: NodeName) -> NodeConfig {
        let epmd_port = std::env::var("ERL_EPMD_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(4369);
        NodeConfig {
            name,
            cookie: CookieSource::HomeFile,
            peer_cookies: HashMap::new(),
            hidden: false,
            listen_ports: 0..=0,
            epmd_port,
            start_epmd: true,
            net_ticktime: Duration::from_secs(60),
            setup_time: Duration::from_secs(7),
            max_packet: 256 << 20,
            global: true,
        }
    }

    pub fn with_cookie(mut self, cookie: impl Into<String>) -> NodeConfig {
        self.cookie = CookieSource::Explicit(Cookie::new(cookie));
        self
    }

    pub fn with_peer_cookie(
        mut self,
        peer: impl Into<String>,
        cookie: impl Into<String>,
    ) -> NodeConfig {
        self.peer_cookies.insert(peer.into(), Cookie::new(cookie));
        self
    }

    pub fn hidden(mut self, hidden: bool) -> NodeConfig {
        self.hidden = hidden;
        self
    }

    pub fn with_epmd_port(mut self, port: u16) -> NodeConfig {
        self.epmd_port = port;
        self
    }

    pub fn with_listen_ports(mut self, ports: RangeInclusive<u16>) -> NodeConfig {
        self.listen_ports = ports;
        self
    }

    pub fn with_net_ticktime(mut self, ticktime: Duration) -> NodeConfig {
        self.net_ticktime = ticktime;
        self
    }

    /// Whether the node runs global (OTP's `global_name_server`); default true.
    pub fn global(mut self, on: bool) -> NodeConfig {
        self.global = on;
        self
    }

    pub fn start_epmd(mut self, start: bool) -> NodeConfig {
        self.start_epmd = start;
        self
    }
}
