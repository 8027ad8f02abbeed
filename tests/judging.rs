//! Test cases in `POST /run/{language}`: the program runs once per test
//! (compiled once), each test is judged against its expected output with
//! the chosen comparison, and the answer says how many passed.

mod common;

use common::server::Server;
use serde_json::{Value, json};

async fn run(server: &Server, language: &str, body: Value) -> (u16, Value) {
    server
        .post(&format!("/run/{language}?wait=true"), body)
        .await
}

fn verdicts(result: &Value) -> Vec<&str> {
    result["tests"]
        .as_array()
        .unwrap_or_else(|| panic!("no tests in {result}"))
        .iter()
        .map(|test| test["verdict"].as_str().unwrap_or("-"))
        .collect()
}

const SUM_PY: &str = "a, b = map(int, input().split())\nprint(a + b)\n";

#[tokio::test]
async fn each_test_gets_its_own_result_and_verdict() {
    let server = Server::start(&[]).await;
    let (status, result) = run(
        &server,
        "python",
        json!({
            "code": SUM_PY,
            "tests": [
                { "stdin": "1 2", "expectedOutput": "3\n" },
                { "stdin": "10 -4", "expectedOutput": "6   \n\n" },
                { "stdin": "2 2", "expectedOutput": "5" },
                { "stdin": "x y", "expectedOutput": "0" },
                { "stdin": "7 8" },
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(
        verdicts(&result),
        ["accepted", "accepted", "wrong_answer", "runtime_error", "-"]
    );
    let tests = result["tests"].as_array().unwrap();
    assert_eq!(tests[2]["stdout"], "4\n");
    assert!(
        tests[3]["stderr"].as_str().unwrap().contains("ValueError"),
        "{result}"
    );
    assert_eq!(tests[4]["stdout"], "15\n");
    assert_eq!(
        tests[4]["passed"], true,
        "a test with nothing to match passes when it exits cleanly"
    );
    assert_eq!(result["testsPassed"], 3, "{result}");
    assert_eq!(result["success"], false);
    assert_eq!(
        result["status"], "runtime_error",
        "the first test that did not end cleanly"
    );
    assert_eq!(result["stdout"], "", "the run's own output is in its tests");

    // A test without its own stdin reads the run's.
    let (_, shared) = run(
        &server,
        "python",
        json!({ "code": SUM_PY, "stdin": "20 22", "tests": [{ "expectedOutput": "42" }, { "stdin": "1 1", "expectedOutput": "2" }] }),
    )
    .await;
    assert_eq!(verdicts(&shared), ["accepted", "accepted"], "{shared}");
}

#[tokio::test]
async fn a_cpp_program_is_compiled_once_for_all_its_tests() {
    let server = Server::start(&[]).await;
    // A marker makes this source new to the compile cache.
    let code = format!(
        "// {}\n#include <iostream>\nint main(int argc, char** argv) {{ long a, b; std::cin >> a >> b; \
         volatile int spin = 1; if (a < 0) while (spin) {{}} std::cout << a * b << (argc > 1 ? argv[1] : \"\") << std::endl; }}\n",
        std::process::id()
    );
    let tests = json!([
        { "stdin": "6 7", "expectedOutput": "42" },
        { "stdin": "3 3", "expectedOutput": "9!", "args": ["!"] },
        { "stdin": "-1 0", "expectedOutput": "0" },
        { "stdin": "2 5", "expectedOutput": "10" },
    ]);
    let body = json!({ "code": code, "tests": tests, "limits": { "timeoutMs": 1500 } });
    let (status, first) = run(&server, "c++", body.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        verdicts(&first),
        ["accepted", "accepted", "timeout", "accepted"]
    );
    assert_eq!(first["compileCached"], false, "{first}");
    assert_eq!(first["testsPassed"], 3);
    assert_eq!(first["status"], "timeout");

    let (_, second) = run(&server, "c++", body).await;
    assert_eq!(second["compileCached"], true, "{second}");
    assert_eq!(verdicts(&second), verdicts(&first));

    let (status, broken) = run(
        &server,
        "c++",
        json!({ "code": "int main() { return nope; }", "tests": [{ "stdin": "" }, { "stdin": "" }] }),
    )
    .await;
    assert_eq!(status, 200, "{broken}");
    assert_eq!(broken["status"], "compile_error");
    assert!(broken["compileOutput"].as_str().unwrap().contains("nope"));
    assert_eq!(
        broken["tests"],
        json!([]),
        "no test runs after a failed compile"
    );
}

#[tokio::test]
async fn compare_modes_decide_what_matches() {
    let server = Server::start(&[]).await;
    let code = "print(1 / 3, 'a  b')\n";
    let expected = "0.333333 a b";
    let cases = [
        ("exact", "wrong_answer"),
        ("trim-lines", "wrong_answer"),
        ("tokens", "wrong_answer"),
        ("float:1e-6", "accepted"),
    ];
    for (compare, verdict) in cases {
        let (status, result) = run(
            &server,
            "python",
            json!({ "code": code, "compare": compare, "tests": [{ "expectedOutput": expected }] }),
        )
        .await;
        assert_eq!(status, 200, "{result}");
        assert_eq!(verdicts(&result), [verdict], "{compare}: {result}");
    }
    let (_, exact) = run(
        &server,
        "python",
        json!({ "code": "print('x')", "compare": "exact", "tests": [{ "expectedOutput": "x\n" }] }),
    )
    .await;
    assert_eq!(verdicts(&exact), ["accepted"]);
}

#[tokio::test]
async fn tests_are_bounded_and_checked() {
    let server = Server::start(&[]).await;
    let many: Vec<Value> = (0..65).map(|_| json!({ "stdin": "" })).collect();
    let cases = [
        json!({ "code": "print(1)", "tests": many }),
        json!({ "code": "print(1)", "tests": [{}], "compare": "float:99" }),
        json!({ "code": "print(1)", "tests": [{}], "compare": "x".repeat(10_000) }),
        json!({ "code": "print(1)", "tests": [{ "stdin": 5 }] }),
        json!({ "code": "print(1)", "tests": [{ "unknown": true }] }),
        json!({ "code": "print(1)", "tests": [{ "args": vec!["x"; 300] }] }),
    ];
    for body in cases {
        let (status, result) = run(&server, "python", body).await;
        assert_eq!(status, 400, "{result}");
        assert!(
            result["error"]["message"].as_str().unwrap().len() < 500,
            "errors never echo a huge input: {result}"
        );
    }
    // The output limit is shared: 20 tests that each print 1 MiB hold no
    // more than the run's limit together.
    let flood: Vec<Value> = (0..20).map(|_| json!({})).collect();
    let (status, result) = run(
        &server,
        "python",
        json!({ "code": "print('x' * (1 << 20))", "tests": flood, "limits": { "outputBytes": 1_000_000 } }),
    )
    .await;
    assert_eq!(status, 200, "{result}");
    let total: usize = result["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| test["stdout"].as_str().unwrap().len())
        .sum();
    assert!(total <= 1_000_000, "{total}");
    assert!(result["tests"][0]["truncated"].as_bool().unwrap());
}
