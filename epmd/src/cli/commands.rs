//! The interactive commands (`-names`, `-dump`, `-started`, `-kill`, `-stop NAME`), printing
//! exactly what OTP's `epmd_cli.c` prints and returning its exit status. Built on our client.

use super::args::ClientCommand;
use crate::client::{ClientError, EpmdClient};
use std::io::Write;
use std::time::Duration;

/// OTP's CLI waits without limit; we stop waiting after an hour.
const CLI_TIMEOUT: Duration = Duration::from_secs(3600);

/// Runs one command against the local epmd on `port`; returns the exit status.
pub async fn run(port: i32, command: ClientCommand) -> i32 {
    let client = EpmdClient::local(port as u16).with_timeout(CLI_TIMEOUT);
    let mut out = std::io::stdout().lock();
    let (status, text) = match command {
        ClientCommand::Names => text_command(&client, false, false).await,
        ClientCommand::Started => text_command(&client, false, true).await,
        ClientCommand::Dump => text_command(&client, true, false).await,
        ClientCommand::Kill => kill(&client).await,
        ClientCommand::Stop(name) => stop(&client, &name).await,
    };
    let _ = out.write_all(&text);
    let _ = out.flush();
    status
}

fn cannot_connect(silent: bool) -> (i32, Vec<u8>) {
    if !silent {
        eprintln!("epmd: Cannot connect to local epmd");
    }
    (1, Vec::new())
}

async fn text_command(client: &EpmdClient, dump: bool, silent: bool) -> (i32, Vec<u8>) {
    let reply = if dump {
        client.dump().await
    } else {
        client.names_reply().await
    };
    match reply {
        Ok(reply) => {
            if silent {
                return (0, Vec::new());
            }
            let mut text = format!(
                "epmd: up and running on port {} with data:\n",
                reply.epmd_port as i32
            )
            .into_bytes();
            text.extend_from_slice(&reply.text);
            (0, text)
        }
        Err(ClientError::NotRunning { .. }) => cannot_connect(silent),
        Err(ClientError::Io { .. }) if !silent => (1, b"epmd: Can't write to epmd\n".to_vec()),
        Err(_) if silent => (1, Vec::new()),
        Err(_) => (1, b"epmd: no response from local epmd\n".to_vec()),
    }
}

fn responded_with(partial: &[u8]) -> Vec<u8> {
    let end = partial
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(partial.len());
    let mut text = b"epmd: local epmd responded with <".to_vec();
    text.extend_from_slice(&partial[..end]);
    text.extend_from_slice(b">\n");
    text
}

async fn kill(client: &EpmdClient) -> (i32, Vec<u8>) {
    match client.kill_raw().await {
        Ok(bytes) if bytes == b"OK" => (0, b"Killed\n".to_vec()),
        Ok(bytes) if bytes.len() == 2 => (
            1,
            b"Killing not allowed - living nodes in database.\n".to_vec(),
        ),
        Ok(bytes) => (1, responded_with(&bytes)),
        Err(ClientError::NotRunning { .. }) => cannot_connect(false),
        Err(_) => (1, b"epmd: failed to read answer from local epmd\n".to_vec()),
    }
}

async fn stop(client: &EpmdClient, name: &[u8]) -> (i32, Vec<u8>) {
    if name.len() > 1000 {
        return (1, b"epmd: Name too long!".to_vec());
    }
    match client.stop_raw(name).await {
        Ok(bytes) if bytes.len() == 7 => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(7);
            let mut text = bytes[..end].to_vec();
            text.push(b'\n');
            (0, text)
        }
        Ok(bytes) => (1, responded_with(&bytes)),
        Err(ClientError::NotRunning { .. }) => cannot_connect(false),
        Err(_) => (1, b"epmd: failed to read answer from local epmd\n".to_vec()),
    }
}
