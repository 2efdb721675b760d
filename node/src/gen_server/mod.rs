//! GenServer for Rust processes, with OTP's wire behaviour: serving `'$gen_call'` (both tag
//! forms), `'$gen_cast'` and plain messages, replies now or later, idle timeouts; and calling
//! or casting to any gen_server (BEAM or Rust) with a monitor, a timeout and a demonitor.

mod call;
mod from;
mod server;

pub use call::CallError;
pub use from::GenCall;
pub use server::{CallReply, Ctx, GenServer, Step};
