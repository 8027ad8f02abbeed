//! C and C++ programs of several files: every source among `files` (and
//! every source given to the shell's `g++`) is compiled on its own, cached
//! by its own inputs, and linked with the code; a change to one file
//! recompiles that file only.

mod common;

use common::server::Server;
use common::terminal::Terminal;
use serde_json::{Value, json};

/// A solution, its header, and a test file exercising it.
fn project(token: &str, answer: i32) -> Value {
    json!({
        "stack.h": "#pragma once\n#include <vector>\n\
            struct Stack { std::vector<int> items; void push(int x); int pop(); bool empty() const; };\n\
            int answer();\n",
        "stack.cpp": format!("// {token}\n#include \"stack.h\"\n\
            void Stack::push(int x) {{ items.push_back(x); }}\n\
            int Stack::pop() {{ int x = items.back(); items.pop_back(); return x; }}\n\
            bool Stack::empty() const {{ return items.empty(); }}\n\
            int answer() {{ return {answer}; }}\n"),
        "checks.cc": format!("// {token}\n#include \"stack.h\"\n#include <cstdio>\n\
            int check() {{ Stack s; s.push(1); s.push(2); int a = s.pop(); int b = s.pop();\n\
            std::printf(\"popped %d %d, empty %d\\n\", a, b, s.empty()); return a * 10 + b; }}\n"),
        "notes.txt": "not a source",
    })
}

const MAIN: &str = "#include <cstdio>\n#include \"stack.h\"\nint check();\n\
    int main() { std::printf(\"check %d answer %d\\n\", check(), answer()); }\n";

#[tokio::test]
async fn a_three_file_project_links_and_rebuilds_only_what_changed() {
    let server = Server::start(&[]).await;
    let token = format!(
        "{:x}",
        std::process::id() as u64 * 1_000_003 + rand_suffix()
    );
    let run = |files: Value| {
        server.run_wait(
            "cpp",
            json!({"code": format!("// {token}\n{MAIN}"), "files": files}),
        )
    };
    let first = run(project(&token, 42)).await;
    assert_eq!(first["status"], "ok", "{first}");
    assert_eq!(
        first["stdout"], "popped 2 1, empty 1\ncheck 21 answer 42\n",
        "{first}"
    );
    assert_eq!(
        first["compileUnits"],
        json!({"total": 3, "cached": 0}),
        "{first}"
    );
    assert_eq!(first["compileCached"], false, "{first}");

    let again = run(project(&token, 42)).await;
    assert_eq!(again["stdout"], first["stdout"], "{again}");
    assert_eq!(
        again["compileUnits"],
        json!({"total": 3, "cached": 3}),
        "{again}"
    );
    assert_eq!(again["compileCached"], true, "{again}");

    // Only the solution changed: the main and the checks come from the
    // cache.
    let changed = run(project(&token, 7)).await;
    assert_eq!(
        changed["stdout"], "popped 2 1, empty 1\ncheck 21 answer 7\n",
        "{changed}"
    );
    assert_eq!(
        changed["compileUnits"],
        json!({"total": 3, "cached": 2}),
        "{changed}"
    );
    assert_eq!(changed["compileCached"], false, "{changed}");

    // A header all of them include changed: every unit is compiled again.
    let mut files = project(&token, 7);
    files["stack.h"] = json!(format!(
        "{}// changed\n",
        files["stack.h"].as_str().unwrap()
    ));
    let header = run(files).await;
    assert_eq!(
        header["compileUnits"],
        json!({"total": 3, "cached": 0}),
        "{header}"
    );

    // A unit that does not compile is a compile error naming its file.
    let mut files = project(&token, 7);
    files["checks.cc"] = json!("int check() { return missing; }\n");
    let broken = run(files).await;
    assert_eq!(broken["status"], "compile_error", "{broken}");
    assert!(
        broken["compileOutput"]
            .as_str()
            .unwrap_or_default()
            .contains("checks.cc:1:"),
        "{broken}"
    );

    // Two definitions of one function across units: the linker says so.
    let mut files = project(&token, 7);
    files["again.cpp"] = json!("int answer() { return 1; }\n");
    let twice = run(files).await;
    assert_eq!(twice["status"], "compile_error", "{twice}");
    assert!(
        twice["compileOutput"]
            .as_str()
            .unwrap_or_default()
            .contains("duplicate symbol"),
        "{twice}"
    );
}

/// A C program with a C++ file among its sources is linked as C++ (the
/// C++ runtime comes with it), as `g++ main.c helper.cpp` does.
#[tokio::test]
async fn a_c_program_with_a_cpp_unit_links_the_cpp_runtime() {
    let server = Server::start(&[]).await;
    let token = format!("{:x}", rand_suffix());
    let helper = format!(
        "// {token}\n#include <string>\n\
         extern \"C\" int name_length(const char* name) {{ return (int)std::string(name).size(); }}\n"
    );
    let code = format!(
        "// {token}\n#include <stdio.h>\nint name_length(const char*);\n\
         int main(void) {{ printf(\"%d\\n\", name_length(\"polyrun\")); return 0; }}\n"
    );
    let result = server
        .run_wait("c", json!({"code": code, "files": {"helper.cpp": helper}}))
        .await;
    assert_eq!(result["status"], "ok", "{result}");
    assert_eq!(result["stdout"], "7\n", "{result}");
    assert_eq!(
        result["compileUnits"],
        json!({"total": 2, "cached": 0}),
        "{result}"
    );
}

#[tokio::test]
async fn the_shell_s_g_plus_plus_compiles_and_links_several_files() {
    let server = Server::start(&[]).await;
    let mut terminal = Terminal::connect(&server.base, None).await.unwrap();
    let token = format!("{:x}", rand_suffix());
    let files = project(&token, 5);
    let sources = [
        ("stack.h", files["stack.h"].as_str().unwrap()),
        ("stack.cpp", files["stack.cpp"].as_str().unwrap()),
        ("checks.cc", files["checks.cc"].as_str().unwrap()),
        ("main.cpp", MAIN),
    ];
    for (name, content) in sources {
        // One argument per line, each quoted: printf repeats its format.
        let lines: Vec<String> = content
            .lines()
            .map(|line| format!("'{}'", line.replace('\'', "'\\''")))
            .collect();
        let wrote = terminal
            .run(&format!("printf '%s\\n' {} > {name}", lines.join(" ")))
            .await;
        assert_eq!(wrote.code(), 0, "{wrote:?}");
    }
    let built = terminal
        .run("g++ -O1 main.cpp stack.cpp checks.cc -o app")
        .await;
    assert_eq!(built.code(), 0, "{built:?}");
    let ran = terminal.run("./app").await;
    assert_eq!(
        ran.stdout, "popped 2 1, empty 1\ncheck 21 answer 5\n",
        "{ran:?}"
    );
    let missing = terminal.run("g++ main.cpp stack.cpp -o app").await;
    assert_ne!(missing.code(), 0, "check() is missing: {missing:?}");
    assert!(missing.stderr.contains("undefined symbol"), "{missing:?}");
}

/// Differs between test runs, so the cache starts cold for this test.
fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// `COMPILE_TIMEOUT` bounds each compile step: a compile that takes longer
/// is stopped and reported, alone or as one unit of several. (A build of
/// several files is also bounded as a whole, by three steps' time; no
/// test makes units each just under the limit.)
#[tokio::test]
async fn compile_timeout_stops_a_slow_compile_and_a_slow_build() {
    let server = Server::start(&[("COMPILE_TIMEOUT", "400")]).await;
    let token = format!("{:x}", rand_suffix());
    // libc++'s <regex> and <format> at -O2 take seconds to compile.
    let slow = format!(
        "// {token}\n#include <regex>\n#include <format>\n#include <iostream>\n\
         int main() {{ std::regex r(\"(a+)(b*)\"); std::smatch m; std::string s = \"aab\";\n\
         std::regex_search(s, m, r); std::cout << std::format(\"{{}} {{}}\\n\", m[1].str(), m[2].str()); }}\n"
    );
    let result = server
        .run_wait("cpp", json!({"code": slow, "flags": ["-std=c++23"]}))
        .await;
    assert_eq!(result["status"], "compile_error", "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap_or_default()
            .contains("timeout"),
        "{result}"
    );
    let files = json!({"slow.cpp": slow.replace("int main()", "int unused()")});
    let project = server
        .run_wait("cpp", json!({"code": format!("// {token}\nint main() {{}}\n"), "files": files, "flags": ["-std=c++23"]}))
        .await;
    assert_eq!(project["status"], "compile_error", "{project}");
}
