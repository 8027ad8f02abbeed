//! What only the browser terminal can do with a file: `show` a picture
//! inline, and `download` a file to the user's computer.
//!
//! A picture travels as iTerm2's inline image protocol (`ESC ] 1337 ;
//! File=…:base64 BEL`), which xterm.js's image addon draws; the terminal
//! rasterises SVG itself, as an `<img>` (no scripts, nothing fetched). A
//! download is an event to the client, which then reads the file in
//! pieces over its socket (see `server/transfer.rs`).

use std::io::Read as _;

use base64::Engine as _;

use super::super::Shell;
use super::super::io::{Io, describe};
use super::super::paths::{self, cap_path};
use crate::shell::operands::{dir, open_file, options};

/// The largest picture `show` sends (and the terminal accepts).
pub const MAX_PICTURE_BYTES: u64 = 8 << 20;

/// Pictures `show` knows, by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Png,
    Jpeg,
    Gif,
    Svg,
}

impl Picture {
    /// What `bytes` is, if it is a picture the terminal can draw.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Self::Png);
        }
        if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            return Some(Self::Jpeg);
        }
        if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            return Some(Self::Gif);
        }
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
        let head = head.trim_start_matches('\u{feff}').trim_start();
        (head.starts_with('<') && head.contains("<svg")).then_some(Self::Svg)
    }
}

/// The escape sequence that shows `bytes` inline, as wide as it is (at
/// most the terminal's width).
pub fn inline_image(name: &str, bytes: &[u8]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    format!(
        "\x1b]1337;File=name={};size={};inline=1:{}\x07\n",
        engine.encode(name),
        bytes.len(),
        engine.encode(bytes)
    )
}

/// `show FILE…`: pictures (PNG, JPEG, GIF, SVG), inline.
pub fn show(shell: &Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((_, operands)) = options("show", args, "", io) else {
        return 2;
    };
    if operands.is_empty() {
        io.error("show: give a picture to show (PNG, JPEG, GIF or SVG)");
        return 2;
    }
    if !io.features().inline_images {
        io.error("show: this terminal cannot show pictures (the browser terminal can)");
        return 1;
    }
    let mut code = 0;
    for operand in operands {
        match picture(shell, operand, io) {
            Ok(sequence) => io.out(sequence.as_bytes()),
            Err(message) => {
                io.error(&format!("show: {operand}: {message}"));
                code = 1;
            }
        }
    }
    code
}

/// The sequence that shows the picture at `operand`, or why not.
fn picture(shell: &Shell, operand: &str, io: &Io<'_>) -> Result<String, String> {
    let path = shell.resolve(operand);
    let file = open_file(shell, &path).map_err(|e| describe(&e))?;
    let size = file.metadata().map_err(|e| describe(&e))?.len();
    // Base64 is 4/3 of the picture; all of it must fit the output limit.
    let fits = (io.output_limit() as u64).saturating_mul(3) / 4;
    let limit = MAX_PICTURE_BYTES.min(fits.saturating_sub(1024));
    if size > limit {
        return Err(format!(
            "{size} bytes is larger than the {limit} bytes a picture may be"
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| describe(&e))?;
    if Picture::sniff(&bytes).is_none() {
        return Err("not a PNG, JPEG, GIF or SVG picture".to_owned());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    Ok(inline_image(&name, &bytes))
}

/// `download FILE…`: the browser saves each file.
pub fn download(shell: &Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((_, operands)) = options("download", args, "", io) else {
        return 2;
    };
    if operands.is_empty() {
        io.error("download: give a file to download");
        return 2;
    }
    let mut code = 0;
    for operand in operands {
        let path = shell.resolve(operand);
        match dir(shell).metadata(cap_path(&path)) {
            Ok(meta) if meta.is_file() => {
                if !io.offer_download(paths::display(&path)) {
                    io.error(
                        "download: this terminal cannot save files (the browser terminal can)",
                    );
                    return 1;
                }
                io.line(&format!(
                    "download: {operand} ({} bytes) is on its way to your browser",
                    meta.len()
                ));
            }
            Ok(_) => {
                io.error(&format!("download: {operand}: not a regular file"));
                code = 1;
            }
            Err(error) => {
                io.error(&format!("download: {operand}: {}", describe(&error)));
                code = 1;
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_told_by_their_first_bytes() {
        assert_eq!(Picture::sniff(b"\x89PNG\r\n\x1a\n...."), Some(Picture::Png));
        assert_eq!(
            Picture::sniff(&[0xff, 0xd8, 0xff, 0xe0]),
            Some(Picture::Jpeg)
        );
        assert_eq!(Picture::sniff(b"GIF89a...."), Some(Picture::Gif));
        assert_eq!(
            Picture::sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"...\"/>"),
            Some(Picture::Svg)
        );
        assert_eq!(Picture::sniff(b"  <SVG></SVG>"), Some(Picture::Svg));
        assert_eq!(Picture::sniff(b"hello <svg>"), None);
        assert_eq!(Picture::sniff(b"%PDF-1.7"), None);
    }
}
