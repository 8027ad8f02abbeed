//! Line filters: `grep`, `sed`, `sort`, `uniq`, `tr`, `cut`, `tee`.

use std::io::Write as _;

use regex::bytes::{Regex, RegexBuilder};

use super::{all_lines, each_line};
use crate::budget::files::{FileGrant, MAX_FILES_PER_COMMAND, sandbox_files};
use crate::budget::{Refusal, sizes};
use crate::shell::Shell;
use crate::shell::io::{Io, describe};
use crate::shell::operands::{each_chunk, is_dir, options, quota};

/// Patterns longer than this are refused (the regex crate bounds its own
/// compiled size too).
const MAX_PATTERN_BYTES: usize = 4096;
/// Compiled regexes may take this much memory.
const REGEX_SIZE_LIMIT: usize = 4 << 20;

/// A POSIX basic regular expression in the regex crate's syntax: `\(`,
/// `\)`, `\{`, `\}`, `\|`, `\+` and `\?` are the operators, and the bare
/// characters are literals, as in GNU grep and sed.
fn from_basic(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(op @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(op),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            // A `*` with nothing to repeat (first, after `^`, or after a
            // group opens) is a literal star.
            '*' if out.is_empty()
                || out == "^"
                || (out.ends_with('(') && !out.ends_with("\\(")) =>
            {
                out.push_str("\\*")
            }
            c => out.push(c),
        }
    }
    out
}

/// How a pattern is read.
#[derive(Clone, Copy, Default)]
struct Syntax {
    extended: bool,
    fixed: bool,
    ignore_case: bool,
    word: bool,
}

fn compile(pattern: &str, syntax: Syntax) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "the pattern is longer than {MAX_PATTERN_BYTES} bytes"
        ));
    }
    let mut source = if syntax.fixed {
        regex::escape(pattern)
    } else if syntax.extended {
        pattern.to_owned()
    } else {
        from_basic(pattern)
    };
    if syntax.word {
        source = format!(r"(?:^|\b)(?:{source})(?:\b|$)");
    }
    RegexBuilder::new(&source)
        .case_insensitive(syntax.ignore_case)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| match error {
            regex::Error::Syntax(text) => text.lines().last().unwrap_or("").trim().to_owned(),
            other => other.to_string(),
        })
}

/// `grep [-invclrEwFhq] pattern [file…]`
pub fn grep(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((flags, operands)) = options("grep", args, "invclrREwFhqs", io) else {
        return 2;
    };
    let Some((pattern, files)) = operands.split_first() else {
        io.error("Usage: grep [OPTION]... PATTERNS [FILE]...");
        return 2;
    };
    let syntax = Syntax {
        extended: flags.contains(&'E'),
        fixed: flags.contains(&'F'),
        ignore_case: flags.contains(&'i'),
        word: flags.contains(&'w'),
    };
    let regex = match compile(pattern, syntax) {
        Ok(regex) => regex,
        Err(error) => {
            io.error(&format!("grep: {error}"));
            return 2;
        }
    };
    let recursive = flags.contains(&'r') || flags.contains(&'R');
    let mut inputs: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    if recursive {
        if inputs.is_empty() {
            inputs.push(".".to_owned());
        }
        inputs = match super::files::expand_directories(shell, &inputs, io) {
            Ok(inputs) => inputs,
            Err(code) => return code,
        };
    }
    let show_names = !flags.contains(&'h') && (inputs.len() > 1 || recursive);
    let (invert, numbers, count_only, names_only, quiet) = (
        flags.contains(&'v'),
        flags.contains(&'n'),
        flags.contains(&'c'),
        flags.contains(&'l'),
        flags.contains(&'q'),
    );
    let mut any = false;
    let operands: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let mut code = 0;
    let list: Vec<&str> = if operands.is_empty() {
        vec![""]
    } else {
        operands
    };
    for operand in list {
        let shown = if operand.is_empty() {
            "(standard input)"
        } else {
            operand
        };
        let mut matched = 0usize;
        let mut number = 0usize;
        let single: Vec<&str> = if operand.is_empty() {
            Vec::new()
        } else {
            vec![operand]
        };
        let status = each_line(shell, "grep", &single, io, |_, line, io| {
            number += 1;
            if regex.is_match(line) == invert {
                return true;
            }
            matched += 1;
            if quiet || names_only {
                return false;
            }
            if !count_only {
                let mut out = Vec::with_capacity(line.len() + 16);
                if show_names {
                    out.extend_from_slice(format!("{shown}:").as_bytes());
                }
                if numbers {
                    out.extend_from_slice(format!("{number}:").as_bytes());
                }
                out.extend_from_slice(line);
                out.push(b'\n');
                io.out(&out);
            }
            true
        });
        if status != 0 {
            code = 2;
        }
        if matched > 0 {
            any = true;
        }
        if quiet && any {
            return 0;
        }
        if names_only && matched > 0 {
            io.line(shown);
        } else if count_only {
            if show_names {
                io.line(&format!("{shown}:{matched}"));
            } else {
                io.line(&matched.to_string());
            }
        }
    }
    match (code, any) {
        (2, _) => 2,
        (_, true) => 0,
        _ => 1,
    }
}

/// One `sed` address.
#[derive(Debug)]
enum Address {
    Line(usize),
    Last,
    Pattern(Regex),
}

#[derive(Debug)]
enum Action {
    Substitute {
        regex: Regex,
        replacement: String,
        global: bool,
        /// Replace only the Nth match.
        nth: usize,
        print: bool,
    },
    Print,
    Delete,
    Quit,
}

#[derive(Debug)]
struct SedCommand {
    from: Option<Address>,
    to: Option<Address>,
    negate: bool,
    action: Action,
    /// Inside a `from,to` range.
    active: bool,
}

/// `sed [-n] [-E] [-e script]… [script] [file…]`
pub fn sed(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let mut quiet = false;
    let mut extended = false;
    let mut scripts = Vec::new();
    let mut operands = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-n" | "--quiet" | "--silent" => quiet = true,
            "-E" | "-r" => extended = true,
            "-e" => match args.next() {
                Some(script) => scripts.push(script.clone()),
                None => {
                    io.error("sed: option requires an argument -- 'e'");
                    return 1;
                }
            },
            "-i" => {
                io.error("sed: -i is not supported; write to a new file and mv it");
                return 1;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                io.error(&format!("sed: invalid option -- '{}'", &flag[1..]));
                return 1;
            }
            operand => operands.push(operand),
        }
    }
    if scripts.is_empty() {
        if operands.is_empty() {
            io.error("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...");
            return 1;
        }
        scripts.push(operands.remove(0).to_owned());
    }
    let mut commands = Vec::new();
    for script in &scripts {
        match parse_sed(script, extended) {
            Ok(parsed) => commands.extend(parsed),
            Err(error) => {
                io.error(&format!("sed: -e expression #1: {error}"));
                return 1;
            }
        }
    }
    let mut number = 0usize;
    let mut quit = false;
    // `$` needs to know the last line: each line is handled when the next
    // one (or the end) is seen.
    let mut pending: Option<Vec<u8>> = None;
    let mut failed = None;
    let code = each_line(shell, "sed", &operands, io, |_, line, io| {
        if let Some(previous) = pending.replace(line.to_vec()) {
            number += 1;
            match run_sed(&mut commands, previous, number, false, quiet, io) {
                Ok(quits) => quit = quits,
                Err(refusal) => failed = Some(refusal),
            }
        }
        !quit && failed.is_none()
    });
    if let Some(last) = pending.take()
        && !quit
        && failed.is_none()
    {
        number += 1;
        if let Err(refusal) = run_sed(&mut commands, last, number, true, quiet, io) {
            failed = Some(refusal);
        }
    }
    if let Some(refusal) = failed {
        io.error(&format!("sed: line {number}: {refusal}"));
        return 4;
    }
    code
}

/// Runs the script over one line; true when it quits. The pattern space
/// may grow to the output limit: `s/a/aa/g` applied again and again
/// doubles it each time.
fn run_sed(
    commands: &mut [SedCommand],
    line: Vec<u8>,
    number: usize,
    last: bool,
    quiet: bool,
    io: &Io<'_>,
) -> Result<bool, Refusal> {
    let mut space = line;
    let print = |space: &[u8]| {
        let mut out = space.to_vec();
        out.push(b'\n');
        io.out(&out);
    };
    for command in commands.iter_mut() {
        if !selects(command, &space, number, last) {
            continue;
        }
        match &command.action {
            Action::Substitute {
                regex,
                replacement,
                global,
                nth,
                print: and_print,
            } => {
                let limit = io.output_limit();
                let (replaced, changed) =
                    substitute(regex, replacement, &space, *global, *nth, limit)?;
                space = replaced;
                if changed && *and_print {
                    print(&space);
                }
            }
            Action::Print => print(&space),
            Action::Delete => return Ok(false),
            Action::Quit => {
                if !quiet {
                    print(&space);
                }
                return Ok(true);
            }
        }
    }
    if !quiet {
        print(&space);
    }
    Ok(false)
}

fn selects(command: &mut SedCommand, space: &[u8], number: usize, last: bool) -> bool {
    let matches = |address: &Address| match address {
        Address::Line(n) => *n == number,
        Address::Last => last,
        Address::Pattern(regex) => regex.is_match(space),
    };
    let selected = match (&command.from, &command.to) {
        (None, _) => true,
        (Some(from), None) => matches(from),
        (Some(from), Some(to)) => {
            if command.active {
                let ends = match to {
                    Address::Line(n) => number >= *n,
                    other => matches(other),
                };
                if ends {
                    command.active = false;
                }
                true
            } else if matches(from) {
                let ends_at_once = matches!(to, Address::Line(n) if *n <= number);
                command.active = !ends_at_once;
                true
            } else {
                false
            }
        }
    };
    selected != command.negate
}

/// Replaces matches of `regex` in `space`: every one, or the `nth` only;
/// the result may be at most `limit` bytes.
fn substitute(
    regex: &Regex,
    replacement: &str,
    space: &[u8],
    global: bool,
    nth: usize,
    limit: usize,
) -> Result<(Vec<u8>, bool), Refusal> {
    let mut out = Vec::with_capacity(space.len());
    let mut last = 0;
    let mut changed = false;
    // Every `${N}` in the replacement expands to at most the whole match:
    // what one expansion can add is bounded before it is made.
    let references = replacement.matches('$').count() as u64;
    for (index, captures) in regex.captures_iter(space).enumerate() {
        let Some(whole) = captures.get(0) else {
            continue;
        };
        if index + 1 < nth {
            continue;
        }
        out.extend_from_slice(&space[last..whole.start()]);
        let most = out.len() as u64 + replacement.len() as u64 + references * whole.len() as u64;
        sizes::check("the pattern space", most, limit as u64)?;
        captures.expand(replacement.as_bytes(), &mut out);
        last = whole.end();
        changed = true;
        if !global {
            break;
        }
    }
    out.extend_from_slice(&space[last..]);
    sizes::check("the pattern space", out.len() as u64, limit as u64)?;
    Ok((out, changed))
}

/// Parses a sed script: commands separated by `;` or newlines.
fn parse_sed(script: &str, extended: bool) -> Result<Vec<SedCommand>, String> {
    let syntax = Syntax {
        extended,
        ..Syntax::default()
    };
    let chars: Vec<char> = script.chars().collect();
    let mut at = 0;
    let mut commands = Vec::new();
    loop {
        while at < chars.len() && (chars[at].is_whitespace() || chars[at] == ';') {
            at += 1;
        }
        if at >= chars.len() {
            return Ok(commands);
        }
        let from = parse_address(&chars, &mut at, syntax)?;
        let to = if from.is_some() && chars.get(at) == Some(&',') {
            at += 1;
            Some(parse_address(&chars, &mut at, syntax)?.ok_or("unexpected `,'")?)
        } else {
            None
        };
        let negate = chars.get(at) == Some(&'!');
        if negate {
            at += 1;
        }
        let action = match chars.get(at) {
            Some('p') => Action::Print,
            Some('d') => Action::Delete,
            Some('q') => Action::Quit,
            Some('s') => {
                at += 1;
                parse_substitute(&chars, &mut at, syntax)?
            }
            Some(other) => return Err(format!("unknown command: `{other}'")),
            None => return Err("missing command".to_owned()),
        };
        if !matches!(action, Action::Substitute { .. }) {
            at += 1;
        }
        commands.push(SedCommand {
            from,
            to,
            negate,
            action,
            active: false,
        });
    }
}

fn parse_address(
    chars: &[char],
    at: &mut usize,
    syntax: Syntax,
) -> Result<Option<Address>, String> {
    match chars.get(*at) {
        Some('$') => {
            *at += 1;
            Ok(Some(Address::Last))
        }
        Some(c) if c.is_ascii_digit() => {
            let start = *at;
            while chars.get(*at).is_some_and(char::is_ascii_digit) {
                *at += 1;
            }
            let text: String = chars[start..*at].iter().collect();
            let line = text.parse().map_err(|_| "invalid line number".to_owned())?;
            Ok(Some(Address::Line(line)))
        }
        Some('/') => {
            *at += 1;
            let pattern = delimited(chars, at, '/')?;
            Ok(Some(Address::Pattern(compile(&pattern, syntax)?)))
        }
        _ => Ok(None),
    }
}

/// The text up to an unescaped `delimiter` (consumed); `\delimiter`
/// stands for the delimiter itself.
fn delimited(chars: &[char], at: &mut usize, delimiter: char) -> Result<String, String> {
    let mut text = String::new();
    while let Some(&c) = chars.get(*at) {
        *at += 1;
        if c == delimiter {
            return Ok(text);
        }
        if c == '\\' {
            match chars.get(*at) {
                Some(&next) if next == delimiter => {
                    text.push(next);
                    *at += 1;
                    continue;
                }
                Some('n') => {
                    text.push('\n');
                    *at += 1;
                    continue;
                }
                _ => {}
            }
        }
        text.push(c);
    }
    Err(format!("unterminated `{delimiter}'"))
}

fn parse_substitute(chars: &[char], at: &mut usize, syntax: Syntax) -> Result<Action, String> {
    let delimiter = *chars.get(*at).ok_or("unterminated `s' command")?;
    *at += 1;
    let pattern = delimited(chars, at, delimiter)?;
    let replacement = delimited(chars, at, delimiter).map_err(|_| "unterminated `s' command")?;
    let (mut global, mut print, mut nth, mut ignore_case) = (false, false, 1, false);
    while let Some(&flag) = chars.get(*at) {
        match flag {
            'g' => global = true,
            'p' => print = true,
            'i' | 'I' => ignore_case = true,
            d if d.is_ascii_digit() => nth = d.to_digit(10).unwrap_or(1).max(1) as usize,
            _ => break,
        }
        *at += 1;
    }
    let regex = compile(
        &pattern,
        Syntax {
            ignore_case,
            ..syntax
        },
    )?;
    Ok(Action::Substitute {
        regex,
        replacement: sed_replacement(&replacement),
        global,
        nth,
        print,
    })
}

/// sed's replacement (`&`, `\1`) in the regex crate's syntax (`${0}`, `${1}`).
fn sed_replacement(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("${0}"),
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                Some(d @ '0'..='9') => out.push_str(&format!("${{{d}}}")),
                Some('t') => out.push('\t'),
                Some('&') => out.push('&'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// `sort [-nru] [-k N[,M]] [-t c] [file…]`
pub fn sort(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let mut flags = std::collections::BTreeSet::new();
    let mut key: Option<(usize, Option<usize>)> = None;
    let mut separator: Option<u8> = None;
    let mut operands: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-k" => {
                let Some(spec) = args.next().and_then(|s| parse_key(s)) else {
                    io.error("sort: invalid key: give -k N or -k N,M");
                    return 2;
                };
                key = Some(spec);
            }
            "-t" => match args.next().map(|s| s.as_bytes()) {
                Some([c]) => separator = Some(*c),
                _ => {
                    io.error("sort: the separator (-t) must be one character");
                    return 2;
                }
            },
            flag if flag.starts_with("-k") => match parse_key(&flag[2..]) {
                Some(spec) => key = Some(spec),
                None => {
                    io.error(&format!("sort: invalid key: {}", &flag[2..]));
                    return 2;
                }
            },
            flag if flag.starts_with("-t") && flag.len() == 3 => {
                separator = Some(flag.as_bytes()[2])
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                for c in flag.chars().skip(1) {
                    if !"nrufs".contains(c) {
                        io.error(&format!("sort: invalid option -- '{c}'"));
                        return 2;
                    }
                    flags.insert(c);
                }
            }
            operand => operands.push(operand),
        }
    }
    let mut lines = match all_lines(shell, "sort", &operands, io) {
        Ok(lines) => lines,
        Err(code) => return code,
    };
    let numeric = flags.contains(&'n');
    let fold = flags.contains(&'f');
    let key_of = |line: &[u8]| -> Vec<u8> {
        let field = match key {
            Some((from, to)) => sort_key(line, from, to, separator),
            None => line.to_vec(),
        };
        if fold {
            field.to_ascii_uppercase()
        } else {
            field
        }
    };
    let compare = |a: &Vec<u8>, b: &Vec<u8>| {
        let (ka, kb) = (key_of(a), key_of(b));
        if numeric {
            leading_number(&ka)
                .partial_cmp(&leading_number(&kb))
                .unwrap_or(std::cmp::Ordering::Equal)
        } else {
            ka.cmp(&kb)
        }
    };
    let stable = flags.contains(&'s');
    lines.sort_by(|a, b| {
        let order = compare(a, b);
        if order.is_eq() && !stable && !flags.contains(&'u') {
            a.cmp(b)
        } else {
            order
        }
    });
    if flags.contains(&'r') {
        lines.reverse();
    }
    if flags.contains(&'u') {
        lines.dedup_by(|b, a| compare(a, b).is_eq());
    }
    for line in lines {
        if io.check_stop().is_err() {
            return 2;
        }
        let mut out = line;
        out.push(b'\n');
        io.out(&out);
    }
    0
}

fn parse_key(spec: &str) -> Option<(usize, Option<usize>)> {
    let field = |s: &str| -> Option<usize> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().filter(|n| *n > 0)
    };
    match spec.split_once(',') {
        Some((from, to)) => Some((field(from)?, Some(field(to)?))),
        None => Some((field(spec)?, None)),
    }
}

/// Fields `from` to `to` (1-based) of a line: split at `separator`, or
/// at runs of blanks (each field keeping the blanks before it, as GNU
/// sort has it).
fn sort_key(line: &[u8], from: usize, to: Option<usize>, separator: Option<u8>) -> Vec<u8> {
    let mut starts = vec![0];
    match separator {
        Some(separator) => {
            for (index, &byte) in line.iter().enumerate() {
                if byte == separator {
                    starts.push(index + 1);
                }
            }
        }
        None => {
            let mut index = 0;
            while index < line.len() {
                while index < line.len() && line[index].is_ascii_whitespace() {
                    index += 1;
                }
                while index < line.len() && !line[index].is_ascii_whitespace() {
                    index += 1;
                }
                if index < line.len() {
                    starts.push(index);
                }
            }
        }
    }
    let Some(&start) = starts.get(from - 1) else {
        return Vec::new();
    };
    let end = match to.and_then(|to| starts.get(to)) {
        Some(&next) if separator.is_some() => next - 1,
        Some(&next) => next,
        None => line.len(),
    };
    line[start..end.max(start)].to_vec()
}

/// The number a line starts with (after blanks), as `sort -n` reads it.
fn leading_number(text: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(text);
    let text = text.trim_start();
    let mut end = 0;
    for (index, c) in text.char_indices() {
        let sign = index == 0 && c == '-';
        if c.is_ascii_digit() || c == '.' || sign {
            end = index + c.len_utf8();
        } else {
            break;
        }
    }
    text[..end].parse().unwrap_or(0.0)
}

/// `uniq [-c] [-d] [-u] [input]`
pub fn uniq(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((flags, operands)) = options("uniq", args, "cdu", io) else {
        return 1;
    };
    let (counts, repeated, unique) = (
        flags.contains(&'c'),
        flags.contains(&'d'),
        flags.contains(&'u'),
    );
    let mut current: Option<(Vec<u8>, usize)> = None;
    let emit = |line: &[u8], n: usize, io: &Io<'_>| {
        if (repeated && n < 2) || (unique && n > 1) {
            return;
        }
        let mut out = Vec::new();
        if counts {
            out.extend_from_slice(format!("{n:>7} ").as_bytes());
        }
        out.extend_from_slice(line);
        out.push(b'\n');
        io.out(&out);
    };
    let code = each_line(shell, "uniq", &operands, io, |_, line, io| {
        match &mut current {
            Some((previous, n)) if previous.as_slice() == line => *n += 1,
            _ => {
                if let Some((previous, n)) = current.replace((line.to_vec(), 1)) {
                    emit(&previous, n, io);
                }
            }
        }
        true
    });
    if let Some((line, n)) = current {
        emit(&line, n, io);
    }
    code
}

/// A `tr` set: ranges, escapes and `[:class:]`es expanded to bytes.
fn tr_set(spec: &str) -> Result<Vec<u8>, String> {
    type Test = fn(u8) -> bool;
    const CLASSES: [(&str, Test); 7] = [
        ("[:lower:]", |b| b.is_ascii_lowercase()),
        ("[:upper:]", |b| b.is_ascii_uppercase()),
        ("[:digit:]", |b| b.is_ascii_digit()),
        ("[:alpha:]", |b| b.is_ascii_alphabetic()),
        ("[:alnum:]", |b| b.is_ascii_alphanumeric()),
        ("[:space:]", |b| b.is_ascii_whitespace()),
        ("[:punct:]", |b| b.is_ascii_punctuation()),
    ];
    let bytes = spec.as_bytes();
    let mut unescaped = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if let Some((name, test)) = CLASSES
            .iter()
            .find(|(name, _)| bytes[index..].starts_with(name.as_bytes()))
        {
            unescaped.extend((0..=127u8).filter(|b| test(*b)).map(|b| (b, false)));
            index += name.len();
            continue;
        }
        let (byte, escaped) = if bytes[index] == b'\\' && index + 1 < bytes.len() {
            index += 1;
            let byte = match bytes[index] {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'\\' => b'\\',
                other => other,
            };
            (byte, true)
        } else {
            (bytes[index], false)
        };
        unescaped.push((byte, escaped));
        index += 1;
    }
    let mut set = Vec::new();
    let mut index = 0;
    while index < unescaped.len() {
        let (byte, _) = unescaped[index];
        if index + 2 < unescaped.len() && unescaped[index + 1] == (b'-', false) {
            let end = unescaped[index + 2].0;
            if end < byte {
                return Err(format!(
                    "range-endpoints of '{}-{}' are in reverse collating sequence order",
                    byte as char, end as char
                ));
            }
            set.extend(byte..=end);
            index += 3;
        } else {
            set.push(byte);
            index += 1;
        }
    }
    Ok(set)
}

/// `tr [-d] [-s] set1 [set2]`: standard input to standard output.
pub fn tr(args: &[String], io: &mut Io<'_>) -> i32 {
    let mut delete = false;
    let mut squeeze = false;
    let mut sets = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-d" => delete = true,
            "-s" => squeeze = true,
            "-ds" | "-sd" => {
                delete = true;
                squeeze = true;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                io.error(&format!("tr: invalid option -- '{}'", &flag[1..]));
                return 1;
            }
            set => match tr_set(set) {
                Ok(set) => sets.push(set),
                Err(error) => {
                    io.error(&format!("tr: {error}"));
                    return 1;
                }
            },
        }
    }
    // `-d set`, `-s set` and `-ds set` take one set; the rest two.
    let needed = if (delete && !squeeze) || (squeeze && sets.len() == 1) {
        1
    } else {
        2
    };
    if sets.len() != needed {
        io.error(&format!(
            "tr: {} operand",
            if sets.len() < needed {
                "missing"
            } else {
                "extra"
            }
        ));
        return 1;
    }
    let mut table: [Option<u8>; 256] = std::array::from_fn(|b| Some(b as u8));
    if delete {
        for &b in &sets[0] {
            table[b as usize] = None;
        }
    } else if sets.len() == 2 {
        let (from, to) = (&sets[0], &sets[1]);
        let Some(&last) = to.last() else {
            io.error("tr: when not truncating set1, string2 must be non-empty");
            return 1;
        };
        for (index, &b) in from.iter().enumerate() {
            table[b as usize] = Some(*to.get(index).unwrap_or(&last));
        }
    }
    let squeeze_set: &[u8] = if squeeze {
        sets.last().map_or(&[], Vec::as_slice)
    } else {
        &[]
    };
    let mut previous: Option<u8> = None;
    let mut stdin = io.stdin_reader();
    let result = each_chunk(&mut stdin, io, |chunk| {
        let mut out = Vec::with_capacity(chunk.len());
        for &byte in chunk {
            let Some(mapped) = table[byte as usize] else {
                continue;
            };
            if previous == Some(mapped) && squeeze_set.contains(&mapped) {
                continue;
            }
            previous = Some(mapped);
            out.push(mapped);
        }
        io.out(&out);
        true
    });
    match result {
        Ok(()) => 0,
        Err(error) => {
            io.error(&format!("tr: {}", describe(&error)));
            1
        }
    }
}

/// A `cut` list: `N`, `N-M`, `N-`, `-M`, comma-separated (1-based).
fn cut_list(spec: &str) -> Option<Vec<(usize, usize)>> {
    spec.split(',')
        .map(|range| {
            let (from, to) = match range.split_once('-') {
                Some((from, to)) => (
                    if from.is_empty() {
                        1
                    } else {
                        from.parse().ok()?
                    },
                    if to.is_empty() {
                        usize::MAX
                    } else {
                        to.parse().ok()?
                    },
                ),
                None => {
                    let n = range.parse().ok()?;
                    (n, n)
                }
            };
            (from >= 1 && to >= from).then_some((from, to))
        })
        .collect()
}

/// `cut -d c -f list [file…]` or `cut -c list [file…]`
pub fn cut(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let mut delimiter = b'\t';
    let mut fields = None;
    let mut characters = None;
    let mut operands = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (option, inline) = match arg.as_str() {
            a if a.len() > 2
                && (a.starts_with("-d") || a.starts_with("-f") || a.starts_with("-c")) =>
            {
                (&a[..2], Some(a[2..].to_owned()))
            }
            a => (a, None),
        };
        let mut value = || inline.clone().or_else(|| args.next().cloned());
        match option {
            "-d" => match value().as_deref().map(str::as_bytes) {
                Some([c]) => delimiter = *c,
                _ => {
                    io.error("cut: the delimiter must be a single character");
                    return 1;
                }
            },
            "-f" => fields = value().as_deref().and_then(cut_list).or(Some(Vec::new())),
            "-c" | "-b" => characters = value().as_deref().and_then(cut_list).or(Some(Vec::new())),
            flag if flag.starts_with('-') && flag.len() > 1 => {
                io.error(&format!("cut: invalid option -- '{}'", &flag[1..]));
                return 1;
            }
            operand => operands.push(operand.to_owned()),
        }
    }
    let (list, by_field) = match (fields, characters) {
        (Some(list), None) => (list, true),
        (None, Some(list)) => (list, false),
        _ => {
            io.error("cut: you must specify a list of bytes, characters, or fields");
            return 1;
        }
    };
    if list.is_empty() {
        io.error("cut: invalid list");
        return 1;
    }
    let wanted = |n: usize| list.iter().any(|(from, to)| (*from..=*to).contains(&n));
    let operands: Vec<&str> = operands.iter().map(String::as_str).collect();
    each_line(shell, "cut", &operands, io, |_, line, io| {
        let mut out = Vec::new();
        if by_field {
            if !line.contains(&delimiter) {
                out.extend_from_slice(line);
            } else {
                let chosen: Vec<&[u8]> = line
                    .split(|b| *b == delimiter)
                    .enumerate()
                    .filter(|(index, _)| wanted(index + 1))
                    .map(|(_, field)| field)
                    .collect();
                out.extend_from_slice(&chosen.join(&delimiter));
            }
        } else {
            let text = String::from_utf8_lossy(line);
            let chosen: String = text
                .chars()
                .enumerate()
                .filter(|(index, _)| wanted(index + 1))
                .map(|(_, c)| c)
                .collect();
            out.extend_from_slice(chosen.as_bytes());
        }
        out.push(b'\n');
        io.out(&out);
        true
    })
}

/// `tee [-a] file…`: standard input to standard output and the files,
/// within the sandbox's disk quota.
pub fn tee(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((flags, operands)) = options("tee", args, "a", io) else {
        return 1;
    };
    let append = flags.contains(&'a');
    // Every operand is open at once: taken from the server's descriptors
    // first, within a command's share.
    let _descriptors = match take_descriptors(operands.len()) {
        Ok(grant) => grant,
        Err(refusal) => {
            io.error(&format!("tee: {refusal}"));
            return 1;
        }
    };
    let mut files = Vec::new();
    let mut code = 0;
    for operand in &operands {
        let path = shell.resolve(operand);
        if path.as_os_str().is_empty() || is_dir(shell, &path) {
            io.error(&format!("tee: {operand}: Is a directory"));
            code = 1;
            continue;
        }
        match shell.sandbox.open_for_writing(&path, append) {
            Ok(file) => files.push((operand.to_string(), file)),
            Err(error) => {
                io.error(&format!("tee: {operand}: {}", describe(&error)));
                code = 1;
            }
        }
    }
    let mut stdin = io.stdin_reader();
    let mut failed = Vec::new();
    let result = each_chunk(&mut stdin, io, |chunk| {
        io.out(chunk);
        for (name, file) in files.iter_mut() {
            let written = quota(shell).charge(chunk.len() as u64, 0, || file.write_all(chunk));
            if let Err(error) = written {
                failed.push(format!("tee: {name}: {}", describe(&error)));
                return false;
            }
        }
        true
    });
    for message in failed {
        io.error(&message);
        code = 1;
    }
    if let Err(error) = result {
        io.error(&format!("tee: {}", describe(&error)));
        code = 1;
    }
    code
}

/// Descriptors for `count` files open at once, within
/// [`MAX_FILES_PER_COMMAND`].
fn take_descriptors(count: usize) -> Result<FileGrant, Refusal> {
    let count = count as u64;
    if count > MAX_FILES_PER_COMMAND {
        return Err(Refusal::TooManyOpenFiles {
            limit: MAX_FILES_PER_COMMAND,
        });
    }
    sandbox_files().take(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_regular_expressions_read_as_posix_has_them() {
        let re = |p: &str| compile(p, Syntax::default()).unwrap();
        assert!(re("a+b").is_match(b"a+b"));
        assert!(!re("a+b").is_match(b"aab"));
        assert!(re("a\\+b").is_match(b"aab"));
        assert!(re("\\(ab\\)*c").is_match(b"ababc"));
        assert!(re("x{2}").is_match(b"x{2}"));
        assert!(re("*star").is_match(b"*star"));
        assert!(re("^*x").is_match(b"*x"));
        assert!(re("\\(*a\\)").is_match(b"*a"));
        assert!(re("a|b").is_match(b"a|b"));
        assert!(re("a\\|b").is_match(b"b"));
    }

    #[test]
    fn sed_replacements_and_tr_sets() {
        assert_eq!(sed_replacement("[&] \\1 $x"), "[${0}] ${1} $$x");
        assert_eq!(tr_set("a-e").unwrap(), b"abcde");
        assert_eq!(tr_set("\\n[:digit:]").unwrap(), b"\n0123456789");
        assert!(tr_set("z-a").is_err());
        assert_eq!(
            cut_list("1,3-4,6-").unwrap(),
            [(1, 1), (3, 4), (6, usize::MAX)]
        );
        assert_eq!(sort_key(b"a b  c", 2, Some(2), None), b" b");
        assert_eq!(sort_key(b"a:b:c", 2, None, Some(b':')), b"b:c");
    }
}
