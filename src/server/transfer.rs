//! Files in and out of a session's sandbox over its Socket.IO connection:
//! the browser terminal's uploads (drop a file on the page) and downloads
//! (`download FILE`).
//!
//! - `upload {name, offset, data, last}` writes one piece of a file into
//!   the shell's working directory and acknowledges `{size}` or `{error}`.
//!   Pieces come in order, each after the last one's acknowledgement, so
//!   the client shows progress and never runs ahead of the disk.
//! - `read-file {path, offset}` acknowledges `{data, size}` (at most
//!   [`MAX_PIECE_BYTES`] of `data`, binary) or `{error}`.
//!
//! The socket is the session's: no other authentication, and no path
//! outside its sandbox. Names are one plain file name; paths go through
//! [`relative_path`] and cap-std. The work runs off the async workers, one
//! transfer at a time per session.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use socketioxide::extract::{AckSender, Extension, TryData};

use super::link::Link;
use crate::sandbox::{Sandbox, SandboxError, relative_path};

/// The most one piece carries, either way (the client sends 64 KiB).
pub(super) const MAX_PIECE_BYTES: usize = 256 * 1024;
/// The longest path a download may name.
const MAX_PATH_BYTES: usize = 4096;
/// The longest file name (most file systems' limit).
const MAX_NAME_BYTES: usize = 255;

#[derive(Deserialize)]
pub(super) struct UploadPiece {
    name: String,
    offset: u64,
    data: PieceData,
}

/// A piece's bytes: binary (the browser sends an `ArrayBuffer`), or text
/// (its UTF-8), for clients without binary attachments.
#[derive(Deserialize)]
#[serde(untagged)]
enum PieceData {
    Binary(Bytes),
    Text(String),
}

impl PieceData {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Binary(bytes) => bytes,
            Self::Text(text) => text.as_bytes(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ReadRequest {
    path: String,
    #[serde(default)]
    offset: u64,
}

/// What a transfer's acknowledgement carries.
#[derive(Serialize)]
#[serde(untagged)]
enum Reply {
    Written { size: u64 },
    Read { data: Bytes, size: u64 },
    Error { error: String },
}

impl Reply {
    fn error(message: impl Into<String>) -> Self {
        Self::Error {
            error: message.into(),
        }
    }
}

/// `upload`: one piece of a file, into the working directory.
pub(super) async fn on_upload(
    Extension(link): Extension<Link>,
    ack: AckSender,
    TryData(piece): TryData<UploadPiece>,
) {
    let reply = match piece {
        Ok(piece) => upload(&link, piece).await,
        Err(_) => Reply::error("upload: expected {name, offset, data}"),
    };
    let _ = ack.send(&reply);
}

async fn upload(link: &Link, piece: UploadPiece) -> Reply {
    if piece.data.bytes().len() > MAX_PIECE_BYTES {
        return Reply::error(format!(
            "upload: a piece may be at most {MAX_PIECE_BYTES} bytes"
        ));
    }
    let path = match upload_path(&link.session.working_dir(), &piece.name) {
        Ok(path) => path,
        Err(message) => return Reply::error(format!("upload: {message}")),
    };
    let name = piece.name;
    in_turn(link, move |sandbox| {
        sandbox.write_piece(&path, piece.offset, piece.data.bytes())
    })
    .await
    .map_or_else(
        |error| Reply::error(format!("upload: {name}: {error}")),
        |size| Reply::Written { size },
    )
}

/// Runs `work` on the session's sandbox off the async workers, in the
/// session's turn (one transfer at a time), noting the activity.
async fn in_turn<T: Send + 'static>(
    link: &Link,
    work: impl FnOnce(&Sandbox) -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, String> {
    let session = &link.session;
    session.touch();
    let sandbox = session.sandbox().clone();
    let _turn = session.transfer_turn().await;
    match tokio::task::spawn_blocking(move || work(&sandbox)).await {
        Ok(result) => result.map_err(|error| error.to_string()),
        Err(_) => Err("the transfer failed".to_owned()),
    }
}

/// Where an uploaded file named `name` goes: `name` in the working
/// directory, if it is one plain file name.
fn upload_path(working_dir: &Path, name: &str) -> Result<PathBuf, String> {
    let plain = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if plain {
        Ok(working_dir.join(name))
    } else {
        Err(format!(
            "'{}' is not a file name (one name of at most {MAX_NAME_BYTES} bytes, no '/' or '\\')",
            name.escape_debug()
        ))
    }
}

/// `read-file`: one piece of a sandbox file, for a download.
pub(super) async fn on_read_file(
    Extension(link): Extension<Link>,
    ack: AckSender,
    TryData(request): TryData<ReadRequest>,
) {
    let reply = match request {
        Ok(request) => read_file(&link, request).await,
        Err(_) => Reply::error("read-file: expected {path, offset}"),
    };
    let _ = ack.send(&reply);
}

async fn read_file(link: &Link, request: ReadRequest) -> Reply {
    if request.path.len() > MAX_PATH_BYTES {
        return Reply::error(format!(
            "read-file: a path may be at most {MAX_PATH_BYTES} bytes"
        ));
    }
    let relative = match relative_path(&request.path) {
        Ok(relative) => relative,
        Err(error) => return Reply::error(format!("read-file: {error}")),
    };
    in_turn(link, move |sandbox| {
        sandbox.read_piece(&relative, request.offset, MAX_PIECE_BYTES)
    })
    .await
    .map_or_else(
        |error| Reply::error(format!("read-file: {error}")),
        |(data, size)| Reply::Read {
            data: Bytes::from(data),
            size,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_one_plain_file_name() {
        let dir = Path::new("work");
        assert_eq!(
            upload_path(dir, "a b.csv"),
            Ok(PathBuf::from("work/a b.csv"))
        );
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\nb", "\0"] {
            assert!(upload_path(dir, bad).is_err(), "{bad:?} was accepted");
        }
        assert!(upload_path(dir, &"x".repeat(256)).is_err());
    }
}
