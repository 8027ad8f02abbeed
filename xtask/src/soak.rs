//! `cargo xtask soak --sessions N --minutes M`: the real server under a
//! long mixed load, as many users would give it.
//!
//! Each of N Socket.IO sessions runs command after command: builtins,
//! Python, Node, files, and hostile ones (an output flood, an endless loop
//! that it interrupts, TypeScript nested too deep, a C program, a huge
//! `printf` width, a pipeline past its cap, `tee` of thousands of files).
//! Beside them, HTTP clients post runs, context clients keep notebooks
//! (create, cells whose state must persist, delete), and MCP clients open
//! sessions, call tools and close them. Every result is checked; a wrong
//! or missing answer is an error. The server's RSS is sampled all
//! along. It fails on any error, or when memory keeps growing (the last
//! quarter's mean more than [`MAX_RSS_DRIFT`] above the second quarter's).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use futures_util::FutureExt as _;
use rust_socketio::Payload;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::server_process::{Profile, ServerProcess, build_server};

/// How much the server's memory may drift upwards over the run.
const MAX_RSS_DRIFT: u64 = 32 << 20;
/// The longest any one command may take, queueing included.
const COMMAND_PATIENCE: Duration = Duration::from_secs(120);
/// HTTP clients posting runs beside the sessions.
const HTTP_CLIENTS: usize = 4;
/// Clients keeping contexts, and clients speaking MCP.
const CONTEXT_CLIENTS: usize = 2;
const MCP_CLIENTS: usize = 2;

#[derive(clap::Args)]
pub struct SoakArgs {
    /// Concurrent Socket.IO sessions.
    #[arg(long, default_value_t = 20)]
    sessions: usize,
    /// How long to run.
    #[arg(long, default_value_t = 1.0)]
    minutes: f64,
}

impl SoakArgs {
    /// The one-minute pass `cargo xtask test` runs.
    pub fn short() -> Self {
        Self {
            sessions: 20,
            minutes: 1.0,
        }
    }
}

/// What every client reports.
#[derive(Default)]
struct Results {
    latencies: Mutex<Vec<Duration>>,
    errors: Mutex<Vec<String>>,
    commands: AtomicU64,
}

impl Results {
    async fn record(&self, what: &str, started: Instant, outcome: Result<(), String>) {
        self.commands.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Ok(()) => self.latencies.lock().await.push(started.elapsed()),
            Err(error) => self.errors.lock().await.push(format!("{what}: {error}")),
        }
    }
}

pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let binary = build_server(&root, Profile::Dev)?;
    let users = tempfile::tempdir()?;
    let server = ServerProcess::start(&binary, users.path(), &settings(args.sessions)).await?;
    let duration = Duration::from_secs_f64(args.minutes * 60.0);
    let deadline = Instant::now() + duration;
    println!(
        "soak: {} sessions + {HTTP_CLIENTS} HTTP, {CONTEXT_CLIENTS} context and {MCP_CLIENTS} MCP clients for {:.1} min",
        args.sessions, args.minutes
    );
    let results = Arc::new(Results::default());
    let sampler = tokio::spawn(sample_rss(server.base.clone(), deadline));
    let mut clients = Vec::new();
    for index in 0..args.sessions {
        let (base, results) = (server.base.clone(), results.clone());
        clients.push(tokio::spawn(async move {
            if let Err(error) = session_loop(&base, index, deadline, &results).await {
                results
                    .errors
                    .lock()
                    .await
                    .push(format!("session {index}: {error:#}"));
            }
        }));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for index in 0..HTTP_CLIENTS {
        let (base, results) = (server.base.clone(), results.clone());
        clients.push(tokio::spawn(http_loop(base, index, deadline, results)));
    }
    for index in 0..CONTEXT_CLIENTS {
        let (base, results) = (server.base.clone(), results.clone());
        clients.push(tokio::spawn(context_loop(base, index, deadline, results)));
    }
    for index in 0..MCP_CLIENTS {
        let (base, results) = (server.base.clone(), results.clone());
        clients.push(tokio::spawn(mcp_loop(base, index, deadline, results)));
    }
    for client in clients {
        let _ = client.await;
    }
    let samples = sampler.await.context("the RSS sampler failed")?;
    let alive = server.health().await.is_ok();
    server.stop();
    report(&results, &samples, alive).await
}

/// The settings a server for `sessions` Socket.IO clients (and a few
/// HTTP ones) needs beyond the defaults.
pub(crate) fn settings(sessions: usize) -> Vec<(&'static str, String)> {
    vec![
        ("MAX_CONNECTIONS", (sessions + 16).to_string()),
        ("MAX_CONNECTIONS_PER_IP", (sessions * 2 + 64).to_string()),
        ("CODE_EXECUTION_TIMEOUT", "20000".to_owned()),
    ]
}

async fn health(base: &str) -> anyhow::Result<Value> {
    Ok(reqwest::get(format!("{base}/health")).await?.json().await?)
}

/// (seconds since start, RSS) every five seconds until the deadline.
async fn sample_rss(base: String, deadline: Instant) -> Vec<(f64, u64)> {
    let started = Instant::now();
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        if let Ok(health) = health(&base).await
            && let Some(rss) = health["memoryUsage"]["anonymousRss"].as_u64()
        {
            samples.push((started.elapsed().as_secs_f64(), rss));
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    samples
}

/// One command of the mix: the line (or run event) and what must come back.
struct Step {
    what: &'static str,
    send: Send,
    /// Text stdout must contain.
    stdout: Option<String>,
    /// The exit event's status.
    status: &'static str,
    /// Interrupt after this long.
    interrupt_after: Option<Duration>,
}

enum Send {
    Input(String),
    Run(Value),
}

fn step(index: usize, round: usize) -> Step {
    let token = format!("soak-{index}-{round}");
    let plain = |what, line: String, stdout: Option<String>| Step {
        what,
        send: Send::Input(line),
        stdout,
        status: "ok",
        interrupt_after: None,
    };
    match (index + round) % 13 {
        10 => Step {
            status: "error",
            ..plain("printf width", "printf '%1000000000000d' 1".into(), None)
        },
        11 => Step {
            status: "error",
            ..plain("long pipeline", vec!["sleep 1"; 100].join(" | "), None)
        },
        12 => Step {
            status: "error",
            ..plain(
                "tee of many files",
                format!("echo x | tee {}", vec!["t"; 5000].join(" ")),
                None,
            )
        },
        0 => plain("echo", format!("echo {token}"), Some(token)),
        1 => plain(
            "python",
            "python3 -c \"print(6 * 7)\"".into(),
            Some("42".into()),
        ),
        2 => plain(
            "node",
            "node -e \"console.log(2 ** 10)\"".into(),
            Some("1024".into()),
        ),
        3 => plain(
            "files",
            format!("mkdir -p d/e && echo {token} > d/e/f && cat d/e/f && rm -rf d"),
            Some(token),
        ),
        4 => Step {
            status: "output_limit",
            ..plain(
                "output flood",
                "python3 -c \"print('y' * 3000000)\"".into(),
                None,
            )
        },
        5 => Step {
            status: "interrupted",
            interrupt_after: Some(Duration::from_millis(300)),
            ..plain(
                "endless loop",
                "python3 -c \"while True: pass\"".into(),
                None,
            )
        },
        6 => Step {
            what: "deep typescript",
            send: Send::Run(json!({"language": "ts", "code": "(".repeat(30_000)})),
            stdout: None,
            status: "compile_error",
            interrupt_after: None,
        },
        7 => Step {
            what: "c",
            send: Send::Run(json!({
                "language": "c",
                "code": "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 7 * 6); }\n",
            })),
            stdout: Some("42".into()),
            status: "ok",
            interrupt_after: None,
        },
        8 => plain("ls", "ls -la".into(), None),
        _ => plain(
            "pipe",
            format!("echo {token} | wc -c"),
            Some(format!("{}", token.len() + 1)),
        ),
    }
}

/// What one command line printed and how it ended.
#[derive(Default)]
struct Transcript {
    stdout: String,
    exit: Option<Value>,
}

async fn session_loop(
    base: &str,
    index: usize,
    deadline: Instant,
    results: &Results,
) -> anyhow::Result<()> {
    let (client, mut events) = connect(base).await?;
    let mut round = 0;
    while Instant::now() < deadline {
        let step = step(index, round);
        round += 1;
        let started = Instant::now();
        match &step.send {
            Send::Input(line) => client.emit("input", json!(line)).await?,
            Send::Run(request) => client.emit("run", request.clone()).await?,
        }
        if let Some(after) = step.interrupt_after {
            tokio::time::sleep(after).await;
            client.emit("interrupt", json!(null)).await?;
        }
        let transcript = until_exit(&mut events).await;
        results
            .record(step.what, started, check(&step, &transcript))
            .await;
    }
    let _ = client.disconnect().await;
    Ok(())
}

fn check(step: &Step, transcript: &Transcript) -> Result<(), String> {
    let Some(exit) = &transcript.exit else {
        return Err(format!("no exit within {COMMAND_PATIENCE:?}"));
    };
    if exit["status"] != step.status {
        return Err(format!("ended {exit}, expected {}", step.status));
    }
    match &step.stdout {
        Some(expected) if !transcript.stdout.contains(expected.as_str()) => Err(format!(
            "printed {:?}, expected {expected:?}",
            transcript.stdout.chars().take(200).collect::<String>()
        )),
        _ => Ok(()),
    }
}

/// Collects output until the next `exit` event.
async fn until_exit(events: &mut UnboundedReceiver<(String, Value)>) -> Transcript {
    let mut transcript = Transcript::default();
    let deadline = tokio::time::Instant::now() + COMMAND_PATIENCE;
    while let Ok(Some((event, value))) = tokio::time::timeout_at(deadline, events.recv()).await {
        match event.as_str() {
            "output-success" => transcript
                .stdout
                .push_str(value.as_str().unwrap_or_default()),
            "exit" => {
                transcript.exit = Some(value);
                break;
            }
            _ => {}
        }
    }
    transcript
}

async fn connect(base: &str) -> anyhow::Result<(Client, UnboundedReceiver<(String, Value)>)> {
    let (sender, events) = unbounded_channel();
    let mut builder = ClientBuilder::new(base)
        .transport_type(rust_socketio::TransportType::Websocket)
        .reconnect(false);
    for event in ["session", "output-success", "output-error", "exit"] {
        let sender = sender.clone();
        builder = builder.on(event, move |payload: Payload, _: Client| {
            let sender = sender.clone();
            async move {
                #[allow(deprecated)]
                let value = match payload {
                    Payload::Text(mut values) if !values.is_empty() => values.remove(0),
                    Payload::String(text) => Value::String(text),
                    _ => Value::Null,
                };
                let _ = sender.send((event.to_owned(), value));
            }
            .boxed()
        });
    }
    let client = builder.connect().await.context("cannot connect")?;
    let mut events = events;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some((event, _))) if event == "session" => return Ok((client, events)),
            Ok(Some(_)) => continue,
            _ => anyhow::bail!("no session event"),
        }
    }
}

async fn http_loop(base: String, index: usize, deadline: Instant, results: Arc<Results>) {
    let client = reqwest::Client::new();
    let mut round = 0;
    while Instant::now() < deadline {
        round += 1;
        let (language, code, expected) = if (index + round).is_multiple_of(2) {
            (
                "js",
                format!("console.log('http-{index}-{round}')"),
                format!("http-{index}-{round}"),
            )
        } else {
            (
                "python",
                format!("print('http-{index}-{round}')"),
                format!("http-{index}-{round}"),
            )
        };
        let started = Instant::now();
        let outcome = async {
            let response = client
                .post(format!("{base}/run/{language}"))
                .json(&json!({"code": code, "wait": true}))
                .timeout(COMMAND_PATIENCE)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let body: Value = response.json().await.map_err(|e| e.to_string())?;
            if status != 200 || body["stdout"].as_str() != Some(&format!("{expected}\n")) {
                return Err(format!("{status}: {body}"));
            }
            Ok(())
        }
        .await;
        results.record("http run", started, outcome).await;
    }
}

/// A client keeping a context: creates one, runs cells whose state must
/// persist from one to the next, and deletes it every few rounds.
async fn context_loop(base: String, index: usize, deadline: Instant, results: Arc<Results>) {
    let client = reqwest::Client::new();
    let key = format!("soak-context-{index}");
    let mut round = 0u64;
    while Instant::now() < deadline {
        let started = Instant::now();
        let outcome = context_round(&client, &base, &key, round).await;
        results.record("context", started, outcome).await;
        round += 1;
    }
}

/// One context's life: create, five cells that build on each other, delete.
async fn context_round(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    round: u64,
) -> Result<(), String> {
    let post = |path: String, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .timeout(COMMAND_PATIENCE)
            .send()
    };
    let language = if round.is_multiple_of(2) {
        "python"
    } else {
        "javascript"
    };
    let created: Value = post("/contexts".into(), json!({"language": language}))
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let id = created["contextId"]
        .as_str()
        .ok_or_else(|| format!("no context: {created}"))?
        .to_owned();
    let declare = if language == "python" {
        "n = 0"
    } else {
        "var n = 0"
    };
    let mut cells = vec![declare.to_owned()];
    cells.extend((1..=5).map(|i| format!("n = n + {i}")));
    cells.push("n".to_owned());
    let mut last = Value::Null;
    for code in cells {
        last = post(format!("/contexts/{id}/run"), json!({"code": code}))
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
    }
    let listed: Value = client
        .get(format!("{base}/contexts"))
        .bearer_auth(key)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let deleted = client
        .delete(format!("{base}/contexts/{id}"))
        .bearer_auth(key)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .status();
    if last["value"] != "15" {
        return Err(format!("the state did not persist: {last}"));
    }
    if listed["contexts"].as_array().map(Vec::len) != Some(1) {
        return Err(format!("the owner's list is not its one context: {listed}"));
    }
    if deleted != 204 {
        return Err(format!("delete answered {deleted}"));
    }
    Ok(())
}

/// A client speaking MCP: opens a session, runs code through the tools,
/// and closes it; every few rounds it abandons one (left to expire).
async fn mcp_loop(base: String, index: usize, deadline: Instant, results: Arc<Results>) {
    let client = reqwest::Client::new();
    let mut round = 0u64;
    while Instant::now() < deadline {
        let started = Instant::now();
        let outcome = mcp_round(&client, &base, index, round).await;
        results.record("mcp", started, outcome).await;
        round += 1;
    }
}

async fn mcp_round(
    client: &reqwest::Client,
    base: &str,
    index: usize,
    round: u64,
) -> Result<(), String> {
    let post = |session: Option<&str>, body: Value| {
        let mut request = client
            .post(format!("{base}/mcp"))
            .header("accept", "application/json, text/event-stream")
            .timeout(COMMAND_PATIENCE)
            .json(&body);
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-06-18");
        }
        request.send()
    };
    let initialized = post(
        None,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": format!("soak-{index}"), "version": "1"}}}),
    )
    .await
    .map_err(|e| e.to_string())?;
    let session = initialized
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .ok_or("no session id")?
        .to_owned();
    let _ = initialized.bytes().await;
    post(
        Some(&session),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await
    .map_err(|e| e.to_string())?;
    let token = format!("mcp-{index}-{round}");
    let called = post(
        Some(&session),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "run_code",
            "arguments": {"language": "python", "code": format!("print('{token}')")}}}),
    )
    .await
    .map_err(|e| e.to_string())?
    .text()
    .await
    .map_err(|e| e.to_string())?;
    if !called.contains(&token) {
        return Err(format!("run_code did not print {token}: {called:.300}"));
    }
    if round % 4 != 3 {
        client
            .delete(format!("{base}/mcp"))
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-06-18")
            .send()
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn report(results: &Results, samples: &[(f64, u64)], alive: bool) -> anyhow::Result<()> {
    let mut latencies = results.latencies.lock().await.clone();
    latencies.sort();
    let at = |p: f64| {
        latencies
            .get(((latencies.len().saturating_sub(1)) as f64 * p).round() as usize)
            .map_or(0, |d| d.as_millis())
    };
    let errors = results.errors.lock().await;
    println!(
        "soak: {} commands, {} errors, latency p50 {} ms, p99 {} ms",
        results.commands.load(Ordering::Relaxed),
        errors.len(),
        at(0.5),
        at(0.99)
    );
    let mut kinds = std::collections::BTreeMap::new();
    for error in errors.iter() {
        let kind = error.split(':').next().unwrap_or_default();
        *kinds.entry(kind).or_insert(0usize) += 1;
    }
    for (kind, count) in &kinds {
        println!("  {count} errors in {kind}");
    }
    for error in errors.iter().take(10) {
        println!("  error: {error:.400}");
    }
    println!("soak: server RSS over time");
    for (seconds, rss) in samples.iter().step_by((samples.len() / 12).max(1)) {
        println!("  {seconds:>6.0} s  {:>6} MiB", rss >> 20);
    }
    let drift = rss_drift(samples);
    println!(
        "soak: RSS drift (last quarter vs second quarter) {} MiB",
        drift / (1 << 20)
    );
    ensure!(alive, "the server stopped answering");
    ensure!(errors.is_empty(), "{} commands failed", errors.len());
    ensure!(
        drift <= MAX_RSS_DRIFT as i64,
        "the server's memory kept growing ({} MiB)",
        drift >> 20
    );
    Ok(())
}

/// Mean RSS of the last quarter of the samples minus that of the second
/// quarter (the first is warm-up).
fn rss_drift(samples: &[(f64, u64)]) -> i64 {
    let quarter = samples.len() / 4;
    if quarter == 0 {
        return 0;
    }
    let mean = |part: &[(f64, u64)]| {
        part.iter().map(|(_, rss)| *rss as i64).sum::<i64>() / part.len() as i64
    };
    mean(&samples[samples.len() - quarter..]) - mean(&samples[quarter..2 * quarter])
}
