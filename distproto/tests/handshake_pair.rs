//! Drives an initiator and an acceptor against each other in memory: the happy path, wrong
//! cookies, missing flags, simultaneous connect verdicts, `alive`, dynamic names and garbage.

use distproto::framing::split16;
use distproto::handshake::*;

fn local(name: &str, flags: DistFlags) -> LocalNode {
    LocalNode {
        name: name.into(),
        creation: 42,
        flags,
        mandatory: DistFlags::MANDATORY_25,
    }
}

/// Splits the framed bytes one side wrote into the payloads the other side receives.
fn payloads(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some((packet, used)) = split16(bytes).expect("well-framed") {
        out.push(packet.to_vec());
        bytes = &bytes[used..];
    }
    assert!(bytes.is_empty(), "partial frame left over");
    out
}

struct Outcome {
    initiator: Result<Established, HandshakeError>,
    acceptor: Result<Established, HandshakeError>,
}

fn run(a_cookie: &str, b_cookie: &str, a_flags: DistFlags, decision: Decision) -> Outcome {
    let (mut a, hello) =
        Initiator::start(local("a@h", a_flags), "b@h", Cookie::new(a_cookie), 1111);
    let mut b = Acceptor::new(local("b@h", DistFlags::OTP_DEFAULT), 2222);
    let mut to_b = payloads(&hello);
    let mut to_a: Vec<Vec<u8>> = Vec::new();
    let mut acceptor_result = None;
    let mut initiator_result = None;
    for _ in 0..10 {
        for payload in std::mem::take(&mut to_b) {
            match b.receive(&payload) {
                Ok(AcceptorStep::Decide(peer)) => {
                    assert_eq!(peer.name, "a@h");
                    match b
                        .decide(decision.clone(), Cookie::new(b_cookie))
                        .expect("decide")
                    {
                        AcceptorStep::Send(bytes) => to_a.extend(payloads(&bytes)),
                        AcceptorStep::Close { send, reason } => {
                            to_a.extend(payloads(&send));
                            acceptor_result = Some(Err(reason));
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
                Ok(AcceptorStep::Send(bytes) | AcceptorStep::ReplaceOld(bytes)) => {
                    to_a.extend(payloads(&bytes))
                }
                Ok(AcceptorStep::Continue) => {}
                Ok(AcceptorStep::Close { send, reason }) => {
                    to_a.extend(payloads(&send));
                    acceptor_result = Some(Err(reason));
                }
                Ok(AcceptorStep::Established { send, peer }) => {
                    to_a.extend(payloads(&send));
                    acceptor_result = Some(Ok(peer));
                }
                Err(e) => acceptor_result = Some(Err(e)),
            }
        }
        for payload in std::mem::take(&mut to_a) {
            match a.receive(&payload) {
                Ok(InitiatorStep::Continue) => {}
                Ok(InitiatorStep::Send(bytes)) => to_b.extend(payloads(&bytes)),
                Ok(InitiatorStep::AskAlive) => {
                    to_b.extend(payloads(&a.answer_alive(true).expect("answer")))
                }
                Ok(InitiatorStep::Established(peer)) => initiator_result = Some(Ok(peer)),
                Err(e) => initiator_result = Some(Err(e)),
            }
        }
        if to_a.is_empty() && to_b.is_empty() {
            break;
        }
    }
    Outcome {
        initiator: initiator_result
            .unwrap_or(Err(HandshakeError::WrongState("initiator never finished"))),
        acceptor: acceptor_result
            .unwrap_or(Err(HandshakeError::WrongState("acceptor never finished"))),
    }
}

#[test]
fn same_cookie_connects_with_intersected_flags() {
    let a_flags = DistFlags::OTP_DEFAULT.difference(DistFlags::FRAGMENTS);
    let out = run("c", "c", a_flags, Decision::Ok);
    let a = out.initiator.expect("initiator up");
    let b = out.acceptor.expect("acceptor up");
    assert_eq!(a.peer_name, "b@h");
    assert_eq!(b.peer_name, "a@h");
    assert_eq!(a.flags, b.flags);
    assert!(!a.flags.contains(DistFlags::FRAGMENTS));
    assert_eq!((a.peer_creation, b.peer_creation), (42, 42));
}

#[test]
fn wrong_cookie_is_refused_by_the_acceptor() {
    let out = run("right", "wrong", DistFlags::OTP_DEFAULT, Decision::Ok);
    assert_eq!(
        out.acceptor,
        Err(HandshakeError::BadChallengeReply { peer: "a@h".into() })
    );
    assert!(out.initiator.is_err());
}

#[test]
fn missing_mandatory_flags_get_not_allowed() {
    let out = run(
        "c",
        "c",
        DistFlags(DistFlags::MANDATORY_25.0 & !DistFlags::MAP_TAG.0),
        Decision::Ok,
    );
    assert_eq!(
        out.acceptor,
        Err(HandshakeError::MissingFlags {
            peer: "a@h".into(),
            missing: DistFlags::MAP_TAG
        })
    );
    assert_eq!(out.initiator, Err(HandshakeError::NotAllowed));
    // The digest bit alone stands for the whole OTP 25 set.
    let out = run("c", "c", DistFlags(0x400_0001), Decision::Ok);
    assert!(out.acceptor.is_ok() && out.initiator.is_ok());
}

#[test]
fn simultaneous_connect_verdicts() {
    let out = run("c", "c", DistFlags::OTP_DEFAULT, Decision::Nok);
    assert_eq!(out.initiator, Err(HandshakeError::SimultaneousConnectLost));
    let out = run("c", "c", DistFlags::OTP_DEFAULT, Decision::OkSimultaneous);
    assert!(out.initiator.is_ok() && out.acceptor.is_ok());
}

#[test]
fn alive_answered_true_replaces_the_connection() {
    let out = run("c", "c", DistFlags::OTP_DEFAULT, Decision::Alive);
    assert!(out.initiator.is_ok() && out.acceptor.is_ok());
}

#[test]
fn acceptor_refuses_malformed_names_and_garbage() {
    for bad in ["a", "@h", "a@", "a@b@c"] {
        let mut b = Acceptor::new(local("b@h", DistFlags::OTP_DEFAULT), 1);
        let hello = Message::SendName {
            flags: DistFlags::OTP_DEFAULT,
            creation: 1,
            name: bad.into(),
        };
        assert!(
            matches!(b.receive(&hello.encode()), Ok(AcceptorStep::Close { .. })),
            "{bad}"
        );
    }
    let mut b = Acceptor::new(local("b@h", DistFlags::OTP_DEFAULT), 1);
    assert!(b.receive(b"zzz").is_err());
    assert!(b.receive(&[]).is_err());
}

#[test]
fn dynamic_name_is_assigned() {
    let flags = DistFlags::OTP_DEFAULT
        .difference(DistFlags::PUBLISHED)
        .union(DistFlags::NAME_ME);
    let mut b = Acceptor::new(local("b@h", DistFlags::OTP_DEFAULT), 7);
    let hello = Message::SendName {
        flags,
        creation: 0,
        name: "h".into(),
    };
    assert!(matches!(
        b.receive(&hello.encode()),
        Ok(AcceptorStep::Decide(_))
    ));
    let step = b
        .decide(
            Decision::Named {
                name: "x1@h".into(),
                creation: 9,
            },
            Cookie::new("c"),
        )
        .expect("named");
    let AcceptorStep::Send(bytes) = step else {
        panic!("expected status + challenge")
    };
    let sent = payloads(&bytes);
    assert_eq!(
        Message::decode(&sent[0], Sender::Acceptor),
        Ok(Message::Status(Status::Named {
            name: "x1@h".into(),
            creation: 9
        }))
    );
}
