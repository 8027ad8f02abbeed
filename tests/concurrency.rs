//! Many executions at once: correct, unmixed output; busy guests do not
//! starve others; output streams while the program runs.

mod common;

use std::time::Duration;

use common::{Run, TestRoot};
use polyrun::engine::{Limits, Status, StreamKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_executions_at_once_complete_with_unmixed_output() {
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (language, code) = if i % 2 == 0 {
            (
                "python",
                format!(
                    "import sys\nfor n in range(200):\n    print('run {i} line', n)\n    sys.stderr.write('err {i}\\n')"
                ),
            )
        } else {
            (
                "js",
                format!(
                    "for (let n = 0; n < 200; n++) {{ console.log('run {i} line', n); std.err.puts('err {i}\\n'); }}"
                ),
            )
        };
        tasks.push(tokio::spawn(async move {
            (i, Run::new(language, &code).stdin("ignored").go().await)
        }));
    }
    for task in tasks {
        let (i, outcome) = task.await.unwrap();
        assert_eq!(outcome.status, Status::Ok, "run {i}: {:?}", outcome.message);
        let expected: String = (0..200).map(|n| format!("run {i} line {n}\n")).collect();
        assert_eq!(outcome.stdout_lossy(), expected, "run {i}");
        assert_eq!(
            outcome.stderr_lossy(),
            format!("err {i}\n").repeat(200),
            "run {i}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn busy_guests_do_not_starve_a_quick_one() {
    // More busy guests than there are cores.
    let busy: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(
                Run::new("python", "while True: pass")
                    .limits(Limits {
                        wall_time: Duration::from_secs(4),
                        ..Limits::default()
                    })
                    .go(),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let quick = Run::new("js", "console.log('still served')").go().await;
    assert_eq!(quick.stdout_lossy(), "still served\n");
    assert!(
        busy.iter().all(|b| !b.is_finished()),
        "the quick run had to wait for the busy ones"
    );
    for b in busy {
        assert_eq!(b.await.unwrap().status, Status::Timeout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_arrives_while_the_program_runs() {
    let code = "import time\nprint('first')\ntime.sleep(1.5)\nprint('second')\n";
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let run = tokio::spawn(async move {
        let root = TestRoot::new();
        let sandbox = root.sandbox();
        Run::new("python", code)
            .with_stdin_stream(&sandbox, Box::new(tokio::io::empty()), Some(sender))
            .await
    });
    let first = receiver.recv().await.expect("a first chunk");
    assert_eq!(first.stream, StreamKind::Stdout);
    assert_eq!(&first.data[..], b"first");
    assert!(!run.is_finished(), "output was held back until the end");
    let outcome = run.await.unwrap();
    assert_eq!(outcome.status, Status::Ok);
    assert_eq!(outcome.stdout_lossy(), "first\nsecond\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_run_stops_its_guest() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    // Appends a line every 20 ms, for up to 20 s.
    let code = "import time\nfor i in range(1000):\n    with open('ticks.txt', 'a') as f:\n        f.write('tick\\n')\n    time.sleep(0.02)\n";
    let run =
        Run::new("python", code).with_stdin_stream(&sandbox, Box::new(tokio::io::empty()), None);
    let ticks = || {
        sandbox
            .read_file("ticks.txt", 1 << 30)
            .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
            .unwrap_or(0)
    };
    // Drop the run once it has visibly started, however slow a cold start.
    let started = async {
        while ticks() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        _ = run => panic!("the program finished instead of being dropped"),
        () = started => {}
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after_drop = ticks();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        ticks(),
        after_drop,
        "the guest kept running after its run was dropped"
    );
}
