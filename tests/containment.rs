//! Nothing a program does reaches outside its sandbox: not the host's
//! files, not the parent directory, not another user's sandbox, not through
//! symlinks. Checked from inside the program and from the host.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Run, TestRoot, assert_output, plant_link};

const SECRET: &str = "host secret 5f1c";

/// Every file under `dir`, for before/after comparisons.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path.clone());
            }
            files.insert(path.display().to_string());
        }
    }
    files
}

/// A program that tries each path, printing what it could read.
const PYTHON_PROBE: &str = r#"
import os, sys
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            print("READ", path, f.read()[:40].replace("\n", " "))
    except OSError as e:
        print("DENIED", path, type(e).__name__)
for path in ["../escape.txt", "../../escape.txt", "/../escape.txt"]:
    try:
        with open(path, "w") as f:
            f.write("escaped")
        print("WROTE", path)
    except OSError as e:
        print("DENIED", path, type(e).__name__)
"#;

#[tokio::test]
async fn host_files_and_parent_directories_are_unreachable() {
    let root = TestRoot::new();
    let secret = root.temp.path().join("secret.txt");
    std::fs::write(&secret, SECRET).unwrap();
    let sandbox = root.sandbox();
    let before = tree(root.temp.path());

    let targets = [
        "/etc/passwd",
        "../../../../../../etc/passwd",
        "../secret.txt",
        "../../secret.txt",
        "/../secret.txt",
        &secret.display().to_string(),
        "/proc/self/environ",
    ];
    let outcome = Run::new("python", PYTHON_PROBE)
        .args(&targets)
        .in_sandbox(&sandbox)
        .await;
    let stdout = outcome.stdout_lossy();
    assert!(!stdout.contains("READ"), "{stdout}");
    assert!(!stdout.contains("WROTE"), "{stdout}");
    assert!(
        !stdout.contains(SECRET) && !stdout.contains("root:"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("DENIED").count(),
        targets.len() + 3,
        "{stdout}"
    );

    // From the host: nothing appeared or changed outside the sandbox.
    let after = tree(root.temp.path());
    let sandbox_dir = sandbox.host_path().display().to_string();
    let new: Vec<_> = after
        .difference(&before)
        .filter(|p| !p.starts_with(&sandbox_dir))
        .collect();
    assert!(new.is_empty(), "created outside the sandbox: {new:?}");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
}

#[tokio::test]
async fn javascript_cannot_read_host_files() {
    let code = r#"
for (const path of ["/etc/passwd", "../../etc/passwd", "../secret.txt"]) {
  console.log(path, std.loadFile(path));
}
const [entries] = os.readdir("/");
console.log(JSON.stringify(entries.filter((e) => e !== "." && e !== "..").sort()));
"#;
    let root = TestRoot::new();
    std::fs::write(root.temp.path().join("secret.txt"), SECRET).unwrap();
    let sandbox = root.sandbox();
    sandbox.write_file("mine.txt", b"x").unwrap();
    let outcome = Run::new("js", code).in_sandbox(&sandbox).await;
    assert_output(
        &outcome,
        "/etc/passwd null\n../../etc/passwd null\n../secret.txt null\n[\"main.js\",\"mine.txt\"]\n",
    );
}

#[tokio::test]
async fn another_sandbox_is_unreachable() {
    let root = TestRoot::new();
    let alice = root.sandbox();
    let bob = root.sandbox();
    alice.write_file("diary.txt", SECRET.as_bytes()).unwrap();
    let targets = [
        format!("../{}/diary.txt", alice.name()),
        format!("/../{}/diary.txt", alice.name()),
        alice.host_path().join("diary.txt").display().to_string(),
    ];
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let outcome = Run::new("python", PYTHON_PROBE)
        .args(&targets)
        .in_sandbox(&bob)
        .await;
    let stdout = outcome.stdout_lossy();
    assert!(!stdout.contains(SECRET), "{stdout}");
    assert_eq!(
        stdout.matches("DENIED").count(),
        targets.len() + 3,
        "{stdout}"
    );
    assert!(!alice.exists("escape.txt"));
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_planted_by_the_host_side_do_not_lead_out() {
    use std::os::unix::fs::symlink;
    let root = TestRoot::new();
    let secret = root.temp.path().join("secret.txt");
    std::fs::write(&secret, SECRET).unwrap();
    let sandbox = root.sandbox();
    let dir = sandbox.host_path();
    symlink(&secret, dir.join("absolute")).unwrap();
    symlink("../../secret.txt", dir.join("relative")).unwrap();
    symlink("/etc/passwd", dir.join("passwd")).unwrap();
    symlink("..", dir.join("up")).unwrap();
    symlink("/", dir.join("host_root")).unwrap();

    let outcome = Run::new("python", PYTHON_PROBE)
        .args(&[
            "absolute",
            "relative",
            "passwd",
            "up/secret.txt",
            "host_root/etc/passwd",
        ])
        .in_sandbox(&sandbox)
        .await;
    let stdout = outcome.stdout_lossy();
    assert!(!stdout.contains("READ"), "{stdout}");
    assert!(
        !stdout.contains(SECRET) && !stdout.contains("root:"),
        "{stdout}"
    );

    // Host code going through the Sandbox refuses them too.
    for link in ["absolute", "relative", "passwd", "up/secret.txt"] {
        assert!(
            sandbox.read_file(link, 1 << 30).is_err(),
            "host followed {link}"
        );
    }
    assert!(sandbox.write_file("up/planted.txt", b"x").is_err());
    assert!(!root.temp.path().join("users/planted.txt").exists());
}

#[tokio::test]
async fn symlinks_made_by_the_guest_do_not_lead_out() {
    let code = r#"
import os
for target, name in [("../..", "up"), ("/etc/passwd", "passwd"), ("../../secret.txt", "secret")]:
    try:
        os.symlink(target, name)
    except OSError:
        print("NO LINK", name)
for path in ["up/secret.txt", "passwd", "secret"]:
    try:
        print("READ", open(path).read())
    except OSError as e:
        print("DENIED", path)
try:
    open("up/escape.txt", "w").write("x")
    print("WROTE")
except OSError:
    print("DENIED write")
"#;
    let root = TestRoot::new();
    let secret = root.temp.path().join("secret.txt");
    std::fs::write(&secret, SECRET).unwrap();
    let sandbox = root.sandbox();
    let before = tree(root.temp.path());
    let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
    let stdout = outcome.stdout_lossy();
    assert_eq!(
        stdout,
        // No link that leads out can be created (EPERM), absolute or
        // relative; and nothing is followed out either.
        "NO LINK up\nNO LINK passwd\nNO LINK secret\nDENIED up/secret.txt\nDENIED passwd\nDENIED secret\nDENIED write\n",
        "{}",
        outcome.stderr_lossy()
    );
    // The host, reading through the Sandbox, does not follow them either.
    assert!(sandbox.read_file("secret", 1 << 30).is_err());
    assert!(sandbox.read_file("up/secret.txt", 1 << 30).is_err());
    let sandbox_dir = sandbox.host_path().display().to_string();
    let after = tree(root.temp.path());
    assert!(
        after
            .difference(&before)
            .all(|p| p.starts_with(&sandbox_dir))
    );
}

#[tokio::test]
async fn removing_a_sandbox_with_escaping_symlinks_keeps_their_targets() {
    let root = TestRoot::new();
    let secret = root.temp.path().join("secret.txt");
    std::fs::write(&secret, SECRET).unwrap();
    let sandbox = root.sandbox();
    // Guests cannot make such links any more; whatever made them (a
    // restored backup, an older version), removal must not follow them.
    let code = "import os\nos.makedirs('d')\n";
    assert_output(&Run::new("python", code).in_sandbox(&sandbox).await, "");
    plant_link("../..", &sandbox.host_path().join("up"));
    plant_link("../../..", &sandbox.host_path().join("d/up"));
    let name = sandbox.name().to_owned();
    drop(sandbox);
    root.root.remove(&name).unwrap();
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
    assert!(root.root.list().unwrap().is_empty());
}
