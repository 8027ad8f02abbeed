//! `cargo xtask cluster`: two polyrun nodes over a real Redis behind a
//! real haproxy, on loopback ports; `redis-server` and `haproxy` come from
//! Debian's packages (installed with apt-get when missing).
//!
//! It shows what cluster mode promises: any node answers for any run;
//! Socket.IO stays on one node through haproxy's cookie, and a run for a
//! session sent to the other node streams to its socket; a node killed
//! mid-run, or drained by SIGTERM, loses nothing; `/ready` follows Redis;
//! a node that cannot reach Redis at start-up exits, naming the URL without
//! its password. `--throughput` also measures one node against two.

mod polling;
mod processes;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};

use super::{runtimes_dir, workspace_root};
use crate::server_process::{Profile, build_server};
use polling::PollingClient;
use processes::{NodeSpec, Process, free_port, start_haproxy, start_node, start_redis};

#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Also measure the throughput of one node against two.
    #[arg(long)]
    pub throughput: bool,
}

/// Everything the test runs, and where.
struct Cluster {
    binary: PathBuf,
    dir: tempfile::TempDir,
    runtimes: PathBuf,
    redis_binary: PathBuf,
    redis_port: u16,
    redis: Option<Process>,
    nodes: Vec<(String, u16, Option<Process>)>,
    haproxy_port: u16,
    _haproxy: Option<Process>,
    http: reqwest::Client,
}

pub async fn run(args: ClusterArgs) -> anyhow::Result<()> {
    let root = workspace_root();
    let binary = build_server(&root, Profile::Dev)?;
    let [redis_binary, haproxy_binary] = super::e2e::find_or_install([
        ("redis-server", &["/usr/bin/redis-server"][..]),
        ("haproxy", &["/usr/sbin/haproxy", "/usr/bin/haproxy"][..]),
    ])?;
    let mut cluster = Cluster::start(binary, redis_binary, &["a", "b"])?;
    let haproxy = start_haproxy(
        &haproxy_binary,
        &root.join("deploy/haproxy.cfg"),
        cluster.haproxy_port,
        &[("a", cluster.port("a")), ("b", cluster.port("b"))],
        cluster.dir.path(),
    )?;
    cluster._haproxy = Some(haproxy);
    let outcome = async {
        cluster.wait_ready(&["a", "b"]).await?;
        step(
            "an async run accepted on a is answered by b",
            async_run_any_node(&cluster),
        )
        .await?;
        step(
            "sticky sessions through haproxy; a run sent to the other node streams to the socket",
            sticky_sessions(&cluster),
        )
        .await?;
        step(
            "node a killed with SIGKILL: its jobs are finished by b",
            killed_node(&mut cluster),
        )
        .await?;
        step(
            "node a drained with SIGTERM loses nothing",
            drained_node(&mut cluster),
        )
        .await?;
        step("/ready follows Redis", ready_follows_redis(&mut cluster)).await?;
        step(
            "a node that cannot reach Redis exits",
            unreachable_redis(&cluster),
        )
        .await?;
        step(
            "a flood past the cluster's queue is refused with 429",
            flood(&cluster),
        )
        .await?;
        if args.throughput {
            throughput(&mut cluster).await?;
        }
        anyhow::Ok(())
    }
    .await;
    if outcome.is_err() {
        cluster.print_logs();
    }
    outcome
}

async fn step(
    name: &str,
    check: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    eprintln!("xtask cluster: {name} ...");
    let started = Instant::now();
    check.await.with_context(|| format!("cluster: {name}"))?;
    eprintln!(
        "xtask cluster: ok ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

impl Cluster {
    fn start(binary: PathBuf, redis_binary: PathBuf, names: &[&str]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let redis_port = free_port()?;
        let redis = start_redis(&redis_binary, redis_port, dir.path())?;
        let mut cluster = Self {
            binary,
            runtimes: runtimes_dir().root().to_path_buf(),
            redis_binary,
            redis_port,
            redis: Some(redis),
            nodes: Vec::new(),
            haproxy_port: free_port()?,
            _haproxy: None,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            dir,
        };
        for name in names {
            let port = free_port()?;
            cluster.nodes.push((name.to_string(), port, None));
            cluster.restart(name)?;
        }
        Ok(cluster)
    }

    fn port(&self, name: &str) -> u16 {
        self.nodes
            .iter()
            .find(|(n, _, _)| n == name)
            .map_or(0, |(_, port, _)| *port)
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}", self.port(name))
    }

    fn process(&mut self, name: &str) -> Option<&mut Process> {
        self.nodes
            .iter_mut()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, _, process)| process.as_mut())
    }

    /// Starts (or starts again) node `name` on its port.
    fn restart(&mut self, name: &str) -> anyhow::Result<()> {
        let port = self.port(name);
        let process = start_node(&NodeSpec {
            binary: &self.binary,
            name,
            port,
            redis_port: self.redis_port,
            dir: self.dir.path(),
            runtimes: &self.runtimes,
        })?;
        if let Some(entry) = self.nodes.iter_mut().find(|(n, _, _)| n == name) {
            entry.2 = Some(process);
        }
        Ok(())
    }

    async fn wait_ready(&self, names: &[&str]) -> anyhow::Result<()> {
        for name in names {
            let url = format!("{}/ready", self.url(name));
            self.wait_until(Duration::from_secs(120), || async {
                Ok(self.http.get(&url).send().await?.status() == 200)
            })
            .await
            .with_context(|| format!("node {name} never became ready"))?;
        }
        Ok(())
    }

    async fn wait_until<F, Fut>(&self, within: Duration, mut check: F) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<bool>>,
    {
        let deadline = Instant::now() + within;
        loop {
            if check().await.unwrap_or(false) {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "not within {within:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn post_run(
        &self,
        node: &str,
        language: &str,
        body: Value,
    ) -> anyhow::Result<(u16, Value)> {
        let response = self
            .http
            .post(format!("{}/run/{language}", self.url(node)))
            .json(&body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// Queues a run on `node` without waiting; its execution id.
    async fn queue(&self, node: &str, code: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .post_run(node, "python", json!({ "code": code }))
            .await?;
        anyhow::ensure!(status == 202, "POST /run answered {status}: {body}");
        Ok(body["executionId"]
            .as_str()
            .context("no executionId")?
            .to_owned())
    }

    async fn record(&self, node: &str, id: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}/executions/{id}", self.url(node)))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "GET /executions: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// Polls `node` until the execution finished; its record.
    async fn finished(&self, node: &str, id: &str, within: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(record) = self.record(node, id).await
                && record["state"] == "finished"
            {
                return Ok(record);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{id} did not finish within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn print_logs(&self) {
        for entry in std::fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                eprintln!("---- {} (last lines)", path.display());
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
}

async fn async_run_any_node(cluster: &Cluster) -> anyhow::Result<()> {
    let id = cluster.queue("a", "print(sum(range(10)))").await?;
    let record = cluster.finished("b", &id, Duration::from_secs(30)).await?;
    anyhow::ensure!(record["result"]["stdout"] == "45\n", "{record}");
    // And a waited run, whichever node runs it.
    let (status, result) = cluster
        .post_run(
            "b",
            "javascript",
            json!({ "code": "console.log(6*7)", "wait": true }),
        )
        .await?;
    anyhow::ensure!(
        status == 200 && result["stdout"] == "42\n",
        "{status} {result}"
    );
    // What an autoscaler follows.
    let metrics = cluster
        .http
        .get(format!("{}/metrics", cluster.url("a")))
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        metrics.contains("polyrun_cluster_queue_length"),
        "/metrics has no polyrun_cluster_queue_length"
    );
    Ok(())
}

/// Many clients at once queue more than the cluster holds: the excess is
/// refused with 429 and Retry-After, and every accepted run finishes.
async fn flood(cluster: &Cluster) -> anyhow::Result<()> {
    let submissions = (0..40).map(|index| {
        let node = if index % 2 == 0 { "a" } else { "b" };
        let http = cluster.http.clone();
        let url = format!("{}/run/python", cluster.url(node));
        async move {
            http.post(url)
                .json(&json!({ "code": format!("import time\ntime.sleep(0.5)\nprint({index})") }))
                .send()
                .await
        }
    });
    let mut accepted = Vec::new();
    let mut refused = 0;
    for response in futures_util::future::join_all(submissions).await {
        let response = response?;
        match response.status().as_u16() {
            202 => {
                let body: Value = response.json().await?;
                accepted.push(body["executionId"].as_str().context("no id")?.to_owned());
            }
            429 => {
                anyhow::ensure!(
                    response.headers().contains_key("retry-after"),
                    "429 without Retry-After"
                );
                let body: Value = response.json().await?;
                anyhow::ensure!(body["error"]["code"] == "queue_full", "{body}");
                refused += 1;
            }
            other => anyhow::bail!("a flooded POST /run answered {other}"),
        }
    }
    let cap = processes::MAX_QUEUED + processes::SLOTS;
    anyhow::ensure!(refused > 0, "40 runs at once and none refused (cap {cap})");
    anyhow::ensure!(accepted.len() >= cap, "only {} accepted", accepted.len());
    for id in &accepted {
        cluster.finished("b", id, Duration::from_secs(60)).await?;
    }
    eprintln!(
        "xtask cluster: {} accepted, {refused} refused",
        accepted.len()
    );
    Ok(())
}

async fn sticky_sessions(cluster: &Cluster) -> anyhow::Result<()> {
    let through_haproxy = format!("http://127.0.0.1:{}", cluster.haproxy_port);
    let mut client = PollingClient::connect(&through_haproxy).await?;
    let holder = client
        .node()
        .context("haproxy set no POLYRUN_NODE cookie")?
        .to_owned();
    let session = client
        .wait_for(Duration::from_secs(10), |name, _| name == "session")
        .await?;
    let session_id = session["sessionId"]
        .as_str()
        .context("no sessionId")?
        .to_owned();
    // Many requests over the one connection: each must reach the holder.
    for round in 0..5 {
        client
            .emit("input", &json!(format!("echo sticky-{round}\n")))
            .await?;
        client
            .output_containing(&format!("sticky-{round}"), Duration::from_secs(20))
            .await?;
    }
    // A backlog in the shared queue must not hold up (or swallow) a run
    // for a session, which only its node can take.
    let mut backlog = Vec::new();
    for index in 0..6 {
        backlog.push(cluster.queue(&holder, &slow_job(index)).await?);
    }
    let other = if holder == "a" { "b" } else { "a" };
    let (status, result) = cluster
        .post_run(
            other,
            "python",
            json!({ "code": "print('from-' + 'the-other-node')", "sessionId": session_id, "wait": true }),
        )
        .await?;
    anyhow::ensure!(
        status == 200,
        "POST /run with the sessionId on {other}: {status} {result}"
    );
    anyhow::ensure!(result["stdout"] == "from-the-other-node\n", "{result}");
    client
        .output_containing("from-the-other-node", Duration::from_secs(20))
        .await?;
    for id in &backlog {
        cluster.finished("a", id, Duration::from_secs(60)).await?;
    }
    // A session busy with a command refuses the forwarded run as it would
    // refuse one sent to its own node: 409 session_busy.
    client.emit("input", &json!("sleep 3\n")).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, refused) = cluster
        .post_run(
            other,
            "python",
            json!({ "code": "print(1)", "sessionId": session_id, "wait": true }),
        )
        .await?;
    anyhow::ensure!(
        status == 409 && refused["error"]["code"] == "session_busy",
        "a run for a busy session on {other}: {status} {refused}"
    );
    client
        .wait_for(Duration::from_secs(20), |name, data| {
            name == "exit" && data["durationMs"].as_u64() >= Some(2_500)
        })
        .await?;
    Ok(())
}

/// A job that takes a while: long enough to be caught mid-run.
fn slow_job(index: usize) -> String {
    format!("import time\ntime.sleep(2.5)\nprint('job', {index})")
}

async fn killed_node(cluster: &mut Cluster) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for index in 0..6 {
        ids.push(cluster.queue("a", &slow_job(index)).await?);
    }
    wait_running_on(cluster, &ids, "a").await?;
    cluster.process("a").context("node a")?.signal("KILL")?;
    let claim = Duration::from_millis(
        processes::COMPILE_TIMEOUT_MS * 2 + processes::EXECUTION_TIMEOUT_MS + 5_000,
    );
    for (index, id) in ids.iter().enumerate() {
        let record = cluster
            .finished("b", id, claim + Duration::from_secs(60))
            .await?;
        anyhow::ensure!(
            record["result"]["stdout"] == format!("job {index}\n"),
            "job {index}: {record}"
        );
    }
    let rerun = records(cluster, &ids)
        .await?
        .iter()
        .filter(|r| r["attempts"] == 2)
        .count();
    anyhow::ensure!(rerun >= 1, "no job shows a second attempt");
    eprintln!("xtask cluster: {rerun} of 6 jobs were run again after node a died");
    cluster.restart("a")?;
    cluster.wait_ready(&["a"]).await
}

async fn drained_node(cluster: &mut Cluster) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for index in 0..6 {
        ids.push(cluster.queue("b", &slow_job(index)).await?);
    }
    wait_running_on(cluster, &ids, "a").await?;
    let running_on_a: Vec<String> = records(cluster, &ids)
        .await?
        .iter()
        .filter(|r| r["state"] == "running" && r["node"] == "a")
        .filter_map(|r| r["executionId"].as_str().map(str::to_owned))
        .collect();
    let node = cluster.process("a").context("node a")?;
    node.signal("TERM")?;
    let code = node.wait_exit(Duration::from_secs(30))?;
    anyhow::ensure!(code == Some(0), "node a exited with {code:?} after SIGTERM");
    for (index, id) in ids.iter().enumerate() {
        let record = cluster.finished("b", id, Duration::from_secs(60)).await?;
        anyhow::ensure!(
            record["result"]["stdout"] == format!("job {index}\n"),
            "job {index}: {record}"
        );
    }
    // Each job takes longer than SHUTDOWN_GRACE: those node a was running
    // were handed back, and node b ran them.
    let handed_back = records(cluster, &running_on_a)
        .await?
        .iter()
        .filter(|r| r["node"] == "b")
        .count();
    anyhow::ensure!(
        handed_back >= 1,
        "none of the {} jobs node a was running was handed back",
        running_on_a.len()
    );
    eprintln!("xtask cluster: {handed_back} jobs were handed back by node a and run by b");
    cluster.restart("a")?;
    cluster.wait_ready(&["a"]).await
}

/// Waits until node `node` is running one of the executions.
async fn wait_running_on(cluster: &Cluster, ids: &[String], node: &str) -> anyhow::Result<()> {
    cluster
        .wait_until(Duration::from_secs(20), || async {
            Ok(records(cluster, ids)
                .await?
                .iter()
                .any(|r| r["state"] == "running" && r["node"] == node))
        })
        .await
        .with_context(|| format!("node {node} never ran one of the jobs"))
}

async fn records(cluster: &Cluster, ids: &[String]) -> anyhow::Result<Vec<Value>> {
    let mut records = Vec::new();
    for id in ids {
        records.push(cluster.record("b", id).await?);
    }
    Ok(records)
}

async fn ready_follows_redis(cluster: &mut Cluster) -> anyhow::Result<()> {
    cluster.redis = None; // killed
    for node in ["a", "b"] {
        let url = format!("{}/ready", cluster.url(node));
        cluster
            .wait_until(Duration::from_secs(15), || async {
                Ok(cluster.http.get(&url).send().await?.status() == 503)
            })
            .await
            .with_context(|| format!("node {node} stayed ready without Redis"))?;
    }
    let (status, body) = cluster
        .post_run("a", "python", json!({ "code": "print(1)" }))
        .await?;
    anyhow::ensure!(
        status == 503,
        "a run without Redis answered {status}: {body}"
    );
    cluster.redis = Some(start_redis(
        &cluster.redis_binary,
        cluster.redis_port,
        cluster.dir.path(),
    )?);
    cluster.wait_ready(&["a", "b"]).await?;
    // Redis came back empty: the queue works again all the same.
    let id = cluster.queue("b", "print('back')").await?;
    let record = cluster.finished("a", &id, Duration::from_secs(30)).await?;
    anyhow::ensure!(record["result"]["stdout"] == "back\n", "{record}");
    Ok(())
}

async fn unreachable_redis(cluster: &Cluster) -> anyhow::Result<()> {
    let closed = free_port()?;
    let output = tokio::process::Command::new(&cluster.binary)
        .args(["serve", "--offline"])
        .env("REDIS_URL", format!("redis://:hunter2@127.0.0.1:{closed}/"))
        .env("PORT", "0")
        .env("HOST", "127.0.0.1")
        .env(
            "USER_BASE_DIR",
            cluster.dir.path().join("users-unreachable"),
        )
        .env("RUNTIMES_DIR", &cluster.runtimes)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .context("the node did not exit")??;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    anyhow::ensure!(!output.status.success(), "it exited with success: {said}");
    anyhow::ensure!(
        said.contains(&format!("127.0.0.1:{closed}")),
        "the URL is not named: {said}"
    );
    anyhow::ensure!(!said.contains("hunter2"), "the password is shown: {said}");
    Ok(())
}

/// Runs of a small program per second: nodes a and b, then a alone; the
/// median of five rounds each.
async fn throughput(cluster: &mut Cluster) -> anyhow::Result<()> {
    let two = median_rate(cluster).await?;
    let node = cluster.process("b").context("node b")?;
    node.signal("TERM")?;
    node.wait_exit(Duration::from_secs(30))?;
    let one = median_rate(cluster).await?;
    println!(
        "throughput (median of 5 rounds of 60 runs): one node {one:.1} runs/s, two nodes {two:.1} runs/s (ratio {:.2})",
        two / one
    );
    Ok(())
}

async fn median_rate(cluster: &Cluster) -> anyhow::Result<f64> {
    let mut rates = Vec::new();
    for _ in 0..5 {
        rates.push(runs_per_second(cluster).await?);
    }
    rates.sort_by(f64::total_cmp);
    Ok(rates[rates.len() / 2])
}

/// Queues many small runs on node a and waits for them all.
async fn runs_per_second(cluster: &Cluster) -> anyhow::Result<f64> {
    const RUNS: usize = 60;
    let started = Instant::now();
    let mut ids = Vec::new();
    for index in 0..RUNS {
        let code = format!("print({index} * 2)");
        // The queue holds only a few: wait for room as a client would.
        loop {
            let (status, body) = cluster
                .post_run("a", "python", json!({ "code": code }))
                .await?;
            if status == 202 {
                ids.push(body["executionId"].as_str().context("no id")?.to_owned());
                break;
            }
            anyhow::ensure!(status == 429, "POST /run answered {status}: {body}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    for id in &ids {
        cluster.finished("a", id, Duration::from_secs(120)).await?;
    }
    Ok(RUNS as f64 / started.elapsed().as_secs_f64())
}
