//! A Socket.IO client over HTTP long-polling only (Engine.IO 4), written
//! out request by request: every request of one connection must reach the
//! node holding its session, which is what the load balancer's cookie is
//! for. It keeps that cookie, as a browser does.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::Value;

/// Engine.IO's packet separator in a polling payload.
const SEPARATOR: char = '\u{1e}';

pub struct PollingClient {
    http: reqwest::Client,
    base: String,
    sid: String,
    cookie: Option<String>,
    /// Events received and not yet looked at: (name, data).
    pub events: Vec<(String, Value)>,
}

impl PollingClient {
    /// Opens an Engine.IO connection and the Socket.IO namespace `/`.
    pub async fn connect(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(40))
            .build()?;
        let response = http
            .get(format!("{base}/socket.io/?EIO=4&transport=polling"))
            .send()
            .await?;
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("POLYRUN_NODE="))
            .and_then(|value| value.split(';').next())
            .map(str::to_owned);
        let body = response.error_for_status()?.text().await?;
        let open: Value = serde_json::from_str(body.strip_prefix('0').context("no open packet")?)?;
        let sid = open["sid"].as_str().context("no sid")?.to_owned();
        let client = Self {
            http,
            base: base.to_owned(),
            sid,
            cookie,
            events: Vec::new(),
        };
        client.send("40").await?;
        Ok(client)
    }

    /// The node the load balancer pinned this client to (its cookie).
    pub fn node(&self) -> Option<&str> {
        self.cookie.as_deref()?.strip_prefix("POLYRUN_NODE=")
    }

    fn url(&self) -> String {
        format!(
            "{}/socket.io/?EIO=4&transport=polling&sid={}",
            self.base, self.sid
        )
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        }
    }

    async fn send(&self, packet: &str) -> anyhow::Result<()> {
        let response = self
            .with_cookie(self.http.post(self.url()))
            .body(packet.to_owned())
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        anyhow::ensure!(status.is_success(), "POST {packet}: {status} {body}");
        Ok(())
    }

    /// Emits a Socket.IO event.
    pub async fn emit(&self, event: &str, data: &Value) -> anyhow::Result<()> {
        self.send(&format!("42{}", serde_json::json!([event, data])))
            .await
    }

    /// One long-polling GET: what the server had for this client.
    async fn poll(&mut self) -> anyhow::Result<()> {
        let response = self.with_cookie(self.http.get(self.url())).send().await?;
        let status = response.status();
        let body = response.text().await?;
        anyhow::ensure!(status.is_success(), "poll: {status} {body}");
        for packet in body.split(SEPARATOR) {
            if packet == "2" {
                self.send("3").await?;
            } else if let Some(event) = packet.strip_prefix("42") {
                let array: Value = serde_json::from_str(event)?;
                let name = array[0].as_str().unwrap_or_default().to_owned();
                self.events.push((name, array[1].clone()));
            } else if let Some(error) = packet.strip_prefix("44") {
                anyhow::bail!("connect_error: {error}");
            }
        }
        Ok(())
    }

    /// Polls until an event satisfies `wanted`; returns its data.
    pub async fn wait_for(
        &mut self,
        within: Duration,
        wanted: impl Fn(&str, &Value) -> bool,
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(index) = self.events.iter().position(|(n, d)| wanted(n, d)) {
                return Ok(self.events.remove(index).1);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "no such event within {within:?}; got {:?}",
                self.events
            );
            self.poll().await?;
        }
    }

    /// All `output-success` text received so far, polling for `within`
    /// or until it contains `needle`.
    pub async fn output_containing(
        &mut self,
        needle: &str,
        within: Duration,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + within;
        let mut text = String::new();
        loop {
            for (name, data) in self.events.drain(..) {
                if name == "output-success" {
                    text.push_str(data.as_str().unwrap_or_default());
                }
            }
            if text.contains(needle) {
                return Ok(text);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the socket never showed {needle:?}; it showed {text:?}"
            );
            self.poll().await?;
        }
    }
}
