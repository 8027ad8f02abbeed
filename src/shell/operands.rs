//! What the shell's own commands (builtins and utilities) share: their
//! flags, their file operands opened through the sandbox's cap-std
//! directory, input read in chunks with Ctrl-C and the time limit checked
//! between them, and the sandbox's disk quota.

use std::collections::BTreeSet;
use std::path::Path;

use cap_std::fs::Dir;

use super::Shell;
use super::io::{Io, describe};
use super::paths::cap_path;
use crate::sandbox::DiskQuota;

/// Splits `-abc` style flags (checked against `allowed`) from operands.
pub(in crate::shell) fn options<'a>(
    name: &str,
    args: &'a [String],
    allowed: &str,
    io: &Io<'_>,
) -> Option<(BTreeSet<char>, Vec<&'a str>)> {
    let mut flags = BTreeSet::new();
    let mut operands = Vec::new();
    let mut only_operands = false;
    for arg in args {
        if only_operands || arg == "-" || !arg.starts_with('-') {
            operands.push(arg.as_str());
        } else if arg == "--" {
            only_operands = true;
        } else {
            for flag in arg.chars().skip(1) {
                if !allowed.contains(flag) {
                    io.error(&format!("{name}: invalid option -- '{flag}'"));
                    return None;
                }
                flags.insert(flag);
            }
        }
    }
    Some((flags, operands))
}

pub(in crate::shell) fn dir(shell: &Shell) -> &Dir {
    shell.sandbox.dir()
}

/// The disk quota the shell's writes count against.
pub(in crate::shell) fn quota(shell: &Shell) -> &DiskQuota {
    shell.sandbox.quota()
}

pub(in crate::shell) fn is_dir(shell: &Shell, path: &Path) -> bool {
    dir(shell)
        .metadata(cap_path(path))
        .is_ok_and(|m| m.is_dir())
}

/// Bytes moved per step by the builtins that stream (`cat`, `cp`, `wc`…):
/// they never hold more than this (or, for `tail`, the output limit) at
/// once, and check for Ctrl-C and the time limit between steps.
pub(in crate::shell) const CHUNK: usize = 64 * 1024;

/// Opens a file operand for reading; directories are refused.
pub(in crate::shell) fn open_file(
    shell: &Shell,
    path: &Path,
) -> std::io::Result<cap_std::fs::File> {
    let file = dir(shell).open(cap_path(path))?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::from(std::io::ErrorKind::IsADirectory));
    }
    Ok(file)
}

/// Feeds each operand (or stdin when there are none) to `each`, one at a
/// time, as a reader: nothing is read whole. Failures are reported as
/// `{name}: {operand}: {reason}`; returns 1 if any failed.
pub(in crate::shell) fn each_input(
    shell: &Shell,
    name: &str,
    operands: &[&str],
    io: &mut Io<'_>,
    mut each: impl FnMut(&str, &mut dyn std::io::Read, &mut Io<'_>) -> std::io::Result<()>,
) -> i32 {
    if operands.is_empty() || operands == ["-"] {
        let mut stdin = io.stdin_reader();
        return match each("", &mut stdin, io) {
            Ok(()) => 0,
            Err(error) => {
                io.error(&format!("{name}: {}", describe(&error)));
                1
            }
        };
    }
    let mut code = 0;
    for operand in operands {
        if let Err(stop) = io.check_stop() {
            io.error(&format!("{name}: {}", describe(&stop)));
            return 1;
        }
        let result = open_file(shell, &shell.resolve(operand))
            .and_then(|mut file| each(operand, &mut file, io));
        if let Err(error) = result {
            io.error(&format!("{name}: {operand}: {}", describe(&error)));
            code = 1;
        }
    }
    code
}

/// Calls `each` with successive chunks of `reader`, checking between them
/// whether the command should stop.
pub(in crate::shell) fn each_chunk(
    reader: &mut dyn std::io::Read,
    io: &Io<'_>,
    mut each: impl FnMut(&[u8]) -> bool,
) -> std::io::Result<()> {
    let mut buffer = vec![0; CHUNK];
    loop {
        io.check_stop()?;
        let read = match reader.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if !each(&buffer[..read]) {
            return Ok(());
        }
    }
}
