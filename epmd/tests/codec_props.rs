//! Property tests of the codec: what the client encodes the daemon parses back unchanged, reply
//! decoding inverts encoding, and no byte string makes framing or parsing panic.

use epmd::protocol::reply::{decode_alive2, decode_port2, encode_alive2, encode_port2};
use epmd::protocol::{Alive2Params, FrameStatus, NodeInfo, Request, RequestFrame, INBUF_SIZE};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_ñ-]{1,60}"
}

proptest! {
    #[test]
    fn alive2_request_round_trip(
        name in name(),
        port: u16,
        node_type: u8,
        protocol: u8,
        high: u16,
        low: u16,
        extra in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let params = Alive2Params {
            name: name.clone(), port, node_type, protocol,
            highest_version: high, lowest_version: low, extra: extra.clone(),
        };
        let bytes = params.encode();
        let mut frame = RequestFrame::new();
        let (_, status) = frame.feed(&bytes);
        prop_assert_eq!(status, Ok(FrameStatus::Complete));
        let Ok(Request::Alive2(r)) = Request::parse(frame.payload()) else {
            return Err(TestCaseError::fail("not parsed as ALIVE2"));
        };
        prop_assert_eq!(r.name, name.as_bytes());
        prop_assert_eq!(r.extra, &extra[..]);
        prop_assert_eq!((r.port, r.node_type, r.protocol), (port, node_type, protocol));
        prop_assert_eq!((r.highest_version, r.lowest_version), (high, low));
    }

    #[test]
    fn port2_reply_round_trip(
        name in name(),
        port: u16,
        node_type: u8,
        high: u16,
        low: u16,
        extra in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let info = NodeInfo {
            port, node_type, protocol: 0, highest_version: high, lowest_version: low,
            name, extra,
        };
        prop_assert_eq!(decode_port2(&encode_port2(&info)), Ok(Some(info)));
    }

    #[test]
    fn alive2_reply_round_trip(high: u16, creation in proptest::option::of(any::<u32>())) {
        let reply = decode_alive2(&encode_alive2(high, creation)).unwrap();
        match creation {
            Some(c) if high >= 6 => prop_assert_eq!((reply.result, reply.creation), (0, c)),
            Some(c) => prop_assert_eq!((reply.result, reply.creation), (0, c & 0xffff)),
            None => prop_assert_eq!((reply.result, reply.creation), (1, 99)),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        chunk in 1usize..64,
    ) {
        let _ = Request::parse(&bytes);
        let _ = decode_port2(&bytes);
        let _ = decode_alive2(&bytes);
        let mut frame = RequestFrame::new();
        for piece in bytes.chunks(chunk) {
            let (_, status) = frame.feed(piece);
            prop_assert!(frame.received() < INBUF_SIZE);
            match status {
                Ok(FrameStatus::Incomplete) => {}
                Ok(FrameStatus::Complete) => { let _ = Request::parse(frame.payload()); break; }
                Err(_) => break,
            }
        }
    }
}
