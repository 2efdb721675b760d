//! Fuzzes what the daemon does with bytes from a socket: framing in arbitrary chunks, request
//! parsing and the handler against a small registry. Nothing may panic; buffers stay bounded.
#![no_main]

use epmd::handler::{do_request, RequestContext};
use epmd::protocol::{FrameStatus, Request, RequestFrame, INBUF_SIZE};
use epmd::registry::{Registry, RegistryLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks chunk sizes and the peer's flags; the rest is the stream.
    let Some((&ctl, stream)) = data.split_first() else {
        return;
    };
    let _ = Request::parse(stream);
    let mut registry = Registry::new(RegistryLimits {
        max_nodes: 4,
        max_unreg: 2,
    });
    let chunk = usize::from(ctl & 0x0f) + 1;
    let mut rest = stream;
    let mut conn = 0u64;
    let mut frame = RequestFrame::new();
    while !rest.is_empty() {
        let take = chunk.min(rest.len());
        let (used, status) = frame.feed(&rest[..take]);
        assert!(frame.received() < INBUF_SIZE);
        rest = &rest[used.max(1).min(rest.len())..];
        match status {
            Ok(FrameStatus::Incomplete) => {}
            Ok(FrameStatus::Complete) => {
                conn += 1;
                let ctx = RequestContext {
                    local_peer: ctl & 0x10 != 0,
                    relaxed: ctl & 0x20 != 0,
                    epmd_port: 4369,
                    conn,
                    fd: conn as i32,
                    now_unix: 1_700_000_000,
                };
                let _ = do_request(&mut registry, frame.payload(), &ctx);
                if ctl & 0x40 != 0 {
                    registry.unregister_conn("a", conn);
                }
                frame = RequestFrame::new();
            }
            Err(_) => frame = RequestFrame::new(),
        }
    }
    let _ = registry.names_reply(4369);
    let _ = registry.dump_reply(4369);
});
