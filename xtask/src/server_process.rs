//! The real server as its users run it: the `polyrun` binary built by
//! cargo, started as a process of its own on a loopback port, for the
//! tasks that test or measure it from outside (soak, conformance, bench).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use serde_json::Value;

/// The cargo profile a server binary is built with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Profile {
    /// As the integration tests build it: quick to build.
    Dev,
    /// As users deploy it: what speed is measured on.
    Release,
}

/// Builds the server binary with `profile` and says where it is.
pub(crate) fn build_server(root: &Path, profile: Profile) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args([
        "build",
        "--bin",
        "polyrun",
        "--message-format=json-render-diagnostics",
    ]);
    if let Profile::Release = profile {
        command.arg("--release");
    }
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo build")?;
    ensure!(output.status.success(), "cargo build --bin polyrun failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["target"]["name"] == "polyrun")
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .next_back()
        .context("cargo did not name the polyrun executable")
}

/// A running server, killed when dropped.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) base: String,
}

impl ServerProcess {
    /// Starts `binary` on a port of its choosing, with the per-user
    /// runtimes, users' sandboxes under `users` and `settings` (pairs of
    /// environment names and values), and waits until it is healthy.
    pub(crate) async fn start(
        binary: &Path,
        users: &Path,
        settings: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("RUNTIMES_DIR", crate::runtimes_dir().root())
            .env("USER_BASE_DIR", users)
            // "listening" (which names the port) is an info line.
            .env("LOG_LEVEL", "info")
            .envs(settings.iter().map(|(name, value)| (name, value)))
            .current_dir(users)
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the server")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(log) = serde_json::from_str::<Value>(&line)
                    && log["message"] == "listening"
                {
                    let _ = sender.send(log["addr"].as_str().unwrap_or_default().to_owned());
                }
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(60))
            .context("the server never said where it listens")?;
        let server = Self {
            child,
            base: format!("http://{address}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.health().await.map(|h| h["status"] == "healthy").ok() != Some(true) {
            ensure!(Instant::now() < deadline, "the server never became healthy");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    pub(crate) async fn health(&self) -> anyhow::Result<Value> {
        Ok(reqwest::get(format!("{}/health", self.base))
            .await?
            .json()
            .await?)
    }

    pub(crate) fn stop(self) {
        drop(self);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
