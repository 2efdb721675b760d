//! The node registry of the daemon: registered nodes (NAMES/DUMP order newest first, lookup by
//! hash) and remembered unregistered names for creation reuse. No I/O and no clocks: callers pass time in.

use crate::creation::CreationCounter;
use crate::protocol::codes::{MAXSYMLEN, MAX_NAME_CHARS};
use crate::protocol::reply::{
    encode_port2_parts, push_dump_active, push_dump_old, push_names_line, NodeInfo,
};
use crate::protocol::Alive2Request;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use thiserror::Error;

/// Identifies the connection a node registered on.
pub type ConnId = u64;

/// Why a registration was refused; the daemon answers Result=1 (creation 99).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegisterError {
    #[error("node name is too long ({0} bytes)")]
    NameTooLong(usize),
    #[error("invalid node name encoding")]
    InvalidName,
    #[error("extra data is too long ({0} bytes)")]
    ExtraTooLong(usize),
    #[error("node name already occupied {0}")]
    AlreadyRegistered(String),
    #[error("registration maximum of {0} nodes reached; refusing {1} (raise it with -max_nodes)")]
    TooManyNodes(usize, String),
}

/// A node slot: what a registration said, plus its creation counter.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: Arc<str>,
    pub port: u16,
    pub node_type: u8,
    pub protocol: u8,
    pub highest_version: u16,
    pub lowest_version: u16,
    pub extra: Box<[u8]>,
    pub counter: CreationCounter,
    /// The registration connection (meaningless once unregistered).
    pub conn: ConnId,
    /// The registration socket's file descriptor, shown by DUMP.
    pub fd: i32,
    /// Position in its list (registration order, or unregistration order).
    seq: u64,
}

impl Node {
    /// The PORT2_RESP bytes for this node.
    pub fn port2_reply(&self) -> Vec<u8> {
        encode_port2_parts(
            self.port,
            self.node_type,
            self.protocol,
            self.highest_version,
            self.lowest_version,
            self.name.as_bytes(),
            &self.extra,
        )
    }

    /// The node as PORT2_RESP describes it.
    pub fn info(&self) -> NodeInfo {
        NodeInfo {
            port: self.port,
            node_type: self.node_type,
            protocol: self.protocol,
            highest_version: self.highest_version,
            lowest_version: self.lowest_version,
            name: self.name.to_string(),
            extra: self.extra.to_vec(),
        }
    }
}

/// Registry limits.
#[derive(Debug, Clone, Copy)]
pub struct RegistryLimits {
    /// Most simultaneously registered nodes.
    pub max_nodes: usize,
    /// Unregistered names kept beyond which the oldest slot is recycled (OTP: 1000, 5 with -d).
    pub max_unreg: usize,
}

/// Registered and remembered nodes.
pub struct Registry {
    limits: RegistryLimits,
    active: HashMap<Arc<str>, Node>,
    /// Registration order of active nodes: seq → name.
    order: BTreeMap<u64, Arc<str>>,
    /// Unregistered nodes, oldest first.
    unreg: BTreeMap<u64, Node>,
    unreg_index: HashMap<Arc<str>, u64>,
    next_seq: u64,
    /// NAMES reply (port prefix included), rebuilt after a change.
    names_cache: Option<(u32, Bytes)>,
}

/// A successful registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub name: Arc<str>,
    pub creation: u32,
}

impl Registry {
    pub fn new(limits: RegistryLimits) -> Self {
        Registry {
            limits,
            active: HashMap::new(),
            order: BTreeMap::new(),
            unreg: BTreeMap::new(),
            unreg_index: HashMap::new(),
            next_seq: 0,
            names_cache: None,
        }
    }

    pub fn limits(&self) -> RegistryLimits {
        self.limits
    }

    /// Registered nodes.
    pub fn len(&self) -> usize {
        self.active.len()
    }

    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Remembered unregistered names.
    pub fn unregistered_len(&self) -> usize {
        self.unreg.len()
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Registers a node (OTP's `node_reg2`), checking in OTP's order: name length and encoding,
    /// extra length, duplicate name; then our registration maximum.
    pub fn register(
        &mut self,
        req: &Alive2Request<'_>,
        conn: ConnId,
        fd: i32,
        now_unix: u64,
    ) -> Result<Registered, RegisterError> {
        if req.name.len() > MAXSYMLEN {
            return Err(RegisterError::NameTooLong(req.name.len()));
        }
        let name = std::str::from_utf8(req.name).map_err(|_| RegisterError::InvalidName)?;
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(RegisterError::NameTooLong(req.name.len()));
        }
        if req.extra.len() > MAXSYMLEN {
            return Err(RegisterError::ExtraTooLong(req.extra.len()));
        }
        if self.active.contains_key(name) {
            return Err(RegisterError::AlreadyRegistered(name.to_string()));
        }
        if self.active.len() >= self.limits.max_nodes {
            return Err(RegisterError::TooManyNodes(
                self.limits.max_nodes,
                name.to_string(),
            ));
        }
        let (name, counter): (Arc<str>, CreationCounter) =
            if let Some(seq) = self.unreg_index.remove(name) {
                // A name seen before: its slot's counter, bumped (a restarted node gets creation + 1).
                let mut counter = match self.unreg.remove(&seq) {
                    Some(old) => old.counter,
                    None => CreationCounter::seeded(now_unix),
                };
                counter.bump();
                (Arc::from(name), counter)
            } else if self.unreg.len() > self.limits.max_unreg {
                // The memory is full: the new name takes over the oldest slot and its counter as it
                // is, without a bump (OTP does the same).
                let counter = match self.unreg.pop_first() {
                    Some((_, old)) => {
                        self.unreg_index.remove(&old.name);
                        old.counter
                    }
                    None => CreationCounter::seeded(now_unix),
                };
                (Arc::from(name), counter)
            } else {
                let mut counter = CreationCounter::seeded(now_unix);
                counter.bump();
                (Arc::from(name), counter)
            };
        let seq = self.seq();
        let node = Node {
            name: name.clone(),
            port: req.port,
            node_type: req.node_type,
            protocol: req.protocol,
            highest_version: req.highest_version,
            lowest_version: req.lowest_version,
            extra: req.extra.into(),
            counter,
            conn,
            fd,
            seq,
        };
        self.order.insert(seq, name.clone());
        self.active.insert(name.clone(), node);
        self.names_cache = None;
        Ok(Registered {
            name,
            creation: counter.creation_for(req.highest_version),
        })
    }

    /// Looks a registered node up by name.
    pub fn lookup(&self, name: &str) -> Option<&Node> {
        self.active.get(name)
    }

    /// Unregisters `name` whoever holds it (STOP_REQ, failed ALIVE2 reply); returns the
    /// connection it was registered on.
    pub fn unregister_name(&mut self, name: &str) -> Option<ConnId> {
        let node = self.active.remove(name)?;
        let conn = node.conn;
        self.retire(node);
        Some(conn)
    }

    /// Unregisters `name` if it is still held by `conn` (the registration connection closed).
    pub fn unregister_conn(&mut self, name: &str, conn: ConnId) -> bool {
        match self.active.get(name) {
            Some(node) if node.conn == conn => self.unregister_name(name).is_some(),
            _ => false,
        }
    }

    fn retire(&mut self, mut node: Node) {
        self.order.remove(&node.seq);
        let seq = self.seq();
        node.seq = seq;
        self.unreg_index.insert(node.name.clone(), seq);
        self.unreg.insert(seq, node);
        self.names_cache = None;
    }

    /// Registered nodes, newest first.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.order
            .values()
            .rev()
            .filter_map(move |name| self.active.get(name))
    }

    /// Unregistered nodes, oldest first.
    pub fn old_nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.unreg.values()
    }

    /// The whole NAMES reply: `u32` daemon port, then one line per node, newest first.
    /// Cached until the registry changes.
    pub fn names_reply(&mut self, epmd_port: u32) -> Bytes {
        if let Some((port, bytes)) = &self.names_cache {
            if *port == epmd_port {
                return bytes.clone();
            }
        }
        let mut out = Vec::with_capacity(4 + self.active.len() * 32);
        out.extend_from_slice(&epmd_port.to_be_bytes());
        for node in self.nodes() {
            push_names_line(&mut out, &node.name, node.port);
        }
        let bytes = Bytes::from(out);
        self.names_cache = Some((epmd_port, bytes.clone()));
        bytes
    }

    /// The whole DUMP reply: `u32` daemon port, active records newest first, then old ones oldest first.
    pub fn dump_reply(&self, epmd_port: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + (self.active.len() + self.unreg.len()) * 48);
        out.extend_from_slice(&epmd_port.to_be_bytes());
        for node in self.nodes() {
            push_dump_active(&mut out, &node.name, node.port, node.fd);
        }
        for node in self.old_nodes() {
            push_dump_old(&mut out, &node.name, node.port, node.fd);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RegistryLimits = RegistryLimits {
        max_nodes: 1000,
        max_unreg: 1000,
    };

    fn req(name: &[u8], high: u16) -> Alive2Request<'_> {
        Alive2Request {
            port: 5555,
            node_type: 77,
            protocol: 0,
            highest_version: high,
            lowest_version: 5,
            name,
            extra: b"",
        }
    }

    #[test]
    fn creation_sequence_matches_otp() {
        let mut r = Registry::new(LIMITS);
        let t = 0x6b08_2dd8;
        assert_eq!(
            r.register(&req(b"foo", 6), 1, 7, t).unwrap().creation,
            0x6b08_2dd9
        );
        assert!(r.unregister_conn("foo", 1));
        assert_eq!(
            r.register(&req(b"foo", 6), 2, 7, t + 50).unwrap().creation,
            0x6b08_2dda
        );
        r.unregister_conn("foo", 2);
        assert_eq!(r.register(&req(b"foo", 5), 3, 7, t).unwrap().creation, 2);
        r.unregister_conn("foo", 3);
        assert_eq!(r.register(&req(b"foo", 5), 4, 7, t).unwrap().creation, 3);
    }

    #[test]
    fn refusals() {
        let mut r = Registry::new(LIMITS);
        r.register(&req(b"foo", 6), 1, 7, 100).unwrap();
        assert!(matches!(
            r.register(&req(b"foo", 6), 2, 8, 100),
            Err(RegisterError::AlreadyRegistered(_))
        ));
        let long = vec![b'a'; 256];
        assert!(matches!(
            r.register(&req(&long, 6), 2, 8, 100),
            Err(RegisterError::NameTooLong(256))
        ));
        assert!(r.register(&req(&long[..255], 6), 2, 8, 100).is_ok());
        assert_eq!(
            r.register(&req(b"\xff", 6), 3, 8, 100),
            Err(RegisterError::InvalidName)
        );
        let extra = vec![0u8; 1021];
        let mut big = req(b"bar", 6);
        big.extra = &extra;
        assert_eq!(
            r.register(&big, 3, 8, 100),
            Err(RegisterError::ExtraTooLong(1021))
        );
    }

    #[test]
    fn maximum_refuses_but_lookups_work() {
        let mut r = Registry::new(RegistryLimits {
            max_nodes: 2,
            max_unreg: 5,
        });
        r.register(&req(b"a", 6), 1, 1, 100).unwrap();
        r.register(&req(b"b", 6), 2, 2, 100).unwrap();
        assert!(matches!(
            r.register(&req(b"c", 6), 3, 3, 100),
            Err(RegisterError::TooManyNodes(2, _))
        ));
        assert_eq!(r.lookup("a").map(|n| n.port), Some(5555));
    }

    #[test]
    fn names_newest_first_and_dump() {
        let mut r = Registry::new(LIMITS);
        r.register(&req(b"foo", 6), 1, 7, 100).unwrap();
        r.register(&req(b"bar", 6), 2, 8, 100).unwrap();
        let names = r.names_reply(4369);
        assert_eq!(&names[..4], &4369u32.to_be_bytes());
        assert_eq!(
            &names[4..],
            b"name bar at port 5555\nname foo at port 5555\n"
        );
        r.unregister_conn("foo", 1);
        let names = r.names_reply(4369);
        assert_eq!(&names[4..], b"name bar at port 5555\n");
        let dump = r.dump_reply(4369);
        assert_eq!(
            &dump[4..],
            b"active name     <bar> at port 5555, fd = 8\n\0old/unused name <foo>, port = 5555, fd = 7 \n\0"
                .as_slice()
        );
    }

    #[test]
    fn unregister_conn_ignores_other_holders() {
        let mut r = Registry::new(LIMITS);
        r.register(&req(b"foo", 6), 1, 7, 100).unwrap();
        assert!(!r.unregister_conn("foo", 99));
        assert_eq!(r.unregister_name("foo"), Some(1));
        assert!(r.lookup("foo").is_none());
    }

    #[test]
    fn oldest_slot_recycled_when_list_is_over_limit() {
        let mut r = Registry::new(RegistryLimits {
            max_nodes: 100,
            max_unreg: 2,
        });
        for (i, n) in [b"a", b"b", b"c"].iter().enumerate() {
            r.register(&req(*n, 6), i as u64, 0, 1000).unwrap();
            r.unregister_conn(std::str::from_utf8(*n).unwrap(), i as u64);
        }
        assert_eq!(r.unregistered_len(), 3);
        // The list holds more than max_unreg: a new name takes over "a"'s counter, unbumped.
        let got = r.register(&req(b"d", 6), 9, 0, 5000).unwrap();
        assert_eq!(got.creation, 1001);
        assert_eq!(r.unregistered_len(), 2);
    }
}
