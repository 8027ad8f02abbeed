//! The shell's utilities against the real server, over Socket.IO, checked
//! against the GNU tools on this machine (coreutils, grep, sed, findutils)
//! run by bash on the same files.

mod common;

use std::path::Path;
use std::time::Duration;

use common::server::Server;
use common::terminal::Terminal;

/// The same files, in the sandbox and in a directory of the host.
const FILES: [(&str, &str); 8] = [
    (
        "words.txt",
        "banana\napple\nCherry\napple\n10 dogs\n9 cats\nbanana split\n",
    ),
    (
        "data.csv",
        "name,age,city\nann,31,oslo\nbob,27,rome\ncid,45,lima\n",
    ),
    ("nums.txt", "10\n2\n33\n2\n-1\n"),
    ("spaced.txt", "a  b   c\n  x y\n"),
    ("src/a.py", "print('a')\n"),
    ("src/b.txt", "no code here\n"),
    ("src/deep/c.py", "print('c')\nx = 1\n"),
    ("old.txt", "one\ntwo\nthree\nfour\nfive\n"),
];

fn write_files(root: &Path) {
    for (name, content) in FILES {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    std::fs::write(root.join("new.txt"), "one\n2\nthree\nfour\nfive\nsix\n").unwrap();
}

/// A terminal whose sandbox holds [`FILES`].
async fn terminal_with_files(server: &Server) -> Terminal {
    let t = Terminal::connect(&server.base, None)
        .await
        .expect("connects");
    write_files(&server.users.path().join(t.user_directory()));
    t
}

/// What bash with the GNU tools prints for `line` in `dir`, and its code.
fn gnu(dir: &Path, line: &str) -> (String, i64) {
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .output()
        .expect("bash runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        i64::from(output.status.code().unwrap_or(-1)),
    )
}

#[tokio::test]
async fn utilities_print_what_the_gnu_tools_print() {
    let server = Server::start(&[]).await;
    let mut t = terminal_with_files(&server).await;
    let native = tempfile::tempdir().unwrap();
    write_files(native.path());
    let lines = [
        "grep apple words.txt",
        "grep -i cherry words.txt",
        "grep -n an words.txt",
        "grep -v an words.txt",
        "grep -c an words.txt",
        "grep -w apple words.txt",
        "grep -E '^(ann|bob),' data.csv",
        "grep 'a\\+n' words.txt",
        "grep 'an\\|og' words.txt",
        "grep -l an words.txt data.csv nums.txt",
        "grep -rn print src | sort",
        "grep nothing words.txt",
        "grep -c a words.txt data.csv",
        "sort words.txt",
        "sort -r words.txt",
        "sort -u words.txt",
        "sort -n nums.txt",
        "sort -rn nums.txt",
        "sort -t, -k2 -n data.csv",
        "sort -t, -k3 data.csv",
        "sort words.txt | uniq -c",
        "sort words.txt | uniq -d",
        "sort words.txt | uniq -u",
        "sort -f words.txt",
        "find src -iname '*.PY' | sort",
        "grep '^*' words.txt",
        "printf '%e|%g|%g|%5s|%-5d|\\n' 1234.5 0.0001 1234.5 ab 42",
        "sed 's/a/A/' words.txt",
        "sed 's/a/A/g' words.txt",
        "sed -n '2,3p' words.txt",
        "sed '/apple/d' words.txt",
        "sed -E 's/([a-z]+),([0-9]+)/\\2:\\1/' data.csv",
        "sed '$d' nums.txt",
        "sed -n '/bob/p' data.csv",
        "sed '2q' words.txt",
        "sed 's/an/[&]/2' words.txt",
        "sed -e 's/a/b/' -e 's/b/c/' words.txt",
        "tr a-z A-Z < words.txt",
        "tr -d aeiou < words.txt",
        "tr -s ' ' < spaced.txt",
        "tr '[:lower:]' '[:upper:]' < data.csv",
        "cut -d, -f1,3 data.csv",
        "cut -d, -f2- data.csv",
        "cut -c1-3 words.txt",
        "seq 5",
        "seq 2 3 11",
        "seq -s, 1 4",
        "seq 1 0.5 3",
        "seq 5 -2 0",
        "printf '%s-%d\\n' a 1 b 2",
        "printf '%5.2f|%-4s|%03d|%+d\\n' 3.14159 ab 7 5",
        "printf '%x %X %o %c %%\\n' 255 255 8 hello",
        "printf 'no newline'",
        "basename /a/b/c.txt .txt",
        "basename /a/b/",
        "dirname /a/b/c.txt",
        "dirname file",
        "find src -name '*.py' | sort",
        "find src -type d | sort",
        "find . -maxdepth 1 -type f | sort",
        "find src -mindepth 2 | sort",
        "ls -R src",
        "echo a b c d e | xargs -n 2 echo",
        "cat nums.txt | xargs echo sum:",
        "cat words.txt | head -n 3 | tr a-z A-Z | sort",
        "grep -v an words.txt | wc -l",
        "date -u +%Y",
    ];
    for line in lines {
        let ours = t.run(line).await;
        let (stdout, code) = gnu(native.path(), line);
        assert_eq!(ours.stdout, stdout, "{line}: {ours:?}");
        assert_eq!(ours.code(), code, "{line}: {ours:?}");
    }
    // diff -u: the same hunks (GNU adds times to the header lines).
    let ours = t.run("diff -u old.txt new.txt").await;
    let (native_diff, code) = gnu(native.path(), "diff -u old.txt new.txt");
    let hunks = |text: &str| text.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(hunks(&ours.stdout), hunks(&native_diff), "{ours:?}");
    assert_eq!(ours.code(), code);
    assert!(
        ours.stdout.starts_with("--- old.txt\n+++ new.txt\n"),
        "{ours:?}"
    );
    assert_eq!(t.run("diff old.txt old.txt").await.code(), 0);
}

#[tokio::test]
async fn files_links_and_the_rest() {
    let server = Server::start(&[]).await;
    let mut t = terminal_with_files(&server).await;
    let tree = t.run("tree src").await;
    assert_eq!(
        tree.stdout, "src\n├── a.py\n├── b.txt\n└── deep\n    └── c.py\n\n1 directory, 3 files\n",
        "{tree:?}"
    );
    let du = t.run("du -s src").await;
    // Apparent sizes of the files (41 bytes), in KiB rounded up.
    assert_eq!(du.stdout, "1\tsrc\n", "{du:?}");
    let stat = t.run("stat words.txt").await;
    assert!(stat.stdout.contains("File: words.txt"), "{stat:?}");
    assert!(stat.stdout.contains("Size: 54 "), "{stat:?}");
    // Links resolve inside the sandbox; leading out is refused when made.
    let link = t.run("ln -s src/deep/c.py c && cat c && realpath c").await;
    assert_eq!(
        link.stdout, "print('c')\nx = 1\n/src/deep/c.py\n",
        "{link:?}"
    );
    let absolute = t
        .run("mkdir -p d && ln -s /words.txt d/w && head -n 1 d/w")
        .await;
    assert_eq!(absolute.stdout, "banana\n", "{absolute:?}");
    for line in [
        "ln -s ../../etc/passwd x",
        "ln -s .. y",
        "cd src && ln -s ../../x z",
    ] {
        let refused = t.run(line).await;
        assert_ne!(refused.code(), 0, "{line}: {refused:?}");
        assert!(
            refused.stderr.contains("outside the sandbox"),
            "{line}: {refused:?}"
        );
    }
    let which = t.run("which grep python3; type sed nothing").await;
    assert_eq!(
        which.stdout,
        "grep: a shell builtin\npython3: a program run in the sandbox\nsed is a shell builtin\n",
        "{which:?}"
    );
    assert_eq!(which.code(), 1);
    let tee = t
        .run("echo hi | tee t1.txt t2.txt && cat t1.txt t2.txt")
        .await;
    assert_eq!(tee.stdout, "hi\nhi\nhi\n", "{tee:?}");
    let help = t.run("help").await;
    for utility in ["grep", "sed", "find", "xargs", "tree", "diff", "ln -s"] {
        assert!(help.stdout.contains(utility), "{utility}: {help:?}");
    }
}

#[tokio::test]
async fn utilities_stop_at_interrupts_limits_and_the_disk_quota() {
    let server = Server::start(&[("SANDBOX_DISK_QUOTA_MB", "1")]).await;
    let mut t = Terminal::connect(&server.base, None)
        .await
        .expect("connects");
    // sleep stops at Ctrl-C.
    t.input("sleep 30").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.emit("interrupt", serde_json::json!(null)).await;
    let slept = t.until_exit().await;
    assert_eq!(slept.code(), 130, "{slept:?}");
    // tee stops at the quota, and what it wrote still counts.
    let full = t.run("seq 1 1000000 | tee big.txt | tail -n 1").await;
    let quota = t.run("seq 1 1000 | tee more.txt > out.txt").await;
    assert!(
        full.stderr.contains("No space left") || quota.stderr.contains("No space left"),
        "{full:?} {quota:?}"
    );
    // An endless producer into grep -m style readers: head stops it.
    let head = t.run("seq 1 100000000 | grep 7 | head -n 2").await;
    assert_eq!(head.stdout, "7\n17\n", "{head:?}");
    // Huge or hostile patterns are refused with a message, not a crash.
    let pattern = "a".repeat(10_000);
    let long = t.run(&format!("grep {pattern} nothing.txt")).await;
    assert_eq!(long.code(), 2, "{long:?}");
    let bad = t.run("grep -E '(' nums.txt").await;
    assert_eq!(bad.code(), 2, "{bad:?}");
    let deep = t.run("echo x | sed 's/x/y'").await;
    assert_ne!(deep.code(), 0, "{deep:?}");
}
