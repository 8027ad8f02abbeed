//! A real `polyrun` server process on an ephemeral port, for the HTTP and
//! Socket.IO tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A `polyrun serve` process, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub client: reqwest::Client,
    pub users: tempfile::TempDir,
    /// The server's JSON log lines so far.
    pub logs: Arc<Mutex<Vec<Value>>>,
}

impl Server {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        Self::start_with(env, &[], true).await
    }

    pub async fn start_with(env: &[(&str, &str)], args: &[&str], wait_ready: bool) -> Self {
        let users = tempfile::tempdir().unwrap();
        let mut command = server_command(env);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("RUNTIMES_DIR", super::runtime_dir().root())
            .env("USER_BASE_DIR", users.path())
            // A test machine's disk may be nearly full; tests of the
            // free-space floor set it themselves.
            .env("MIN_FREE_DISK_MB", "0")
            .current_dir(users.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            if *key == "POLYRUN_TEST_NOFILE" {
                continue;
            }
            if *key == "POLYRUN_TEST_CWD" {
                command.current_dir(value);
            } else {
                command.env(key, value);
            }
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let kept = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Ok(log) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if log["message"] == "listening" {
                    let _ = sender.send(log["addr"].as_str().unwrap_or_default().to_owned());
                }
                kept.lock().unwrap().push(log);
            }
        });
        let addr = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("server announces its address");
        let server = Self {
            child,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            users,
            logs,
        };
        if wait_ready {
            server.wait_healthy().await;
        }
        server
    }

    pub async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let health = self.get("/health").await.1;
            if health["status"] == "healthy" {
                return;
            }
            assert!(Instant::now() < deadline, "never healthy: {health}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    /// POSTs `body` as JSON to `path`: the status and the JSON answer.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn run(&self, language: &str, body: Value) -> (u16, Value) {
        self.post(&format!("/run/{language}"), body).await
    }

    /// `run_wait` in a task of its own, for a test to do more meanwhile.
    pub fn run_wait_in_background(
        &self,
        language: &str,
        mut body: Value,
    ) -> tokio::task::JoinHandle<Value> {
        body["wait"] = json!(true);
        let request = self
            .client
            .post(format!("{}/run/{language}", self.base))
            .json(&body)
            .send();
        tokio::spawn(async move { request.await.unwrap().json::<Value>().await.unwrap() })
    }

    pub async fn run_wait(&self, language: &str, mut body: Value) -> Value {
        body["wait"] = json!(true);
        let (status, result) = self.run(language, body).await;
        assert_eq!(status, 200, "{result}");
        result
    }
}

/// The server's command; with `POLYRUN_TEST_NOFILE=N` (Unix), started
/// under a shell that lowers its open-files limit to N first.
fn server_command(env: &[(&str, &str)]) -> Command {
    let binary = env!("CARGO_BIN_EXE_polyrun");
    match env.iter().find(|(key, _)| *key == "POLYRUN_TEST_NOFILE") {
        Some((_, limit)) if cfg!(unix) => {
            let mut command = Command::new("sh");
            command
                .arg("-c")
                .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                .arg(binary);
            command
        }
        _ => Command::new(binary),
    }
}

impl Server {
    /// The server's resident memory that is not mapped files (runtime
    /// code pages in as it first runs), as `/health` reports it.
    pub async fn rss(&self) -> u64 {
        self.get("/health").await.1["memoryUsage"]["anonymousRss"]
            .as_u64()
            .expect("anonymousRss in /health")
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `GET /metrics` as text (no token).
    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.text().await.unwrap()
    }

    /// The log lines whose `message` is `message`.
    pub fn logged(&self, message: &str) -> Vec<Value> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .filter(|log| log["message"] == message)
            .cloned()
            .collect()
    }
}
