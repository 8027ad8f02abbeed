//! The shell's utilities: what coreutils, grep, sed and findutils do in a
//! terminal, written as cap-std operations over the sandbox.
//!
//! - `text`: line filters (`grep`, `sed`, `sort`, `uniq`, `tr`, `cut`,
//!   `tee`).
//! - `files`: the file tree (`find`, `tree`, `du`, `stat`, `ln`,
//!   `realpath`, `basename`, `dirname`).
//! - `misc`: `seq`, `printf`, `date`, `sleep`, `diff`.
//! - `browser`: `show` (pictures inline) and `download`, which need the
//!   browser terminal.
//!
//! Each takes its arguments and the command's [`Io`] and returns an exit
//! code, as the builtins do; they run off the async workers, read their
//! input as it comes (a file or a pipe, never whole unless they must, as
//! `sort` must), and check [`Io::check_stop`] between chunks, so Ctrl-C,
//! the time limit and a closed pipe stop them.

pub(super) mod browser;
mod files;
mod misc;
mod text;

use std::io::{BufRead, BufReader, Read};

use super::Shell;
use super::io::Io;
use super::operands::each_input;

/// Utilities, with a line of help each.
pub const UTILITIES: [(&str, &str); 24] = [
    ("grep [-inv c l r E w F] re [file…]", "lines that match"),
    (
        "sed [-n] [-E] script [file…]",
        "edit lines: s/re/to/g, p, d, addresses",
    ),
    ("sort [-nru] [-k N] [-t c] [file…]", "sort lines"),
    ("uniq [-cd] [file]", "drop repeated adjacent lines"),
    ("tr [-d] set1 [set2]", "translate or delete characters"),
    ("cut -d c -f list | -c list", "columns of lines"),
    ("tee [-a] file…", "copy input to files and output"),
    (
        "find [path…] [-name p] [-type t] [-maxdepth n]",
        "walk directories",
    ),
    ("tree [dir]", "a directory as a tree"),
    ("du [-sh] [path…]", "space used"),
    ("stat path…", "what a path is"),
    (
        "ln -s target link",
        "make a symbolic link (inside the sandbox)",
    ),
    ("realpath path…", "the path with links resolved"),
    ("basename path [suffix]", "the last component"),
    ("dirname path…", "all but the last component"),
    ("seq [first [inc]] last", "a sequence of numbers"),
    ("printf format [arg…]", "formatted output"),
    ("date [-u] [+format]", "the date and time (UTC)"),
    ("sleep seconds", "wait"),
    ("diff [-u] a b", "differences between files (unified)"),
    ("which / type name…", "what a command is"),
    (
        "xargs [-n N] cmd [arg…]",
        "run cmd with words from the input",
    ),
    (
        "show picture…",
        "show a PNG, JPEG, GIF or SVG in the terminal",
    ),
    (
        "download file…",
        "save a file from the sandbox in your browser",
    ),
];

/// Every utility's name (`xargs` included, though the shell runs it: it
/// starts commands).
pub const NAMES: [&str; 25] = [
    "grep", "sed", "sort", "uniq", "tr", "cut", "tee", "find", "tree", "du", "stat", "ln",
    "realpath", "basename", "dirname", "seq", "printf", "date", "sleep", "diff", "which", "type",
    "xargs", "show", "download",
];

/// Whether `name` is a utility.
pub fn is_utility(name: &str) -> bool {
    NAMES.contains(&name)
}

pub use misc::sleep;

/// Whether `name args…` reads standard input: as a stage of a pipeline,
/// such a command waits for its first input before it takes a thread. A
/// guess from the words alone (a wrong one only changes when the command
/// takes its thread): `tr` and `tee` always read it; the others when they
/// name no file. `grep` and `sed` take a pattern or script first, unless
/// `-e` gives it.
pub fn reads_input(name: &str, args: &[String]) -> bool {
    // The options that take the next word as their value.
    let (mut leading, valued): (usize, &[&str]) = match name {
        "tr" | "tee" => return true,
        "grep" | "sed" => (1, &["-e"]),
        "head" | "tail" => (0, &["-n", "-c"]),
        "sort" => (0, &["-k", "-t"]),
        "cut" => (0, &["-d", "-f", "-c"]),
        "cat" | "wc" | "uniq" => (0, &[]),
        _ => return false,
    };
    let mut operands = 0;
    let mut value_next = false;
    for arg in args {
        if std::mem::take(&mut value_next) {
            continue;
        }
        match arg.as_str() {
            "-" => return true,
            flag if valued.contains(&flag) => {
                if flag == "-e" {
                    leading = 0;
                }
                value_next = true;
            }
            flag if flag.starts_with('-') => {}
            _ => operands += 1,
        }
    }
    operands <= leading
}

/// Runs `name` if it is a utility (but `sleep` and `xargs`, which the
/// shell runs itself); `None` if it is not one.
pub fn run(shell: &mut Shell, name: &str, args: &[String], io: &mut Io<'_>) -> Option<i32> {
    let code = match name {
        "grep" => text::grep(shell, args, io),
        "sed" => text::sed(shell, args, io),
        "sort" => text::sort(shell, args, io),
        "uniq" => text::uniq(shell, args, io),
        "tr" => text::tr(args, io),
        "cut" => text::cut(shell, args, io),
        "tee" => text::tee(shell, args, io),
        "find" => files::find(shell, args, io),
        "tree" => files::tree(shell, args, io),
        "du" => files::du(shell, args, io),
        "stat" => files::stat(shell, args, io),
        "ln" => files::ln(shell, args, io),
        "realpath" => files::realpath(shell, args, io),
        "basename" => files::basename(args, io),
        "dirname" => files::dirname(args, io),
        "seq" => misc::seq(args, io),
        "printf" => misc::printf(args, io),
        "date" => misc::date(args, io),
        "diff" => misc::diff(shell, args, io),
        "show" => browser::show(shell, args, io),
        "download" => browser::download(shell, args, io),
        _ => return None,
    };
    Some(code)
}

/// Calls `each` with every line (without its `\n`) of each operand (or
/// stdin), and the operand's name. A line longer than the output limit is
/// an error rather than a reason to hold more. `each` returns false to
/// stop reading that input.
pub(super) fn each_line(
    shell: &Shell,
    name: &str,
    operands: &[&str],
    io: &mut Io<'_>,
    mut each: impl FnMut(&str, &[u8], &mut Io<'_>) -> bool,
) -> i32 {
    each_input(shell, name, operands, io, |operand, reader, io| {
        let limit = io.output_limit();
        read_lines(reader, limit, io, |line, io| each(operand, line, io))
    })
}

/// The lines of `reader`, each at most `limit` bytes.
fn read_lines(
    reader: &mut dyn Read,
    limit: usize,
    io: &mut Io<'_>,
    mut each: impl FnMut(&[u8], &mut Io<'_>) -> bool,
) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(super::operands::CHUNK, reader);
    let mut line = Vec::new();
    loop {
        io.check_stop()?;
        line.clear();
        let read = (&mut reader)
            .take(limit as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(());
        }
        if line.len() > limit && !line.ends_with(b"\n") {
            return Err(std::io::Error::other(format!(
                "a line is longer than {limit} bytes"
            )));
        }
        if line.ends_with(b"\n") {
            line.pop();
        }
        if !each(&line, io) {
            return Ok(());
        }
    }
}

/// Reads every line of the operands (or stdin), at most the output limit
/// in all: for utilities that must see everything before writing (`sort`).
pub(super) fn all_lines(
    shell: &Shell,
    name: &str,
    operands: &[&str],
    io: &mut Io<'_>,
) -> Result<Vec<Vec<u8>>, i32> {
    let mut lines = Vec::new();
    let mut total = 0usize;
    let mut too_much = false;
    let code = each_line(shell, name, operands, io, |_, line, io| {
        total += line.len() + 1;
        if total > io.output_limit() {
            too_much = true;
            return false;
        }
        lines.push(line.to_vec());
        true
    });
    if too_much {
        io.error(&format!(
            "{name}: the input is larger than the output limit ({} bytes)",
            io.output_limit()
        ));
        return Err(2);
    }
    if code != 0 {
        return Err(code);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::reads_input;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn commands_naming_files_do_not_wait_for_input() {
        assert!(reads_input("cat", &[]));
        assert!(!reads_input("cat", &words("notes.txt")));
        assert!(reads_input("grep", &words("-c x")));
        assert!(!reads_input("grep", &words("-n x notes.txt")));
        assert!(!reads_input("grep", &words("-e x notes.txt")));
        assert!(reads_input("sed", &words("-n 2p")));
        assert!(reads_input("head", &words("-n 5")));
        assert!(reads_input("cut", &words("-d , -f 2")));
        assert!(!reads_input("cut", &words("-d , -f 2 data.csv")));
        assert!(reads_input("cat", &words("a - b")));
        assert!(reads_input("tee", &words("out.txt")));
        assert!(!reads_input("ls", &[]));
    }
}
