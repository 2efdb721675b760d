//! Fuzzes the handshake: message parsing from either side, and an acceptor and an initiator fed
//! arbitrary packets after a valid start. Nothing may panic; errors are fine.
#![no_main]

use distproto::framing::split16;
use distproto::handshake::*;
use libfuzzer_sys::fuzz_target;

fn local(name: &str) -> LocalNode {
    LocalNode { name: name.into(), creation: 7, flags: DistFlags::OTP_DEFAULT, mandatory: DistFlags::MANDATORY_25 }
}

fuzz_target!(|data: &[u8]| {
    let _ = Message::decode(data, Sender::Initiator);
    let _ = Message::decode(data, Sender::Acceptor);

    // Split the input into u16-framed packets, as a socket would deliver them.
    let mut packets = Vec::new();
    let mut rest = data;
    while let Ok(Some((packet, used))) = split16(rest) {
        packets.push(packet.to_vec());
        rest = &rest[used..];
    }

    let mut acceptor = Acceptor::new(local("b@h"), 1);
    for packet in &packets {
        match acceptor.receive(packet) {
            Ok(AcceptorStep::Decide(_)) => {
                let _ = acceptor.decide(Decision::Ok, Cookie::new("c"));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }

    let (mut initiator, _) = Initiator::start(local("a@h"), "b@h", Cookie::new("c"), 2);
    for packet in &packets {
        match initiator.receive(packet) {
            Ok(InitiatorStep::AskAlive) => {
                let _ = initiator.answer_alive(true);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
});
