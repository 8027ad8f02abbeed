//! Python tools from PyPI, each set in a virtual environment of its own
//! under the user's data directory (`polyrun-tools/<requirements>`, beside
//! polyrun's runtimes), made once per set of pinned versions: a version
//! bump makes a new environment, and nothing is installed outside it.
//!
//! `python3 -m venv` needs the python3-venv package on Debian; it is
//! installed with apt-get when the first attempt fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;

/// Written in an environment once pip has installed all of it, so an
/// interrupted install is not taken for a finished one.
const INSTALLED: &str = ".polyrun-installed";

/// The path of `command` in the virtual environment that holds
/// `requirements` (exact pins, `package==version`), installed first if
/// need be. `name` says what they are for, in messages.
pub fn install(name: &str, requirements: &[&str], command: &str) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        !requirements.is_empty() && requirements.iter().all(|r| r.contains("==")),
        "{name}: pin every requirement to one version (package==version): {requirements:?}"
    );
    let venv = tools_root().join(venv_name(requirements));
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let command = bin.join(executable(command));
    let marker = venv.join(INSTALLED);
    if command.exists() && marker.exists() {
        return Ok(command);
    }
    let started = Instant::now();
    eprintln!(
        "xtask: installing {name}: {} (pip, in {})",
        requirements.join(" "),
        venv.display()
    );
    make_venv(&venv)?;
    succeed(
        Command::new(bin.join(executable("pip")))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(requirements),
    )
    .with_context(|| format!("pip cannot install {}", requirements.join(" ")))?;
    anyhow::ensure!(
        command.exists(),
        "{name}: the install has no {}",
        command.display()
    );
    std::fs::write(&marker, requirements.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", marker.display()))?;
    eprintln!(
        "xtask: installed {name} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(command)
}

/// Where the environments live: `polyrun-tools` beside the runtimes.
fn tools_root() -> PathBuf {
    polyrun::runtimes::default_root()
        .parent()
        .map_or_else(|| PathBuf::from(".venvs"), |p| p.join("polyrun-tools"))
}

/// `schemathesis==4.32.5` is `schemathesis-4.32.5`; several requirements
/// are joined with `+`.
fn venv_name(requirements: &[&str]) -> String {
    requirements
        .iter()
        .map(|r| r.replace("==", "-"))
        .collect::<Vec<_>>()
        .join("+")
}

fn executable(command: &str) -> String {
    if cfg!(windows) {
        format!("{command}.exe")
    } else {
        command.to_string()
    }
}

fn make_venv(venv: &Path) -> anyhow::Result<()> {
    let python = if cfg!(windows) { "python" } else { "python3" };
    let make = || succeed(Command::new(python).args(["-m", "venv"]).arg(venv));
    if make().is_err() {
        // Debian's python3 comes without venv unless python3-venv is there.
        eprintln!("xtask: python3 -m venv failed; installing python3-venv (apt-get)");
        let _ = std::fs::remove_dir_all(venv);
        super::e2e::apt_install(&["python3-venv"])?;
        make().context("cannot make a Python virtual environment (python3 -m venv)")?;
    }
    Ok(())
}

fn succeed(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status()?;
    anyhow::ensure!(status.success(), "{command:?} failed ({status})");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venv_names_follow_the_pins() {
        assert_eq!(venv_name(&["schemathesis==4.32.5"]), "schemathesis-4.32.5");
        assert_eq!(
            venv_name(&["helm-python-sdk==0.2.2", "PyYAML==6.0.4"]),
            "helm-python-sdk-0.2.2+PyYAML-6.0.4"
        );
    }
}
