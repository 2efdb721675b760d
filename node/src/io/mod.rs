//! I/O the Erlang way: the node's own group leader (an io server that BEAM code can print to,
//! formatting `io:format` requests in Rust) and printing from Rust processes to any group leader,
//! such as the iex shell's that a caller passed in its spawn request.

mod chardata;
mod client;
mod group_leader;

pub use chardata::chardata_to_string;
pub use client::IoError;
pub(crate) use group_leader::start_group_leader;
