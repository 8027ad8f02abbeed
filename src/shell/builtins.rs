//! Builtin commands: file operations through the sandbox's cap-std
//! directory, and the shell's own state (`cd`, `history`, `env`).
//!
//! Each builtin takes its arguments and the command's [`Io`] and returns an
//! exit code. Messages follow coreutils' wording so that they read as users
//! expect.

use std::path::{Path, PathBuf};

use super::Shell;
use super::io::{Io, describe};
pub(super) use super::operands::{
    CHUNK, dir, each_chunk, each_input, is_dir, open_file, options, quota,
};
use super::paths::{self, cap_path};
use crate::sandbox::quota::{file_len, missing_dirs};
use crate::sandbox::remove_tree;

/// Builtins, with a line of help each.
pub const BUILTINS: [(&str, &str); 22] = [
    (
        "ls [-laR] [path…]",
        "list a directory (-R: and those below it)",
    ),
    (
        "cd [dir | -]",
        "change directory (~ is your sandbox root; - the last one)",
    ),
    ("pwd", "print the working directory"),
    ("cat [file…]", "print files (or standard input)"),
    ("echo [-n] [word…]", "print words"),
    ("mkdir [-p] dir…", "create directories"),
    ("rm [-rf] path…", "remove files (and directories with -r)"),
    ("rmdir dir…", "remove empty directories"),
    ("mv src… dest", "move or rename"),
    ("cp [-r] src… dest", "copy files (and directories with -r)"),
    ("touch file…", "create files, or update their time"),
    ("head [-n N] [file…]", "first lines"),
    ("tail [-n N] [file…]", "last lines"),
    ("wc [-lwc] [file…]", "count lines, words and bytes"),
    ("clear", "clear the terminal"),
    ("help", "this list"),
    ("history", "commands typed in this session"),
    ("env", "the session's variables"),
    (
        "export NAME[=value]…",
        "give variables to the programs you run",
    ),
    ("unset NAME…", "forget variables"),
    ("true / false", "succeed / fail"),
    ("exit", "end the session (its files are deleted)"),
];

/// Every builtin's name.
pub const NAMES: [&str; 24] = [
    "ls", "cd", "pwd", "cat", "echo", "mkdir", "rm", "rmdir", "mv", "cp", "touch", "head", "tail",
    "wc", "clear", "help", "history", "env", "export", "unset", "true", "false", "exit", "logout",
];

/// Whether `name` is a builtin.
pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Runs `name` if it is a builtin; `None` if it is not one.
pub fn run(shell: &mut Shell, name: &str, args: &[String], io: &mut Io<'_>) -> Option<i32> {
    let code = match name {
        "ls" => ls(shell, args, io),
        "cd" => cd(shell, args, io),
        "pwd" => {
            io.line(&paths::display(&shell.cwd));
            0
        }
        "cat" => cat(shell, args, io),
        "echo" => echo(args, io),
        "mkdir" => mkdir(shell, args, io),
        "rm" => rm(shell, args, io),
        "rmdir" => rmdir(shell, args, io),
        "mv" => mv(shell, args, io),
        "cp" => cp(shell, args, io),
        "touch" => touch(shell, args, io),
        "head" => head_tail(shell, "head", args, io),
        "tail" => head_tail(shell, "tail", args, io),
        "wc" => wc(shell, args, io),
        "clear" => {
            io.out(b"\x1b[H\x1b[2J\x1b[3J");
            0
        }
        "history" => {
            for (n, line) in shell.history.iter().enumerate() {
                io.line(&format!("{:>5}  {line}", n + 1));
            }
            0
        }
        "env" => {
            for (key, value) in shell.all_environment() {
                io.line(&format!("{key}={value}"));
            }
            0
        }
        "export" => export(shell, args, io),
        "unset" => unset(shell, args, io),
        "true" => 0,
        "false" => 1,
        "exit" | "logout" => exit(shell, name, args, io),
        _ => return None,
    };
    Some(code)
}

/// Recounts the sandbox after a command that removed or replaced things,
/// so its disk usage is right again at once (bounded by twice the limits).
fn recount(shell: &Shell) {
    if let Err(error) = quota(shell).rescan(dir(shell)) {
        tracing::warn!(%error, "cannot recount a sandbox");
    }
}

/// Copies one file within the disk quota.
fn copy_file(shell: &Shell, from: &Path, to: &Path, io: &Io<'_>) -> std::io::Result<()> {
    let len = file_len(dir(shell), from).unwrap_or(0);
    let old = file_len(dir(shell), to);
    let growth = len.saturating_sub(old.unwrap_or(0));
    if from == to {
        return Err(std::io::Error::other(
            "source and destination are the same file",
        ));
    }
    quota(shell).charge(growth, u64::from(old.is_none()), || {
        // A copy stopped part-way (Ctrl-C, time limit) is removed: the
        // quota gives its reservation back, so a partial file must not
        // stay behind uncounted.
        copy_chunks(shell, from, to, io).inspect_err(|_| {
            let _ = dir(shell).remove_file(to);
        })
    })?;
    if let Some(old) = old.filter(|old| *old > len) {
        quota(shell).removed(old - len, 0);
    }
    Ok(())
}

fn ls(shell: &Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((flags, mut operands)) = options("ls", args, "la1R", io) else {
        return 2;
    };
    let (long, all) = (flags.contains(&'l'), flags.contains(&'a'));
    let recursive = flags.contains(&'R');
    if operands.is_empty() {
        operands.push(".");
    }
    let headers = operands.len() > 1;
    let mut code = 0;
    for (index, operand) in operands.iter().enumerate() {
        let path = shell.resolve(operand);
        // Like ls, a symlink named on the command line is followed (inside
        // the sandbox only); one that cannot be is shown as itself.
        let listed = match dir(shell).metadata(cap_path(&path)) {
            Ok(meta) if meta.is_dir() && recursive => {
                if index > 0 {
                    io.line("");
                }
                list_recursively(shell, &path, operand, long, all, io)
            }
            Ok(meta) if meta.is_dir() => {
                if headers {
                    if index > 0 {
                        io.line("");
                    }
                    io.line(&format!("{operand}:"));
                }
                list_directory(shell, &path, long, all, io)
            }
            Ok(_) => {
                let shown = linked_name(shell, &path, operand, io.links_files());
                io.line(&entry_line(shell, &path, &shown, long));
                Ok(())
            }
            Err(_)
                if !operand.ends_with('/')
                    && dir(shell)
                        .symlink_metadata(cap_path(&path))
                        .is_ok_and(|m| m.is_symlink()) =>
            {
                io.line(&entry_line(shell, &path, operand, long));
                Ok(())
            }
            Err(error) => Err(error),
        };
        if let Err(error) = listed {
            io.error(&format!(
                "ls: cannot access '{operand}': {}",
                describe(&error)
            ));
            code = 2;
        }
    }
    code
}

fn list_directory(
    shell: &Shell,
    path: &Path,
    long: bool,
    all: bool,
    io: &Io<'_>,
) -> std::io::Result<()> {
    let mut names: Vec<String> = dir(shell)
        .read_dir(cap_path(path))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| all || !name.starts_with('.'))
        .collect();
    names.sort();
    let links = io.links_files();
    for name in names {
        let entry = path.join(&name);
        let shown = linked_name(shell, &entry, &name, links);
        io.line(&entry_line(shell, &entry, &shown, long));
    }
    Ok(())
}

/// A file's name as `ls` shows it: in the browser terminal, a regular
/// file's is a link that downloads it.
fn linked_name(shell: &Shell, path: &Path, name: &str, links: bool) -> String {
    let is_file = || {
        dir(shell)
            .metadata(cap_path(path))
            .is_ok_and(|m| m.is_file())
    };
    if links && is_file() {
        super::io::file_link(&paths::display(path), name)
    } else {
        name.to_owned()
    }
}

/// Directories `ls -R` lists at most.
const MAX_LISTED_DIRECTORIES: usize = 10_000;

/// `ls -R`: each directory with a `path:` header, then its
/// subdirectories, depth first, as GNU ls does; links are not followed.
fn list_recursively(
    shell: &Shell,
    path: &Path,
    shown: &str,
    long: bool,
    all: bool,
    io: &Io<'_>,
) -> std::io::Result<()> {
    let mut stack = vec![(path.to_path_buf(), shown.to_owned())];
    let mut listed = 0;
    while let Some((path, shown)) = stack.pop() {
        io.check_stop()?;
        listed += 1;
        if listed > MAX_LISTED_DIRECTORIES {
            return Err(std::io::Error::other(format!(
                "stopped after {MAX_LISTED_DIRECTORIES} directories"
            )));
        }
        if listed > 1 {
            io.line("");
        }
        io.line(&format!("{shown}:"));
        list_directory(shell, &path, long, all, io)?;
        let mut subdirectories: Vec<String> = dir(shell)
            .read_dir(cap_path(&path))?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let is_dir = entry.file_type().ok()?.is_dir();
                let name = entry.file_name().into_string().ok()?;
                (is_dir && (all || !name.starts_with('.'))).then_some(name)
            })
            .collect();
        subdirectories.sort();
        for name in subdirectories.into_iter().rev() {
            let child = format!("{}/{name}", shown.trim_end_matches('/'));
            stack.push((path.join(&name), child));
        }
    }
    Ok(())
}

/// `name`, or for `-l`: type, size, modification time, name (and a
/// symlink's target, read but never followed).
fn entry_line(shell: &Shell, path: &Path, name: &str, long: bool) -> String {
    if !long {
        return name.to_owned();
    }
    let Ok(meta) = dir(shell).symlink_metadata(cap_path(path)) else {
        return name.to_owned();
    };
    let kind = if meta.is_symlink() {
        'l'
    } else if meta.is_dir() {
        'd'
    } else {
        '-'
    };
    let modified = meta
        .modified()
        .ok()
        .map(|t| {
            let text = humantime::format_rfc3339_seconds(t.into_std()).to_string();
            text.get(..16).unwrap_or(&text).replace('T', " ")
        })
        .unwrap_or_default();
    let target = if meta.is_symlink() {
        dir(shell)
            .read_link_contents(path)
            .map(|t| format!(" -> {}", t.display()))
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!("{kind} {:>10} {modified} {name}{target}", meta.len())
}

fn cd(shell: &mut Shell, args: &[String], io: &Io<'_>) -> i32 {
    if args.len() > 1 {
        io.error("cd: too many arguments");
        return 1;
    }
    let target = args.first().map_or("/", String::as_str);
    let path = if target == "-" {
        let Some(previous) = shell.previous_cwd.clone() else {
            io.error("cd: OLDPWD not set");
            return 1;
        };
        io.line(&paths::display(&previous));
        previous
    } else {
        shell.resolve(target)
    };
    if !path.as_os_str().is_empty() {
        match dir(shell).metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                io.error(&format!("cd: {target}: Not a directory"));
                return 1;
            }
            Err(error) => {
                io.error(&format!("cd: {target}: {}", describe(&error)));
                return 1;
            }
        }
    }
    shell.previous_cwd = Some(std::mem::replace(&mut shell.cwd, path));
    0
}

/// `export NAME=value`, `export NAME`, and `export` alone (lists them).
fn export(shell: &mut Shell, args: &[String], io: &Io<'_>) -> i32 {
    if args.is_empty() {
        for (name, value) in shell.variables.exported() {
            io.line(&format!("export {name}=\"{value}\""));
        }
        return 0;
    }
    let mut code = 0;
    for arg in args {
        let (name, value) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg.as_str(), None),
        };
        let result = if !super::variables::is_name(name) {
            Err(format!("`{arg}': not a valid identifier"))
        } else {
            match value {
                Some(value) => shell.variables.set(name, value.to_owned(), true),
                None => shell.variables.export(name),
            }
        };
        if let Err(error) = result {
            io.error(&format!("export: {error}"));
            code = 1;
        }
    }
    code
}

fn unset(shell: &mut Shell, args: &[String], io: &Io<'_>) -> i32 {
    let mut code = 0;
    for name in args {
        if let Err(error) = shell.variables.unset(name) {
            io.error(&format!("unset: {error}"));
            code = 1;
        }
    }
    code
}

/// `exit [n]`: the rest of the line is skipped and the session ends.
fn exit(shell: &mut Shell, name: &str, args: &[String], io: &Io<'_>) -> i32 {
    let code = match args {
        [] => shell.last_code,
        [code] => match code.parse::<i32>() {
            Ok(code) => code & 0xff,
            Err(_) => {
                io.error(&format!("{name}: {code}: numeric argument required"));
                2
            }
        },
        _ => {
            io.error(&format!("{name}: too many arguments"));
            return 1;
        }
    };
    if shell.substitution_depth == 0 {
        shell.logged_out = true;
        io.error("logout");
    }
    code
}

fn cat(shell: &Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((_, operands)) = options("cat", args, "", io) else {
        return 1;
    };
    each_input(shell, "cat", &operands, io, |_, reader, io| {
        each_chunk(reader, io, |chunk| {
            io.out(chunk);
            true
        })
    })
}

fn echo(args: &[String], io: &Io<'_>) -> i32 {
    let (newline, words) = match args.first().map(String::as_str) {
        Some("-n") => (false, &args[1..]),
        _ => (true, args),
    };
    let mut text = words.join(" ");
    if newline {
        text.push('\n');
    }
    io.out(text.as_bytes());
    0
}

fn mkdir(shell: &Shell, args: &[String], io: &Io<'_>) -> i32 {
    let Some((flags, operands)) = options("mkdir", args, "p", io) else {
        return 1;
    };
    if operands.is_empty() {
        io.error("mkdir: missing operand");
        return 1;
    }
    let parents = flags.contains(&'p');
    each_operand(
        shell,
        &operands,
        io,
        "mkdir: cannot create directory",
        |path| match (path.as_os_str().is_empty(), parents) {
            (true, true) => Ok(()),
            (true, false) => Err(std::io::ErrorKind::AlreadyExists.into()),
            (false, true) => quota(shell).charge(0, missing_dirs(dir(shell), path), || {
                dir(shell).create_dir_all(path)
            }),
            (false, false) => quota(shell).charge(0, 1, || dir(shell).create_dir(path)),
        },
    )
}

/// Applies `action` to each operand's resolved path, reporting a failure as
/// `{failure} '{operand}': {reason}`; 1 if any failed.
fn each_operand(
    shell: &Shell,
    operands: &[&str],
    io: &Io<'_>,
    failure: &str,
    mut action: impl FnMut(&Path) -> std::io::Result<()>,
) -> i32 {
    let mut code = 0;
    for operand in operands {
        if let Err(error) = action(&shell.resolve(operand)) {
            io.error(&format!("{failure} '{operand}': {}", describe(&error)));
            code = 1;
        }
    }
    code
}

/// The error for an operation that would remove or replace the root.
fn home_directory_error() -> std::io::Error {
    std::io::Error::other("refusing: it is your home directory")
}

fn rm(shell: &Shell, args: &[String], io: &Io<'_>) -> i32 {
    let Some((flags, operands)) = options("rm", args, "rfRv", io) else {
        return 1;
    };
    let recursive = flags.contains(&'r') || flags.contains(&'R');
    let force = flags.contains(&'f');
    if operands.is_empty() && !force {
        io.error("rm: missing operand");
        return 1;
    }
    let code = each_operand(shell, &operands, io, "rm: cannot remove", |path| {
        if path.as_os_str().is_empty() {
            return Err(home_directory_error());
        }
        // Never follows a symlink: removing one removes the link.
        match dir(shell).symlink_metadata(path) {
            Ok(meta) if meta.is_dir() && !recursive => Err(std::io::ErrorKind::IsADirectory.into()),
            Ok(meta) if meta.is_dir() => remove_tree(dir(shell), path),
            Ok(_) => dir(shell).remove_file(path),
            Err(error) if force && error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error),
        }
    });
    recount(shell);
    code
}

fn rmdir(shell: &Shell, args: &[String], io: &Io<'_>) -> i32 {
    if args.is_empty() {
        io.error("rmdir: missing operand");
        return 1;
    }
    let operands: Vec<&str> = args.iter().map(String::as_str).collect();
    let code = each_operand(shell, &operands, io, "rmdir: failed to remove", |path| {
        if path.as_os_str().is_empty() {
            return Err(home_directory_error());
        }
        dir(shell).remove_dir(path)
    });
    recount(shell);
    code
}

/// The sources and the destination of `mv`/`cp`, with each source's final
/// path (inside the destination when it is a directory).
fn transfers(
    shell: &Shell,
    name: &str,
    operands: &[&str],
    io: &Io<'_>,
) -> Option<Vec<(String, PathBuf, PathBuf)>> {
    let Some((destination, sources)) = operands.split_last().filter(|(_, s)| !s.is_empty()) else {
        io.error(&format!("{name}: missing file operand"));
        return None;
    };
    let target = shell.resolve(destination);
    let into_directory = is_dir(shell, &target);
    if sources.len() > 1 && !into_directory {
        io.error(&format!(
            "{name}: target '{destination}' is not a directory"
        ));
        return None;
    }
    let mut moves = Vec::new();
    for source in sources {
        let from = shell.resolve(source);
        let to = match paths::file_name(&from) {
            Some(file_name) if into_directory => target.join(file_name),
            _ => target.clone(),
        };
        if from.as_os_str().is_empty() || to.as_os_str().is_empty() {
            io.error(&format!(
                "{name}: cannot {name} '{source}' to '{destination}': that is your home directory"
            ));
            return None;
        }
        moves.push((source.to_string(), from, to));
    }
    Some(moves)
}

fn mv(shell: &Shell, args: &[String], io: &Io<'_>) -> i32 {
    let Some((_, operands)) = options("mv", args, "f", io) else {
        return 1;
    };
    let Some(moves) = transfers(shell, "mv", &operands, io) else {
        return 1;
    };
    let mut code = 0;
    for (source, from, to) in moves {
        if to.starts_with(&from) && to != from {
            io.error(&format!(
                "mv: cannot move '{source}' to a subdirectory of itself"
            ));
            code = 1;
            continue;
        }
        if let Err(error) = dir(shell).rename(&from, dir(shell), &to) {
            io.error(&format!("mv: cannot move '{source}': {}", describe(&error)));
            code = 1;
        }
    }
    // A move onto an existing file frees it.
    recount(shell);
    code
}

fn cp(shell: &Shell, args: &[String], io: &Io<'_>) -> i32 {
    let Some((flags, operands)) = options("cp", args, "rRf", io) else {
        return 1;
    };
    let recursive = flags.contains(&'r') || flags.contains(&'R');
    let Some(copies) = transfers(shell, "cp", &operands, io) else {
        return 1;
    };
    let mut code = 0;
    for (source, from, to) in copies {
        let copied = match dir(shell).symlink_metadata(&from) {
            Ok(meta) if meta.is_symlink() && recursive => {
                io.error(&format!("cp: skipping symbolic link '{source}'"));
                continue;
            }
            _ => dir(shell).metadata(&from),
        };
        let copied = match copied {
            Ok(meta) if meta.is_dir() && !recursive => {
                io.error(&format!(
                    "cp: -r not specified; omitting directory '{source}'"
                ));
                code = 1;
                continue;
            }
            Ok(meta) if meta.is_dir() => {
                if to.starts_with(&from) {
                    io.error(&format!(
                        "cp: cannot copy a directory, '{source}', into itself"
                    ));
                    code = 1;
                    continue;
                }
                copy_tree(shell, &from, &to, io)
            }
            Ok(_) => copy_file(shell, &from, &to, io),
            Err(error) => Err(error),
        };
        if let Err(error) = copied {
            io.error(&format!("cp: cannot copy '{source}': {}", describe(&error)));
            code = 1;
        }
    }
    code
}

/// `cp -r` copies at most this many entries, this deep: a symlink can make
/// a destination lie inside its source in ways names do not show.
const COPY_ENTRIES: usize = 10_000;
const COPY_DEPTH: usize = 64;

/// Copies one file in chunks, so that Ctrl-C and the time limit stop it.
fn copy_chunks(shell: &Shell, from: &Path, to: &Path, io: &Io<'_>) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut source = open_file(shell, from)?;
    let mut options = cap_std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    let mut target = dir(shell).open_with(to, &options)?;
    let mut written = Ok(());
    each_chunk(&mut source, io, |chunk| {
        written = target.write_all(chunk);
        written.is_ok()
    })?;
    written
}

/// Copies a directory tree without recursion (a stack of directories to
/// do); symlinks inside are skipped, never followed.
fn copy_tree(shell: &Shell, from: &Path, to: &Path, io: &Io<'_>) -> std::io::Result<()> {
    let mut budget = COPY_ENTRIES;
    let mut pending = vec![(from.to_path_buf(), to.to_path_buf(), 0usize)];
    while let Some((from, to, depth)) = pending.pop() {
        if depth > COPY_DEPTH {
            return Err(std::io::Error::other(format!(
                "more than {COPY_DEPTH} directories deep (copying a directory into itself?)"
            )));
        }
        quota(shell).charge(0, missing_dirs(dir(shell), &to), || {
            dir(shell).create_dir_all(&to)
        })?;
        for entry in dir(shell).read_dir(&from)? {
            let entry = entry?;
            budget = budget.checked_sub(1).ok_or_else(|| {
                std::io::Error::other(format!("more than {COPY_ENTRIES} entries"))
            })?;
            let name = entry.file_name();
            let (source, target) = (from.join(&name), to.join(&name));
            let meta = dir(shell).symlink_metadata(&source)?;
            if meta.is_symlink() {
                io.error(&format!(
                    "cp: skipping symbolic link '{}'",
                    paths::display(&source)
                ));
            } else if meta.is_dir() {
                pending.push((source, target, depth + 1));
            } else {
                copy_file(shell, &source, &target, io)?;
            }
        }
    }
    Ok(())
}

fn touch(shell: &Shell, args: &[String], io: &Io<'_>) -> i32 {
    if args.is_empty() {
        io.error("touch: missing file operand");
        return 1;
    }
    let operands: Vec<&str> = args.iter().map(String::as_str).collect();
    each_operand(shell, &operands, io, "touch: cannot touch", |path| {
        let mut options = cap_std::fs::OpenOptions::new();
        options.append(true).create(true);
        let new = u64::from(!dir(shell).exists(cap_path(path)));
        let file =
            quota(shell).charge(0, new, || dir(shell).open_with(cap_path(path), &options))?;
        let now = std::fs::FileTimes::new().set_modified(std::time::SystemTime::now());
        file.into_std().set_times(now)
    })
}

/// Reads `-n N`, `-nN` and `-N`; the default is 10 lines.
fn line_count<'a>(name: &str, args: &'a [String], io: &Io<'_>) -> Option<(usize, Vec<&'a str>)> {
    let mut count = 10;
    let mut operands = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = if arg == "-n" {
            match args.next() {
                Some(value) => value.as_str(),
                None => {
                    io.error(&format!("{name}: option requires an argument -- 'n'"));
                    return None;
                }
            }
        } else if let Some(value) = arg.strip_prefix("-n") {
            value
        } else if let Some(value) = arg.strip_prefix('-').filter(|v| !v.is_empty()) {
            value
        } else {
            operands.push(arg.as_str());
            continue;
        };
        match value.parse() {
            Ok(n) => count = n,
            Err(_) => {
                io.error(&format!("{name}: invalid number of lines: '{value}'"));
                return None;
            }
        }
    }
    Some((count, operands))
}

fn head_tail(shell: &Shell, name: &str, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((count, operands)) = line_count(name, args, io) else {
        return 1;
    };
    let headers = operands.len() > 1;
    let mut first = true;
    each_input(shell, name, &operands, io, |operand, reader, io| {
        if headers {
            io.line(&format!(
                "{}==> {operand} <==",
                if first { "" } else { "\n" }
            ));
        }
        first = false;
        if name == "head" {
            head(reader, count, io)
        } else {
            tail(reader, count, io)
        }
    })
}

/// Writes the first `count` lines, reading no further than they go.
fn head(reader: &mut dyn std::io::Read, count: usize, io: &Io<'_>) -> std::io::Result<()> {
    let mut left = count;
    if left == 0 {
        return Ok(());
    }
    each_chunk(reader, io, |chunk| {
        let mut end = chunk.len();
        for (index, _) in chunk.iter().enumerate().filter(|(_, b)| **b == b'\n') {
            left -= 1;
            if left == 0 {
                end = index + 1;
                break;
            }
        }
        io.out(&chunk[..end]);
        left > 0
    })
}

/// Writes the last `count` lines, keeping at most twice the output limit
/// of the input in memory (more could not be shown anyway).
fn tail(reader: &mut dyn std::io::Read, count: usize, io: &Io<'_>) -> std::io::Result<()> {
    let keep = io.output_limit().max(CHUNK);
    let mut window: Vec<u8> = Vec::new();
    each_chunk(reader, io, |chunk| {
        window.extend_from_slice(chunk);
        if window.len() > 2 * keep {
            window.drain(..window.len() - keep);
        }
        true
    })?;
    let lines: Vec<&[u8]> = window.split_inclusive(|&b| b == b'\n').collect();
    io.out(&lines[lines.len().saturating_sub(count)..].concat());
    Ok(())
}

/// Lines, words and bytes of one input, counted as it streams.
#[derive(Default, Clone, Copy)]
struct Counts {
    lines: usize,
    words: usize,
    bytes: usize,
    in_word: bool,
}

impl Counts {
    fn add(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len();
        for &byte in chunk {
            if byte == b'\n' {
                self.lines += 1;
            }
            let space = byte.is_ascii_whitespace();
            if !space && !self.in_word {
                self.words += 1;
            }
            self.in_word = !space;
        }
    }

    fn values(self) -> [usize; 3] {
        [self.lines, self.words, self.bytes]
    }
}

fn wc(shell: &Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((mut flags, operands)) = options("wc", args, "lwc", io) else {
        return 1;
    };
    if flags.is_empty() {
        flags.extend(['l', 'w', 'c']);
    }
    let mut counted: Vec<(String, [usize; 3])> = Vec::new();
    let code = each_input(shell, "wc", &operands, io, |operand, reader, io| {
        let mut counts = Counts::default();
        each_chunk(reader, io, |chunk| {
            counts.add(chunk);
            true
        })?;
        counted.push((operand.to_owned(), counts.values()));
        Ok(())
    });
    let mut totals = [0usize; 3];
    for (_, counts) in &counted {
        for (total, value) in totals.iter_mut().zip(counts) {
            *total += value;
        }
    }
    // Columns as wide as the largest number, as GNU wc aligns them.
    let width = ['l', 'w', 'c']
        .iter()
        .zip(totals)
        .filter(|(flag, _)| flags.contains(flag))
        .map(|(_, total)| total.to_string().len())
        .max()
        .unwrap_or(1);
    let format = |counts: [usize; 3], name: &str| {
        let columns: Vec<String> = ['l', 'w', 'c']
            .iter()
            .zip(counts)
            .filter(|(flag, _)| flags.contains(flag))
            .map(|(_, value)| format!("{value:>width$}"))
            .collect();
        let mut line = columns.join(" ");
        if !name.is_empty() {
            line.push(' ');
            line.push_str(name);
        }
        line
    };
    for (operand, counts) in &counted {
        io.line(&format(*counts, operand));
    }
    if operands.len() > 1 {
        io.line(&format(totals, "total"));
    }
    code
}
