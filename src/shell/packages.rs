//! `pip` (also `pip3` and `python3 -m pip`) and `npm`: package commands
//! that the host runs for the session's sandbox through
//! [`crate::packages`]; the guest never reaches the network.

use super::io::Io;
use super::{Context, Exit, Shell};
use crate::packages::{InstallError, Packages};

/// What `pip help` and an unknown subcommand print.
const PIP_USAGE: &str = "Usage:\n  pip install [-q] <requirement> …\n  pip uninstall [-y] <package> …\n  pip list\n  pip freeze\n\nPackages come from the server's package index and go into ~/.local/lib/python3.15/site-packages.";

/// Runs `pip ARGS`.
pub async fn pip(shell: &Shell, args: &[String], io: &Io<'_>, context: &Context) -> Exit {
    let packages = match &context.runner {
        Ok(runner) => runner.packages(),
        Err(reason) => {
            io.error(&format!("pip: {reason}"));
            return Exit::new(1, "error");
        }
    };
    let Some((command, rest)) = args.split_first() else {
        io.line(PIP_USAGE);
        return Exit::ok();
    };
    match command.as_str() {
        "install" => install(shell, packages, rest, io, context).await,
        "uninstall" => uninstall(shell, packages, rest, io).await,
        "list" => list(shell, packages, rest, io, false).await,
        "freeze" => list(shell, packages, rest, io, true).await,
        "--version" | "-V" => {
            io.line(&format!(
                "pip (polyrun {}) for Python 3.15",
                env!("CARGO_PKG_VERSION")
            ));
            Exit::ok()
        }
        "help" | "--help" | "-h" => {
            io.line(PIP_USAGE);
            Exit::ok()
        }
        other => {
            io.error(&format!("ERROR: unknown command \"{other}\"\n{PIP_USAGE}"));
            Exit::new(1, "error")
        }
    }
}

/// Options pip takes that change nothing here: installs always go to the
/// user site, already upgrade what does not fit, and never compile.
const IGNORED_INSTALL_FLAGS: [&str; 8] = [
    "--user",
    "-U",
    "--upgrade",
    "--no-cache-dir",
    "--disable-pip-version-check",
    "--only-binary=:all:",
    "--prefer-binary",
    "--no-input",
];

async fn install(
    shell: &Shell,
    packages: &Packages,
    args: &[String],
    io: &Io<'_>,
    context: &Context,
) -> Exit {
    let mut quiet = false;
    let mut requirements = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-q" | "--quiet" => quiet = true,
            flag if IGNORED_INSTALL_FLAGS.contains(&flag) => {}
            flag if flag.starts_with('-') => {
                io.error(&format!(
                    "ERROR: pip install: option '{flag}' is not supported here (requirements come from the server's index)"
                ));
                return Exit::new(2, "error");
            }
            requirement => requirements.push(requirement.to_owned()),
        }
    }
    let python = packages.python();
    let installing = python.install(&shell.sandbox, &requirements);
    let report = tokio::select! {
        report = installing => report,
        () = context.stop.cancelled() => {
            io.error("ERROR: Operation cancelled by user");
            return Exit::new(130, "interrupted");
        }
    };
    match report {
        Ok(report) => {
            if !quiet {
                for line in report.lines() {
                    io.line(&line);
                }
            }
            Exit::ok()
        }
        Err(error) => failed(io, &error),
    }
}

async fn uninstall(shell: &Shell, packages: &Packages, args: &[String], io: &Io<'_>) -> Exit {
    let names: Vec<String> = args
        .iter()
        .filter(|arg| !matches!(arg.as_str(), "-y" | "--yes" | "-q" | "--quiet"))
        .cloned()
        .collect();
    if names.is_empty() {
        io.error("ERROR: You must give at least one requirement to uninstall");
        return Exit::new(1, "error");
    }
    match packages.python().uninstall(&shell.sandbox, &names).await {
        Ok(removed) => {
            for package in removed {
                io.line(&format!(
                    "Successfully uninstalled {}",
                    package.replacen("==", "-", 1)
                ));
            }
            Exit::ok()
        }
        Err(error) => failed(io, &error),
    }
}

async fn list(
    shell: &Shell,
    packages: &Packages,
    args: &[String],
    io: &Io<'_>,
    freeze: bool,
) -> Exit {
    let user_only = args.iter().any(|arg| arg == "--user") || freeze;
    match packages.python().list(&shell.sandbox).await {
        Ok(listed) => {
            let shown: Vec<_> = listed
                .into_iter()
                .filter(|package| !(user_only && package.preinstalled))
                .collect();
            if freeze {
                for package in shown {
                    io.line(&format!("{}=={}", package.name, package.version));
                }
                return Exit::ok();
            }
            let width = shown.iter().map(|p| p.name.len()).max().unwrap_or(0).max(7);
            io.line(&format!("{:width$} Version", "Package"));
            io.line(&format!("{} -------", "-".repeat(width)));
            for package in shown {
                io.line(&format!("{:width$} {}", package.name, package.version));
            }
            Exit::ok()
        }
        Err(error) => failed(io, &error),
    }
}

fn failed(io: &Io<'_>, error: &InstallError) -> Exit {
    let message = error.to_string();
    if message.starts_with("ERROR") || message.starts_with('×') || message.starts_with("Skipping")
    {
        io.error(&message);
    } else {
        io.error(&format!("ERROR: {message}"));
    }
    Exit::new(1, "error")
}

/// What `npm help` and an unknown subcommand print.
const NPM_USAGE: &str = "Usage:\n  npm install [<package>[@<range>] …]   (alone: what package.json depends on)\n  npm uninstall <package> …\n  npm ls\n\nPackages come from the server's npm registry and go into ./node_modules; install scripts never run.";

/// Runs `npm ARGS` in the shell's working directory.
pub async fn npm(shell: &Shell, args: &[String], io: &Io<'_>, context: &Context) -> Exit {
    let packages = match &context.runner {
        Ok(runner) => runner.packages(),
        Err(reason) => {
            io.error(&format!("npm: {reason}"));
            return Exit::new(1, "error");
        }
    };
    let project = super::paths::display(&shell.cwd);
    let Some((command, rest)) = args.split_first() else {
        io.line(NPM_USAGE);
        return Exit::ok();
    };
    let names: Vec<String> = rest
        .iter()
        .filter(|arg| !arg.starts_with('-'))
        .cloned()
        .collect();
    let npm = packages.npm();
    match command.as_str() {
        "install" | "i" | "add" => {
            let installing = npm.install(&shell.sandbox, &project, &names);
            let report = tokio::select! {
                report = installing => report,
                () = context.stop.cancelled() => {
                    io.error("npm error canceled");
                    return Exit::new(130, "interrupted");
                }
            };
            match report {
                Ok(report) => {
                    for note in &report.notes {
                        io.error(note);
                    }
                    match report.installed.len() {
                        0 => io.line("\nup to date"),
                        1 => io.line(&format!("\nadded 1 package: {}", report.installed[0])),
                        n => io.line(&format!(
                            "\nadded {n} packages: {}",
                            report.installed.join(" ")
                        )),
                    }
                    Exit::ok()
                }
                Err(error) => npm_failed(io, &error),
            }
        }
        "uninstall" | "remove" | "rm" | "un" => {
            match npm.uninstall(&shell.sandbox, &project, &names).await {
                Ok(removed) => {
                    io.line(&format!(
                        "\nremoved {} package{}",
                        removed.len(),
                        if removed.len() == 1 { "" } else { "s" }
                    ));
                    Exit::ok()
                }
                Err(error) => npm_failed(io, &error),
            }
        }
        "ls" | "list" => match npm.list(&shell.sandbox, &project).await {
            Ok(listed) => {
                io.line(&project);
                let last = listed.len().saturating_sub(1);
                for (index, (name, version)) in listed.iter().enumerate() {
                    let branch = if index == last {
                        "└──"
                    } else {
                        "├──"
                    };
                    io.line(&format!("{branch} {name}@{version}"));
                }
                if listed.is_empty() {
                    io.line("└── (empty)");
                }
                Exit::ok()
            }
            Err(error) => npm_failed(io, &error),
        },
        "--version" | "-v" => {
            io.line(&format!(
                "polyrun {} (npm install, ls, uninstall)",
                env!("CARGO_PKG_VERSION")
            ));
            Exit::ok()
        }
        "help" | "--help" | "-h" => {
            io.line(NPM_USAGE);
            Exit::ok()
        }
        other => {
            io.error(&format!(
                "npm error Unknown command: \"{other}\"\n{NPM_USAGE}"
            ));
            Exit::new(1, "error")
        }
    }
}

fn npm_failed(io: &Io<'_>, error: &InstallError) -> Exit {
    let message = error.to_string();
    if message.starts_with("npm ") {
        io.error(&message);
    } else {
        io.error(&format!("npm error {message}"));
    }
    Exit::new(1, "error")
}
