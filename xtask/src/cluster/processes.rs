//! The cluster test's processes: Redis, polyrun nodes and haproxy, each a
//! real program on loopback ports, killed when dropped.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// A port nothing listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A child process, killed when dropped.
pub struct Process {
    pub name: String,
    child: Child,
}

impl Process {
    fn spawn(name: &str, command: &mut Command, log: &Path) -> anyhow::Result<Self> {
        let out = File::create(log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (`KILL`, `TERM`) with kill(1).
    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -{signal} {} failed", self.name);
        Ok(())
    }

    /// Waits for the process to exit; its exit code (None if killed).
    pub fn wait_exit(&mut self, within: Duration) -> anyhow::Result<Option<i32>> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.code());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{} did not exit within {within:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `redis-server` on a loopback port, without persistence.
pub fn start_redis(binary: &Path, port: u16, dir: &Path) -> anyhow::Result<Process> {
    let process = Process::spawn(
        "redis",
        Command::new(binary).args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            &dir.display().to_string(),
        ]),
        &dir.join(format!("redis-{port}.log")),
    )?;
    wait_for_port(port, Duration::from_secs(10))?;
    Ok(process)
}

/// One polyrun node.
pub struct NodeSpec<'a> {
    pub binary: &'a Path,
    pub name: &'a str,
    pub port: u16,
    pub redis_port: u16,
    pub dir: &'a Path,
    pub runtimes: &'a Path,
}

/// Settings every test node gets: short runs, so that a dead node's jobs
/// are claimed within seconds (see [`COMPILE_TIMEOUT_MS`]).
pub const EXECUTION_TIMEOUT_MS: u64 = 4_000;
/// Each compile step's limit on the nodes: a dead node's jobs are claimed
/// after two of these plus a run's time plus 5 s.
pub const COMPILE_TIMEOUT_MS: u64 = 4_000;
pub const SHUTDOWN_GRACE_MS: u64 = 1_500;
pub const SLOTS: usize = 2;
/// The cluster's queue then holds at most this plus [`SLOTS`] jobs.
pub const MAX_QUEUED: usize = 8;

pub fn start_node(spec: &NodeSpec<'_>) -> anyhow::Result<Process> {
    let users: PathBuf = spec.dir.join(format!("users-{}", spec.name));
    let process = Process::spawn(
        &format!("node {}", spec.name),
        Command::new(spec.binary)
            .args(["serve", "--offline"])
            .env(
                "REDIS_URL",
                format!("redis://127.0.0.1:{}/", spec.redis_port),
            )
            .env("NODE_NAME", spec.name)
            .env("HOST", "127.0.0.1")
            .env("PORT", spec.port.to_string())
            .env("USER_BASE_DIR", users)
            .env("RUNTIMES_DIR", spec.runtimes)
            .env("MIN_FREE_DISK_MB", "0")
            .env("CODE_EXECUTION_TIMEOUT", EXECUTION_TIMEOUT_MS.to_string())
            .env("COMPILE_TIMEOUT", COMPILE_TIMEOUT_MS.to_string())
            .env("SHUTDOWN_GRACE", SHUTDOWN_GRACE_MS.to_string())
            .env("MAX_CONCURRENT_EXECUTIONS", SLOTS.to_string())
            .env("MAX_QUEUED_EXECUTIONS", MAX_QUEUED.to_string())
            .env("LOG_LEVEL", "info"),
        &spec.dir.join(format!("node-{}.log", spec.name)),
    )?;
    wait_for_port(spec.port, Duration::from_secs(30))?;
    Ok(process)
}

/// haproxy in front of the nodes, with cookie stickiness, from the
/// shipped `deploy/haproxy.cfg` (its servers and port pointed at ours).
pub fn start_haproxy(
    binary: &Path,
    shipped: &Path,
    port: u16,
    nodes: &[(&str, u16)],
    dir: &Path,
) -> anyhow::Result<Process> {
    let config = local_haproxy_config(&std::fs::read_to_string(shipped)?, port, nodes)?;
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config)?;
    let check = Command::new(binary)
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .output()?;
    anyhow::ensure!(
        check.status.success(),
        "haproxy -c rejects the configuration: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let process = Process::spawn(
        "haproxy",
        Command::new(binary).arg("-db").arg("-f").arg(&path),
        &dir.join("haproxy.log"),
    )?;
    wait_for_port(port, Duration::from_secs(10))?;
    Ok(process)
}

/// The shipped configuration with its frontend port and its servers'
/// addresses replaced by loopback ones (and no DNS resolvers).
fn local_haproxy_config(shipped: &str, port: u16, nodes: &[(&str, u16)]) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut servers = 0;
    for line in shipped.lines() {
        let trimmed = line.trim_start();
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        if words.first() == Some(&"bind") {
            out.push_str(&format!("    bind 127.0.0.1:{port}\n"));
        } else if words.first() == Some(&"default-server") {
            let options = strip_option_values(&words[1..], &["resolvers", "init-addr"]);
            out.push_str(&format!("    default-server {}\n", options.join(" ")));
        } else if words.first() == Some(&"server") && words.len() >= 3 {
            let (_, node_port) = nodes
                .get(servers)
                .context("the shipped haproxy.cfg has more servers than the test has nodes")?;
            servers += 1;
            let options = strip_option_values(&words[3..], &["resolvers", "init-addr"]);
            out.push_str(&format!(
                "    server {} 127.0.0.1:{node_port} {}\n",
                words[1],
                options.join(" ")
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    anyhow::ensure!(
        servers == nodes.len(),
        "haproxy.cfg names {servers} servers"
    );
    Ok(out)
}

/// Drops `name value` pairs (haproxy's server options take one value).
fn strip_option_values<'a>(words: &[&'a str], names: &[&str]) -> Vec<&'a str> {
    let mut kept = Vec::new();
    let mut skip_next = false;
    for word in words {
        if skip_next {
            skip_next = false;
        } else if names.contains(word) {
            skip_next = true;
        } else {
            kept.push(*word);
        }
    }
    kept
}

pub fn wait_for_port(port: u16, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "nothing listens on port {port} after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
