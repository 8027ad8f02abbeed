//! `seq`, `printf`, `date`, `sleep`, `diff`, `which`/`type`.

use std::time::{Duration, Instant};

use crate::budget::{Refusal, sizes};
use crate::shell::io::{Io, describe};
use crate::shell::operands::open_file;
use crate::shell::{Context, Shell};

/// Numbers `seq` may print at most (the output limit stops it sooner
/// when the terminal is the reader).
const MAX_SEQ_NUMBERS: u64 = 100_000_000;

/// `seq [-s sep] [-w] [first [increment]] last`
pub fn seq(args: &[String], io: &mut Io<'_>) -> i32 {
    let mut separator = "\n".to_owned();
    let mut numbers = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-s" => match args.next() {
                Some(sep) => separator = sep.clone(),
                None => {
                    io.error("seq: option requires an argument -- 's'");
                    return 1;
                }
            },
            inline if inline.starts_with("-s") && inline.len() > 2 => {
                separator = inline[2..].to_owned();
            }
            number => numbers.push(number.to_owned()),
        }
    }
    let parsed: Option<Vec<f64>> = numbers.iter().map(|n| n.parse().ok()).collect();
    let Some(parsed) = parsed.filter(|p| (1..=3).contains(&p.len())) else {
        io.error("seq: give LAST, FIRST LAST or FIRST INCREMENT LAST (numbers)");
        return 1;
    };
    let (first, step, last) = match parsed.as_slice() {
        [last] => (1.0, 1.0, *last),
        [first, last] => (*first, 1.0, *last),
        [first, step, last] => (*first, *step, *last),
        _ => unreachable!("checked above"),
    };
    if step == 0.0 || !step.is_finite() || !first.is_finite() || !last.is_finite() {
        io.error("seq: invalid increment");
        return 1;
    }
    let decimals = numbers
        .iter()
        .map(|n| n.split_once('.').map_or(0, |(_, d)| d.len()))
        .max()
        .unwrap_or(0);
    if let Err(refusal) = sizes::check("a number's decimals", decimals as u64, MAX_PRECISION as u64)
    {
        io.error(&format!("seq: {refusal}"));
        return 1;
    }
    let mut out = String::new();
    let mut index = 0u64;
    loop {
        let value = first + step * index as f64;
        if (step > 0.0 && value > last + 1e-9) || (step < 0.0 && value < last - 1e-9) {
            break;
        }
        if index > 0 {
            out.push_str(&separator);
        }
        out.push_str(&format!("{value:.decimals$}"));
        index += 1;
        if out.len() >= 64 * 1024 {
            io.out(out.as_bytes());
            out.clear();
            if io.check_stop().is_err() || index >= MAX_SEQ_NUMBERS {
                return 1;
            }
        }
    }
    if index > 0 {
        out.push('\n');
    }
    io.out(out.as_bytes());
    0
}

/// `printf format [arg…]`: `%s %d %i %u %x %X %o %c %f %e %g %%` with
/// flags, width and precision, and backslash escapes; the format is used
/// again while arguments remain, as in coreutils.
///
/// Widths and precisions come from the user, so they are checked before
/// any padding is made: one pass of the format writes at most the output
/// limit (`%1000000000000d` is an error, not a terabyte of spaces).
pub fn printf(args: &[String], io: &mut Io<'_>) -> i32 {
    let Some((format, mut rest)) = args.split_first() else {
        io.error("printf: usage: printf format [arguments]");
        return 1;
    };
    let mut code = 0;
    loop {
        let pass = match format_once(format, rest, io.output_limit()) {
            Ok(pass) => pass,
            Err(refusal) => {
                io.error(&format!("printf: {refusal}"));
                return 1;
            }
        };
        if !pass.numbers_ok {
            code = 1;
        }
        io.out(pass.text.as_bytes());
        if pass.used == 0 || pass.used >= rest.len() {
            break;
        }
        if io.check_stop().is_err() {
            return 1;
        }
        rest = &rest[pass.used..];
    }
    code
}

/// One pass of a `printf` format over its arguments.
struct FormatPass {
    text: String,
    /// Arguments it took.
    used: usize,
    /// Every numeric argument was a number.
    numbers_ok: bool,
}

/// One pass of the format, writing at most `limit` bytes.
fn format_once(format: &str, args: &[String], limit: usize) -> Result<FormatPass, Refusal> {
    let mut out = String::new();
    let mut used = 0;
    let mut numbers_ok = true;
    let chars: Vec<char> = format.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '\\' => {
                at += 1;
                out.push_str(&escape(chars.get(at).copied()));
                at += 1;
            }
            '%' if chars.get(at + 1) == Some(&'%') => {
                out.push('%');
                at += 2;
            }
            '%' => {
                let start = at;
                at += 1;
                while at < chars.len() && "-+ #0123456789.".contains(chars[at]) {
                    at += 1;
                }
                let Some(&conversion) = chars.get(at) else {
                    out.extend(&chars[start..]);
                    break;
                };
                at += 1;
                let spec: String = chars[start + 1..at - 1].iter().collect();
                let spec = Spec::parse(&spec, limit.saturating_sub(out.len()))?;
                let arg = args.get(used).map(String::as_str);
                used += 1;
                match convert(&spec, conversion, arg.unwrap_or("")) {
                    Some(text) => out.push_str(&text),
                    None => {
                        numbers_ok = false;
                        out.push_str(&convert(&spec, conversion, "0").unwrap_or_default());
                    }
                }
            }
            c => {
                out.push(c);
                at += 1;
            }
        }
        sizes::check("printf's output", out.len() as u64, limit as u64)?;
    }
    Ok(FormatPass {
        text: out,
        used,
        numbers_ok,
    })
}

fn escape(c: Option<char>) -> String {
    match c {
        Some('n') => "\n".into(),
        Some('t') => "\t".into(),
        Some('r') => "\r".into(),
        Some('\\') => "\\".into(),
        Some('a') => "\u{7}".into(),
        Some('e') => "\u{1b}".into(),
        Some('0') => "\0".into(),
        Some(other) => format!("\\{other}"),
        None => "\\".into(),
    }
}

/// The longest precision: Rust's formatter takes at most this many
/// digits (past it, it panics), and no one reads more.
const MAX_PRECISION: usize = u16::MAX as usize;

/// A conversion's flags, width and precision.
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    width: usize,
    precision: Option<usize>,
}

impl Spec {
    /// Parses `spec` (what is between `%` and the conversion); a width or
    /// precision past `room` (what the output may still take) is refused
    /// before anything is made that large.
    fn parse(spec: &str, room: usize) -> Result<Self, Refusal> {
        let numbers = spec.trim_start_matches(['-', '+', ' ', '#', '0']);
        let (width, precision) = match numbers.split_once('.') {
            Some((width, precision)) => (width, Some(precision)),
            None => (numbers, None),
        };
        let field = |what, digits: &str, limit: usize| -> Result<usize, Refusal> {
            // More digits than u64 holds is too large all the same.
            let requested = if digits.is_empty() {
                0
            } else {
                digits.parse::<u64>().unwrap_or(u64::MAX)
            };
            sizes::check(what, requested, limit as u64)?;
            Ok(requested as usize)
        };
        Ok(Self {
            left: spec.contains('-'),
            zero: spec.starts_with('0') || spec.contains("+0") || spec.contains("-0"),
            plus: spec.contains('+'),
            width: field("a field width", width, room)?,
            precision: precision
                .map(|p| field("a precision", p, room.min(MAX_PRECISION)))
                .transpose()?,
        })
    }
}

/// One conversion with its flags, width and precision.
fn convert(spec: &Spec, conversion: char, arg: &str) -> Option<String> {
    let Spec {
        left,
        zero,
        plus,
        width,
        precision,
    } = *spec;
    let integer = || -> Option<i64> {
        let arg = arg.trim();
        if arg.is_empty() {
            return Some(0);
        }
        if let Some(c) = arg.strip_prefix('\'').or_else(|| arg.strip_prefix('"')) {
            return c.chars().next().map(|c| c as i64);
        }
        arg.parse().ok()
    };
    let body = match conversion {
        's' => {
            let text: String = match precision {
                Some(p) => arg.chars().take(p).collect(),
                None => arg.to_owned(),
            };
            return Some(pad(text, width, left, false));
        }
        'b' => {
            let mut text = String::new();
            let mut chars = arg.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    text.push_str(&escape(chars.next()));
                } else {
                    text.push(c);
                }
            }
            return Some(pad(text, width, left, false));
        }
        'c' => {
            return Some(pad(
                arg.chars().next().map(String::from).unwrap_or_default(),
                width,
                left,
                false,
            ));
        }
        'd' | 'i' => {
            let n = integer()?;
            if plus && n >= 0 {
                format!("+{n}")
            } else {
                n.to_string()
            }
        }
        'u' => (integer()? as u64).to_string(),
        'x' => format!("{:x}", integer()?),
        'X' => format!("{:X}", integer()?),
        'o' => format!("{:o}", integer()?),
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
            let value: f64 = if arg.trim().is_empty() {
                0.0
            } else {
                arg.trim().parse().ok()?
            };
            let precision = precision.unwrap_or(6);
            let text = match conversion {
                'f' | 'F' => format!("{value:.precision$}"),
                'e' | 'E' => c_exponent(value, precision, conversion == 'E'),
                _ => {
                    let shortest = format!("{value}");
                    if shortest.len() <= precision.max(1) + 1 {
                        shortest
                    } else {
                        c_exponent(value, precision.saturating_sub(1), conversion == 'G')
                    }
                }
            };
            if plus && value >= 0.0 {
                format!("+{text}")
            } else {
                text
            }
        }
        _ => return None,
    };
    Some(pad(body, width, left, zero && !left))
}

/// `1.500000e+00`, as C prints `%e`.
fn c_exponent(value: f64, precision: usize, upper: bool) -> String {
    let text = format!("{value:.precision$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let sign = if exponent < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{sign}{:02}", exponent.abs())
}

fn pad(text: String, width: usize, left: bool, zero: bool) -> String {
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
    if left {
        format!("{text}{}", " ".repeat(fill))
    } else if zero {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(rest) => (&text[..1], rest),
            None => ("", text.as_str()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

/// `date [-u] [+format]`: always UTC (the sandbox has no time zone).
pub fn date(args: &[String], io: &mut Io<'_>) -> i32 {
    let mut format = "%a %b %e %H:%M:%S UTC %Y".to_owned();
    for arg in args {
        match arg.as_str() {
            "-u" | "--utc" => {}
            "-I" | "--iso-8601" => format = "%Y-%m-%d".to_owned(),
            "-R" => format = "%a, %d %b %Y %H:%M:%S +0000".to_owned(),
            custom if custom.starts_with('+') => format = custom[1..].to_owned(),
            other => {
                io.error(&format!(
                    "date: invalid argument '{other}' (only -u, -I, -R and +FORMAT)"
                ));
                return 1;
            }
        }
    }
    let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC);
    match jiff::fmt::strtime::format(format.replace("%Z", "UTC").as_str(), &now) {
        Ok(text) => {
            io.line(&text);
            0
        }
        Err(error) => {
            io.error(&format!("date: {error}"));
            1
        }
    }
}

/// `sleep N[smhd]…`: waits, stopping at Ctrl-C or the time limit. It
/// runs on the async workers: a wait holds no thread.
pub async fn sleep(args: &[String], io: &Io<'_>, context: &Context) -> i32 {
    let total = match sleep_duration(args) {
        Ok(total) => total,
        Err(message) => {
            io.error(&format!("sleep: {message}"));
            return 1;
        }
    };
    let time_limit = context.limits.wall_time;
    tokio::select! {
        () = tokio::time::sleep(total.min(time_limit)) => {
            if total < time_limit {
                return 0;
            }
            io.error("sleep: time limit exceeded");
        }
        () = context.stop.cancelled() => io.error("sleep: interrupted"),
    }
    130
}

/// The sum of `sleep`'s operands.
fn sleep_duration(args: &[String]) -> Result<Duration, String> {
    if args.is_empty() {
        return Err("missing operand".to_owned());
    }
    let mut total = Duration::ZERO;
    for arg in args {
        let (number, unit) = match arg.char_indices().last() {
            Some((index, unit @ ('s' | 'm' | 'h' | 'd'))) => (&arg[..index], unit),
            _ => (arg.as_str(), 's'),
        };
        let seconds: f64 = match number.parse() {
            Ok(n) if n >= 0.0 && f64::is_finite(n) => n,
            _ => return Err(format!("invalid time interval '{arg}'")),
        };
        let scale = match unit {
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            _ => 1.0,
        };
        let part = Duration::try_from_secs_f64(seconds * scale).unwrap_or(Duration::MAX);
        total = total.saturating_add(part);
    }
    Ok(total)
}

/// How long `diff` looks for the smallest difference before it settles
/// for a larger one.
const DIFF_SEARCH_TIME: Duration = Duration::from_secs(1);

/// Files `diff` compares may be this large each.
const MAX_DIFF_BYTES: u64 = 8 << 20;

/// `diff [-u] a b`: a unified diff (the only format here), exit 1 when
/// the files differ.
pub fn diff(shell: &mut Shell, args: &[String], io: &mut Io<'_>) -> i32 {
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if let Some(flag) = args.iter().find(|a| a.starts_with('-') && *a != "-u") {
        io.error(&format!("diff: unsupported option '{flag}' (only -u)"));
        return 2;
    }
    let [a, b] = files.as_slice() else {
        io.error("diff: give two files");
        return 2;
    };
    let read = |name: &str| -> Option<String> {
        let path = shell.resolve(name);
        let file = open_file(shell, &path).and_then(|file| {
            let size = file.metadata()?.len();
            if size > MAX_DIFF_BYTES {
                return Err(std::io::Error::other(format!(
                    "larger than {MAX_DIFF_BYTES} bytes"
                )));
            }
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_DIFF_BYTES), &mut text)?;
            Ok(text)
        });
        match file {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(error) => {
                io.error(&format!("diff: {name}: {}", describe(&error)));
                None
            }
        }
    };
    let (Some(left), Some(right)) = (read(a), read(b)) else {
        return 2;
    };
    if left == right {
        return 0;
    }
    // Myers' search is quadratic on inputs that differ everywhere (two
    // files of random one-character lines took half a minute). Past its
    // deadline similar gives a coarser diff, still a correct one, so the
    // search is kept short and the command stays responsive to Ctrl-C.
    let deadline = io.deadline().min(Instant::now() + DIFF_SEARCH_TIME);
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .deadline(deadline)
        .diff_lines(&left, &right);
    if io.check_stop().is_err() {
        io.error("diff: interrupted");
        return 2;
    }
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(a, b)
        .to_string();
    io.out(text.as_bytes());
    1
}
