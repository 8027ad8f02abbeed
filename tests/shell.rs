//! The Socket.IO shell against the real server, with a real Socket.IO
//! client: builtins, syntax, programs, path escapes, interactive input,
//! interrupts, live output and isolation.

mod common;

use std::time::Duration;

use common::plant_link;
use common::server::Server;
use common::terminal::Terminal;
use serde_json::json;

async fn connect(server: &Server) -> Terminal {
    Terminal::connect(&server.base, None)
        .await
        .expect("connects")
}

#[tokio::test]
async fn the_session_event_names_a_fresh_sandbox() {
    let server = Server::start(&[]).await;
    let mut terminal = connect(&server).await;
    let id = terminal.session_id();
    assert_eq!(id.len(), 32, "{}", terminal.session);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    let directory = terminal.user_directory();
    assert!(directory.starts_with("user_"), "{directory}");
    assert!(server.users.path().join(&directory).is_dir());
    assert_eq!(terminal.session["cwd"], "~");
    assert_eq!(terminal.session["resumed"], false);

    let pwd = terminal.run("pwd").await;
    assert_eq!(pwd.stdout, "/\n");
    assert_eq!(pwd.exit["code"], 0);
    assert_eq!(pwd.exit["status"], "ok");
    assert_eq!(pwd.exit["cwd"], "~");
    assert!(pwd.exit["durationMs"].is_u64());
}

/// Runs each line and checks its stdout, in order.
async fn expect_stdout(t: &mut Terminal, cases: &[(&str, &str)]) {
    for (line, stdout) in cases {
        let transcript = t.run(line).await;
        assert_eq!(transcript.stdout, *stdout, "{line}: {transcript:?}");
    }
}

/// Runs each line and checks it fails with `message` in its stderr.
async fn expect_failure(t: &mut Terminal, cases: &[(&str, &str)]) {
    for (line, message) in cases {
        let transcript = t.run(line).await;
        assert_ne!(transcript.code(), 0, "{line}: {transcript:?}");
        assert!(
            transcript.stderr.contains(message),
            "{line}: {transcript:?}"
        );
    }
}

#[tokio::test]
async fn every_builtin() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    expect_stdout(
        &mut t,
        &[
            ("echo hello   world", "hello world\n"),
            ("echo -n no newline", "no newline"),
            ("mkdir -p src/deep/er && mkdir docs", ""),
            ("touch a.txt src/b.txt", ""),
            ("ls", "a.txt\ndocs\nsrc\n"),
            ("echo secret > .hidden; ls", "a.txt\ndocs\nsrc\n"),
            ("ls -a", ".hidden\na.txt\ndocs\nsrc\n"),
            ("cd src/deep; pwd", "/src/deep\n"),
            ("cd; pwd", "/\n"),
            (
                "echo one > lines.txt; echo two >> lines.txt; echo three >> lines.txt",
                "",
            ),
            ("cat lines.txt", "one\ntwo\nthree\n"),
            ("head -n 2 lines.txt", "one\ntwo\n"),
            ("head -1 lines.txt", "one\n"),
            ("tail -n 2 lines.txt", "two\nthree\n"),
            ("wc -l lines.txt", "3 lines.txt\n"),
            ("wc lines.txt", " 3  3 14 lines.txt\n"),
            ("cp lines.txt copy.txt && cat copy.txt", "one\ntwo\nthree\n"),
            ("cp lines.txt docs && ls docs", "lines.txt\n"),
            ("cp -r src src2 && ls src2/deep", "er\n"),
            (
                "mv copy.txt moved.txt && cat moved.txt",
                "one\ntwo\nthree\n",
            ),
            ("mv moved.txt docs && ls docs", "lines.txt\nmoved.txt\n"),
            ("rmdir src/deep/er && ls src/deep", ""),
            ("rm -r src && rm a.txt && ls", "docs\nlines.txt\nsrc2\n"),
            ("rm -f not-there", ""),
        ],
    )
    .await;
    expect_failure(
        &mut t,
        &[
            (
                "mkdir docs",
                "mkdir: cannot create directory 'docs': File exists",
            ),
            ("cd nowhere", "cd: nowhere: No such file or directory"),
            ("cd lines.txt", "cd: lines.txt: Not a directory"),
            ("cat nope.txt", "cat: nope.txt: No such file or directory"),
            ("cat moved.txt", "No such file"),
            ("cp src2 elsewhere", "-r not specified"),
            ("rmdir src2", "Directory not empty"),
            ("rm src2", "Is a directory"),
            ("rm -rf /", "refusing: it is your home directory"),
            ("rmdir ..", "refusing: it is your home directory"),
            ("ls -z", "ls: invalid option -- 'z'"),
        ],
    )
    .await;
    assert_eq!(t.run("ls").await.stdout, "docs\nlines.txt\nsrc2\n");

    let long = t.run("ls -l src2").await.stdout;
    let rows: Vec<&str> = long.lines().collect();
    assert_eq!(rows.len(), 2, "{long}");
    assert!(
        rows[0].starts_with("- ") && rows[0].ends_with(" b.txt"),
        "{long}"
    );
    assert!(
        rows[1].starts_with("d ") && rows[1].ends_with(" deep"),
        "{long}"
    );
    let cd = t.run("cd src2/deep").await;
    assert_eq!(cd.exit["cwd"], "~/src2/deep");
    t.run("cd ~").await;

    let clear = t.run("clear").await;
    assert!(clear.stdout.contains("\x1b[2J"), "{clear:?}");
    let help = t.run("help").await.stdout;
    for word in ["ls", "python3", "g++", "Ctrl-C"] {
        assert!(help.contains(word), "help lacks {word}: {help}");
    }
    let env = t.run("env").await.stdout;
    assert!(env.contains("HOME=/\n") && env.contains("PWD=/\n"), "{env}");
    let history = t.run("history").await.stdout;
    assert!(history.contains("    1  echo hello   world\n"), "{history}");
    assert!(history.trim_end().ends_with("history"), "{history}");
}

#[tokio::test]
async fn quoting_variables_pipes_redirections_and_lists() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;

    let quoted = t
        .run(r#"echo 'single  $HOME' "double  $HOME" back\ slash "a\"b""#)
        .await;
    assert_eq!(quoted.stdout, "single  $HOME double  / back slash a\"b\n");
    t.run("mkdir d; cd d").await;
    assert_eq!(t.run("echo $PWD ${HOME}x ~").await.stdout, "/d /x /\n");
    assert_eq!(t.run("false; echo $?").await.stdout, "1\n");
    t.run("cd ~").await;

    assert_eq!(t.run("echo a && echo b").await.stdout, "a\nb\n");
    assert_eq!(t.run("false && echo never").await.stdout, "");
    assert_eq!(t.run("false || echo rescued").await.stdout, "rescued\n");
    assert_eq!(
        t.run("true || echo never; echo after").await.stdout,
        "after\n"
    );
    assert_eq!(t.run("false && echo x || echo y").await.stdout, "y\n");

    t.run("echo 'b\na\nc' > letters.txt").await;
    assert_eq!(
        t.run("cat letters.txt | head -n 2 | tail -n 1")
            .await
            .stdout,
        "a\n"
    );
    assert_eq!(t.run("cat letters.txt | wc -l").await.stdout, "3\n");
    assert_eq!(t.run("wc -l < letters.txt").await.stdout, "3\n");
    let piped_python = t
        .run("cat letters.txt | python3 -c \"import sys; print(sorted(sys.stdin.read().split()))\"")
        .await;
    assert_eq!(piped_python.stdout, "['a', 'b', 'c']\n");

    let both = t
        .run("python3 -c \"import sys; print('out'); print('err', file=sys.stderr)\" > both.txt 2>&1")
        .await;
    assert_eq!((both.stdout.as_str(), both.stderr.as_str()), ("", ""));
    assert_eq!(t.run("cat both.txt").await.stdout, "out\nerr\n");
    let split = t
        .run("python3 -c \"import sys; print('out'); print('err', file=sys.stderr)\" 2> err.txt")
        .await;
    assert_eq!(
        (split.stdout.as_str(), split.stderr.as_str()),
        ("out\n", "")
    );
    assert_eq!(t.run("cat err.txt").await.stdout, "err\n");
    let missing_input = t.run("cat < missing.txt").await;
    assert_eq!(missing_input.code(), 1);
    assert!(
        missing_input.stderr.contains("missing.txt: No such file"),
        "{missing_input:?}"
    );

    for (line, message) in [
        (
            "echo 'open",
            "polyrun: syntax error: unexpected end of line while looking for matching `''\n",
        ),
        ("| ls", "polyrun: syntax error: near unexpected token `|'\n"),
        ("ls &&", "polyrun: syntax error: unexpected end of line\n"),
    ] {
        let error = t.run(line).await;
        assert_eq!(error.stderr, message, "{line}");
        assert_eq!(error.exit["status"], "syntax_error");
        assert_eq!(error.code(), 2);
    }
    let unknown = t.run("frobnicate --now").await;
    assert_eq!(unknown.stderr, "frobnicate: command not found\n");
    assert_eq!(unknown.code(), 127);
}

#[tokio::test]
async fn forbidden_commands_are_security_violations() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    for command in [
        "sudo ls",
        "curl http://example.com",
        "chmod 777 x",
        "echo hi | nc host 1",
    ] {
        let refused = t.run(command).await;
        let name = command
            .split(' ')
            .find(|w| ["sudo", "curl", "chmod", "nc"].contains(w))
            .unwrap();
        assert!(
            refused
                .stderr
                .contains(&format!("security violation: '{name}' is not allowed")),
            "{command}: {refused:?}"
        );
        assert_eq!(refused.exit["status"], "forbidden");
        assert_eq!(refused.code(), 126);
    }
    // Each is a security event in the log, naming the session.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = server.logged("security violation: forbidden command");
    let commands: Vec<&str> = events
        .iter()
        .filter_map(|e| e["command"].as_str())
        .collect();
    assert_eq!(commands, ["sudo", "curl", "chmod", "nc"], "{events:?}");
    assert_eq!(events[0]["level"], "WARN");
    assert_eq!(events[0]["user_directory"], t.user_directory().as_str());
    let prefix = &t.session_id()[..8];
    assert_eq!(events[0]["session"], format!("{prefix}…").as_str());
}

#[tokio::test]
async fn paths_never_leave_the_sandbox() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    let root = t.run("cd ..").await;
    assert_eq!((root.code(), root.exit["cwd"].as_str()), (0, Some("~")));
    assert_eq!(t.run("cd ../../..; pwd").await.stdout, "/\n");
    assert_eq!(t.run("cd /; pwd").await.stdout, "/\n");
    t.run("mkdir sub").await;
    assert_eq!(t.run("cd sub/../../../sub; pwd").await.stdout, "/sub\n");
    t.run("cd ~").await;

    // `..` names resolve inside the sandbox: another user's directory or the
    // host's files are not reachable by climbing.
    t.run("echo mine > file.txt").await;
    let climb = t.run("cat ../../../../etc/passwd").await;
    assert!(climb.stderr.contains("No such file"), "{climb:?}");
    let neighbour = format!("cat ../{}/file.txt", t.user_directory());
    assert_eq!(t.run(&neighbour).await.stdout, "");
    assert_eq!(t.run("ls /").await.stdout, "file.txt\nsub\n");

    // A program cannot plant symlinks that lead out (EPERM)…
    let refused = t
        .run("python3 -c \"import os; os.symlink('../../../../../../etc', 'out')\"")
        .await;
    assert!(refused.stderr.contains("PermissionError"), "{refused:?}");
    // …and where such links exist anyway (put there on the host), the
    // shell never follows them.
    let sandbox = server.users.path().join(t.user_directory());
    plant_link("../../../../../../etc", &sandbox.join("out"));
    plant_link("..", &sandbox.join("up"));
    for line in [
        "cat out/passwd",
        "cd out",
        "ls out/",
        "cat up/file.txt",
        "cp out/passwd stolen",
        "cat < out/passwd",
    ] {
        let refused = t.run(line).await;
        assert_ne!(refused.code(), 0, "{line}: {refused:?}");
        assert!(!refused.stdout.contains("root:"), "{line}: {refused:?}");
    }
    let listing = t.run("ls -l").await.stdout;
    assert!(
        listing.contains("out -> ../../../../../../etc"),
        "{listing}"
    );
    assert_eq!(t.run("rm out up && ls").await.stdout, "file.txt\nsub\n");
    // Removing a link removed only the link.
    assert!(server.users.path().exists());
}

#[cfg(unix)]
#[tokio::test]
async fn host_planted_absolute_symlinks_are_not_followed() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    let sandbox = server.users.path().join(t.user_directory());
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "host secret").unwrap();
    std::os::unix::fs::symlink(outside.path(), sandbox.join("link")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), sandbox.join("file")).unwrap();
    for line in [
        "cat link/secret.txt",
        "cat file",
        "cd link",
        "head file",
        "cp file copy",
        "rm -r link/secret.txt",
    ] {
        let refused = t.run(line).await;
        assert_ne!(refused.code(), 0, "{line}: {refused:?}");
        assert!(
            !refused.stdout.contains("host secret"),
            "{line}: {refused:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret.txt")).unwrap(),
        "host secret"
    );
    assert_eq!(t.run("rm -r link file").await.code(), 0);
    assert!(outside.path().join("secret.txt").exists());
}

#[tokio::test]
async fn programs_run_in_the_engine_from_the_shell() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    assert_eq!(t.run("python3 -c \"print(6*7)\"").await.stdout, "42\n");
    assert_eq!(
        t.run("node -e \"console.log([1,2].map(x => x * 2))\"")
            .await
            .stdout,
        "[ 2, 4 ]\n"
    );
    t.run("mkdir app && cd app").await;
    t.run("echo 'import sys; print(\"args\", sys.argv[1:])' > main.py")
        .await;
    assert_eq!(
        t.run("python3 main.py a 'b c'").await.stdout,
        "args ['a', 'b c']\n"
    );
    // Programs start in the shell's working directory.
    t.run("echo here > data.txt").await;
    let python_cwd = t
        .run(r#"python3 -c "import os; print(os.getcwd(), open('data.txt').read().strip())""#)
        .await;
    assert_eq!(python_cwd.stdout, "/app here\n", "{python_cwd:?}");
    let node_cwd = t
        .run(r#"node -e "console.log(process.cwd(), require('fs').readFileSync('data.txt', 'utf8').trim())""#)
        .await;
    assert_eq!(node_cwd.stdout, "/app here\n", "{node_cwd:?}");
    t.run(r#"echo '#include <stdio.h>
int main(void) { char s[16] = {0}; FILE *f = fopen("data.txt", "r"); if (!f) return 9; fgets(s, sizeof s, f); printf("c %s", s); return 0; }' > cwd.c"#)
        .await;
    let c_cwd = t.run("gcc cwd.c -o cwd && ./cwd").await;
    assert_eq!(c_cwd.stdout, "c here\n", "{c_cwd:?}");
    t.run("echo 'const n: number = 5; console.log(`ts ${n}`)' > main.ts")
        .await;
    assert_eq!(t.run("tsx main.ts").await.stdout, "ts 5\n");
    assert_eq!(t.run("tsc main.ts && node main.js").await.stdout, "ts 5\n");
    t.run("echo '#include <stdio.h>\nint main(int c, char **v) { printf(\"c %d %s\\n\", c, v[1]); return 3; }' > m.c")
        .await;
    let c = t.run("gcc m.c -o m && ./m arg").await;
    assert_eq!(c.stdout, "c 2 arg\n");
    assert_eq!(c.code(), 3);
    let failed = t.run("python3 -c \"raise SystemExit('bye')\"").await;
    assert_eq!((failed.code(), failed.stderr.as_str()), (1, "bye\n"));
    let compile_error = t
        .run("echo 'int main() { return x; }' > bad.cpp && g++ bad.cpp")
        .await;
    assert_eq!(compile_error.exit["status"], "compile_error");
    assert!(
        compile_error.stderr.contains("bad.cpp:1:21: error"),
        "{compile_error:?}"
    );
    let bad_flag = t.run("g++ -fplugin=evil.so m.c").await;
    assert_eq!(bad_flag.code(), 1);
    assert!(bad_flag.stderr.contains("-fplugin"), "{bad_flag:?}");
    // A program sees the terminal as one, and a pipe or a file as not.
    let tty = "python3 -c \"import sys; print(sys.stdout.isatty(), sys.stderr.isatty())\"";
    assert_eq!(t.run(tty).await.stdout, "True True\n");
    assert_eq!(t.run(&format!("{tty} | cat")).await.stdout, "False True\n");
    t.run(&format!("{tty} > tty.txt")).await;
    assert_eq!(t.run("cat tty.txt").await.stdout, "False True\n");
    let c_tty = "echo '#include <unistd.h>\n#include <stdio.h>\nint main(void) { printf(\"%d\\n\", isatty(1)); }' > tty.c";
    t.run(c_tty).await;
    assert_eq!(t.run("gcc tty.c -o tty && ./tty").await.stdout, "1\n");
    let not_wasm = t.run("./main.py").await;
    assert_ne!(not_wasm.code(), 0);
    assert!(
        not_wasm.stderr.contains("Exec format error"),
        "{not_wasm:?}"
    );
}

#[tokio::test]
async fn interactive_programs_read_input_events() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.run("echo 'name = input(\"name? \")\nprint(\"hello\", name)' > ask.py")
        .await;
    t.input("python3 ask.py").await;
    let (event, prompt, _) = t.next_event().await.unwrap();
    assert_eq!(
        (event.as_str(), prompt.as_str()),
        ("output-success", Some("name? "))
    );
    t.input("Ada").await;
    let answered = t.until_exit().await;
    assert_eq!(answered.stdout, "hello Ada\n");
    assert_eq!(answered.code(), 0);

    t.run("echo '#include <iostream>\nint main() { int a, b; std::cin >> a >> b; std::cout << a + b << std::endl; }' > add.cpp && g++ add.cpp -o add")
        .await;
    t.input("./add").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.input("2 40").await;
    assert_eq!(t.until_exit().await.stdout, "42\n");
}

#[tokio::test]
async fn interrupt_stops_a_running_program_with_130() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.input("python3 -c \"print('looping', flush=True)\nwhile True: pass\"")
        .await;
    let (event, text, _) = t.next_event().await.unwrap();
    assert_eq!(
        (event.as_str(), text.as_str()),
        ("output-success", Some("looping\n"))
    );
    t.emit("interrupt", json!(null)).await;
    let stopped = t.until_exit().await;
    assert_eq!(stopped.code(), 130);
    assert_eq!(stopped.exit["status"], "interrupted");
    assert_eq!(t.run("echo $?").await.stdout, "130\n");
    // The shell is usable again at once.
    assert_eq!(t.run("echo ready").await.stdout, "ready\n");
}

#[tokio::test]
async fn output_arrives_while_the_program_runs() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.input(
        "python3 -c \"import time\nfor i in range(3):\n    print('tick', i)\n    time.sleep(1)\"",
    )
    .await;
    // When each line was complete (however the output was split into events).
    let mut text = String::new();
    let mut completed = Vec::new();
    loop {
        let (event, value, at) = t.next_event().await.unwrap();
        match event.as_str() {
            "output-success" => {
                text.push_str(value.as_str().unwrap());
                while completed.len() < text.matches('\n').count() {
                    completed.push(at);
                }
            }
            "exit" => {
                completed.push(at);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(text, "tick 0\ntick 1\ntick 2\n");
    let first_to_exit = completed[3] - completed[0];
    assert!(
        first_to_exit >= Duration::from_millis(1500),
        "the first line came only {first_to_exit:?} before the end"
    );
}

#[tokio::test]
async fn the_run_event_runs_code_in_the_session_sandbox() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.run("echo data > input.txt").await;
    t.emit(
        "run",
        json!({
            "language": "python",
            "code": "import sys\nprint(open('/input.txt').read().strip(), sys.argv[1:], input())",
            "stdin": "typed",
            "args": ["x"],
        }),
    )
    .await;
    let ran = t.until_exit().await;
    assert_eq!(ran.stdout, "data ['x'] typed\n");
    assert_eq!(ran.code(), 0);

    t.emit("run", json!({"language": "c++", "code": "#include <iostream>\nint main() { std::string s; std::cin >> s; std::cout << \"got \" << s << std::endl; }"}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    t.input("word").await;
    assert_eq!(t.until_exit().await.stdout, "got word\n");

    t.emit("run", json!({"language": "cobol", "code": "x"}))
        .await;
    let (event, message, _) = t.next_event().await.unwrap();
    assert_eq!(event, "output-error");
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("unknown language 'cobol'"),
        "{message}"
    );
    t.emit("run", json!({"language": "python"})).await;
    let (event, message, _) = t.next_event().await.unwrap();
    assert_eq!(event, "output-error");
    assert!(
        message.as_str().unwrap().contains("missing field `code`"),
        "{message}"
    );
}

#[tokio::test]
async fn oversized_and_malformed_messages_are_refused_not_run() {
    let server = Server::start(&[("MAX_CODE_SIZE", "1000")]).await;
    let mut t = connect(&server).await;
    let huge = format!("echo {}", "x".repeat(2000));
    t.input(&huge).await;
    let (event, message, _) = t.next_event().await.unwrap();
    assert_eq!(event, "output-error");
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("MAX_CODE_SIZE (1000 bytes)"),
        "{message}"
    );
    t.emit("input", json!({"not": "a string"})).await;
    let (event, message, _) = t.next_event().await.unwrap();
    assert_eq!(
        (event.as_str(), message.as_str()),
        ("output-error", Some("input: expected a string\n"))
    );
    t.emit(
        "run",
        json!({"language": "python", "code": "#".repeat(2000)}),
    )
    .await;
    let (event, message, _) = t.next_event().await.unwrap();
    assert_eq!(event, "output-error");
    assert!(
        message.as_str().unwrap().contains("MAX_CODE_SIZE"),
        "{message}"
    );
    // Nothing ran, and the connection still works.
    assert_eq!(t.run("history").await.stdout, "    1  history\n");
}

#[tokio::test]
async fn two_sessions_cannot_see_each_other() {
    let server = Server::start(&[]).await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    assert_ne!(alice.user_directory(), bob.user_directory());
    alice.run("echo alice-secret > secret.txt").await;
    assert_eq!(bob.run("ls").await.stdout, "");
    let path = format!("/{}/secret.txt", alice.user_directory());
    assert!(
        bob.run(&format!("cat {path}"))
            .await
            .stderr
            .contains("No such file")
    );
    assert!(
        bob.run(&format!("cat ../{}/secret.txt", alice.user_directory()))
            .await
            .stderr
            .contains("No such file")
    );
    let python = bob
        .run(&format!(
            "python3 -c \"import os; print(os.listdir('/'), os.path.exists('/../{}'))\"",
            alice.user_directory()
        ))
        .await;
    assert_eq!(python.stdout, "[] False\n");
    assert_eq!(alice.run("cat secret.txt").await.stdout, "alice-secret\n");
}

#[tokio::test]
async fn a_flood_of_output_arrives_whole_up_to_the_output_limit() {
    let server = Server::start(&[("MAX_OUTPUT_BYTES", "300000")]).await;
    let mut t = connect(&server).await;
    // Every line, in order, with nothing lost between the engine and the socket.
    let lines = t
        .run("python3 -c \"for i in range(20000): print(i)\"")
        .await;
    let expected: String = (0..20000).map(|i| format!("{i}\n")).collect();
    assert_eq!(lines.stdout.len(), expected.len());
    assert!(lines.stdout == expected, "output was reordered or lost");
    // Past the limit the program is stopped and the first bytes are kept.
    let flood = t.run("python3 -c \"while True: print('y' * 999)\"").await;
    assert_eq!(flood.exit["status"], "output_limit", "{:?}", flood.exit);
    assert_eq!(flood.stdout.len(), 300000);
    assert!(flood.stdout.bytes().all(|b| b == b'y' || b == b'\n'));
    assert!(flood.stderr.contains("output limit"), "{}", flood.stderr);
}

#[tokio::test]
async fn python3_alone_is_an_interactive_interpreter() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    assert_eq!(t.run("python3 --version").await.stdout, "Python 3.15.0\n");
    t.input("python3").await;
    t.input("answer = 6 * 7").await;
    t.input("def double(n):").await;
    t.input("    return 2 * n").await;
    t.input("").await;
    t.input("double(answer)").await;
    t.input("exit()").await;
    let session = t.until_exit().await;
    assert_eq!(session.code(), 0, "{session:?}");
    assert!(session.stdout.contains(">>> "), "{session:?}");
    assert!(session.stdout.contains("... "), "{session:?}");
    assert!(session.stdout.contains("84\n"), "{session:?}");
    assert!(session.stderr.contains("Python 3.15.0"), "{session:?}");
    assert_eq!(t.run("echo after").await.stdout, "after\n");
    // A module run as the program, fed by a pipe; at the terminal,
    // json.tool colours its output as CPython 3.15 does at a real one.
    assert_eq!(
        t.run("echo '{\"b\": [1, 2]}' | python3 -m json.tool --compact | cat")
            .await
            .stdout,
        "{\"b\":[1,2]}\n"
    );
    let coloured = t.run("echo '[1]' | python3 -m json.tool --compact").await;
    assert_eq!(coloured.stdout, "[\u{1b}[33m1\u{1b}[0m]\n", "{coloured:?}");
}

#[tokio::test]
async fn globs_match_over_the_sandbox_and_stay_as_typed_without_a_match() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.run(
        "mkdir -p src/deep && touch a.py b.py c.txt .hidden.py src/x.py src/deep/y.py 'sp ace.py'",
    )
    .await;
    expect_stdout(
        &mut t,
        &[
            ("echo *.py", "a.py b.py sp ace.py\n"),
            ("echo ?.py", "a.py b.py\n"),
            ("echo [ab].py [!a].txt", "a.py b.py c.txt\n"),
            ("echo .*.py", ".hidden.py\n"),
            ("echo src/*.py */deep/*.py", "src/x.py src/deep/y.py\n"),
            ("echo /src/*", "/src/deep /src/x.py\n"),
            ("echo *.rs", "*.rs\n"),
            ("echo '*.py' \"*.py\" \\*.py", "*.py *.py *.py\n"),
            ("cd src && echo ../*.txt", "../c.txt\n"),
        ],
    )
    .await;
    // Each match is one argument, spaces and all.
    let cat = t.run("cd ~ && echo hi > 'sp ace.py' && cat sp*").await;
    assert_eq!(cat.stdout, "hi\n", "{cat:?}");
    let missing = t.run("cat *.none").await;
    assert!(
        missing.stderr.contains("*.none: No such file or directory"),
        "{missing:?}"
    );
}

#[tokio::test]
async fn variables_export_and_command_substitution() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    expect_stdout(
        &mut t,
        &[
            ("X=1; echo $X ${X}", "1 1\n"),
            ("unset X; echo [$X]", "[]\n"),
            ("echo $(echo 'a   b') \"$(echo 'a   b')\"", "a b a   b\n"),
            ("echo n=$(true; echo 3)", "n=3\n"),
            ("echo $(echo $(echo nested))", "nested\n"),
            ("mkdir d && cd d && echo $(pwd)", "/d\n"),
            ("cd - && cd -", "/\n/d\n"),
            ("cat <<< 'here string'", "here string\n"),
            ("Z=word; cat <<< $Z", "word\n"),
        ],
    )
    .await;
    // Exported variables and command assignments reach programs.
    let programs = t
        .run("export GREETING=hello; N=5 python3 -c \"import os; print(os.environ['GREETING'], os.environ['N'])\"; node -e 'console.log(process.env.GREETING, process.env.N)'")
        .await;
    assert_eq!(
        programs.stdout, "hello 5\nhello undefined\n",
        "{programs:?}"
    );
    let env = t.run("A=only-here env").await;
    assert!(env.stdout.contains("A=only-here\n"), "{env:?}");
    assert!(env.stdout.contains("GREETING=hello\n"), "{env:?}");
    assert!(!t.run("env").await.stdout.contains("A=only-here"));
    expect_failure(
        &mut t,
        &[
            ("PWD=/x", "PWD: readonly variable"),
            ("export 1X=2", "not a valid identifier"),
            (
                "echo $(echo $(echo $(echo $(echo $(echo $(echo $(echo $(echo $(echo deep)))))))))",
                "nested too deeply",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn exit_ends_the_session_and_its_sandbox() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    let id = t.session_id();
    let directory = server.users.path().join(t.user_directory());
    t.input("echo bye; exit 3; echo never").await;
    let ended = t.until_exit().await;
    assert_eq!(ended.stdout, "bye\n", "{ended:?}");
    assert_eq!(ended.code(), 3, "{ended:?}");
    assert!(ended.stderr.contains("logout"), "{ended:?}");
    // It cannot be resumed: resuming starts a new session.
    let again = Terminal::connect(&server.base, Some(json!({ "sessionId": id })))
        .await
        .expect("connects");
    assert_ne!(again.session_id(), id);
    assert_eq!(again.session["resumed"], false);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while directory.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!directory.exists(), "the sandbox was not removed");
}

#[tokio::test]
async fn pipes_stream_between_stages_running_at_once() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    // An endless producer: the reader's end stops it at once.
    let started = std::time::Instant::now();
    let head = t
        .run("python3 -c \"while True: print('y')\" | head -n 3")
        .await;
    assert_eq!(head.stdout, "y\ny\ny\n", "{head:?}");
    assert_eq!(head.code(), 0, "{head:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // More than the output limit flows through a pipe whole: nothing
    // holds it at once.
    let make = t
        .run("python3 -c \"open('big.txt', 'w').write('line\\n' * 3_000_000)\"")
        .await;
    assert_eq!(make.code(), 0, "{make:?}");
    expect_stdout(
        &mut t,
        &[
            ("cat big.txt | wc -l", "3000000\n"),
            ("cat big.txt | cat | cat | wc -c", "15000000\n"),
            (
                "echo 1 2 3 | python3 -c \"import sys; print(sum(map(int, sys.stdin.read().split())))\" | cat",
                "6\n",
            ),
            (
                "echo hi | node -e \"process.stdin.on('data', d => process.stdout.write(d.toString().toUpperCase()))\" | cat",
                "HI\n",
            ),
            ("cat big.txt | head -n 2 | wc -l", "2\n"),
        ],
    )
    .await;
}

#[tokio::test]
async fn node_alone_is_a_repl_that_prints_values_as_node_does() {
    let server = Server::start(&[]).await;
    let mut t = connect(&server).await;
    t.input("node").await;
    for line in [
        "let answer = 6 * 7",
        "function double(n) {",
        "  return 2 * n;",
        "}",
        "double(answer)",
        "({ a: [1, 'x'], m: new Map([[1, 2]]) })",
        "'text'",
        "{ b: 1 }",
        "nope",
        ".exit",
    ] {
        t.input(line).await;
    }
    let session = t.until_exit().await;
    assert_eq!(session.code(), 0, "{session:?}");
    let stdout = &session.stdout;
    for expected in [
        "Welcome to JavaScript on QuickJS",
        "> undefined\n",
        "... ... undefined\n",
        "> 84\n",
        "> { a: [ 1, 'x' ], m: Map(1) { 1 => 2 } }\n",
        "> 'text'\n",
        "> { b: 1 }\n",
        "> Uncaught ReferenceError: nope is not defined\n",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in {session:?}");
    }
    // With input piped in, it is a program, not a REPL.
    let piped = t.run("echo 'console.log(1 + 2)' | node").await;
    assert_eq!(
        piped.stdout, "3\n",
        "a program piped in still runs: {piped:?}"
    );
}

#[tokio::test]
async fn a_repl_s_time_limit_applies_to_each_evaluation_not_to_waiting() {
    let server = Server::start(&[("CODE_EXECUTION_TIMEOUT", "1500")]).await;
    let mut t = connect(&server).await;
    for (program, busy, done) in [
        ("node", "while (true) {}", "'still here'"),
        ("python3", "while True: pass", "'still here'"),
    ] {
        t.input(program).await;
        // Idle for longer than the limit: waiting for input does not count.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        t.input(done).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        // An evaluation that runs past the limit ends the REPL with the limit
        // (the empty line ends Python's compound statement).
        t.input(busy).await;
        t.input("").await;
        let session = t.until_exit().await;
        assert!(
            session.stdout.contains("'still here'"),
            "{program}: {session:?}"
        );
        assert_eq!(session.exit["status"], "timeout", "{program}: {session:?}");
    }
}
