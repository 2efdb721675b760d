//! The EPMD wire protocol without I/O: codes and limits, request framing and parsing, reply
//! encoding and decoding. Both the daemon and the client build on it.

pub mod codes;
pub mod frame;
pub mod reply;
pub mod request;

pub use codes::*;
pub use frame::{FrameError, FrameStatus, RequestFrame};
pub use reply::{Alive2Reply, NodeInfo, ReplyError};
pub use request::{Alive2Params, Alive2Request, Request, RequestError};
