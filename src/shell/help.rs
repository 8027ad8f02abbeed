//! What commands there are: `help` lists them, `which` and `type` say
//! what one is. This sits above the builtins, the utilities and the
//! programs (it names them all), so that none of those needs the others.

use super::io::Io;

/// Runs `help`, `which` or `type`; `None` for any other command.
pub(super) fn run(name: &str, args: &[String], io: &mut Io<'_>) -> Option<i32> {
    match name {
        "help" => Some(help(io)),
        "which" | "type" => Some(which(name, args, io)),
        _ => None,
    }
}

fn help(io: &Io<'_>) -> i32 {
    io.line("polyrun shell: your private sandbox; ~ is its root.");
    io.line("");
    io.line("Builtins:");
    for (usage, what) in super::builtins::BUILTINS {
        io.line(&format!("  {usage:<22} {what}"));
    }
    io.line("");
    io.line("Utilities:");
    for (usage, what) in super::utilities::UTILITIES {
        io.line(&format!("  {usage:<22} {what}"));
    }
    io.line("");
    io.line("Programs:");
    for (usage, what) in super::programs::PROGRAMS {
        io.line(&format!("  {usage:<22} {what}"));
    }
    io.line("");
    io.line(
        "Syntax: 'quotes', \"quotes\", \\escapes, $VAR, $(command), globs (* ? [abc]), NAME=value,",
    );
    io.line("  # comments, ;, &&, ||, |, <, <<< text, >, >>, 2>, 2>&1.");
    io.line("Ctrl-C stops a running program; while one runs, what you type is its input.");
    0
}

/// `which name…` and `type name…`: what each command is here.
fn which(name: &str, args: &[String], io: &mut Io<'_>) -> i32 {
    let mut code = 0;
    for command in args {
        let kind = if super::builtins::is_builtin(command) || super::utilities::is_utility(command)
        {
            Some("a shell builtin")
        } else if crate::shell::programs::is_program(command) {
            Some("a program run in the sandbox")
        } else {
            None
        };
        match (kind, name) {
            (Some(kind), "type") => io.line(&format!("{command} is {kind}")),
            (Some(kind), _) => io.line(&format!("{command}: {kind}")),
            (None, "type") => {
                io.error(&format!("type: {command}: not found"));
                code = 1;
            }
            (None, _) => code = 1,
        }
    }
    code
}
