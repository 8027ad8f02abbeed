//! A static PEP 503 index of the package tests' wheels
//! (`tests/packages/wheels`, fetched by pip: see `package_fixtures`),
//! served by Python's own `http.server`, for the tasks that drive the
//! real server from outside (the browser test, the bench).

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::Context as _;
use sha2::Digest as _;

/// A running index, stopped when dropped.
pub(crate) struct StaticIndex {
    child: Child,
    _root: tempfile::TempDir,
    /// `http://127.0.0.1:PORT/simple`
    pub(crate) url: String,
}

impl StaticIndex {
    /// Writes `simple/<project>/index.html` for every wheel in `wheels`
    /// (linking each file with its SHA-256) and serves it.
    pub(crate) fn start(wheels: &Path) -> anyhow::Result<Self> {
        let root = tempfile::tempdir()?;
        write_index(wheels, root.path())?;
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start python3 -m http.server")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|word| *word != "port")
            .nth(1)
            .with_context(|| format!("http.server said: {line}"))?
            .to_owned();
        Ok(Self {
            child,
            _root: root,
            url: format!("http://127.0.0.1:{port}/simple"),
        })
    }
}

impl Drop for StaticIndex {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_index(wheels: &Path, root: &Path) -> anyhow::Result<()> {
    let files = root.join("files");
    std::fs::create_dir_all(&files)?;
    let mut projects: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for entry in std::fs::read_dir(wheels).with_context(|| {
        format!(
            "no wheels in {}: run `cargo xtask test` first",
            wheels.display()
        )
    })? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if !name.ends_with(".whl") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        std::fs::write(files.join(&name), &bytes)?;
        let project = normalize(name.split('-').next().unwrap_or(&name));
        projects.entry(project).or_default().push(format!(
            "<a href=\"../../files/{name}#sha256={sha256}\">{name}</a><br/>"
        ));
    }
    for (project, links) in projects {
        let dir = root.join("simple").join(&project);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("index.html"),
            format!(
                "<!DOCTYPE html><html><body>\n{}\n</body></html>\n",
                links.join("\n")
            ),
        )?;
    }
    Ok(())
}

/// A project name as PEP 503 compares it.
fn normalize(name: &str) -> String {
    name.split(['-', '_', '.'])
        .filter(|part| !part.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}
