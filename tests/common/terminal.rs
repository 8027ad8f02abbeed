//! A Socket.IO client (the `rust_socketio` crate) talking to a real server
//! the way a terminal does: `input` lines in, `output-*` and `exit` out.

use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use rust_socketio::Payload;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Events the server sends, recorded in order.
const EVENTS: [&str; 6] = [
    "session",
    "output-success",
    "output-error",
    "exit",
    "error",
    "download",
];

/// How long a test waits for any one expected event.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct Terminal {
    client: Client,
    events: UnboundedReceiver<(String, Value, Instant)>,
    /// The `session` event: `{sessionId, userDirectory, cwd, resumed}`.
    pub session: Value,
}

/// What one command line printed, and how it ended.
#[derive(Debug, Default)]
pub struct Transcript {
    pub stdout: String,
    pub stderr: String,
    /// The `exit` event: `{code, status, durationMs, cwd}`.
    pub exit: Value,
}

impl Transcript {
    pub fn code(&self) -> i64 {
        self.exit["code"].as_i64().unwrap_or(-1)
    }
}

impl Terminal {
    /// Connects and waits for the `session` event; a refused connection
    /// gives the server's `connect_error` message, a session the server
    /// could not create its `output-error`.
    pub async fn connect(base: &str, auth: Option<Value>) -> Result<Terminal, String> {
        let (sender, events) = unbounded_channel();
        let mut builder = ClientBuilder::new(base)
            .namespace("/")
            .reconnect(false)
            .transport_type(rust_socketio::TransportType::Websocket);
        if let Some(auth) = auth {
            builder = builder.auth(auth);
        }
        for event in EVENTS {
            let sender = sender.clone();
            builder = builder.on(event, move |payload: Payload, _client: Client| {
                let sender = sender.clone();
                let name = event.to_owned();
                async move {
                    let value = match payload {
                        Payload::Text(mut values) if !values.is_empty() => values.remove(0),
                        #[allow(deprecated)]
                        Payload::String(text) => Value::String(text),
                        _ => Value::Null,
                    };
                    let _ = sender.send((name, value, Instant::now()));
                }
                .boxed()
            });
        }
        let client = builder.connect().await.map_err(|e| e.to_string())?;
        let mut terminal = Terminal {
            client,
            events,
            session: Value::Null,
        };
        loop {
            match terminal.next_event().await {
                Some((name, value, _)) if name == "session" => {
                    terminal.session = value;
                    return Ok(terminal);
                }
                // `error` is a refused connection; an `output-error` before
                // the session is a session the server could not create.
                Some((name, value, _)) if name == "error" || name == "output-error" => {
                    return Err(value.as_str().unwrap_or_default().to_owned());
                }
                Some(_) => {}
                None => return Err("no session event".to_owned()),
            }
        }
    }

    pub fn session_id(&self) -> String {
        self.session["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn user_directory(&self) -> String {
        self.session["userDirectory"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The next event, or `None` after [`PATIENCE`].
    pub async fn next_event(&mut self) -> Option<(String, Value, Instant)> {
        tokio::time::timeout(PATIENCE, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next event within `wait`, if any.
    pub async fn event_within(&mut self, wait: Duration) -> Option<(String, Value, Instant)> {
        tokio::time::timeout(wait, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    pub async fn emit(&self, event: &str, data: Value) {
        self.client
            .emit(event, Payload::Text(vec![data]))
            .await
            .expect("emit");
    }

    /// Emits an event with an acknowledgement and returns what the server
    /// acknowledged (its first value), or `Null` after [`PATIENCE`].
    pub async fn ask(&self, event: &str, data: Value) -> Value {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let sender = std::sync::Mutex::new(Some(sender));
        self.client
            .emit_with_ack(
                event,
                Payload::Text(vec![data]),
                PATIENCE,
                move |payload: Payload, _client: Client| {
                    // The acknowledgement's arguments, as an array.
                    let value = match payload {
                        Payload::Text(mut values) if !values.is_empty() => values.remove(0),
                        _ => Value::Null,
                    };
                    let value = match value {
                        Value::Array(mut values) if !values.is_empty() => values.remove(0),
                        other => other,
                    };
                    if let Some(sender) = sender.lock().unwrap().take() {
                        let _ = sender.send(value);
                    }
                    async {}.boxed()
                },
            )
            .await
            .expect("emit with ack");
        tokio::time::timeout(PATIENCE, receiver)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(Value::Null)
    }

    /// Sends a line (a command, or input for the running program).
    pub async fn input(&self, line: &str) {
        self.emit("input", json!(line)).await;
    }

    /// Collects output until the next `exit`.
    pub async fn until_exit(&mut self) -> Transcript {
        let mut transcript = Transcript::default();
        loop {
            let Some((name, value, _)) = self.next_event().await else {
                panic!("no exit event; so far: {transcript:?}");
            };
            let text = value.as_str().unwrap_or_default();
            match name.as_str() {
                "output-success" => transcript.stdout.push_str(text),
                "output-error" => transcript.stderr.push_str(text),
                "exit" => {
                    transcript.exit = value;
                    return transcript;
                }
                _ => {}
            }
        }
    }

    /// Runs a command line and collects what it printed.
    pub async fn run(&mut self, line: &str) -> Transcript {
        self.input(line).await;
        self.until_exit().await
    }

    pub async fn disconnect(self) {
        let _ = self.client.disconnect().await;
    }
}
