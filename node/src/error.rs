//! What can go wrong starting a node or talking to a peer, in words that say what to do.
//! Connection failures name the peer; the cookie is never part of a message.

use crate::cookie::CookieError;
use crate::name::NameError;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Cookie(#[from] CookieError),
    #[error("cannot listen for distribution on ports {ports}: {source}")]
    Listen {
        ports: String,
        source: std::io::Error,
    },
    #[error("node name {0} is already in use (epmd refused the registration)")]
    NameInUse(String),
    #[error("epmd: {0}")]
    Epmd(#[from] epmd::ClientError),
    #[error("no epmd on port {port} and starting one failed: {why}")]
    EpmdStart { port: u16, why: String },
    #[error("cannot connect to {peer}: {why}")]
    Connect { peer: String, why: String },
    #[error("not a node name: {0:?}")]
    BadPeerName(String),
    #[error("{0} is the node itself")]
    SelfConnect(String),
    #[error("the node has stopped")]
    Stopped,
}
