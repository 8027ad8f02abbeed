//! The HTTP end-to-end section of `cargo xtask bench`: the real server on a
//! loopback port, N concurrent clients sending `wait` runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};

use crate::server_process::{Profile, ServerProcess, build_server};
use serde_json::json;

const CLIENTS: usize = 8;

/// A server on a loopback port for the benchmarks, stopped by [`Self::stop`]:
/// the release build of `polyrun serve`, in a process of its own, as users
/// run it (not the bench's own unoptimised build of the library, sharing
/// its process, CPU time and memory with the clients).
pub struct LocalServer {
    pub base: String,
    process: ServerProcess,
    _users: tempfile::TempDir,
}

impl LocalServer {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&[]).await
    }

    /// A server with some settings changed (`(name, value)` pairs).
    pub async fn start_with(settings: &[(&str, String)]) -> anyhow::Result<Self> {
        let users = tempfile::tempdir()?;
        let binary = build_server(&crate::workspace_root(), Profile::Release)?;
        let process = ServerProcess::start(&binary, users.path(), settings).await?;
        Ok(Self {
            base: process.base.clone(),
            process,
            _users: users,
        })
    }

    pub fn stop(self) {
        self.process.stop();
    }
}

/// Fresh C++ requests (each compiles), and as many cached ones.
const CPP_FRESH_REQUESTS: usize = 7;

/// Medians of the native counterparts, measured in the same run: `g++ -O0`
/// compile + run, and the system's `python3` and `node` on a hello.
pub struct Baselines {
    pub cpp: Option<Duration>,
    pub python: Option<Duration>,
    pub node: Option<Duration>,
}

/// Sequential requests per language for the one-client latency.
const SINGLE_CLIENT_REQUESTS: usize = 200;

pub async fn run(requests: usize, baselines: Baselines) -> anyhow::Result<()> {
    let server = LocalServer::start().await?;
    let client = reqwest::Client::new();
    let base = server.base.clone();

    single_client(&client, &base, &baselines).await?;
    contexts(&client, &base).await?;

    println!("\nHTTP end-to-end: {CLIENTS} concurrent clients, POST /run/{{language}} with wait");
    println!(
        "{:<34} {:>10} {:>10} {:>12}",
        "case", "p50", "p99", "throughput"
    );
    for (language, code) in [
        ("javascript", "console.log('hello')"),
        ("python", "print('hello')"),
    ] {
        let (latencies, elapsed) = load(&client, &base, language, code, requests).await?;
        let mut sorted = latencies;
        sorted.sort();
        let at = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
        println!(
            "{:<34} {:>10} {:>10} {:>9.0}/s",
            format!("{language} hello over HTTP"),
            format!("{:.1} ms", at(0.5).as_secs_f64() * 1000.0),
            format!("{:.1} ms", at(0.99).as_secs_f64() * 1000.0),
            sorted.len() as f64 / elapsed.as_secs_f64()
        );
    }
    cpp_fresh_and_cached(&client, &base, baselines.cpp).await?;
    server.stop();
    python_rss_under_load().await
}

/// One client, one request at a time: a hello's latency over HTTP against
/// the native interpreter spawned on the same program, then where the time
/// of a Python hello goes, from the server's own phase metrics.
async fn single_client(
    client: &reqwest::Client,
    base: &str,
    baselines: &Baselines,
) -> anyhow::Result<()> {
    println!("\nHTTP, one client: POST /run/{{language}} with wait, one request at a time");
    println!(
        "{:<34} {:>10} {:>10} {:>12} {:>8}",
        "case", "p50", "p90", "native med", "ratio"
    );
    for (language, code, native) in [
        ("javascript", "console.log('hello')", baselines.node),
        ("python", "print('hello')", baselines.python),
    ] {
        let before = phase_totals(&metrics_text(client, base).await?);
        let mut latencies = Vec::with_capacity(SINGLE_CLIENT_REQUESTS);
        let url = format!("{base}/run/{language}");
        let body = json!({ "code": code, "wait": true });
        run_hello(client, &url, &body).await?;
        for _ in 0..SINGLE_CLIENT_REQUESTS {
            let sent = Instant::now();
            run_hello(client, &url, &body).await?;
            latencies.push(sent.elapsed());
        }
        let after = phase_totals(&metrics_text(client, base).await?);
        let median = crate::bench::percentile(&latencies, 0.5);
        let (native_median, ratio) = native.map_or(("n/a".into(), "n/a".into()), |native| {
            (
                crate::bench::ms(native),
                format!("{:.2}x", median.as_secs_f64() / native.as_secs_f64()),
            )
        });
        println!(
            "{:<34} {:>10} {:>10} {native_median:>12} {ratio:>8}",
            format!("{language} hello over HTTP"),
            crate::bench::ms(median),
            crate::bench::ms(crate::bench::percentile(&latencies, 0.9)),
        );
        if language == "python" {
            print_breakdown(&before, &after, median);
        }
    }
    Ok(())
}

/// Each phase's time per request (phases some requests skip, such as
/// instantiating one when a prepared instance was ready, are averaged over
/// all of them), between two readings of the metrics, and what is left of
/// the client's median for HTTP itself.
fn print_breakdown(before: &PhaseTotals, after: &PhaseTotals, median: Duration) {
    println!("  where a python hello's time goes (server phases, per request):");
    let (_, requests) = after.delta(before, "guest");
    if requests <= 0.0 {
        return;
    }
    let mut accounted = 0.0;
    for phase in [
        "admission",
        "sandbox",
        "instantiate",
        "prefault",
        "guest",
        "cleanup",
    ] {
        let (sum, count) = after.delta(before, phase);
        if count > 0.0 {
            accounted += sum / requests;
            println!(
                "    {phase:<30} {:>10}",
                format!("{:.3} ms", sum / requests * 1000.0)
            );
        }
    }
    println!(
        "    {:<30} {:>10}",
        "http, json, the rest",
        format!(
            "{:.3} ms",
            (median.as_secs_f64() - accounted).max(0.0) * 1000.0
        )
    );
    for (phase, label) in [
        ("teardown", "teardown (after the response)"),
        ("prepared", "instances prepared ahead"),
    ] {
        let (sum, count) = after.delta(before, phase);
        if count > 0.0 {
            println!(
                "    {label:<30} {:>10}",
                format!("{:.3} ms", sum / requests * 1000.0)
            );
        }
    }
    let (faults, runs) = (
        after.faults.0 - before.faults.0,
        after.faults.1 - before.faults.1,
    );
    if runs > 0.0 {
        println!("    {:<30} {:>10.0}", "page faults per run", faults / runs);
    }
}

/// The phase histograms' sums and counts, and the page faults' (sum, count).
#[derive(Default)]
struct PhaseTotals {
    phases: std::collections::HashMap<String, (f64, f64)>,
    faults: (f64, f64),
}

impl PhaseTotals {
    /// Where a sample of the metric `name` (for `phase`) is kept.
    fn entry(&mut self, name: &str, phase: Option<&str>) -> Option<&mut (f64, f64)> {
        if name.starts_with("polyrun_run_page_faults") {
            return Some(&mut self.faults);
        }
        if !name.starts_with("polyrun_run_phase_seconds") {
            return None;
        }
        Some(self.phases.entry(phase?.to_owned()).or_default())
    }

    fn delta(&self, before: &PhaseTotals, phase: &str) -> (f64, f64) {
        let (sum, count) = self.phases.get(phase).copied().unwrap_or_default();
        let (sum0, count0) = before.phases.get(phase).copied().unwrap_or_default();
        (sum - sum0, count - count0)
    }
}

/// Reads `polyrun_run_phase_seconds_{sum,count}{phase="…"}` and
/// `polyrun_run_page_faults_{sum,count}` out of the Prometheus text.
fn phase_totals(text: &str) -> PhaseTotals {
    let mut totals = PhaseTotals::default();
    for line in text.lines() {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let phase = name
            .split_once("phase=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(phase, _)| phase.to_owned());
        let Some(entry) = totals.entry(name, phase.as_deref()) else {
            continue;
        };
        if name.contains("_sum") {
            entry.0 = value;
        } else if name.contains("_count") {
            entry.1 = value;
        }
    }
    totals
}

async fn metrics_text(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    Ok(client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?)
}

/// Contexts start from the same snapshot: creating one, and a first cell
/// that imports scikit-learn (already imported) in it.
async fn contexts(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    const CONTEXTS: usize = 20;
    let (mut created, mut cells) = (Vec::new(), Vec::new());
    for _ in 0..CONTEXTS {
        let sent = Instant::now();
        let context: serde_json::Value = client
            .post(format!("{base}/contexts"))
            .json(&json!({ "language": "python" }))
            .send()
            .await?
            .json()
            .await?;
        created.push(sent.elapsed());
        let id = context["contextId"]
            .as_str()
            .with_context(|| format!("no context: {context}"))?
            .to_owned();
        let sent = Instant::now();
        let cell: serde_json::Value = client
            .post(format!("{base}/contexts/{id}/run"))
            .json(&json!({ "code": "import sklearn.linear_model\nprint('hello')" }))
            .send()
            .await?
            .json()
            .await?;
        cells.push(sent.elapsed());
        ensure!(
            cell["stdout"] == "hello\n",
            "unexpected cell result: {cell}"
        );
        client
            .delete(format!("{base}/contexts/{id}"))
            .send()
            .await?;
    }
    for (case, samples) in [
        ("python context: create", created),
        ("python context: import sklearn", cells),
    ] {
        println!(
            "{case:<34} {:>10} {:>10}",
            crate::bench::ms(crate::bench::percentile(&samples, 0.5)),
            crate::bench::ms(crate::bench::percentile(&samples, 0.9)),
        );
    }
    Ok(())
}

/// Python runs held open at once for the memory measurement.
const HELD_RUNS: usize = 50;

/// Server memory while [`HELD_RUNS`] Python programs (each with numpy in
/// use) are alive at once: what many concurrent users cost.
async fn python_rss_under_load() -> anyhow::Result<()> {
    let held = HELD_RUNS.to_string();
    let server = LocalServer::start_with(&[
        ("MAX_CONCURRENT_EXECUTIONS", held.clone()),
        ("MAX_QUEUED_EXECUTIONS", held),
    ])
    .await?;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let idle = server_rss(&client, &base).await?;
    let code =
        "import time, numpy\nrows = numpy.arange(100_000).sum()\ntime.sleep(2)\nprint('hello')";
    let mut runs = Vec::new();
    for _ in 0..HELD_RUNS {
        let (client, base) = (client.clone(), base.clone());
        runs.push(tokio::spawn(async move {
            let body = json!({ "code": code, "wait": true });
            run_hello(&client, &format!("{base}/run/python"), &body).await
        }));
    }
    let mut peak = idle;
    while !runs.iter().all(|run| run.is_finished()) {
        peak = peak.max(server_rss(&client, &base).await?);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for run in runs {
        run.await.context("run task")??;
    }
    // The instances' teardown follows the responses.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server_rss(&client, &base).await?;
    let anonymous = health(&client, &base).await?["memoryUsage"]["anonymousRss"]
        .as_u64()
        .unwrap_or_default();
    println!(
        "{:<34} {:>10} {:>10} {:>12}",
        format!("server RSS, {HELD_RUNS} Python runs"),
        format!("{} MiB", peak >> 20),
        format!("idle {} MiB", idle >> 20),
        format!("after {} MiB", after >> 20)
    );
    // Pages of the snapshot's file still mapped in idle instance slots
    // count in RSS once per slot, though memory holds them once.
    println!(
        "{:<34} {:>10}",
        "  of which anonymous, after",
        format!("{} MiB", anonymous >> 20)
    );
    server.stop();
    Ok(())
}

/// Sends a `wait` run that must print `hello`, and returns its result.
async fn run_hello(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let result: serde_json::Value = client.post(url).json(body).send().await?.json().await?;
    ensure!(result["stdout"] == "hello\n", "unexpected result: {result}");
    Ok(result)
}

async fn health(client: &reqwest::Client, base: &str) -> anyhow::Result<serde_json::Value> {
    Ok(client
        .get(format!("{base}/health"))
        .send()
        .await?
        .json()
        .await?)
}

async fn server_rss(client: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    health(client, base).await?["memoryUsage"]["rss"]
        .as_u64()
        .context("/health reports no memoryUsage.rss")
}

/// C++ over HTTP: fresh sources (a unique comment each, so every request
/// compiles), against native `g++ -O0` compile + run; then one source sent
/// again and again, answered from the compile cache (`compileCached`).
async fn cpp_fresh_and_cached(
    client: &reqwest::Client,
    base: &str,
    native: Option<Duration>,
) -> anyhow::Result<()> {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let source = |i: usize| {
        format!(
            "// {nonce} {i}\n#include <iostream>\nint main() {{ std::cout << \"hello\\n\"; }}\n"
        )
    };
    let mut fresh = Vec::new();
    for i in 0..CPP_FRESH_REQUESTS {
        let sent = Instant::now();
        let body = json!({ "code": source(i), "wait": true });
        let result = run_hello(client, &format!("{base}/run/cpp"), &body).await?;
        ensure!(
            result["compileCached"] != true,
            "a fresh C++ source was cached"
        );
        fresh.push(sent.elapsed());
    }
    let mut cached = Vec::new();
    for _ in 0..CPP_FRESH_REQUESTS {
        let sent = Instant::now();
        let body = json!({ "code": source(0), "wait": true });
        let result = run_hello(client, &format!("{base}/run/cpp"), &body).await?;
        ensure!(
            result["compileCached"] == true,
            "a repeated C++ request missed the cache"
        );
        cached.push(sent.elapsed());
    }
    for (case, mut samples) in [
        ("c++ hello over HTTP, fresh", fresh),
        ("c++ hello over HTTP, cached", cached),
    ] {
        samples.sort();
        let median = samples[samples.len() / 2];
        let ratio = native.map_or("n/a".to_owned(), |native| {
            format!("{:.2}x g++", median.as_secs_f64() / native.as_secs_f64())
        });
        println!(
            "{case:<34} {:>10} {:>10} {ratio:>12}",
            format!("{:.0} ms", median.as_secs_f64() * 1000.0),
            format!(
                "{:.0} ms",
                samples[samples.len() - 1].as_secs_f64() * 1000.0
            ),
        );
    }
    Ok(())
}

async fn load(
    client: &reqwest::Client,
    base: &str,
    language: &str,
    code: &str,
    requests: usize,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let url = Arc::new(format!("{base}/run/{language}"));
    let body = Arc::new(json!({ "code": code, "wait": true }));
    // Warm up.
    client.post(url.as_str()).json(&*body).send().await?;
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..CLIENTS {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        let share = requests / CLIENTS + usize::from(worker < requests % CLIENTS);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for _ in 0..share {
                let sent = Instant::now();
                run_hello(&client, &url, &body).await?;
                latencies.push(sent.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    for worker in workers {
        latencies.extend(worker.await.context("client task")??);
    }
    Ok((latencies, started.elapsed()))
}
