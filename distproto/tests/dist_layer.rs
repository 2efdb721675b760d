//! The message layer end to end in memory: what a DistSender writes, a DistReceiver reads back,
//! with headers, fragments or pass-through; hostile packets are refused without panics.

use bytes::Bytes;
use distproto::control::ControlMessage;
use distproto::dist::*;
use distproto::framing::{split32, Frame};
use distproto::handshake::DistFlags;
use distproto::term::{Atom, Pid, Term};

fn pid(id: u32) -> Pid {
    Pid {
        node: Atom::new("a@h").expect("atom"),
        id,
        serial: 0,
        creation: 7,
    }
}

fn packets(mut bytes: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    while let Some((frame, used)) = split32(bytes, usize::MAX).expect("framed") {
        if let Frame::Packet(p) = frame {
            out.push(Bytes::copy_from_slice(p));
        }
        bytes = &bytes[used..];
    }
    out
}

fn round_trip(flags: DistFlags, sender: DistSender, payload: Term) -> (usize, Vec<DistMessage>) {
    let mut sender = sender;
    let mut receiver = DistReceiver::new(flags, DistLimits::default());
    let control = ControlMessage::RegSend {
        from: pid(1),
        to_name: Atom::new("echo").expect("atom"),
    };
    let mut wire = Vec::new();
    sender
        .encode(&control, Some(&payload), &mut wire)
        .expect("encodes");
    sender
        .encode(
            &ControlMessage::Link {
                from: pid(1),
                to: pid(2),
            },
            None,
            &mut wire,
        )
        .expect("encodes");
    let packets = packets(&wire);
    let count = packets.len();
    let messages = packets
        .into_iter()
        .filter_map(|p| receiver.receive(p, 0).expect("decodes"))
        .collect();
    (count, messages)
}

#[test]
fn messages_round_trip_under_every_flag_set() {
    let payload = Term::tuple(vec![Term::atom("hello"), Term::binary(vec![1u8, 2, 3])]);
    let all = DistFlags::OTP_DEFAULT;
    for flags in [
        all,
        all.difference(DistFlags::FRAGMENTS),
        all.difference(DistFlags::DIST_HDR_ATOM_CACHE),
        all.difference(DistFlags::REJECTABLE),
    ] {
        let (count, messages) = round_trip(flags, DistSender::new(flags), payload.clone());
        assert_eq!(count, 2, "{flags}");
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].payload.as_ref(), Some(&payload));
        assert_eq!(
            messages[1].control,
            ControlMessage::Link {
                from: pid(1),
                to: pid(2)
            }
        );
    }
}

#[test]
fn large_payloads_are_fragmented_and_reassembled() {
    let flags = DistFlags::OTP_DEFAULT;
    let big = Term::binary(vec![7u8; 1_000_000]);
    let (count, messages) = round_trip(
        flags,
        DistSender::new(flags).with_fragment_size(64 * 1024),
        big.clone(),
    );
    assert_eq!(
        count,
        16 + 1,
        "1,000,000 payload bytes in 64 KiB fragments, then the link"
    );
    assert_eq!(messages[0].payload.as_ref(), Some(&big));
    // Without FRAGMENTS the same message goes as one packet.
    let flags = flags.difference(DistFlags::FRAGMENTS);
    let (count, _) = round_trip(flags, DistSender::new(flags), big);
    assert_eq!(count, 2);
}

#[test]
fn fragment_limits_hold() {
    let flags = DistFlags::OTP_DEFAULT;
    let mut sender = DistSender::new(flags).with_fragment_size(100);
    let mut wire = Vec::new();
    let control = ControlMessage::Send { to: pid(3) };
    sender
        .encode(&control, Some(&Term::binary(vec![0u8; 1000])), &mut wire)
        .expect("encodes");
    let packets = packets(&wire);

    let small = DistLimits {
        fragments: FragmentLimits {
            max_sequences: 4,
            max_message_size: 500,
        },
        ..DistLimits::default()
    };
    let mut receiver = DistReceiver::new(flags, small);
    let results: Vec<_> = packets
        .iter()
        .map(|p| receiver.receive(p.clone(), 0))
        .collect();
    assert!(results
        .iter()
        .any(|r| matches!(r, Err(DistError::MessageTooLarge { .. }))));

    let mut receiver = DistReceiver::new(flags, DistLimits::default());
    assert!(matches!(
        receiver.receive(packets[1].clone(), 0),
        Err(DistError::UnknownSequence(_))
    ));
    assert!(receiver
        .receive(packets[0].clone(), 5)
        .expect("first")
        .is_none());
    assert!(matches!(
        receiver.receive(packets[2].clone(), 5),
        Err(DistError::FragmentOrder { .. })
    ));
    assert_eq!(receiver.expire_fragments(6), 1);
}

#[test]
fn hostile_packets_are_errors() {
    let flags = DistFlags::OTP_DEFAULT;
    let mut receiver = DistReceiver::new(flags, DistLimits::default());
    let cases: Vec<&[u8]> = vec![
        b"",
        &[112, 131, 104, 0],
        &[131],
        &[131, 68],
        &[131, 68, 1, 0x00, 9],
        &[131, 68, 0, 104, 1, 97, 5],
        &[131, 68, 0, 104, 3, 97, 2, 100, 0, 0, 97, 1],
        &[131, 69, 0, 0],
        &[131, 70, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
        &[99, 1, 2, 3],
    ];
    for case in cases {
        assert!(
            receiver.receive(Bytes::copy_from_slice(case), 0).is_err(),
            "{case:?}"
        );
    }
    let plain = DistFlags::OTP_DEFAULT.difference(DistFlags::REJECTABLE);
    let mut receiver = DistReceiver::new(plain, DistLimits::default());
    assert!(matches!(
        receiver.receive(Bytes::from_static(&[131, 68, 0]), 0),
        Err(DistError::UnexpectedHeader)
    ));
}

#[test]
fn atoms_go_through_the_cache_and_are_reused() {
    let flags = DistFlags::OTP_DEFAULT;
    let mut sender = DistSender::new(flags);
    let mut receiver = DistReceiver::new(flags, DistLimits::default());
    let payload = Term::list(
        (0..300)
            .map(|i| Term::atom(&format!("atom_number_{i}")))
            .collect(),
    );
    let control = ControlMessage::RegSend {
        from: pid(1),
        to_name: Atom::new("echo").expect("atom"),
    };
    let mut sizes = Vec::new();
    for _ in 0..2 {
        let mut wire = Vec::new();
        sender
            .encode(&control, Some(&payload), &mut wire)
            .expect("encodes");
        let packets = packets(&wire);
        assert_eq!(packets.len(), 1);
        sizes.push(packets[0].len());
        // 255 refs per message at most: the header lists 255 atoms.
        assert_eq!(packets[0][2], 255);
        let message = receiver
            .receive(packets[0].clone(), 0)
            .expect("decodes")
            .expect("whole");
        assert_eq!(message.payload.as_ref(), Some(&payload));
    }
    assert!(
        sizes[1] < sizes[0] / 2,
        "second message reuses cached atoms: {sizes:?}"
    );
    // Without DIST_HDR_ATOM_CACHE the header is empty and atoms are written in full.
    let flags = flags.difference(DistFlags::DIST_HDR_ATOM_CACHE);
    let mut wire = Vec::new();
    DistSender::new(flags)
        .encode(&control, Some(&payload), &mut wire)
        .expect("encodes");
    assert_eq!(packets(&wire)[0][2], 0);
}
