//! The packages section of `cargo xtask bench`: `pip install rich` (with
//! its dependencies markdown-it-py, mdurl and pygments) over HTTP on the
//! release server, from a local static index: the first install (fetching
//! every file), installs answered from the shared cache, and the import
//! afterwards against the native interpreter importing the same wheels:
//! first from source (before the server has compiled the wheels), then
//! with the bytecode later installs bring.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use serde_json::json;

use crate::bench::{ms, percentile};
use crate::http_bench::LocalServer;
use crate::package_index::StaticIndex;

/// Runs with and without the install, alternating.
const ROUNDS: usize = 15;

/// Imports `rich.console`, printing how long the import took in ms.
const TIMED_IMPORT: &str = "import time\nstarted = time.perf_counter()\nimport rich.console\nprint(round((time.perf_counter() - started) * 1000, 2))";

pub async fn run(native_python: Option<&str>) -> anyhow::Result<()> {
    crate::package_fixtures::fetch()?;
    let wheels = crate::workspace_root().join("tests/packages/wheels");
    let index = StaticIndex::start(&wheels)?;
    let cache = tempfile::tempdir()?;
    let server = LocalServer::start_with(&[
        ("PACKAGE_INDEX_URL", index.url.clone()),
        ("PACKAGE_CACHE_DIR", cache.path().display().to_string()),
    ])
    .await?;
    let client = reqwest::Client::new();
    let url = format!("{}/run/python", server.base);
    println!(
        "\nPackages: pip install rich (+ markdown-it-py, mdurl, pygments) over HTTP, local index"
    );
    println!(
        "{:<34} {:>10} {:>12} {:>8}",
        "case", "median", "native med", "ratio"
    );

    let (first, printed) = timed_run(&client, &url, TIMED_IMPORT, &["rich"]).await?;
    let from_source = Duration::from_secs_f64(printed.trim().parse::<f64>()? / 1000.0);
    println!("{:<34} {:>10}", "first install (fetching), run", ms(first));
    wait_for_bytecode(&client, &url).await?;
    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut imports = Vec::new();
    for _ in 0..ROUNDS {
        with.push(
            timed_run(&client, &url, "print('hello')", &["rich"])
                .await?
                .0,
        );
        without.push(timed_run(&client, &url, "print('hello')", &[]).await?.0);
        let (_, printed) = timed_run(&client, &url, TIMED_IMPORT, &["rich"]).await?;
        let millis: f64 = printed.trim().parse().context("the import's time")?;
        imports.push(Duration::from_secs_f64(millis / 1000.0));
    }
    let install = percentile(&with, 0.5).saturating_sub(percentile(&without, 0.5));
    println!(
        "{:<34} {:>10}",
        "cached install (run with - without)",
        ms(install)
    );
    let (compiling, with_bytecode) = match native_python {
        Some(python) => native_imports(python, &wheels)?,
        None => (Vec::new(), Vec::new()),
    };
    compare(
        "import rich.console (first, source)",
        from_source,
        &compiling,
    );
    compare(
        "import rich.console (bytecode)",
        percentile(&imports, 0.5),
        &with_bytecode,
    );
    server.stop();
    Ok(())
}

/// One line: ours against the native median, with their ratio.
fn compare(case: &str, ours: Duration, native: &[Duration]) {
    let (native_median, ratio) = if native.is_empty() {
        ("n/a".to_owned(), "n/a".to_owned())
    } else {
        let native = percentile(native, 0.5);
        (
            ms(native),
            format!("{:.2}x", ours.as_secs_f64() / native.as_secs_f64()),
        )
    };
    println!("{case:<34} {:>10} {native_median:>12} {ratio:>8}", ms(ours));
}

/// Installs until the install brings `rich`'s bytecode (the server
/// compiles each wheel once, in the background, after its first install).
async fn wait_for_bytecode(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let probe = "import os\nprint(os.path.exists('/.local/lib/python3.15/site-packages/rich/__pycache__/console.cpython-315.pyc'))";
    let started = Instant::now();
    loop {
        let (_, printed) = timed_run(client, url, probe, &["rich"]).await?;
        if printed.trim() == "True" {
            println!(
                "{:<34} {:>10}",
                "wheels compiled to bytecode after",
                ms(started.elapsed())
            );
            return Ok(());
        }
        ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the server did not compile rich's wheels"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A `wait` run with `packages`: how long the request took, and its stdout.
async fn timed_run(
    client: &reqwest::Client,
    url: &str,
    code: &str,
    packages: &[&str],
) -> anyhow::Result<(Duration, String)> {
    let body = json!({ "code": code, "packages": packages, "wait": true });
    let sent = Instant::now();
    let result: serde_json::Value = client.post(url).json(&body).send().await?.json().await?;
    let took = sent.elapsed();
    ensure!(result["status"] == "ok", "unexpected result: {result}");
    Ok((
        took,
        result["stdout"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// The same import in the native interpreter, from the same wheels
/// unpacked (stdlib `zipfile`): compiling each time (`-B`), and from the
/// bytecode `compileall` wrote.
fn native_imports(python: &str, wheels: &Path) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let site = tempfile::tempdir()?;
    for entry in std::fs::read_dir(wheels)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "whl") {
            let status = Command::new(python)
                .args(["-m", "zipfile", "-e"])
                .arg(&path)
                .arg(site.path())
                .status()?;
            ensure!(status.success(), "cannot unpack {}", path.display());
        }
    }
    let compiling = timed_native_imports(python, site.path(), &["-B"])?;
    let status = Command::new(python)
        .args(["-m", "compileall", "-q"])
        .arg(site.path())
        .status()?;
    ensure!(status.success(), "compileall failed");
    let with_bytecode = timed_native_imports(python, site.path(), &[])?;
    Ok((compiling, with_bytecode))
}

fn timed_native_imports(
    python: &str,
    site: &Path,
    flags: &[&str],
) -> anyhow::Result<Vec<Duration>> {
    let mut samples = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let output = Command::new(python)
            .args(flags)
            .arg("-c")
            .arg(TIMED_IMPORT)
            .env("PYTHONPATH", site)
            .output()?;
        ensure!(output.status.success(), "native import failed");
        let millis: f64 = String::from_utf8_lossy(&output.stdout).trim().parse()?;
        samples.push(Duration::from_secs_f64(millis / 1000.0));
    }
    Ok(samples)
}
