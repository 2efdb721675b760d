//! EPMD's request and reply codes and size limits, named as in OTP's `epmd.h` / `epmd_int.h`.
//! Constants only: no parsing or encoding lives here.

/// Default EPMD port (`EPMD_PORT_NO`).
pub const EPMD_PORT_NO: u16 = 4369;

/// ALIVE2_REQ: register a node (`'x'`).
pub const ALIVE2_REQ: u8 = b'x';
/// ALIVE2_X_RESP: registration reply with a 32-bit creation (`'v'`), for HighestVersion ≥ 6.
pub const ALIVE2_X_RESP: u8 = b'v';
/// ALIVE2_RESP: registration reply with a 16-bit creation (`'y'`), for older clients.
pub const ALIVE2_RESP: u8 = b'y';
/// PORT_PLEASE2_REQ: look a node up by name (`'z'`).
pub const PORT_PLEASE2_REQ: u8 = b'z';
/// PORT2_RESP: the lookup reply (`'w'`).
pub const PORT2_RESP: u8 = b'w';
/// NAMES_REQ: list registered names (`'n'`).
pub const NAMES_REQ: u8 = b'n';
/// DUMP_REQ: list registered and old names with details (`'d'`).
pub const DUMP_REQ: u8 = b'd';
/// KILL_REQ: stop the daemon (`'k'`).
pub const KILL_REQ: u8 = b'k';
/// STOP_REQ: forcibly unregister a name (`'s'`).
pub const STOP_REQ: u8 = b's';

/// Longest node name in bytes (`MAXSYMLEN` = 255 × 4); also the longest Extra field.
pub const MAXSYMLEN: usize = 255 * 4;
/// Longest node name in UTF-8 characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Per-connection input buffer (`INBUF_SIZE` = 3 × MAXSYMLEN): a request's `u16` length
/// plus payload must stay below it, so valid lengths are 1..=3057.
pub const INBUF_SIZE: usize = 3 * MAXSYMLEN;
/// Largest valid request payload length.
pub const MAX_REQUEST_LEN: usize = INBUF_SIZE - 3;
/// Creation sent in a failed ALIVE2 reply.
pub const ERROR_CREATION: u32 = 99;
/// Unregistered names remembered for creation reuse (`MAX_UNREG_COUNT`).
pub const MAX_UNREG_COUNT: usize = 1000;
/// Unregistered names remembered when debugging (`DEBUG_MAX_UNREG_COUNT`).
pub const DEBUG_MAX_UNREG_COUNT: usize = 5;
/// Most listening sockets (`MAX_LISTEN_SOCKETS`).
pub const MAX_LISTEN_SOCKETS: usize = 16;
/// Default idle timeout for connections without a complete request (`CLOSE_TIMEOUT`), seconds.
pub const CLOSE_TIMEOUT_SECS: u64 = 60;
