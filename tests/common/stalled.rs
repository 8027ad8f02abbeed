//! A Socket.IO client that stops reading: a plain TCP socket speaking just
//! enough WebSocket and Engine.IO to connect and send events, and then
//! never reads what the server sends. Real clients do this when they hang
//! or go away without closing. It sends as soon as it is connected, without
//! waiting for the `session` event as the bundled clients do, so it also
//! plays the hasty client.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

pub struct StalledClient {
    stream: TcpStream,
}

impl StalledClient {
    /// Opens a websocket to the server at `base` (`http://host:port`) and
    /// joins the default namespace.
    pub async fn connect(base: &str) -> Self {
        let address = base.trim_start_matches("http://");
        // A small receive buffer, as a phone or a congested link has: a
        // Linux socket left to autotune may take 32 MiB before the server
        // sees that nobody reads, and pushing that much through a loaded
        // test machine takes longer than the tests wait.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        let mut stream = socket
            .connect(address.parse().expect("an ip:port address"))
            .await
            .unwrap();
        let request = format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {address}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut client = Self { stream };
        client.read_headers().await;
        let open = client.read_frame().await;
        assert!(
            open.starts_with('0'),
            "expected the Engine.IO open packet: {open}"
        );
        client.send_text("40").await;
        // The namespace's answer, past any ping the server sent meanwhile.
        let mut seen = Vec::new();
        loop {
            let frame = client.read_frame().await;
            if frame.starts_with("40") {
                break;
            }
            assert!(
                seen.len() < 10 && !frame.starts_with("44"),
                "expected the namespace connect, got {seen:?} then {frame}"
            );
            if frame == "2" {
                client.send_text("3").await;
            }
            seen.push(frame);
        }
        client
    }

    async fn read_headers(&mut self) {
        let mut seen = Vec::new();
        while !seen.ends_with(b"\r\n\r\n") {
            seen.push(self.stream.read_u8().await.unwrap());
        }
        let text = String::from_utf8_lossy(&seen);
        assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    }

    /// Reads one (unfragmented, unmasked) frame from the server as text.
    async fn read_frame(&mut self) -> String {
        let _opcode = self.stream.read_u8().await.unwrap();
        let length = match self.stream.read_u8().await.unwrap() & 0x7f {
            126 => u64::from(self.stream.read_u16().await.unwrap()),
            127 => self.stream.read_u64().await.unwrap(),
            n => u64::from(n),
        };
        let mut payload = vec![0; length as usize];
        self.stream.read_exact(&mut payload).await.unwrap();
        String::from_utf8_lossy(&payload).into_owned()
    }

    /// Sends a masked text frame, as clients must.
    pub async fn send_text(&mut self, text: &str) {
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
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.unwrap();
    }

    /// Sends a Socket.IO event with a string argument.
    pub async fn emit(&mut self, event: &str, data: &str) {
        let packet = format!("42{}", serde_json::json!([event, data]));
        self.send_text(&packet).await;
    }

    /// Reads (as a client that does read) until a frame contains `needle`;
    /// `false` if none did within `wait`.
    pub async fn read_until(&mut self, needle: &str, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.read_frame()).await {
                Ok(frame) if frame.contains(needle) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Whether the server has closed the connection, looking for at most
    /// `wait` (reading and discarding what it sent meanwhile).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut buffer = vec![0; 1 << 16];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buffer)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }
}
