//! The shell section of `cargo xtask bench`: a command line sent as a
//! Socket.IO `input` event until its `exit` event, over loopback, against
//! spawning the same command natively.

use std::ffi::OsStr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::FutureExt as _;
use rust_socketio::Payload;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::bench::{report, resolve_interpreter, spawn_latencies};
use crate::http_bench::LocalServer;

/// (case, command line, native program and its arguments)
const CASES: [(&str, &str, &str, &[&str]); 3] = [
    (
        "shell: echo hello",
        "echo hello",
        "sh",
        &["-c", "echo hello"],
    ),
    (
        "shell: python3 -c print",
        "python3 -c \"print('hello')\"",
        "python3",
        &["-c", "print('hello')"],
    ),
    (
        "shell: node -e console.log",
        "node -e \"console.log('hello')\"",
        "node",
        &["-e", "console.log('hello')"],
    ),
];

pub async fn run(iterations: usize) -> anyhow::Result<()> {
    let server = LocalServer::start().await?;
    let (client, mut exits) = connect(&server.base).await?;
    println!("\nShell over Socket.IO (input event to exit event) vs spawning natively");
    for (case, line, program, args) in CASES {
        let mut samples = Vec::with_capacity(iterations);
        for i in 0..iterations + 2 {
            let sent = Instant::now();
            client
                .emit("input", Payload::Text(vec![json!(line)]))
                .await
                .context("emit")?;
            tokio::time::timeout(Duration::from_secs(30), exits.recv())
                .await
                .context("no exit event")?
                .context("the socket closed")?;
            if i >= 2 {
                samples.push(sent.elapsed());
            }
        }
        let native = resolve_interpreter(program).and_then(|program| {
            let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
            spawn_latencies(&program, &args, iterations)
        });
        report(case, &samples, native.as_deref());
    }
    let _ = client.disconnect().await;
    server.stop();
    Ok(())
}

/// A client whose `exit` events arrive on the receiver.
async fn connect(base: &str) -> anyhow::Result<(Client, UnboundedReceiver<()>)> {
    let (exited, exits) = unbounded_channel();
    let (ready, mut session) = unbounded_channel();
    let client = ClientBuilder::new(base)
        .transport_type(rust_socketio::TransportType::Websocket)
        .on("exit", move |_: Payload, _: Client| {
            let exited = exited.clone();
            async move {
                let _ = exited.send(());
            }
            .boxed()
        })
        .on("session", move |_: Payload, _: Client| {
            let ready = ready.clone();
            async move {
                let _ = ready.send(());
            }
            .boxed()
        })
        .connect()
        .await
        .context("cannot connect to the shell")?;
    tokio::time::timeout(Duration::from_secs(10), session.recv())
        .await
        .context("no session event")?;
    Ok((client, exits))
}
