//! The file tree: `find`, `tree`, `du`, `stat`, `ln`, `realpath`,
//! `basename`, `dirname`. Every walk goes through the sandbox's cap-std
//! directory, never follows a symbolic link into a directory, and is
//! bounded in entries and depth.

use std::path::{Path, PathBuf};

use cap_std::fs::Metadata;
use globset::{GlobBuilder, GlobMatcher};

use crate::shell::Shell;
use crate::shell::io::{Io, describe};
use crate::shell::operands::{dir, options, quota};
use crate::shell::paths::{self, cap_path};

/// Entries one walk may visit, and how deep it may go.
const MAX_WALK_ENTRIES: usize = 200_000;
const MAX_WALK_DEPTH: usize = 256;

/// One entry met by [`walk`].
struct Entry {
    /// Relative to the sandbox root.
    path: PathBuf,
    /// As the user would see it: the operand, then `/name`s.
    shown: String,
    depth: usize,
    meta: Metadata,
}

/// Visits `start` and what is below it, depth first, names sorted,
/// without following symbolic links. `each` returns false to skip a
/// directory's contents. Errors (an unreadable directory) are reported
/// and the walk goes on.
fn walk(
    shell: &Shell,
    name: &str,
    start: &str,
    max_depth: usize,
    io: &Io<'_>,
    mut each: impl FnMut(&Entry, &Io<'_>) -> bool,
) -> Result<bool, std::io::Error> {
    let root = shell.resolve(start);
    let meta = dir(shell).symlink_metadata(cap_path(&root))?;
    let mut stack = vec![Entry {
        path: root,
        shown: start.to_owned(),
        depth: 0,
        meta,
    }];
    let mut visited = 0usize;
    let mut clean = true;
    while let Some(entry) = stack.pop() {
        io.check_stop()?;
        visited += 1;
        if visited > MAX_WALK_ENTRIES {
            io.error(&format!("{name}: stopped after {MAX_WALK_ENTRIES} entries"));
            return Ok(false);
        }
        let descend = each(&entry, io);
        if !descend || !entry.meta.is_dir() || entry.depth >= max_depth.min(MAX_WALK_DEPTH) {
            continue;
        }
        let mut children = Vec::new();
        match dir(shell).read_dir(cap_path(&entry.path)) {
            Ok(listing) => {
                for child in listing.flatten().take(MAX_WALK_ENTRIES) {
                    let Ok(child_name) = child.file_name().into_string() else {
                        continue;
                    };
                    let Ok(meta) = child.metadata() else {
                        continue;
                    };
                    children.push((child_name, meta));
                }
            }
            Err(error) => {
                io.error(&format!("{name}: {}: {}", entry.shown, describe(&error)));
                clean = false;
                continue;
            }
        }
        children.sort_by(|a, b| b.0.cmp(&a.0));
        for (child_name, meta) in children {
            let shown = if entry.shown.ends_with('/') {
                format!("{}{child_name}", entry.shown)
            } else {
                format!("{}/{child_name}", entry.shown)
            };
            stack.push(Entry {
                path: entry.path.join(&child_name),
                shown,
                depth: entry.depth + 1,
                meta,
            });
        }
    }
    Ok(clean)
}

/// Operands with directories replaced by the files below them (`grep -r`).
pub(super) fn expand_directories(
    shell: &Shell,
    operands: &[String],
    io: &Io<'_>,
) -> Result<Vec<String>, i32> {
    let mut files = Vec::new();
    for operand in operands {
        let walked = walk(shell, "grep", operand, usize::MAX, io, |entry, _| {
            if entry.meta.is_file() {
                files.push(entry.shown.clone());
            }
            true
        });
        if let Err(error) = walked {
            io.error(&format!("grep: {operand}: {}", describe(&error)));
            return Err(2);
        }
    }
    Ok(files)
}

/// What `find -type` tests.
fn type_letter(meta: &Metadata) -> char {
    if meta.is_dir() {
        'd'
    } else if meta.file_type().is_symlink() {
        'l'
    } else {
        'f'
    }
}

/// `find [path…] [-name pattern] [-iname pattern] [-type f|d|l] [-maxdepth n] [-mindepth n]`
pub fn find(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let mut starts = Vec::new();
    let mut names: Vec<GlobMatcher> = Vec::new();
    let mut kind = None;
    let mut max_depth = usize::MAX;
    let mut min_depth = 0;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            let value = args.next().cloned();
            if value.is_none() {
                io.error(&format!("find: missing argument to `{what}'"));
            }
            value
        };
        match arg.as_str() {
            "-name" | "-iname" => {
                let Some(pattern) = value(arg) else {
                    return 1;
                };
                match GlobBuilder::new(&pattern)
                    .case_insensitive(arg == "-iname")
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                {
                    Ok(glob) => names.push(glob.compile_matcher()),
                    Err(error) => {
                        io.error(&format!("find: {pattern}: {error}"));
                        return 1;
                    }
                }
            }
            "-type" => match value(arg).as_deref() {
                Some(t @ ("f" | "d" | "l")) => kind = t.chars().next(),
                Some(other) => {
                    io.error(&format!("find: Unknown argument to -type: {other}"));
                    return 1;
                }
                None => return 1,
            },
            "-maxdepth" | "-mindepth" => {
                let Some(n) = value(arg).and_then(|v| v.parse::<usize>().ok()) else {
                    io.error(&format!("find: {arg} needs a non-negative number"));
                    return 1;
                };
                if arg == "-maxdepth" {
                    max_depth = n;
                } else {
                    min_depth = n;
                }
            }
            "-print" => {}
            option if option.starts_with('-') && option.len() > 1 => {
                io.error(&format!("find: unknown predicate `{option}'"));
                return 1;
            }
            start => starts.push(start.to_owned()),
        }
    }
    if starts.is_empty() {
        starts.push(".".to_owned());
    }
    let mut code = 0;
    for start in &starts {
        let walked = walk(shell, "find", start, max_depth, io, |entry, io| {
            let name = entry
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| start.clone());
            let selected = entry.depth >= min_depth
                && kind.is_none_or(|k| k == type_letter(&entry.meta))
                && names.iter().all(|glob| glob.is_match(&name));
            if selected {
                io.line(&entry.shown);
            }
            true
        });
        match walked {
            Ok(true) => {}
            Ok(false) => code = 1,
            Err(error) => {
                io.error(&format!("find: '{start}': {}", describe(&error)));
                code = 1;
            }
        }
    }
    code
}

/// `tree [dir]`: the directory as `tree` draws it.
pub fn tree(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((_, operands)) = options("tree", args, "", io) else {
        return 1;
    };
    let start = operands.first().copied().unwrap_or(".");
    let path = shell.resolve(start);
    match dir(shell).metadata(cap_path(&path)) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            io.error(&format!("tree: {start}: Not a directory"));
            return 1;
        }
        Err(error) => {
            io.error(&format!("tree: {start}: {}", describe(&error)));
            return 1;
        }
    }
    io.line(start);
    let mut counts = TreeCounts::default();
    if let Err(error) = draw(shell, &path, "", 0, &mut counts, io) {
        io.error(&format!("tree: {}", describe(&error)));
        return 1;
    }
    io.line("");
    io.line(&format!(
        "{} director{}, {} file{}",
        counts.directories,
        if counts.directories == 1 { "y" } else { "ies" },
        counts.files,
        if counts.files == 1 { "" } else { "s" }
    ));
    0
}

#[derive(Default)]
struct TreeCounts {
    directories: usize,
    files: usize,
}

/// Draws the entries of `path` below `prefix`, directories recursively
/// (at most [`MAX_WALK_DEPTH`] deep and [`MAX_WALK_ENTRIES`] in all).
fn draw(
    shell: &Shell,
    path: &Path,
    prefix: &str,
    depth: usize,
    counts: &mut TreeCounts,
    io: &Io<'_>,
) -> std::io::Result<()> {
    io.check_stop()?;
    if depth >= MAX_WALK_DEPTH || counts.directories + counts.files >= MAX_WALK_ENTRIES {
        return Ok(());
    }
    let mut children: Vec<(String, bool)> = listing(shell, path)?
        .into_iter()
        .map(|(name, meta)| (name, meta.is_dir()))
        .collect();
    children.sort();
    let count = children.len();
    for (index, (name, is_dir)) in children.into_iter().enumerate() {
        let last = index + 1 == count;
        io.line(&format!(
            "{prefix}{}{name}",
            if last { "└── " } else { "├── " }
        ));
        if is_dir {
            counts.directories += 1;
            let inner = format!("{prefix}{}", if last { "    " } else { "│   " });
            draw(shell, &path.join(&name), &inner, depth + 1, counts, io)?;
        } else {
            counts.files += 1;
        }
    }
    Ok(())
}

/// The names and metadata (not following links) of a directory's entries.
fn listing(shell: &Shell, path: &Path) -> std::io::Result<Vec<(String, Metadata)>> {
    Ok(dir(shell)
        .read_dir(cap_path(path))?
        .flatten()
        .take(MAX_WALK_ENTRIES)
        .filter_map(|entry| {
            Some((
                entry.file_name().into_string().ok()?,
                entry.metadata().ok()?,
            ))
        })
        .collect())
}

/// `du [-s] [-h] [path…]`: apparent sizes in KiB (rounded up), as
/// `du --apparent-size` counts them; the sandbox's quota counts the same.
pub fn du(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((flags, mut operands)) = options("du", args, "shab", io) else {
        return 1;
    };
    if operands.is_empty() {
        operands.push(".");
    }
    let (summary, human) = (flags.contains(&'s'), flags.contains(&'h'));
    let show = |bytes: u64| {
        if human {
            human_size(bytes)
        } else {
            bytes.div_ceil(1024).to_string()
        }
    };
    let mut code = 0;
    for operand in operands {
        // Totals of the directories still open, innermost last.
        let mut totals: Vec<(usize, String, u64)> = Vec::new();
        let mut lines = Vec::new();
        let walked = walk(shell, "du", operand, usize::MAX, io, |entry, _| {
            while totals
                .last()
                .is_some_and(|(depth, _, _)| *depth >= entry.depth)
            {
                if let Some((depth, shown, total)) = totals.pop() {
                    if let Some(parent) = totals.last_mut() {
                        parent.2 += total;
                    }
                    if !summary || depth == 0 {
                        lines.push(format!("{}\t{shown}", show(total)));
                    }
                }
            }
            if entry.meta.is_dir() {
                totals.push((entry.depth, entry.shown.clone(), 0));
            } else if let Some(parent) = totals.last_mut() {
                parent.2 += entry.meta.len();
            } else {
                lines.push(format!("{}\t{}", show(entry.meta.len()), entry.shown));
            }
            true
        });
        while let Some((depth, shown, total)) = totals.pop() {
            if let Some(parent) = totals.last_mut() {
                parent.2 += total;
            }
            if !summary || depth == 0 {
                lines.push(format!("{}\t{shown}", show(total)));
            }
        }
        if let Err(error) = walked {
            io.error(&format!(
                "du: cannot access '{operand}': {}",
                describe(&error)
            ));
            code = 1;
        }
        for line in lines {
            io.line(&line);
        }
    }
    code
}

fn human_size(bytes: u64) -> String {
    let units = ["", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}")
    } else if value < 10.0 {
        format!("{:.1}{}", (value * 10.0).ceil() / 10.0, units[unit])
    } else {
        format!("{:.0}{}", value.ceil(), units[unit])
    }
}

/// `stat path…`: name, size, type and modification time.
pub fn stat(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((_, operands)) = options("stat", args, "L", io) else {
        return 1;
    };
    if operands.is_empty() {
        io.error("stat: missing operand");
        return 1;
    }
    let mut code = 0;
    for operand in operands {
        let path = shell.resolve(operand);
        match dir(shell).symlink_metadata(cap_path(&path)) {
            Ok(meta) => {
                let kind = if meta.is_dir() {
                    "directory"
                } else if meta.file_type().is_symlink() {
                    "symbolic link"
                } else if meta.len() == 0 {
                    "regular empty file"
                } else {
                    "regular file"
                };
                let modified = meta
                    .modified()
                    .ok()
                    .map(|time| time.into_std())
                    .and_then(|time| jiff::Timestamp::try_from(time).ok())
                    .map(|time| time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default();
                io.line(&format!("  File: {operand}"));
                io.line(&format!("  Size: {:<15} {kind}", meta.len()));
                io.line(&format!("Modify: {modified}"));
            }
            Err(error) => {
                io.error(&format!(
                    "stat: cannot statx '{operand}': {}",
                    describe(&error)
                ));
                code = 1;
            }
        }
    }
    code
}

/// `ln -s target link`: only symbolic links, and only to places inside
/// the sandbox. An absolute target (`/data`) is stored relative to the
/// link, so that it means the same inside the sandbox and on the host.
pub fn ln(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((flags, operands)) = options("ln", args, "sf", io) else {
        return 1;
    };
    if !flags.contains(&'s') {
        io.error("ln: only symbolic links (ln -s) can be made here");
        return 1;
    }
    let (target, link) = match operands.as_slice() {
        [target, link] => (*target, *link),
        [target] => (*target, target.rsplit('/').next().unwrap_or(target)),
        _ => {
            io.error("ln: give a target and a link name");
            return 1;
        }
    };
    let mut link_path = shell.resolve(link);
    if link_path.as_os_str().is_empty() || crate::shell::operands::is_dir(shell, &link_path) {
        let name = target
            .rsplit('/')
            .find(|part| !part.is_empty())
            .unwrap_or(target);
        link_path = link_path.join(name);
    }
    let link_dir = link_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let Some(stored) = link_target(&link_dir, target) else {
        io.error(&format!(
            "ln: failed to create symbolic link '{link}': '{target}' leads outside the sandbox"
        ));
        return 1;
    };
    if flags.contains(&'f') {
        let _ = dir(shell).remove_file(&link_path);
    }
    let made = quota(shell).charge(0, 1, || {
        symlink(shell, &stored, &link_path)?;
        // Through other links (`d -> .`, then `d/d/../..`), a target can
        // climb further than its text says: follow it as a guest would.
        if leads_outside(shell, &link_path) {
            let _ = dir(shell).remove_file(&link_path);
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the link leads outside the sandbox",
            ));
        }
        Ok(())
    });
    match made {
        Ok(()) => 0,
        Err(error) => {
            io.error(&format!(
                "ln: failed to create symbolic link '{link}': {}",
                describe(&error)
            ));
            1
        }
    }
}

/// The text to store in a link in `link_dir` (relative to the root) that
/// points at `target` as the user wrote it; `None` if it leads outside
/// the sandbox. An absolute target becomes relative to the link.
fn link_target(link_dir: &Path, target: &str) -> Option<String> {
    let ups = link_dir.components().count();
    if target.starts_with('/') {
        let resolved = paths::resolve(Path::new(""), target);
        let mut relative = "../".repeat(ups);
        relative.push_str(&resolved.to_string_lossy().replace('\\', "/"));
        let relative = relative.trim_end_matches('/');
        return Some(if relative.is_empty() {
            ".".to_owned()
        } else {
            relative.to_owned()
        });
    }
    // `..` only before any name: `y/..` climbs through whatever `y` turns
    // out to be, and `y` may be made a link later.
    let mut depth = ups;
    let mut named = false;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." if named => return None,
            ".." => depth = depth.checked_sub(1)?,
            _ => named = true,
        }
    }
    Some(target.to_owned())
}

/// Whether following `link` leads out of the sandbox: cap-std refuses the
/// walk as an escape (`EXDEV` where the kernel resolves beneath a root).
fn leads_outside(shell: &Shell, link: &Path) -> bool {
    match dir(shell).metadata(link) {
        Ok(_) => false,
        Err(error) => {
            error.kind() == std::io::ErrorKind::PermissionDenied
                || error.kind() == std::io::ErrorKind::CrossesDevices
        }
    }
}

#[cfg(unix)]
fn symlink(shell: &Shell, target: &str, link: &Path) -> std::io::Result<()> {
    dir(shell).symlink(target, link)
}

#[cfg(windows)]
fn symlink(shell: &Shell, target: &str, link: &Path) -> std::io::Result<()> {
    dir(shell).symlink_file(target, link)
}

/// `realpath path…`: the path with `..` and symbolic links resolved,
/// as the guest sees it.
pub fn realpath(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((_, operands)) = options("realpath", args, "", io) else {
        return 1;
    };
    let mut code = 0;
    for operand in operands {
        let path = shell.resolve(operand);
        match dir(shell).canonicalize(cap_path(&path)) {
            Ok(real) => io.line(&paths::display(&real)),
            Err(error) => {
                io.error(&format!("realpath: {operand}: {}", describe(&error)));
                code = 1;
            }
        }
    }
    code
}

/// `basename path [suffix]`
pub fn basename(args: &[String], io: &mut Io<'_>) -> i32 {
    let (path, suffix) = match args {
        [path] => (path, None),
        [path, suffix] => (path, Some(suffix)),
        _ => {
            io.error("basename: give one path (and an optional suffix)");
            return 1;
        }
    };
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        io.line(if path.is_empty() { "" } else { "/" });
        return 0;
    }
    let mut name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if let Some(suffix) = suffix
        && name.len() > suffix.len()
    {
        name = name.strip_suffix(suffix.as_str()).unwrap_or(name);
    }
    io.line(name);
    0
}

/// `dirname path…`
pub fn dirname(args: &[String], io: &mut Io<'_>) -> i32 {
    if args.is_empty() {
        io.error("dirname: missing operand");
        return 1;
    }
    for path in args {
        let trimmed = path.trim_end_matches('/');
        let parent = match trimmed.rfind('/') {
            Some(0) => "/",
            Some(index) => trimmed[..index].trim_end_matches('/'),
            None if path.starts_with('/') => "/",
            None => ".",
        };
        io.line(if parent.is_empty() { "/" } else { parent });
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_stay_inside_the_sandbox() {
        assert_eq!(
            link_target(Path::new(""), "a.txt").as_deref(),
            Some("a.txt")
        );
        assert_eq!(link_target(Path::new("d"), "../a").as_deref(), Some("../a"));
        assert_eq!(link_target(Path::new(""), "../etc/passwd"), None);
        assert_eq!(link_target(Path::new("d"), "../../x"), None);
        assert_eq!(
            link_target(Path::new("d/e"), "/a/b").as_deref(),
            Some("../../a/b")
        );
        assert_eq!(human_size(1536), "1.5K");
    }
}
