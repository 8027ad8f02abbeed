//! `cargo xtask fuzz --seconds N`: random and mutated inputs against every
//! place where user bytes enter polyrun, for N seconds in all.
//!
//! The stable toolchain has no cargo-fuzz (it needs nightly), so this is a
//! property-based fuzzer of our own: each target starts from a corpus of
//! valid inputs and mutates them (byte flips, insertions, splices, deep
//! nesting, huge repeats), checking after every input that nothing panicked
//! and that the target's own invariant held. The HTTP body and Socket.IO
//! payload targets go through a real server started in this process.
//!
//! Panics are not the only findings: every input runs under an allocation
//! cap and a time cap ([`guard`]), so an allocation sized by the input
//! (a `printf` width of 10^12) or a hang fails the run, with the input
//! saved under `target/fuzz-findings/`.
//!
//! Targets:
//! - `shell-parse`: the shell parser, and path resolution never leaving
//!   the root;
//! - `shell`: generated command lines run by a real shell over a real
//!   sandbox: every builtin and utility, adversarial numbers, widths,
//!   operand counts, expansions and pipelines ([`shell`]);
//! - `paths`: the API's file paths (`sandbox::relative_path`);
//! - `flags`: the C/C++ flag allowlist never passing a flag outside it;
//! - `typescript`: the nesting check and the transpiler, on a large stack;
//! - `http`: `POST /run/{language}` bodies: never a 5xx, always JSON;
//! - `socket`: `input` and `run` event payloads: the server stays healthy;
//! - `mcp`: JSON-RPC requests to `/mcp` (initialize floods, large
//!   `clientInfo`, tool calls with odd arguments): never a 5xx;
//! - `contexts`: the context routes with odd bodies and ids: never a 5xx.

pub mod guard;
mod shell;

use std::path::{Component, Path};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

#[derive(clap::Args)]
pub struct FuzzArgs {
    /// Total time, split across the targets.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Random seed (printed, so a failure can be replayed).
    #[arg(long)]
    seed: Option<u64>,
}

impl FuzzArgs {
    /// The short pass `cargo xtask test` runs.
    pub fn short() -> Self {
        Self {
            seconds: 40,
            seed: None,
        }
    }
}

/// What one target did.
pub(crate) struct Tally {
    target: &'static str,
    inputs: u64,
}

/// Panics anywhere in this process, the server's tasks included, even
/// those that code under test catches and turns into errors.
pub(crate) static PANICS: AtomicU64 = AtomicU64::new(0);

fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default(info);
    }));
}

/// Fails if anything panicked since `before`.
pub(crate) fn no_new_panics(before: u64, target: &str, input: &str) -> anyhow::Result<()> {
    let now = PANICS.load(Ordering::SeqCst);
    ensure!(now == before, "{target}: panicked on input {input:?}");
    Ok(())
}

/// Shares of the time: the shell target runs longest (it covers the most
/// code), the parsers least (they are fast).
const SLICES: u32 = 12;

pub async fn run(args: FuzzArgs) -> anyhow::Result<()> {
    count_panics();
    let seed = args.seed.unwrap_or_else(rand::random);
    eprintln!("fuzz: seed {seed}, {} s", args.seconds);
    let mut rng = StdRng::seed_from_u64(seed);
    let slice = Duration::from_secs(args.seconds.max(u64::from(SLICES))) / SLICES;
    guard::arm();
    let mut tallies = vec![
        in_process("shell-parse", slice, &mut rng, SHELL_CORPUS, check_shell)?,
        in_process("paths", slice / 2, &mut rng, PATH_CORPUS, check_path)?,
        in_process("flags", slice / 2, &mut rng, FLAG_CORPUS, check_flags)?,
        in_process("typescript", slice, &mut rng, TS_CORPUS, check_typescript)?,
        shell::run(slice * 3, &mut rng).await?,
    ];
    let server = guard::unguarded(FuzzServer::start()).await?;
    tallies.push(http_bodies(&server, slice, &mut rng).await?);
    tallies.push(socket_payloads(&server, slice, &mut rng).await?);
    tallies.push(mcp_requests(&server, slice * 2, &mut rng).await?);
    tallies.push(context_routes(&server, slice * 2, &mut rng).await?);
    server.check_alive().await?;
    let total: u64 = tallies.iter().map(|t| t.inputs).sum();
    for tally in &tallies {
        eprintln!(
            "fuzz: {:<11} {:>9} inputs, 0 failures",
            tally.target, tally.inputs
        );
    }
    eprintln!("fuzz: {total} inputs in all, 0 panics (seed {seed})");
    Ok(())
}

/// Runs `check` on mutated corpus inputs for `time`; a panic or a failed
/// invariant stops the run with the input that caused it.
fn in_process(
    target: &'static str,
    time: Duration,
    rng: &mut StdRng,
    corpus: &[&str],
    check: fn(&str) -> Result<(), String>,
) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let mut inputs = 0;
    while started.elapsed() < time {
        let input = mutate(rng, corpus);
        let before = PANICS.load(Ordering::SeqCst);
        guard::running(target, &input);
        let outcome = std::panic::catch_unwind(|| check(&input));
        guard::done();
        if let Ok(Err(violation)) = outcome {
            anyhow::bail!("{target}: {violation}\ninput: {input:?}");
        }
        no_new_panics(before, target, &input)?;
        inputs += 1;
    }
    Ok(Tally { target, inputs })
}

/// A corpus input, changed in one to four random ways.
pub(crate) fn mutate(rng: &mut StdRng, corpus: &[&str]) -> String {
    let mut bytes = corpus[rng.random_range(0..corpus.len())]
        .as_bytes()
        .to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..7) {
            0 if !bytes.is_empty() => {
                let i = rng.random_range(0..bytes.len());
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            1 => bytes.insert(at, INTERESTING[rng.random_range(0..INTERESTING.len())]),
            2 if !bytes.is_empty() => {
                let end = rng.random_range(at.min(bytes.len() - 1)..bytes.len());
                bytes.drain(at.min(end)..end);
            }
            3 => {
                let other = corpus[rng.random_range(0..corpus.len())].as_bytes();
                let from = rng.random_range(0..=other.len());
                bytes.splice(at..at, other[from..].iter().copied());
            }
            4 => {
                // Deep nesting or long chains: what recursion trips on.
                let unit = ["(", "[", "{", "$(", "\"", "'", "a.", "+1", "../", "<"]
                    [rng.random_range(0..10)];
                let times = rng.random_range(1..20_000);
                bytes.splice(at..at, unit.repeat(times).into_bytes());
            }
            5 => bytes.insert(at, rng.random()),
            _ => bytes.extend_from_slice(b"\0\xff\xfe"),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Bytes that mean something to one parser or another.
const INTERESTING: &[u8] = b"'\"\\$;|&<>()[]{}`*?~#\n\r\t /.-=:,\0";

const SHELL_CORPUS: &[&str] = &[
    "ls -la /tmp",
    "echo 'a b' \"c $HOME\" d\\ e > out.txt 2>&1",
    "cat < in.txt | wc -l && cd .. || echo $?",
    "python3 -c \"print(1)\" ; node -e 'console.log(2)'",
    "g++ -O2 -std=c++17 main.cpp -o main && ./main arg",
    "mkdir -p a/b/c; cp -r a b; rm -rf a ../../x",
    "echo ${HOME}/x ~/y >> ~/log 2>> err",
];

fn check_shell(line: &str) -> Result<(), String> {
    let _ = polyrun::shell::parse(line);
    for cwd in ["", "a/b"] {
        let resolved = polyrun::shell::resolve_path(Path::new(cwd), line);
        if resolved
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(format!("resolved outside the root: {resolved:?}"));
        }
    }
    Ok(())
}

const PATH_CORPUS: &[&str] = &[
    "main.py",
    "dir/sub/file.txt",
    "/abs/path",
    "./a/../b",
    "..\\..\\windows",
    "a//b///c",
];

fn check_path(path: &str) -> Result<(), String> {
    match polyrun::sandbox::relative_path(path) {
        Ok(relative)
            if relative
                .components()
                .all(|c| matches!(c, Component::Normal(_))) =>
        {
            Ok(())
        }
        Ok(relative) => Err(format!("accepted a path that climbs: {relative:?}")),
        Err(_) => Ok(()),
    }
}

const FLAG_CORPUS: &[&str] = &[
    "-O2",
    "-O0",
    "-std=c++17",
    "-DNAME=value",
    "-Wall",
    "-g",
    "-Wextra",
    "-Os",
    "-std=gnu11",
    "-Xclang",
    "-fplugin=x.so",
    "-Wl,--export",
    "-I/etc",
    "@file",
    "-mllvm",
];

/// Accepted flags must have one of the allowlisted shapes.
fn check_flags(input: &str) -> Result<(), String> {
    let flags: Vec<String> = input.split(' ').map(str::to_owned).collect();
    let Ok(accepted) = polyrun::compile::flags::validate(&flags) else {
        return Ok(());
    };
    for flag in accepted {
        let allowed = ["-O", "-std=", "-D", "-W", "-g"]
            .iter()
            .any(|prefix| flag.starts_with(prefix))
            && !flag.starts_with("-Wl,")
            && !flag.starts_with("-Wp,")
            && !flag.starts_with("-Wa,");
        if !allowed {
            return Err(format!("accepted {flag:?}"));
        }
    }
    Ok(())
}

const TS_CORPUS: &[&str] = &[
    "let x: number = 1;\nconsole.log(x);\n",
    "interface P { a: string }\nclass C<T> { constructor(private p: T) {} }\n",
    "enum E { A, B }\nconst f = (a: E): string => `${a ? 'x' : `y${1}`}`;\n",
    "import { a } from './a';\nexport const b = a?.c ?? [1, 2, { d: 3 }];\n",
    "/* comment */ // line\nfunction* g() { yield await 1; }\n",
];

/// The transpiler never panics and never overflows its stack: either the
/// nesting check refuses the input or the transpile runs to an answer.
fn check_typescript(source: &str) -> Result<(), String> {
    let source = source.to_owned();
    let handle = std::thread::Builder::new()
        .stack_size(polyrun::deep_stack::STACK_BYTES)
        .spawn(move || polyrun::transpile::transpile(&source, "fuzz.ts", |_| None).is_ok())
        .map_err(|e| e.to_string())?;
    handle
        .join()
        .map(drop)
        .map_err(|_| "the transpiler panicked".to_owned())
}

/// A server in this process, on a free port, with the provisioned runtimes.
struct FuzzServer {
    base: String,
    client: reqwest::Client,
    _users: tempfile::TempDir,
}

impl FuzzServer {
    async fn start() -> anyhow::Result<Self> {
        let users = tempfile::tempdir()?;
        let runtimes = crate::runtimes_dir().root().to_path_buf();
        let users_path = users.path().to_path_buf();
        let config = polyrun::config::Config::from_lookup(|name| match name {
            "HOST" => Some("127.0.0.1".into()),
            "PORT" => Some("0".into()),
            "USER_BASE_DIR" => Some(users_path.display().to_string()),
            "RUNTIMES_DIR" => Some(runtimes.display().to_string()),
            "CODE_EXECUTION_TIMEOUT" => Some("2000".into()),
            "LOG_LEVEL" => Some("error".into()),
            _ => None,
        })?;
        let options = polyrun::server::ServeOptions { offline: true };
        let running = polyrun::server::start(config, options, std::future::pending()).await?;
        let server = Self {
            base: format!("http://{}", running.address),
            client: reqwest::Client::new(),
            _users: users,
        };
        // The server task lives as long as this process.
        std::mem::forget(running);
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.health().await?["status"] != "healthy" {
            ensure!(
                Instant::now() < deadline,
                "the fuzz server never became healthy"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    async fn health(&self) -> anyhow::Result<Value> {
        Ok(self
            .client
            .get(format!("{}/health", self.base))
            .send()
            .await?
            .json()
            .await?)
    }

    async fn check_alive(&self) -> anyhow::Result<()> {
        let health = self
            .health()
            .await
            .context("the server stopped answering")?;
        ensure!(
            health["status"] == "healthy",
            "the server is unhealthy: {health}"
        );
        Ok(())
    }
}

const BODY_CORPUS: &[&str] = &[
    r#"{"code":"print(1)","wait":true}"#,
    r#"{"code":"console.log(1)","stdin":"x","args":["a"],"wait":true,"limits":{"timeoutMs":500}}"#,
    r##"{"code":"int main(){}","flags":["-O2"],"files":{"a/b.h":"#define X 1"},"wait":true}"##,
    r#"{"code":"x","sessionId":"nope","limits":{"memoryMb":1,"outputBytes":10}}"#,
    r#"{"code":1,"args":"no","files":[],"wait":"yes"}"#,
];

/// Random bodies (and languages) against `POST /run`: every answer is JSON
/// with a status below 500.
async fn http_bodies(
    server: &FuzzServer,
    time: Duration,
    rng: &mut StdRng,
) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let mut inputs = 0;
    while started.elapsed() < time {
        let body = mutate(rng, BODY_CORPUS);
        let before = PANICS.load(Ordering::SeqCst);
        guard::running("http", &body);
        let language = ["python", "js", "ts", "c", "cpp", "x%2F..", ""][rng.random_range(0..7)];
        let request = server
            .client
            .post(format!("{}/run/{language}", server.base))
            .header("content-type", "application/json")
            .body(body.clone());
        let response = send(request)
            .await
            .with_context(|| format!("http: no answer to {body:?}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        ensure!(acceptable(status), "http: {status} for {body:?}: {text}");
        ensure!(
            serde_json::from_str::<Value>(&text).is_ok(),
            "http: not JSON for {body:?}: {text}"
        );
        guard::done();
        no_new_panics(before, "http", &body)?;
        inputs += 1;
    }
    Ok(Tally {
        target: "http",
        inputs,
    })
}

const EVENT_CORPUS: &[&str] = &[
    r#"["input","echo hi"]"#,
    r#"["input","ls -la | wc -l"]"#,
    r#"["run",{"language":"python","code":"print(1)"}]"#,
    r#"["run",{"language":"js","code":"1","stdin":"x","args":["a"]}]"#,
    r#"["interrupt"]"#,
    r#"["input",{"not":"a string"}]"#,
];

/// Random event payloads over a real Socket.IO connection; the server
/// must stay healthy.
async fn socket_payloads(
    server: &FuzzServer,
    time: Duration,
    rng: &mut StdRng,
) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let mut inputs = 0;
    let mut socket = RawSocket::connect(&server.base).await?;
    while started.elapsed() < time {
        let payload = mutate(rng, EVENT_CORPUS);
        let before = PANICS.load(Ordering::SeqCst);
        guard::running("socket", &payload);
        if socket.send(&format!("42{payload}")).await.is_err() {
            // The server may close a connection it finds malformed: a new one.
            socket = RawSocket::connect(&server.base).await?;
        }
        inputs += 1;
        if inputs % 200 == 0 {
            server.check_alive().await?;
        }
        // Events are handled asynchronously: a panic shows up a little
        // later, and is then pinned on a recent input.
        guard::done();
        no_new_panics(before, "socket", &payload)?;
    }
    server.check_alive().await?;
    Ok(Tally {
        target: "socket",
        inputs,
    })
}

/// Whether an answer is a refusal the API documents (or success), not a
/// failure of the server: 500 and 502 are never right; 503 and 507 are
/// the documented "not now" answers.
fn acceptable(status: u16) -> bool {
    status < 500 || status == 503 || status == 507
}

const MCP_CORPUS: &[&str] = &[
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"0"}}}"#,
    r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"run_code","arguments":{"language":"python","code":"print(1)"}}}"#,
    r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_file","arguments":{"contextId":"x","path":"../../etc/passwd"}}}"#,
    r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"write_file","arguments":{"contextId":"x","path":"a","content":"b"}}}"#,
    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    r#"[{"jsonrpc":"2.0","id":6,"method":"ping"}]"#,
];

/// A fresh MCP session's id, from a real `initialize`.
async fn mcp_session(server: &FuzzServer) -> anyhow::Result<String> {
    let response = mcp_post(server, MCP_CORPUS[0], None).await?;
    let id = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .context("initialize gave no session id")?
        .to_owned();
    let _ = response.bytes().await;
    Ok(id)
}

async fn mcp_post(
    server: &FuzzServer,
    body: &str,
    session: Option<&str>,
) -> anyhow::Result<reqwest::Response> {
    let mut request = server
        .client
        .post(format!("{}/mcp", server.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .timeout(Duration::from_secs(30))
        .body(body.to_owned());
    if let Some(session) = session {
        request = request
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-06-18");
    }
    Ok(send(request).await?)
}

/// Sends `request`, and once more if it failed before any answer came.
/// The server may close a kept-alive connection just as the client picks
/// it for the next request (an idle connection's wait for its next header
/// is bounded by `HTTP_HEADER_TIMEOUT`, 1 s, and the connection caps close
/// the idlest one), and that request's body then meets a broken pipe. The
/// same input sent again still fails if the server really gives no answer.
async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let again = request.try_clone();
    match (request.send().await, again) {
        (Err(error), Some(again)) if error.is_request() && !error.is_timeout() => {
            again.send().await
        }
        (result, _) => result,
    }
}

/// Mutated JSON-RPC requests to `/mcp`, with and without a session.
async fn mcp_requests(
    server: &FuzzServer,
    time: Duration,
    rng: &mut StdRng,
) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let mut inputs = 0u64;
    let mut session = mcp_session(server).await?;
    while started.elapsed() < time {
        let body = mutate(rng, MCP_CORPUS);
        let with_session = rng.random_bool(0.7);
        let before = PANICS.load(Ordering::SeqCst);
        guard::running("mcp", &body);
        let response = mcp_post(server, &body, with_session.then_some(session.as_str()))
            .await
            .with_context(|| format!("mcp: no answer to {body:.300?}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        guard::done();
        ensure!(
            acceptable(status),
            "mcp: {status} for {body:?}: {text:.300}"
        );
        no_new_panics(before, "mcp", &body)?;
        inputs += 1;
        if inputs.is_multiple_of(50) {
            session = mcp_session(server).await?;
            server.check_alive().await?;
        }
    }
    Ok(Tally {
        target: "mcp",
        inputs,
    })
}

const CONTEXT_CORPUS: &[&str] = &[
    r#"{"language":"python"}"#,
    r#"{"language":"javascript","limits":{"timeoutMs":500,"outputBytes":10}}"#,
    r#"{"code":"x = 1
x + 1"}"#,
    r#"{"code":"print(input())","stdin":"hi
"}"#,
    r#"{"code":"open('f','w').write('a' * 10)"}"#,
    r#"{"code":1,"stdin":[]}"#,
];

/// The context routes with mutated bodies and ids.
async fn context_routes(
    server: &FuzzServer,
    time: Duration,
    rng: &mut StdRng,
) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let mut inputs = 0;
    let created = server
        .client
        .post(format!("{}/contexts", server.base))
        .json(&serde_json::json!({"language": "python"}))
        .send()
        .await?
        .json::<Value>()
        .await?;
    let id = created["contextId"]
        .as_str()
        .context("no context was created")?
        .to_owned();
    while started.elapsed() < time {
        let body = mutate(rng, CONTEXT_CORPUS);
        let target_id = if rng.random_bool(0.7) {
            id.clone()
        } else {
            mutate(rng, &[id.as_str(), "..", "%2e%2e", ""])
        };
        // An id is a path segment: odd characters become `_`, and it is
        // kept to a length a URL carries.
        let target_id: String = target_id
            .chars()
            .take(200)
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let url = |tail: &str| format!("{}/contexts/{target_id}{tail}", server.base);
        let request = match rng.random_range(0..8) {
            0 => server.client.post(format!("{}/contexts", server.base)),
            1 => server.client.get(url("")),
            2 => server.client.get(format!("{}/contexts", server.base)),
            3 => server.client.post(url("/restart")),
            4 if target_id != id => server.client.delete(url("")),
            _ => server.client.post(url("/run")),
        };
        let before = PANICS.load(Ordering::SeqCst);
        let described = format!("{target_id} {body}");
        guard::running("contexts", &described);
        let request = request
            .header("content-type", "application/json")
            .timeout(Duration::from_secs(30))
            .body(body.clone());
        let response = send(request)
            .await
            .with_context(|| format!("contexts: no answer to {described:.300?}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        guard::done();
        ensure!(
            acceptable(status),
            "contexts: {status} for {described:.300?}: {text:.300}"
        );
        // A context created by a mutated body is deleted again, so that
        // the fuzzer never holds more than its share.
        if let Ok(answer) = serde_json::from_str::<Value>(&text)
            && let Some(new) = answer["contextId"].as_str()
            && new != id
            && status == 201
        {
            let _ = server
                .client
                .delete(format!("{}/contexts/{new}", server.base))
                .send()
                .await;
        }
        no_new_panics(before, "contexts", &described)?;
        inputs += 1;
    }
    Ok(Tally {
        target: "contexts",
        inputs,
    })
}

/// The least of a Socket.IO client: a websocket that joins `/` and sends
/// text frames, reading nothing back (the server must cope with that too).
struct RawSocket {
    stream: tokio::net::TcpStream,
}

impl RawSocket {
    async fn connect(base: &str) -> anyhow::Result<Self> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let address = base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        let request = format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {address}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut seen = Vec::new();
        while !seen.ends_with(b"\r\n\r\n") {
            seen.push(stream.read_u8().await?);
        }
        ensure!(seen.starts_with(b"HTTP/1.1 101"), "no websocket upgrade");
        let mut socket = Self { stream };
        socket.send("40").await?;
        Ok(socket)
    }

    async fn send(&mut self, text: &str) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt as _;
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65_536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x5au8, 0x13, 0x77, 0x01];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await
    }
}
