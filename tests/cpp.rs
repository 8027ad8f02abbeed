//! C++ compiled by the clang module inside the sandbox and run in wasmtime.

mod common;

use common::{Run, TestRoot, assert_output};
use polyrun::engine::{Limits, Status};

#[tokio::test]
async fn stl_templates_lambdas_algorithms_and_string_streams() {
    let code = r#"
#include <algorithm>
#include <iostream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

template <typename T>
T sum_of(const std::vector<T>& values) { return std::accumulate(values.begin(), values.end(), T{}); }

int main() {
    std::vector<int> v{5, 3, 9, 1, 7};
    std::sort(v.begin(), v.end(), [](int a, int b) { return a > b; });
    for (int x : v) std::cout << x << ' ';
    std::cout << "| sum " << sum_of(v) << '\n';

    std::map<std::string, int> counts;
    std::istringstream words("b a c a b a");
    for (std::string w; words >> w;) counts[w]++;
    for (const auto& [word, n] : counts) std::cout << word << '=' << n << ' ';
    std::cout << '\n';

    std::unordered_map<int, std::set<int>> groups;
    for (int i = 0; i < 10; i++) groups[i % 3].insert(i);
    std::ostringstream out;
    out << "group1:";
    for (int x : groups[1]) out << ' ' << x;
    std::cout << out.str() << '\n';
    auto it = std::find_if(v.begin(), v.end(), [](int x) { return x % 3 == 0; });
    std::cout << "first multiple of 3: " << *it << std::endl;
}
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_output(
        &outcome,
        "9 7 5 3 1 | sum 25\na=3 b=2 c=1 \ngroup1: 1 4 7\nfirst multiple of 3: 9\n",
    );
}

#[tokio::test]
async fn bits_stdcpp_and_reading_all_of_stdin_with_cin() {
    let code = r#"
#include <bits/stdc++.h>
using namespace std;
int main() {
    ios::sync_with_stdio(false);
    long long total = 0, n = 0;
    string line;
    while (getline(cin, line)) {
        istringstream in(line);
        for (long long x; in >> x;) { total += x; n++; }
    }
    cout << n << " numbers, total " << total << "\n";
}
"#;
    let mut input = String::new();
    for i in 1..=1000 {
        input.push_str(&format!("{i}{}", if i % 10 == 0 { "\n" } else { " " }));
    }
    let outcome = Run::new("cpp", code).stdin(&input).go().await;
    assert_output(&outcome, "1000 numbers, total 500500\n");
}

#[tokio::test]
async fn deep_recursion_fits_in_the_8_mib_stack() {
    // 100,000 frames with a 32-byte array each: ~4 MiB of C stack, far past
    // wasm-ld's 64 KiB default.
    let code = r#"
#include <cstdio>
int depth(int n) { volatile char pad[32]; pad[0] = (char)n; return n == 0 ? 0 : 1 + depth(n - 1) + pad[0] * 0; }
int main() { std::printf("%d\n", depth(100000)); }
"#;
    assert_output(&Run::new("c++", code).go().await, "100000\n");
}

#[tokio::test]
async fn stack_overflow_is_a_runtime_error() {
    let code = r#"
#include <cstdio>
int down(int n) { volatile char pad[1024]; pad[0] = (char)n; return down(n + 1) + pad[0]; }
int main() { std::puts("start"); return down(0); }
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_eq!(
        outcome.status,
        Status::RuntimeError,
        "{:?}",
        outcome.message
    );
    assert_eq!(outcome.stdout_lossy(), "start\n");
}

/// A vector of a type defined further down compiles with g++ but not with
/// libc++ in C++20 mode: the error says how to proceed, and -std=c++17
/// compiles it.
#[tokio::test]
async fn an_incomplete_element_type_gets_a_hint_and_compiles_as_cpp17() {
    let code = r#"
#include <iostream>
#include <vector>
struct Edge;
struct Graph {
    std::vector<Edge> edges;
    Graph() {}
};
struct Edge { int to; };
int main() { Graph g; g.edges.push_back({3}); std::cout << g.edges.size() << "\n"; }
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_eq!(outcome.status, Status::CompileError);
    assert!(
        outcome.compile_output.contains("incomplete type")
            && outcome.compile_output.contains("compile with -std=c++17"),
        "{}",
        outcome.compile_output
    );
    let outcome = Run::new("c++", code).flags(&["-std=c++17"]).go().await;
    assert_output(&outcome, "1\n");
}

#[tokio::test]
async fn compile_errors_carry_clangs_diagnostics_without_colour() {
    let code = "#include <iostream>\nint main() {\n    std::cout << undefined_name;\n}\n";
    let outcome = Run::new("c++", code).go().await;
    assert_eq!(outcome.status, Status::CompileError);
    assert!(
        outcome
            .compile_output
            .contains("main.cpp:3:18: error: use of undeclared identifier 'undefined_name'"),
        "{}",
        outcome.compile_output
    );
    assert!(!outcome.compile_output.contains('\x1b'));
    assert!(outcome.stdout.is_empty() && outcome.stderr.is_empty());
}

#[tokio::test]
async fn warnings_are_reported_beside_a_successful_run() {
    let code = "#include <cstdio>\nint main() { int unused; std::puts(\"ok\"); }\n";
    let outcome = Run::new("c++", code).flags(&["-Wall"]).go().await;
    assert_output(&outcome, "ok\n");
    assert!(
        outcome
            .compile_output
            .contains("warning: unused variable 'unused'"),
        "{}",
        outcome.compile_output
    );
}

#[tokio::test]
async fn allowed_flags_apply_and_others_are_refused() {
    let code =
        "#include <cstdio>\nint main() { std::printf(\"%d %ld\\n\", VALUE, __cplusplus); }\n";
    let outcome = Run::new("c++", code)
        .flags(&["-DVALUE=7", "-std=c++17", "-O0"])
        .go()
        .await;
    assert_output(&outcome, "7 201703\n");

    for flag in [
        "-Xclang",
        "-fplugin=/tmp/x.so",
        "-mllvm",
        "-Wl,--export-all",
        "-I/etc",
        "-include/etc/passwd",
    ] {
        let outcome = Run::new("c++", code).flags(&[flag]).go().await;
        assert_eq!(outcome.status, Status::CompileError, "{flag}");
        assert!(
            outcome.compile_output.contains("is not allowed"),
            "{flag}: {}",
            outcome.compile_output
        );
    }
}

#[tokio::test]
async fn the_compiler_cannot_read_host_files() {
    for include in [
        "/etc/passwd",
        "../../../../etc/passwd",
        "/proc/self/environ",
    ] {
        let code = format!("#include \"{include}\"\nint main() {{}}\n");
        let outcome = Run::new("c++", &code).go().await;
        assert_eq!(outcome.status, Status::CompileError, "{include}");
        let diagnostics = &outcome.compile_output;
        assert!(
            diagnostics.contains("file not found") || diagnostics.contains("cannot open file"),
            "{diagnostics}"
        );
        assert!(!outcome.compile_output.contains("root:"));
    }
}

#[tokio::test]
async fn local_headers_and_the_binary_live_in_the_sandbox() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    sandbox
        .write_file("lib/util.h", b"inline int twice(int x) { return 2 * x; }\n")
        .unwrap();
    let code = "#include <iostream>\n#include \"lib/util.h\"\nint main() { std::cout << twice(21) << '\\n'; }\n";
    let outcome = Run::new("c++", code).in_sandbox(&sandbox).await;
    assert_output(&outcome, "42\n");
    let binary = sandbox.read_file("main", 1 << 30).unwrap();
    assert_eq!(&binary[..4], b"\0asm");
}

#[tokio::test]
async fn the_same_program_twice_gives_the_same_result() {
    let code =
        "#include <iostream>\nint main() { int x; std::cin >> x; std::cout << x * x << '\\n'; }\n";
    assert_output(&Run::new("c++", code).stdin("12").go().await, "144\n");
    // The second compile comes from the cache; it must still write the
    // binary into the new sandbox and read its own stdin.
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    assert_output(
        &Run::new("c++", code).stdin("13").in_sandbox(&sandbox).await,
        "169\n",
    );
    assert!(sandbox.exists("main"));
}

#[tokio::test]
async fn an_infinite_loop_is_stopped() {
    let code = "int main() { volatile unsigned long n = 0; for (;;) n++; }\n";
    let outcome = Run::new("c++", code)
        .limits(Limits {
            wall_time: std::time::Duration::from_secs(1),
            ..Limits::default()
        })
        .go()
        .await;
    assert_eq!(outcome.status, Status::Timeout);
    let outcome = Run::new("c++", code)
        .limits(Limits {
            fuel: 10_000_000,
            ..Limits::default()
        })
        .go()
        .await;
    assert_eq!(outcome.status, Status::FuelExhausted);
}

/// What a sandbox cannot have says why: a thread does not start (with a
/// line saying so, then the `std::system_error` libc++ throws, named as g++
/// names it), and the file system is the sandbox's alone.
#[tokio::test]
async fn threads_and_outside_paths_say_why_they_fail() {
    let code = r#"
#include <filesystem>
#include <iostream>
#include <system_error>
#include <thread>
int main() {
    try {
        std::thread worker([] { std::cout << "never\n"; });
        worker.join();
    } catch (const std::system_error&) {
        std::cout << "no thread\n";
    }
    try {
        for (auto& entry : std::filesystem::directory_iterator("/etc")) std::cout << entry.path() << '\n';
    } catch (const std::filesystem::filesystem_error&) {
        std::cout << "no /etc\n";
    }
    std::thread uncaught([] {});
}
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_eq!(outcome.stdout_lossy(), "no thread\nno /etc\n");
    assert_eq!(outcome.exit_code, Some(134));
    let stderr = outcome.stderr_lossy();
    assert!(
        stderr.starts_with(
            "polyrun: a thread cannot start: a WebAssembly sandbox runs each program on one thread"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("terminate called after throwing an instance of 'std::system_error'\n"),
        "{stderr}"
    );
}

/// Flags that match a precompiled header (`-std=c++17`, or the defaults
/// spelled out) compile with it: a header built for other flags would be
/// a compile error, so these compiles show each variant fits its programs.
#[tokio::test]
async fn standard_flags_compile_with_their_precompiled_headers() {
    let stdcxx = r#"
#include <bits/stdc++.h>
using namespace std;
int main() {
    map<string, int> ages{{"ada", 36}, {"alan", 41}};
    if (auto it = ages.find("ada"); it != ages.end()) cout << it->first << ' ' << it->second << '\n';
    cout << __cplusplus << '\n';
}
"#;
    let cxx17 = Run::new("c++", stdcxx)
        .flags(&["-O2", "-std=c++17"])
        .go()
        .await;
    assert_output(&cxx17, "ada 36\n201703\n");
    let cxx20 = Run::new("c++", stdcxx)
        .flags(&["-O2", "-std=c++20", "-Wall"])
        .go()
        .await;
    assert_output(&cxx20, "ada 36\n202002\n");
    let common = "#include <iostream>\n#include <tuple>\nint main() { auto [a, b] = std::tuple(3, 4); std::cout << a * b << '\\n'; }\n";
    let outcome = Run::new("c++", common).flags(&["-std=c++1z"]).go().await;
    assert_output(&outcome, "12\n");
}

#[tokio::test]
async fn execution_policies_run_sequentially() {
    let code = r#"
#include <algorithm>
#include <execution>
#include <iostream>
#include <numeric>
#include <vector>
int main() {
    std::vector<long long> v(100000);
    std::iota(v.begin(), v.end(), 1);
    std::reverse(v.begin(), v.end());
    std::sort(std::execution::par_unseq, v.begin(), v.end());
    long long sum = std::reduce(std::execution::par, v.begin(), v.end(), 0LL);
    std::for_each(std::execution::par_unseq, v.begin(), v.end(), [](long long& x) { x *= 2; });
    long long squares = std::transform_reduce(std::execution::seq, v.begin(), v.begin() + 10, 0LL,
        std::plus<>(), [](long long x) { return x * x; });
    std::cout << v.front() << ' ' << v.back() << ' ' << sum << ' ' << squares << '\n';
}
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_output(&outcome, "2 200000 5000050000 1540\n");
}
