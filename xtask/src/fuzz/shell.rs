//! The `shell` target: generated command lines run by a real [`Shell`]
//! over a real sandbox, every builtin and utility with adversarial
//! numbers (0, -1, 2^31, 2^63, 10^12, …), format widths and precisions,
//! operand counts, expansions, nesting and long pipelines.
//!
//! Programs do not run here (the runner is absent), so the inputs spend
//! their time in the host's own code, which is what this target is for.
//! What it finds: panics, allocations sized by input and hangs (the
//! caps in [`super::guard`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use polyrun::budget::threads::SessionThreads;
use polyrun::engine::{Limits, OutputChunk};
use polyrun::sandbox::SandboxRoot;
use polyrun::shell::{Context, OutputTarget, Shell, TerminalInput};
use rand::Rng;
use rand::rngs::StdRng;

use super::guard;

/// Numbers at the edges of what parsers and sizes handle.
pub const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "3",
    "255",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483648",
    "4294967296",
    "3000000000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1000000000000",
    "99999999999999999999999",
    "1e12",
    "0.5",
    "nan",
    "inf",
    "1e308",
];

/// Command shapes, `{n}` a number, `{w}` a word, `{f}` a format string,
/// `{o}` operands, `{x}` an expansion.
const SHAPES: &[&str] = &[
    "printf {f} {n} {w} {n}",
    "printf {f}",
    "printf '%{n}d' {n}",
    "printf '%.{n}f' {n}",
    "printf '%-{n}s|' {w}",
    "seq {n}",
    "seq {n} {n}",
    "seq -s {w} {n} {n} {n}",
    "head -n {n} {o}",
    "tail -n {n} {o}",
    "head -c {n} {o}",
    "cut -c {n}-{n} {o}",
    "cut -d , -f {n} {o}",
    "sort -k {n} {o}",
    "sort -n -r -u {o}",
    "uniq -c {o}",
    "tr a-z A-Z",
    "tr -d {w}",
    "grep -c {w} {o}",
    "grep -E '({w}|{w})*' {o}",
    "sed s/{w}/{w}{w}/g {o}",
    "sed -n {n}p {o}",
    "sed 's/./&&/g;s/./&&/g;s/./&&/g;s/./&&/g;s/./&&/g;s/./&&/g;s/./&&/g;s/./&&/g' {o}",
    "xargs -n {n} echo",
    "echo {x}",
    "cat {o}",
    "wc -lwc {o}",
    "tee {o}",
    "du -sh .",
    "find . -maxdepth {n} -name '*'",
    "tree .",
    "diff -u f g",
    "sleep 0.0{n}",
    "ls -laR {o}",
    "cp -r d {w}",
    "mkdir -p {w}/{w}/{w}",
    "ln -s {w} {w}",
    "ln -s ../../../{w} l{n}",
    "stat {o}",
    "realpath {o}",
    "basename {w} {w}",
    "date +{w}",
    "V={w}{x}",
    "export V=$V$V$V",
    "history",
    "env",
    "rm -rf {w}",
    "touch {o}",
    "mv {w} {w}",
];

fn pick<'a>(rng: &mut StdRng, choices: &[&'a str]) -> &'a str {
    choices[rng.random_range(0..choices.len())]
}

fn word(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0 => pick(rng, NUMBERS).to_owned(),
        1 => "x".repeat(rng.random_range(0..3000)),
        2 => pick(
            rng,
            &["a", "f", "g", "d", "..", "/", "*", "?", "[a-z]", "\\\\"],
        )
        .to_owned(),
        3 => format!(
            "{}/{}",
            pick(rng, &["d", "..", "."]),
            pick(rng, &["f", "*", ".."])
        ),
        _ => pick(rng, &["hello", "é", "a,b,c", "%s", "%%", "\\n", "-n", "--"]).to_owned(),
    }
}

/// A `printf` format: text and conversions with adversarial widths and
/// precisions.
fn format(rng: &mut StdRng) -> String {
    let mut format = String::from("'");
    for _ in 0..rng.random_range(1..4) {
        format.push_str(pick(rng, &["a", "\\n", "\\t", "\\\\", " "]));
        format.push('%');
        format.push_str(pick(rng, &["", "-", "+", "0", " ", "#", "-0"]));
        if rng.random_bool(0.6) {
            format.push_str(pick(rng, NUMBERS).trim_start_matches('-'));
        }
        if rng.random_bool(0.4) {
            format.push('.');
            format.push_str(pick(rng, NUMBERS).trim_start_matches('-'));
        }
        format.push_str(pick(
            rng,
            &["d", "s", "x", "o", "f", "e", "g", "c", "b", "u", "%"],
        ));
    }
    format.push('\'');
    format
}

fn operands(rng: &mut StdRng) -> String {
    match rng.random_range(0..5) {
        0 => vec!["f"; rng.random_range(1..400)].join(" "),
        1 => "*".to_owned(),
        2 => pick(rng, &["/", "../../etc/passwd", "d/../..", "d", "-"]).to_owned(),
        _ => pick(rng, &["f", "g", "f g", "nonexistent"]).to_owned(),
    }
}

fn expansion(rng: &mut StdRng) -> String {
    let unit = pick(
        rng,
        &[
            "$V",
            "$(echo x)",
            " *",
            "$HOME",
            "${V}x",
            "$(echo $(echo $V))",
            " $?",
        ],
    );
    unit.repeat(rng.random_range(1..2000))
}

fn command(rng: &mut StdRng) -> String {
    let shape = pick(rng, SHAPES);
    let mut out = String::new();
    let mut rest = shape;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let hole = &rest[at..at + 3];
        let filled = match hole {
            "{n}" => pick(rng, NUMBERS).to_owned(),
            "{w}" => word(rng),
            "{f}" => format(rng),
            "{o}" => operands(rng),
            _ => expansion(rng),
        };
        out.push_str(&filled);
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out
}

/// A command line: one command, a pipeline (sometimes a very long one),
/// or a list.
pub fn line(rng: &mut StdRng) -> String {
    let count = match rng.random_range(0..10) {
        0 => rng.random_range(60..80),
        1..=3 => rng.random_range(2..6),
        _ => 1,
    };
    let joiner = pick(rng, &[" | ", " | ", "; ", " && "]);
    (0..count)
        .map(|_| command(rng))
        .collect::<Vec<_>>()
        .join(joiner)
}

/// Terminal output, counted and dropped.
#[derive(Default)]
struct Counted(AtomicU64);

impl OutputTarget for Counted {
    fn send(&self, chunk: OutputChunk) -> BoxFuture<'_, ()> {
        self.0.fetch_add(chunk.data.len() as u64, Ordering::Relaxed);
        Box::pin(std::future::ready(()))
    }

    fn send_now(&self, chunk: OutputChunk) {
        self.0.fetch_add(chunk.data.len() as u64, Ordering::Relaxed);
    }
}

/// A shell over a fresh sandbox with a few files in it.
async fn fresh_shell(root: &SandboxRoot, context: &Context) -> anyhow::Result<Shell> {
    let sandbox = Arc::new(root.create()?);
    let mut shell = Shell::new(sandbox);
    for setup in [
        "seq 1000 > f",
        "printf 'b\\na\\nc,d\\n' > g",
        "mkdir -p d/e",
        "touch d/e/h",
    ] {
        shell.run_line(setup, context).await;
    }
    Ok(shell)
}

fn context(limits: Limits) -> Context {
    Context {
        runner: Err("programs do not run in the fuzzer".to_owned()),
        limits,
        output: Arc::new(Counted::default()),
        stop: tokio_util::sync::CancellationToken::new(),
        input: TerminalInput::closed(),
        user_directory: "fuzz".to_owned(),
        session_ref: "fuzz".to_owned(),
        threads: SessionThreads::new(std::net::IpAddr::from([127, 0, 0, 1])),
    }
}

/// Runs generated (and sometimes mutated) command lines for `time`.
pub async fn run(time: Duration, rng: &mut StdRng) -> anyhow::Result<super::Tally> {
    let users = tempfile::tempdir()?;
    let root =
        SandboxRoot::open_or_create(users.path())?.with_limits(polyrun::sandbox::DiskLimits {
            max_bytes: 64 << 20,
            max_entries: 5_000,
        });
    let limits = Limits {
        wall_time: Duration::from_secs(2),
        output_bytes: 256 * 1024,
        ..Limits::default()
    };
    let context = context(limits);
    let started = Instant::now();
    let mut inputs = 0u64;
    let mut shell = fresh_shell(&root, &context).await?;
    let mut corpus: Vec<String> = Vec::new();
    while started.elapsed() < time {
        let input = if !corpus.is_empty() && rng.random_bool(0.2) {
            let seeds: Vec<&str> = corpus.iter().map(String::as_str).collect();
            super::mutate(rng, &seeds)
        } else {
            line(rng)
        };
        let before = super::PANICS.load(Ordering::SeqCst);
        guard::running("shell", &input);
        shell.run_line(&input, &context).await;
        guard::done();
        super::no_new_panics(before, "shell", &input)?;
        if corpus.len() < 64 {
            corpus.push(input);
        }
        inputs += 1;
        if inputs.is_multiple_of(100) {
            shell = fresh_shell(&root, &context).await?;
        }
    }
    Ok(super::Tally {
        target: "shell",
        inputs,
    })
}
