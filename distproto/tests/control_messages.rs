//! Every control message survives to_term/from_term unchanged and carries OTP's op number; the
//! invalid shapes OTP kills connections for are refused.

use distproto::control::*;
use distproto::term::{Atom, Pid, Reference, Term};

fn pid(id: u32) -> Pid {
    Pid {
        node: Atom::new("a@h").expect("atom"),
        id,
        serial: 0,
        creation: 7,
    }
}

fn reference() -> Reference {
    Reference {
        node: Atom::new("a@h").expect("atom"),
        creation: 7,
        ids: [1, 2, 3].into(),
    }
}

fn all_messages() -> Vec<ControlMessage> {
    use ControlMessage::*;
    let (from, to, r, t) = (pid(1), pid(2), reference(), Term::atom("token"));
    let reason = Term::tuple(vec![Term::atom("shutdown"), Term::from(1i64)]);
    let name = Atom::new("rex").expect("atom");
    let request = distproto::control::SpawnRequest {
        req_id: r.clone(),
        from: from.clone(),
        group_leader: to.clone(),
        module: Atom::new("erlang").expect("atom"),
        function: Atom::new("node").expect("atom"),
        arity: 0,
        opts: Term::list(vec![Term::atom("monitor"), Term::atom("link")]),
    };
    let reply = distproto::control::SpawnReply {
        req_id: r.clone(),
        to: to.clone(),
        flags: 3,
        result: Term::Pid(pid(9)),
    };
    vec![
        Link {
            from: from.clone(),
            to: to.clone(),
        },
        Send { to: to.clone() },
        Exit {
            from: from.clone(),
            to: to.clone(),
            reason: reason.clone(),
        },
        Unlink {
            from: from.clone(),
            to: to.clone(),
        },
        RegSend {
            from: from.clone(),
            to_name: name.clone(),
        },
        GroupLeader {
            from: from.clone(),
            to: to.clone(),
        },
        Exit2 {
            from: from.clone(),
            to: to.clone(),
            reason: reason.clone(),
        },
        SendTt {
            to: to.clone(),
            token: t.clone(),
        },
        ExitTt {
            from: from.clone(),
            to: to.clone(),
            token: t.clone(),
            reason: reason.clone(),
        },
        RegSendTt {
            from: from.clone(),
            to_name: name.clone(),
            token: t.clone(),
        },
        Exit2Tt {
            from: from.clone(),
            to: to.clone(),
            token: t.clone(),
            reason: reason.clone(),
        },
        MonitorP {
            from: from.clone(),
            to: ProcRef::Name(name.clone()),
            reference: r.clone(),
        },
        DemonitorP {
            from: from.clone(),
            to: ProcRef::Pid(to.clone()),
            reference: r.clone(),
        },
        MonitorPExit {
            from: ProcRef::Pid(from.clone()),
            to: to.clone(),
            reference: r.clone(),
            reason: reason.clone(),
        },
        SendSender {
            from: from.clone(),
            to: to.clone(),
        },
        SendSenderTt {
            from: from.clone(),
            to: to.clone(),
            token: t.clone(),
        },
        PayloadExit {
            from: from.clone(),
            to: to.clone(),
        },
        PayloadExitTt {
            from: from.clone(),
            to: to.clone(),
            token: t.clone(),
        },
        PayloadExit2 {
            from: from.clone(),
            to: to.clone(),
        },
        PayloadExit2Tt {
            from: from.clone(),
            to: to.clone(),
            token: t.clone(),
        },
        PayloadMonitorPExit {
            from: ProcRef::Name(name.clone()),
            to: to.clone(),
            reference: r.clone(),
        },
        SpawnRequest(request.clone()),
        SpawnRequestTt(request, t.clone()),
        SpawnReply(reply.clone()),
        SpawnReplyTt(reply, t.clone()),
        AliasSend {
            from: from.clone(),
            alias: r.clone(),
        },
        AliasSendTt {
            from: from.clone(),
            alias: r.clone(),
            token: t.clone(),
        },
        UnlinkId {
            id: u64::MAX,
            from: from.clone(),
            to: to.clone(),
        },
        UnlinkIdAck {
            id: 6,
            from: from.clone(),
            to: to.clone(),
        },
        AltactSigSend {
            flags: 1,
            from,
            to: Term::Pid(to),
            token: Some(t),
        },
    ]
}

#[test]
fn every_message_round_trips_with_its_op_number() {
    let messages = all_messages();
    assert_eq!(
        messages.len(),
        30,
        "ops 1-37 less 5 and the unused 9, 10, 11, 14, 15, 17"
    );
    for message in messages {
        let term = message.to_term();
        let Term::Tuple(items) = &term else {
            panic!("not a tuple")
        };
        assert_eq!(items[0], Term::from(i64::from(message.op())));
        assert_eq!(
            ControlMessage::from_term(&term).as_ref(),
            Ok(&message),
            "op {}",
            message.op()
        );
    }
}

#[test]
fn invalid_control_messages_are_refused() {
    let p = || Term::Pid(pid(1));
    let bad = [
        Term::tuple(vec![Term::from(5i64)]),
        Term::tuple(vec![Term::from(99i64), p()]),
        Term::tuple(vec![Term::from(1i64), p()]),
        Term::tuple(vec![Term::from(1i64), Term::atom("x"), p()]),
        Term::tuple(vec![Term::from(35i64), Term::from(0i64), p(), p()]),
        Term::tuple(vec![Term::from(19i64), p(), p(), Term::atom("not_a_ref")]),
        Term::list(vec![Term::from(1i64)]),
        Term::tuple(vec![]),
    ];
    for term in bad {
        assert!(ControlMessage::from_term(&term).is_err(), "{term:?}");
    }
}

#[test]
fn payload_ops_are_otps() {
    let with_payload: Vec<u8> = all_messages()
        .iter()
        .filter(|m| m.has_payload())
        .map(|m| m.op())
        .collect();
    assert_eq!(
        with_payload,
        vec![2, 6, 12, 16, 22, 23, 24, 25, 26, 27, 28, 29, 30, 33, 34, 37]
    );
}
