//! Files in and out of a session over Socket.IO (`upload`, `read-file`,
//! `download`), and pictures (`show`, `plt.show()`), against the real
//! server, as the browser terminal uses them and as an attacker would.

mod common;

use base64::Engine as _;
use common::server::Server;
use common::terminal::Terminal;
use serde_json::{Value, json};

/// What the browser terminal says it can do.
fn browser() -> Option<Value> {
    Some(json!({ "features": ["inline-images", "downloads"] }))
}

/// The base64 payloads of the inline pictures in `output`.
fn pictures(output: &str) -> Vec<Vec<u8>> {
    output
        .split("\x1b]1337;File=")
        .skip(1)
        .filter_map(|rest| {
            let (header, data) = rest.split_once(':')?;
            assert!(header.contains("inline=1"), "not inline: {header}");
            let data = data.split('\x07').next()?;
            base64::engine::general_purpose::STANDARD.decode(data).ok()
        })
        .collect()
}

#[tokio::test]
async fn uploads_land_in_the_working_directory_in_order() {
    let server = Server::start(&[]).await;
    let mut terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    assert_eq!(terminal.run("mkdir inbox && cd inbox").await.code(), 0);

    let first = json!({ "name": "note.txt", "offset": 0, "data": "hello " });
    assert_eq!(terminal.ask("upload", first).await, json!({ "size": 6 }));
    let second = json!({ "name": "note.txt", "offset": 6, "data": "world\n" });
    assert_eq!(terminal.ask("upload", second).await, json!({ "size": 12 }));
    assert_eq!(terminal.run("cat note.txt").await.stdout, "hello world\n");

    // A piece that does not follow the file is refused, and changes nothing.
    let gap = json!({ "name": "note.txt", "offset": 100, "data": "x" });
    let reply = terminal.ask("upload", gap).await;
    assert!(
        reply["error"].as_str().unwrap().contains("in order"),
        "{reply}"
    );
    // A new first piece starts the file again.
    let again = json!({ "name": "note.txt", "offset": 0, "data": "new\n" });
    assert_eq!(terminal.ask("upload", again).await, json!({ "size": 4 }));
    assert_eq!(terminal.run("cat note.txt").await.stdout, "new\n");
}

#[tokio::test]
async fn upload_names_are_plain_file_names_and_payloads_are_checked() {
    let server = Server::start(&[]).await;
    let mut terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    assert_eq!(terminal.run("mkdir inbox && cd inbox").await.code(), 0);
    for name in [
        "../escaped.txt",
        "a/b.txt",
        "..",
        "",
        "tab\there",
        "back\\slash",
    ] {
        let piece = json!({ "name": name, "offset": 0, "data": "x" });
        let reply = terminal.ask("upload", piece).await;
        assert!(
            reply["error"]
                .as_str()
                .unwrap()
                .contains("is not a file name"),
            "{name:?}: {reply}"
        );
    }
    for bad in [json!("just text"), json!({ "name": "a.txt" }), json!(42)] {
        let reply = terminal.ask("upload", bad.clone()).await;
        assert!(
            reply["error"].as_str().unwrap().contains("expected"),
            "{bad}: {reply}"
        );
    }
    let too_big = json!({ "name": "big.txt", "offset": 0, "data": "x".repeat(300 * 1024) });
    let reply = terminal.ask("upload", too_big).await;
    assert!(
        reply["error"].as_str().unwrap().contains("at most"),
        "{reply}"
    );
    let listing = terminal.run("ls -a / /inbox").await.stdout;
    assert!(
        !listing.contains("escaped") && !listing.contains("big.txt"),
        "{listing}"
    );
}

#[tokio::test]
async fn an_upload_past_the_disk_quota_is_refused_and_removed() {
    let server = Server::start(&[("SANDBOX_DISK_QUOTA_MB", "1")]).await;
    let mut terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    let piece = "u".repeat(200 * 1024);
    let mut offset = 0;
    let refusal = loop {
        let reply = terminal
            .ask(
                "upload",
                json!({ "name": "huge.bin", "offset": offset, "data": piece }),
            )
            .await;
        match reply["size"].as_u64() {
            Some(size) => offset = size,
            None => break reply,
        }
        assert!(
            offset <= 1 << 20,
            "the upload passed the quota: {offset} bytes"
        );
    };
    let error = refusal["error"].as_str().unwrap();
    assert!(error.contains("No space left on device"), "{refusal}");
    let listing = terminal.run("ls").await;
    assert!(!listing.stdout.contains("huge.bin"), "{listing:?}");
    // The space is given back: a small file still fits.
    assert_eq!(terminal.run("echo fits > small.txt").await.code(), 0);
}

#[tokio::test]
async fn read_file_never_leaves_the_sandbox() {
    let server = Server::start(&[]).await;
    let mut other = Terminal::connect(&server.base, browser()).await.unwrap();
    assert_eq!(other.run("echo secret > mine.txt").await.code(), 0);
    let theirs = format!("../{}/mine.txt", other.user_directory());

    let terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    for path in [theirs.as_str(), "/../../etc/passwd", "../mine.txt"] {
        let reply = terminal
            .ask("read-file", json!({ "path": path, "offset": 0 }))
            .await;
        assert!(
            reply["error"].as_str().unwrap().contains("invalid path"),
            "{path}: {reply}"
        );
    }
    // An absolute path is the sandbox's own.
    let reply = terminal
        .ask("read-file", json!({ "path": "/etc/passwd", "offset": 0 }))
        .await;
    assert!(reply.get("data").is_none(), "{reply}");
    let reply = terminal
        .ask("read-file", json!({ "path": "/", "offset": 0 }))
        .await;
    assert!(reply["error"].is_string(), "{reply}");
    let reply = terminal.ask("read-file", json!({ "offset": 0 })).await;
    assert!(
        reply["error"].as_str().unwrap().contains("expected"),
        "{reply}"
    );
}

#[tokio::test]
async fn download_offers_a_file_to_a_browser_and_explains_itself_elsewhere() {
    let server = Server::start(&[]).await;
    let mut browser_terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    assert_eq!(
        browser_terminal
            .run("mkdir out && seq 3 > out/n.txt")
            .await
            .code(),
        0
    );
    browser_terminal.input("download out/n.txt").await;
    let mut offered = None;
    let transcript = loop {
        let (name, value, _) = browser_terminal.next_event().await.expect("an event");
        match name.as_str() {
            "download" => offered = Some(value),
            "exit" => break value,
            _ => {}
        }
    };
    assert_eq!(transcript["code"], 0);
    assert_eq!(
        offered,
        Some(json!({ "path": "/out/n.txt", "name": "n.txt" }))
    );
    let refused = browser_terminal
        .run("download out; download nothing.txt")
        .await;
    assert!(
        refused.stderr.contains("out: not a regular file"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("No such file"), "{refused:?}");

    let mut plain = Terminal::connect(&server.base, None).await.unwrap();
    assert_eq!(plain.run("echo x > x.txt").await.code(), 0);
    let refused = plain.run("download x.txt").await;
    assert_eq!(refused.code(), 1);
    assert!(refused.stderr.contains("cannot save files"), "{refused:?}");
}

#[tokio::test]
async fn show_sends_pictures_inline_and_refuses_what_is_not_one() {
    let server = Server::start(&[("MAX_OUTPUT_BYTES", "65536")]).await;
    let mut terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    let make = r#"python3 -c "open('dot.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + bytes(range(40))); open('big.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + bytes(60000))""#;
    assert_eq!(terminal.run(make).await.code(), 0);
    let shown = terminal.run("show dot.png").await;
    assert_eq!(shown.code(), 0, "{shown:?}");
    let mut expected = b"\x89PNG\r\n\x1a\n".to_vec();
    expected.extend(0..40u8);
    assert_eq!(pictures(&shown.stdout), vec![expected]);

    let refused = terminal
        .run("echo text > a.txt; show a.txt big.png missing.png")
        .await;
    assert_eq!(refused.code(), 1);
    assert!(refused.stdout.is_empty(), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("a.txt: not a PNG, JPEG, GIF or SVG"),
        "{refused:?}"
    );
    assert!(
        refused.stderr.contains("big.png: 60008 bytes is larger"),
        "{refused:?}"
    );
    assert!(
        refused.stderr.contains("missing.png: No such file"),
        "{refused:?}"
    );

    let mut plain = Terminal::connect(&server.base, None).await.unwrap();
    assert_eq!(plain.run(make).await.code(), 0);
    let refused = plain.run("show dot.png").await;
    assert!(
        refused.stderr.contains("cannot show pictures"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn plt_show_draws_in_a_terminal_that_shows_pictures_and_saves_elsewhere() {
    let server = Server::start(&[]).await;
    let plot = r#"python3 -c "import matplotlib.pyplot as plt; plt.plot([1, 2, 3]); print('before'); plt.show(); print('after')""#;
    let mut terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    let shown = terminal.run(plot).await;
    assert_eq!(shown.code(), 0, "{shown:?}");
    let drawn = pictures(&shown.stdout);
    assert_eq!(drawn.len(), 1, "{:?}", shown.stdout);
    assert!(drawn[0].starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(shown.stdout.starts_with("before\n\x1b]1337;File="));
    assert!(shown.stdout.ends_with("\x07\nafter\n"));
    assert!(!terminal.run("ls").await.stdout.contains("plot.png"));

    let mut plain = Terminal::connect(&server.base, None).await.unwrap();
    let saved = plain.run(plot).await;
    assert_eq!(saved.stdout, "before\nplot.png\nafter\n");
}

#[tokio::test]
async fn ls_links_files_for_the_browser_only_on_the_terminal() {
    let server = Server::start(&[]).await;
    let mut terminal = Terminal::connect(&server.base, browser()).await.unwrap();
    assert_eq!(
        terminal
            .run("mkdir out && echo 1 > 'out/a b.txt' && cd out && mkdir sub")
            .await
            .code(),
        0
    );
    let link = "\x1b]8;;polyrun-file:%2Fout%2Fa%20b%2Etxt\x07a b.txt\x1b]8;;\x07";
    assert_eq!(terminal.run("ls").await.stdout, format!("{link}\nsub\n"));
    let long = terminal.run("ls -l").await.stdout;
    assert!(long.contains(&format!(" {link}\n")), "{long:?}");
    // Into a pipe or a file, names are names.
    assert_eq!(terminal.run("ls | cat").await.stdout, "a b.txt\nsub\n");
    assert_eq!(
        terminal.run("ls > ../listing; cat ../listing").await.stdout,
        "a b.txt\nsub\n"
    );

    let mut plain = Terminal::connect(&server.base, None).await.unwrap();
    assert_eq!(plain.run("echo 1 > f.txt; ls").await.stdout, "f.txt\n");
}
