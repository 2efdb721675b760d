//! The typed answers of the text and control requests (NAMES/DUMP, KILL, STOP), as the client
//! returns them. Plain data.

/// NAMES or DUMP as received: the port the daemon reports and the raw text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextReply {
    pub epmd_port: u32,
    pub text: Vec<u8>,
}

/// The answer to KILL_REQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillReply {
    /// "OK": the daemon exits.
    Killed,
    /// "NO" (nodes are registered and relaxed mode is off).
    NotAllowed,
}

/// The answer to STOP_REQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReply {
    /// The name was registered; its registration connection was closed.
    Stopped,
    /// The name was not registered ("NOEXIST").
    NotRegistered,
}
