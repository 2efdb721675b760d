//! The sans-IO handshake state machines of `distproto`, driven over plain blocking sockets against
//! real OTP 25 nodes: we dial erl, erl dials us; wrong cookies are refused both ways.

use distproto::framing::split16;
use distproto::handshake::*;
use interop_tests::{free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn our_node(name: &str) -> LocalNode {
    LocalNode {
        name: name.into(),
        creation: 0x1234_5678,
        flags: DistFlags::OTP_DEFAULT,
        mandatory: DistFlags::MANDATORY_25,
    }
}

/// Reads one u16-framed handshake packet.
fn read16(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        if let Some((packet, used)) =
            split16(&buf).map_err(|e| std::io::Error::other(e.to_string()))?
        {
            assert_eq!(
                used,
                buf.len(),
                "we read no further than one handshake packet at a time"
            );
            return Ok(packet.to_vec());
        }
        let n = stream.read(
            &mut chunk[..if buf.len() < 2 {
                2 - buf.len()
            } else {
                2 + usize::from(u16::from_be_bytes([buf[0], buf[1]])) - buf.len()
            }],
        )?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Registers `name` with the epmd on `epmd_port` (raw ALIVE2_REQ); keep the stream to stay registered.
fn register(epmd_port: u16, name: &str, listen_port: u16) -> TcpStream {
    let mut req = vec![b'x'];
    req.extend_from_slice(&listen_port.to_be_bytes());
    req.extend_from_slice(&[77, 0, 0, 6, 0, 5]);
    req.extend_from_slice(&(name.len() as u16).to_be_bytes());
    req.extend_from_slice(name.as_bytes());
    req.extend_from_slice(&[0, 0]);
    let mut stream = TcpStream::connect(("127.0.0.1", epmd_port)).expect("connect epmd");
    stream
        .write_all(&[&(req.len() as u16).to_be_bytes()[..], &req].concat())
        .expect("send ALIVE2");
    let mut reply = [0u8; 6];
    stream.read_exact(&mut reply).expect("ALIVE2 reply");
    assert_eq!(&reply[..2], &[b'v', 0], "epmd accepted {name}");
    stream
}

/// Asks epmd for the distribution port of `name` (raw PORT_PLEASE2_REQ).
fn port_please(epmd_port: u16, name: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", epmd_port)).expect("connect epmd");
    let req = [
        &((name.len() + 1) as u16).to_be_bytes()[..],
        b"z",
        name.as_bytes(),
    ]
    .concat();
    stream.write_all(&req).expect("send PORT_PLEASE2");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("PORT2 reply");
    assert_eq!(&reply[..2], &[b'w', 0], "epmd knows {name}");
    u16::from_be_bytes([reply[2], reply[3]])
}

/// Our side dialing `peer`: returns the result of the handshake.
fn dial(port: u16, me: &str, peer: &str, cookie: &str) -> Result<Established, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let challenge = gen_challenge().map_err(|_| "no CSPRNG")?;
    let (mut initiator, hello) =
        Initiator::start(our_node(me), peer, Cookie::new(cookie), challenge);
    stream.write_all(&hello).map_err(|e| e.to_string())?;
    loop {
        let packet = read16(&mut stream).map_err(|e| format!("read: {e}"))?;
        match initiator.receive(&packet).map_err(|e| e.to_string())? {
            InitiatorStep::Continue => {}
            InitiatorStep::Send(bytes) => stream.write_all(&bytes).map_err(|e| e.to_string())?,
            InitiatorStep::AskAlive => stream
                .write_all(&initiator.answer_alive(true).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?,
            InitiatorStep::Established(peer) => return Ok(peer),
        }
    }
}

/// Our side accepting one connection on `listener`.
fn accept_one(listener: &TcpListener, me: &str, cookie: &str) -> Result<Established, String> {
    let (mut stream, _) = listener.accept().map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let challenge = gen_challenge().map_err(|_| "no CSPRNG")?;
    let mut acceptor = Acceptor::new(our_node(me), challenge);
    loop {
        let packet = read16(&mut stream).map_err(|e| format!("read: {e}"))?;
        let step = match acceptor.receive(&packet).map_err(|e| e.to_string())? {
            AcceptorStep::Decide(_) => acceptor
                .decide(Decision::Ok, Cookie::new(cookie))
                .map_err(|e| e.to_string())?,
            step => step,
        };
        match step {
            AcceptorStep::Continue | AcceptorStep::Decide(_) => {}
            AcceptorStep::Send(bytes) | AcceptorStep::ReplaceOld(bytes) => {
                stream.write_all(&bytes).map_err(|e| e.to_string())?
            }
            AcceptorStep::Close { send, reason } => {
                let _ = stream.write_all(&send);
                return Err(reason.to_string());
            }
            AcceptorStep::Established { send, peer } => {
                stream.write_all(&send).map_err(|e| e.to_string())?;
                // Keep the connection open a moment so erl's connect_node sees it up.
                std::thread::spawn(move || {
                    let mut sink = [0u8; 4096];
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
                });
                return Ok(peer);
            }
        }
    }
}

fn erl(epmd: &OtpEpmd, cookie: &str) -> ErlNode {
    ErlNode::start(ErlOptions {
        sname: Some(format!("{}@localhost", unique_name("hs"))),
        cookie: Some(cookie.into()),
        epmd_port: Some(epmd.port),
        ..Default::default()
    })
}

#[test]
fn we_dial_erl_with_the_right_cookie_and_wrong_one() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let mut node = erl(&epmd, &cookie);
    let peer = node.eval("node().").trim_matches('\'').to_string();
    let port = port_please(epmd.port, peer.split('@').next().expect("sname"));
    let me = format!("{}@localhost", unique_name("rust"));

    let up = dial(port, &me, &peer, &cookie).expect("handshake with the right cookie");
    assert_eq!(up.peer_name, peer);
    assert!(!up.peer_is_hidden());
    assert!(up.flags.contains(DistFlags::MANDATORY_25));

    let refused = dial(
        port,
        &format!("{}@localhost", unique_name("rust")),
        &peer,
        "wrong-cookie",
    );
    assert!(
        refused.is_err(),
        "erl must refuse a wrong cookie: {refused:?}"
    );
}

#[test]
fn erl_dials_us_and_wrong_cookie_is_refused() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let mut node = erl(&epmd, &cookie);
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let short = unique_name("rust");
    let me = format!("{short}@localhost");
    let _registration = register(
        epmd.port,
        &short,
        listener.local_addr().expect("addr").port(),
    );

    let accept = {
        let listener = listener.try_clone().expect("clone listener");
        let (me, cookie) = (me.clone(), cookie.clone());
        std::thread::spawn(move || accept_one(&listener, &me, &cookie))
    };
    assert_eq!(
        node.eval(&format!("net_kernel:connect_node('{me}').")),
        "true"
    );
    let up = accept
        .join()
        .expect("acceptor thread")
        .expect("handshake accepted");
    assert_eq!(up.peer_name, node.eval("node().").trim_matches('\''));
    assert_eq!(node.eval("nodes()."), format!("[{me}]"));

    // The same erl node with another cookie for us: we refuse it and it reports false.
    let accept = {
        let me = me.clone();
        std::thread::spawn(move || accept_one(&listener, &me, "another-cookie"))
    };
    node.eval(&format!("erlang:disconnect_node('{me}')."));
    assert_eq!(
        node.eval(&format!("net_kernel:connect_node('{me}').")),
        "false"
    );
    let refused = accept.join().expect("acceptor thread");
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("cookie mismatch")),
        "{refused:?}"
    );
}
