//! Fuzzes the message layer: arbitrary 4-byte-framed packets into a DistReceiver (distribution
//! headers, atom cache, fragments, pass-through, control messages). Nothing may panic.
#![no_main]

use bytes::Bytes;
use distproto::dist::{DistLimits, DistReceiver, FragmentLimits};
use distproto::framing::{split32, Frame};
use distproto::handshake::DistFlags;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, data)) = data.split_first() else { return };
    let flags = match selector % 3 {
        0 => DistFlags::OTP_DEFAULT,
        1 => DistFlags::OTP_DEFAULT.difference(DistFlags::FRAGMENTS),
        _ => DistFlags::OTP_DEFAULT.difference(DistFlags::REJECTABLE),
    };
    let limits = DistLimits { fragments: FragmentLimits { max_sequences: 4, max_message_size: 1 << 20 }, ..DistLimits::default() };
    let mut receiver = DistReceiver::new(flags, limits);
    let mut rest = data;
    while let Ok(Some((frame, used))) = split32(rest, 1 << 20) {
        if let Frame::Packet(packet) = frame {
            if receiver.receive(Bytes::copy_from_slice(packet), 0).is_err() {
                return;
            }
        }
        rest = &rest[used..];
    }
});
