//! Commands that run in the engine: interpreters, the TypeScript and C/C++
//! compilers, and compiled programs from the sandbox (`./a.out`).
//!
//! They go through the same [`Runner`] as `POST /run`, with the session's
//! limits, streaming output to the terminal as the program writes it and
//! reading the terminal while it runs.

use std::future::Future;

use tokio::io::AsyncReadExt as _;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::io::{Input, Io};
use super::{Context, Exit, Shell, paths};
use crate::compile::{CompileRequest, Dialect};
use crate::engine::{Outcome, OutputChunk, Stdin, StreamKind};
use crate::language::{Language, RunBinary, RunFile, Runner, Source};
use crate::transpile::transpile_isolated;

/// Programs, with a line of help each.
pub const PROGRAMS: [(&str, &str); 9] = [
    (
        "python3 [-c code | -m module | file] [arg…]",
        "Python 3.15 with numpy, pandas, scipy, matplotlib; alone: a REPL (also: python)",
    ),
    (
        "node [-e code | file] [arg…]",
        "JavaScript on QuickJS (also: qjs); alone: a REPL",
    ),
    ("tsx file.ts [arg…]", "TypeScript (also: ts-node)"),
    (
        "tsc file.ts…",
        "write file.js (types stripped, not checked)",
    ),
    ("g++ file.cpp [-o out]", "C++ to wasm (also: clang++, c++)"),
    ("gcc file.c [-o out]", "C to wasm (also: clang, cc)"),
    ("./out [arg…]", "run a compiled program"),
    (
        "pip install|uninstall|list|freeze",
        "Python packages from the server's index (also: pip3, python3 -m pip)",
    ),
    (
        "npm install|uninstall|ls",
        "JavaScript packages from the server's registry, into ./node_modules",
    ),
];

/// Every program's name (besides paths such as `./a.out`).
pub const NAMES: [&str; 16] = [
    "python3", "python", "node", "qjs", "tsx", "ts-node", "tsc", "g++", "clang++", "c++", "gcc",
    "clang", "cc", "pip", "pip3", "npm",
];

/// Whether `name` is one of the programs (or a path to one).
pub fn is_program(name: &str) -> bool {
    NAMES.contains(&name) || name.contains('/')
}

/// Runs `name` if it is a program; `None` if it is not one.
pub async fn run(
    shell: &mut Shell,
    name: &str,
    args: &[String],
    io: &mut Io<'_>,
    context: &Context,
) -> Option<Exit> {
    let exit = match name {
        "python3" | "python" => interpreter(shell, Language::Python, name, args, io, context).await,
        "node" | "qjs" => interpreter(shell, Language::JavaScript, name, args, io, context).await,
        "tsx" | "ts-node" => {
            interpreter(shell, Language::TypeScript, name, args, io, context).await
        }
        "tsc" => tsc(shell, args, io).await,
        "pip" | "pip3" => super::packages::pip(shell, args, io, context).await,
        "npm" => super::packages::npm(shell, args, io, context).await,
        "g++" | "clang++" | "c++" => compile(shell, Dialect::Cxx, name, args, io, context).await,
        "gcc" | "clang" | "cc" => compile(shell, Dialect::C, name, args, io, context).await,
        path if path.contains('/') => binary(shell, path, args, io, context).await,
        _ => return None,
    };
    Some(exit)
}

fn runner<'c>(context: &'c Context, io: &Io<'_>) -> Option<&'c Runner> {
    match &context.runner {
        Ok(runner) => Some(runner),
        Err(reason) => {
            io.error(&format!("polyrun: {reason}"));
            None
        }
    }
}

/// `python3 file args`, `python3 -c code args`, `node -e code`, `tsx file`.
/// With no file, a program piped in (`echo 'print(1)' | python3`) runs.
async fn interpreter(
    shell: &Shell,
    language: Language,
    name: &str,
    args: &[String],
    io: &mut Io<'_>,
    context: &Context,
) -> Exit {
    let inline_flag = match language {
        Language::Python => Some("-c"),
        Language::JavaScript => Some("-e"),
        _ => None,
    };
    let mut args = args;
    // Flags that change nothing here (output is always unbuffered).
    while let Some(("-u" | "-B" | "-S" | "--", rest)) = args
        .split_first()
        .map(|(first, rest)| (first.as_str(), rest))
    {
        args = rest;
    }
    let (source, program_args) = match args.split_first() {
        Some((flag, rest)) if Some(flag.as_str()) == inline_flag || flag == "--eval" => {
            match rest.split_first() {
                Some((code, rest)) if language != Language::TypeScript => {
                    (Source::Code(code.clone()), rest)
                }
                _ => {
                    io.error(&format!("{name}: {flag} requires an argument"));
                    return Exit::new(2, "error");
                }
            }
        }
        Some((flag, _)) if flag == "--version" || flag == "-V" || flag == "-v" => {
            io.line(&version_line(language));
            return Exit::ok();
        }
        Some((flag, rest)) if flag == "-m" && language == Language::Python => {
            match rest.split_first() {
                Some((module, rest)) if module == "pip" => {
                    return super::packages::pip(shell, rest, io, context).await;
                }
                Some((module, rest)) => (Source::Module(module.clone()), rest),
                None => {
                    io.error(&format!("{name}: -m requires a module name"));
                    return Exit::new(2, "error");
                }
            }
        }
        Some((flag, _)) if flag.starts_with('-') => {
            io.error(&format!("{name}: unsupported option '{flag}'"));
            return Exit::new(2, "error");
        }
        Some((file, rest)) => (Source::File(paths::display(&shell.resolve(file))), rest),
        None if matches!(language, Language::Python | Language::JavaScript)
            && io.stdin_is_terminal() =>
        {
            (Source::Interactive, &[][..])
        }
        None if language != Language::TypeScript && !io.stdin_is_terminal() => {
            match io.stdin_all(MAX_PIPED_PROGRAM_BYTES).await {
                Ok(code) => (
                    Source::Code(String::from_utf8_lossy(&code).into_owned()),
                    &[][..],
                ),
                Err(error) => {
                    io.error(&format!("{name}: cannot read the program: {error}"));
                    return Exit::new(1, "error");
                }
            }
        }
        None => {
            io.error(&format!(
                "{name}: there is no interactive mode here; give it a file{}",
                inline_flag
                    .map(|f| format!(" or {f} CODE"))
                    .unwrap_or_default()
            ));
            return Exit::new(2, "error");
        }
    };
    let Some(runner) = runner(context, io) else {
        return Exit::new(1, "runtimes_not_ready");
    };
    let stdin = engine_stdin(io, context);
    let outcome = streamed(io, |output| {
        runner.run_file(RunFile {
            language,
            sandbox: &shell.sandbox,
            source,
            working_dir: paths::display(&shell.cwd),
            args: program_args.to_vec(),
            env: program_environment(shell, io),
            flags: Vec::new(),
            units: Vec::new(),
            stdin,
            limits: context.limits,
            output: Some(output),
            terminal: io.terminal_streams(),
        })
    })
    .await;
    match outcome {
        Some(outcome) => report(io, &outcome),
        None => broken_pipe(),
    }
}

/// The environment of a program the shell starts: the shell's exported
/// variables, and what the terminal's features add.
fn program_environment(shell: &Shell, io: &Io<'_>) -> Vec<(String, String)> {
    let mut env = shell.environment();
    env.extend(io.features().program_environment());
    env
}

/// What `--version` prints: Python's own words, else name, version and
/// what runs it.
fn version_line(language: Language) -> String {
    if language == Language::Python {
        return crate::language::PYTHON_VERSION_LINE.to_owned();
    }
    let info = language.info();
    format!("{} {} ({})", info.name, info.version, info.runtime)
}

/// `./out args`: a wasm program from the sandbox.
async fn binary(
    shell: &Shell,
    path: &str,
    args: &[String],
    io: &mut Io<'_>,
    context: &Context,
) -> Exit {
    let Some(runner) = runner(context, io) else {
        return Exit::new(1, "runtimes_not_ready");
    };
    let stdin = engine_stdin(io, context);
    let mut argv = vec![path.to_owned()];
    argv.extend(args.iter().cloned());
    let program = paths::display(&shell.resolve(path));
    let outcome = streamed(io, |output| {
        runner.run_binary(RunBinary {
            sandbox: &shell.sandbox,
            path: program,
            argv,
            working_dir: paths::display(&shell.cwd),
            env: program_environment(shell, io),
            stdin,
            limits: context.limits,
            output: Some(output),
            terminal: io.terminal_streams(),
        })
    })
    .await;
    match outcome {
        Some(outcome) => report(io, &outcome),
        None => broken_pipe(),
    }
}

/// `g++ [flags] file.cpp [-o out]`: compiles (never runs) with the same
/// flag rules as the API.
async fn compile(
    shell: &Shell,
    dialect: Dialect,
    name: &str,
    args: &[String],
    io: &mut Io<'_>,
    context: &Context,
) -> Exit {
    let mut output = None;
    let mut flags = Vec::new();
    let mut sources = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-o" => match args.next() {
                Some(path) => output = Some(path.clone()),
                None => {
                    io.error(&format!("{name}: error: missing filename after '-o'"));
                    return Exit::new(1, "compile_error");
                }
            },
            "-c" | "-S" | "-E" => {
                io.error(&format!(
                    "{name}: error: '{arg}' is not supported here: polyrun compiles and links the source files it is given into a program (each file's object is cached)"
                ));
                return Exit::new(1, "compile_error");
            }
            flag if flag.starts_with("-o") => output = Some(flag[2..].to_owned()),
            flag if flag.starts_with('-') => flags.push(flag.to_owned()),
            source => sources.push(source.to_owned()),
        }
    }
    let Some((source, units)) = sources.split_first() else {
        io.error(&format!("{name}: fatal error: no input files"));
        return Exit::new(1, "compile_error");
    };
    let is_cxx = |source: &String| crate::compile::unit_dialect(source) == Some(Dialect::Cxx);
    let dialect = if sources.iter().any(is_cxx) {
        Dialect::Cxx
    } else {
        dialect
    };
    let Some(runner) = runner(context, io) else {
        return Exit::new(1, "runtimes_not_ready");
    };
    let source_path = paths::display(&shell.resolve(source));
    let unit_paths: Vec<String> = units
        .iter()
        .map(|unit| paths::display(&shell.resolve(unit)))
        .collect();
    let output_path = paths::display(&shell.resolve(output.as_deref().unwrap_or("a.out")));
    let compiled = runner
        .compile(CompileRequest {
            dialect,
            sandbox: &shell.sandbox,
            source: &source_path,
            units: &unit_paths,
            output: &output_path,
            flags: &flags,
        })
        .await;
    match compiled {
        Ok(compiled) => {
            io.write(&io.stderr, compiled.diagnostics.as_bytes());
            Exit::ok()
        }
        Err(outcome) => {
            io.write(&io.stderr, outcome.compile_output.as_bytes());
            if let Some(message) = outcome
                .message
                .as_ref()
                .filter(|m| !outcome.compile_output.contains(m.as_str()))
            {
                io.error(&format!("{name}: {message}"));
            }
            Exit::new(1, "compile_error")
        }
    }
}

/// `tsc a.ts b.ts`: writes `a.js` and `b.js` beside them, types stripped.
async fn tsc(shell: &Shell, args: &[String], io: &Io<'_>) -> Exit {
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        io.error(&format!(
            "tsc: option '{flag}' is not supported (polyrun's tsc strips types with oxc; it does not type-check)"
        ));
        return Exit::new(1, "error");
    }
    if args.is_empty() {
        io.error("tsc: give the .ts files to compile");
        return Exit::new(1, "error");
    }
    let mut exit = Exit::ok();
    for file in args {
        let path = shell.resolve(file);
        let shown = paths::display(&path);
        let source = match shell
            .sandbox
            .read_file(&shown, crate::transpile::program::MAX_FILE_BYTES)
        {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => {
                io.error(&format!(
                    "error TS6053: File '{file}' cannot be read: {error}"
                ));
                exit = Exit::new(1, "error");
                continue;
            }
        };
        match transpile_isolated(source, file.clone()).await {
            Ok(javascript) => {
                let target = path.with_extension("js");
                if let Err(error) = shell
                    .sandbox
                    .write_file(&paths::display(&target), javascript.as_bytes())
                {
                    io.error(&format!(
                        "tsc: cannot write {}: {error}",
                        paths::display(&target)
                    ));
                    exit = Exit::new(1, "error");
                }
            }
            Err(diagnostics) => {
                io.write(&io.stderr, diagnostics.as_bytes());
                exit = Exit::new(2, "compile_error");
            }
        }
    }
    exit
}

/// A program piped into `python3` or `node` may be this large.
const MAX_PIPED_PROGRAM_BYTES: u64 = 16 << 20;

/// The engine's stdin for a program: the live terminal, bytes, or a pipe
/// read as the previous stage writes it.
fn engine_stdin(io: &mut Io<'_>, context: &Context) -> Stdin {
    match io.take_stdin() {
        Input::Terminal => Stdin::Stream(Box::new(context.input.clone())),
        Input::Bytes(bytes) => Stdin::Bytes(bytes),
        Input::Pipe(stream) => Stdin::Stream(Box::new(stream)),
        Input::Started { first, rest } => {
            Stdin::Stream(Box::new(std::io::Cursor::new(first).chain(rest)))
        }
    }
}

/// Runs `start` with an output channel, passing each chunk to the
/// command's stdout or stderr as it arrives (waiting for a slow reader).
/// `None` when its stdout is a pipe whose reader ended: the program is
/// stopped then, as `SIGPIPE` stops it natively.
async fn streamed<F>(
    io: &Io<'_>,
    start: impl FnOnce(UnboundedSender<OutputChunk>) -> F,
) -> Option<Outcome>
where
    F: Future<Output = Outcome>,
{
    let (sender, mut receiver) = unbounded_channel();
    let run = start(sender);
    tokio::pin!(run);
    let outcome = loop {
        tokio::select! {
            biased;
            Some(chunk) = receiver.recv() => {
                if !route(io, chunk).await {
                    return None;
                }
            }
            outcome = &mut run => break outcome,
        }
    };
    while let Ok(chunk) = receiver.try_recv() {
        if !route(io, chunk).await {
            return None;
        }
    }
    Some(outcome)
}

async fn route(io: &Io<'_>, chunk: OutputChunk) -> bool {
    let sink = match chunk.stream {
        StreamKind::Stdout => &io.stdout,
        StreamKind::Stderr => &io.stderr,
    };
    io.write_async(sink, chunk.data).await
}

/// How a program stopped by a broken pipe ends: 128 + `SIGPIPE`, silently.
fn broken_pipe() -> Exit {
    Exit::new(141, "broken_pipe")
}

/// Says why a program stopped when its own output may not, and turns the
/// outcome into an exit.
fn report(io: &Io<'_>, outcome: &Outcome) -> Exit {
    let (exit, stderr) = Exit::from_outcome(outcome);
    io.write(&io.stderr, stderr.as_bytes());
    exit
}
