//! C++ exceptions: the runtime polyrun builds (libc++, libc++abi and
//! libunwind with wasm exception handling) against what g++ prints. Every
//! expected output here was produced by native `g++ -std=c++20 -O2`.

mod common;

use common::{Run, TestRoot, assert_output};
use polyrun::engine::{Limits, Status};

/// Typed and base-class handlers, `throw;`, `catch (...)`, destructors run
/// while unwinding, and a function-try-block.
#[tokio::test]
async fn catch_rethrow_and_unwinding_run_as_with_gcc() {
    let code = r#"#include <iostream>
#include <stdexcept>
#include <string>

struct Guard {
    std::string name;
    explicit Guard(std::string n) : name(std::move(n)) { std::cout << "enter " << name << '\n'; }
    ~Guard() { std::cout << "leave " << name << '\n'; }
};

struct ParseError : std::runtime_error {
    int line;
    ParseError(const std::string& what, int line) : std::runtime_error(what), line(line) {}
};

void parse(int depth) {
    Guard guard("level " + std::to_string(depth));
    if (depth == 3) throw ParseError("unexpected token", 42);
    parse(depth + 1);
}

int rethrow_count = 0;
void inspect() {
    try {
        throw 7;
    } catch (int) {
        ++rethrow_count;
        throw;
    }
}

struct Widget {
    int value;
    explicit Widget(int v) try : value(v > 0 ? v : throw std::invalid_argument("negative")) {
    } catch (const std::invalid_argument&) {
        std::cout << "constructor failed\n";
    }
};

int main() {
    try {
        parse(1);
    } catch (const ParseError& e) {
        std::cout << "ParseError at line " << e.line << ": " << e.what() << '\n';
    }
    try {
        parse(1);
    } catch (const std::exception& e) {
        std::cout << "as std::exception: " << e.what() << '\n';
    }
    try {
        inspect();
    } catch (int value) {
        std::cout << "rethrown int " << value << " after " << rethrow_count << " handler\n";
    }
    try {
        throw std::string("a string");
    } catch (...) {
        std::cout << "caught by catch (...)\n";
    }
    try {
        Widget w(-1);
    } catch (const std::invalid_argument&) {
        std::cout << "function-try-block rethrew invalid_argument\n";
    }
    int caught = 0;
    for (int i = 0; i < 5; i++) {
        try {
            if (i % 2) throw std::out_of_range("odd");
            throw std::logic_error("even");
        } catch (const std::out_of_range&) {
            caught += 10;
        } catch (const std::logic_error&) {
            caught += 1;
        }
    }
    std::cout << "caught total " << caught << '\n';
}
"#;
    assert_output(
        &Run::new("c++", code).go().await,
        r#"enter level 1
enter level 2
enter level 3
leave level 3
leave level 2
leave level 1
ParseError at line 42: unexpected token
enter level 1
enter level 2
enter level 3
leave level 3
leave level 2
leave level 1
as std::exception: unexpected token
rethrown int 7 after 1 handler
caught by catch (...)
constructor failed
function-try-block rethrew invalid_argument
caught total 23
"#,
    );
}

/// `std::exception_ptr`, `current_exception`, `rethrow_exception`,
/// `make_exception_ptr`, `throw_with_nested` and `rethrow_if_nested`.
#[tokio::test]
async fn exception_pointers_and_nested_exceptions() {
    let code = r#"#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

void print_nested(const std::exception& e, int level = 0) {
    std::cout << std::string(level * 2, ' ') << e.what() << '\n';
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        print_nested(inner, level + 1);
    }
}

void open_config() {
    try {
        throw std::runtime_error("file not found");
    } catch (...) {
        std::throw_with_nested(std::runtime_error("cannot open config"));
    }
}

void start() {
    try {
        open_config();
    } catch (...) {
        std::throw_with_nested(std::logic_error("cannot start"));
    }
}

int main() {
    std::vector<std::exception_ptr> errors;
    for (int i = 0; i < 3; i++) {
        try {
            if (i == 1) throw std::runtime_error("task " + std::to_string(i) + " failed");
            if (i == 2) throw 99;
        } catch (...) {
            errors.push_back(std::current_exception());
        }
    }
    std::cout << "stored " << errors.size() << " exceptions\n";
    for (auto& error : errors) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            std::cout << "std::exception: " << e.what() << '\n';
        } catch (int value) {
            std::cout << "int: " << value << '\n';
        }
    }
    std::exception_ptr none;
    std::cout << "empty pointer is null: " << (none == nullptr) << '\n';
    try {
        start();
    } catch (const std::exception& e) {
        print_nested(e);
    }
    auto made = std::make_exception_ptr(std::out_of_range("made"));
    try {
        std::rethrow_exception(made);
    } catch (const std::out_of_range& e) {
        std::cout << "make_exception_ptr: " << e.what() << '\n';
    }
}
"#;
    assert_output(
        &Run::new("c++", code).go().await,
        r#"stored 2 exceptions
std::exception: task 1 failed
int: 99
empty pointer is null: 1
cannot start
  cannot open config
    file not found
make_exception_ptr: made
"#,
    );
}

/// What libc++ itself throws reaches the program's handlers.
#[tokio::test]
async fn library_exceptions_are_catchable() {
    let code = r#"#include <any>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

template <typename F>
void attempt(const char* what, F f) {
    try {
        f();
        std::cout << what << ": no exception\n";
    } catch (const std::invalid_argument&) {
        std::cout << what << ": invalid_argument\n";
    } catch (const std::out_of_range&) {
        std::cout << what << ": out_of_range\n";
    } catch (const std::bad_function_call&) {
        std::cout << what << ": bad_function_call\n";
    } catch (const std::bad_optional_access&) {
        std::cout << what << ": bad_optional_access\n";
    } catch (const std::bad_variant_access&) {
        std::cout << what << ": bad_variant_access\n";
    } catch (const std::bad_any_cast&) {
        std::cout << what << ": bad_any_cast\n";
    } catch (const std::exception&) {
        std::cout << what << ": other std::exception\n";
    }
}

int main() {
    attempt("stoi(\"abc\")", [] { (void)std::stoi("abc"); });
    attempt("stoi(\"99999999999\")", [] { (void)std::stoi("99999999999"); });
    attempt("stod(\"\")", [] { (void)std::stod(""); });
    attempt("stoi(\"12\")", [] { (void)std::stoi("12"); });
    attempt("vector::at", [] { std::vector<int> v(3); (void)v.at(3); });
    attempt("map::at", [] { std::map<std::string, int> m{{"a", 1}}; (void)m.at("b"); });
    attempt("string::at", [] { std::string s = "hi"; (void)s.at(5); });
    attempt("string::substr", [] { std::string s = "hi"; (void)s.substr(9); });
    attempt("std::function", [] { std::function<int()> f; (void)f(); });
    attempt("std::function = nullptr", [] { std::function<int()> f = [] { return 1; }; f = nullptr; (void)f(); });
    attempt("optional::value", [] { std::optional<int> o; (void)o.value(); });
    attempt("std::get", [] { std::variant<int, std::string> v = 1; (void)std::get<std::string>(v); });
    attempt("any_cast", [] { std::any a = 1; (void)std::any_cast<std::string>(a); });
    int parsed = 0, rejected = 0;
    for (const char* text : {"10", "x", "20", "", "30", "7y"}) {
        try {
            size_t used = 0;
            int value = std::stoi(text, &used);
            if (text[used] != '\0') throw std::invalid_argument("trailing");
            parsed += value;
        } catch (const std::invalid_argument&) {
            rejected++;
        }
    }
    std::cout << "parsed sum " << parsed << ", rejected " << rejected << '\n';
}
"#;
    assert_output(
        &Run::new("c++", code).go().await,
        r#"stoi("abc"): invalid_argument
stoi("99999999999"): out_of_range
stod(""): invalid_argument
stoi("12"): no exception
vector::at: out_of_range
map::at: out_of_range
string::at: out_of_range
string::substr: out_of_range
std::function: bad_function_call
std::function = nullptr: bad_function_call
optional::value: bad_optional_access
std::get: bad_variant_access
any_cast: bad_any_cast
parsed sum 60, rejected 3
"#,
    );
}

/// 20,000 throws through eight frames each, within the default limits.
#[tokio::test]
async fn twenty_thousand_throw_catch_cycles_within_the_default_limits() {
    let code = r#"#include <iostream>
#include <stdexcept>
#include <string>

struct Counter {
    static inline long destroyed = 0;
    ~Counter() { destroyed++; }
};

int depth_then_throw(int n) {
    Counter c;
    if (n == 0) throw std::runtime_error("bottom");
    return depth_then_throw(n - 1) + 1;
}

int main() {
    long caught = 0;
    for (int i = 0; i < 20000; i++) {
        try {
            depth_then_throw(i % 8);
        } catch (const std::runtime_error& e) {
            caught++;
        }
    }
    std::cout << "caught " << caught << ", destructors " << Counter::destroyed << '\n';
}
"#;
    let outcome = Run::new("c++", code).limits(Limits::default()).go().await;
    assert_output(
        &outcome,
        "caught 20000, destructors 90000
",
    );
}

/// When the memory limit refuses growth, `new` throws `bad_alloc`; the
/// program catches it, frees, and goes on to finish normally.
#[tokio::test]
async fn bad_alloc_is_catchable_under_the_memory_limit() {
    let code = r#"#include <iostream>
#include <new>
#include <vector>

int main() {
    std::vector<char*> blocks;
    size_t total = 0;
    try {
        for (;;) {
            blocks.push_back(new char[1 << 20]);
            blocks.back()[0] = 1;
            total += 1;
        }
    } catch (const std::bad_alloc&) {
        std::cout << "bad_alloc after some MiB: " << (total > 8 ? "yes" : "no") << '\n';
    }
    for (char* block : blocks) delete[] block;
    blocks.clear();
    try {
        // Kept in a volatile global, so the allocation cannot be elided.
        static int* volatile sink;
        sink = new int[size_t(1) << 29];
        std::cout << "2 GiB allocated\n";
    } catch (const std::bad_alloc&) {
        std::cout << "2 GiB refused\n";
    }
    std::vector<int> after(1000, 1);
    long sum = 0;
    for (int x : after) sum += x;
    std::cout << "continued: " << sum << '\n';
}
"#;
    let outcome = Run::new("c++", code)
        .limits(Limits {
            memory_bytes: 64 << 20,
            ..Limits::default()
        })
        .go()
        .await;
    assert_output(
        &outcome,
        "bad_alloc after some MiB: yes\n2 GiB refused\ncontinued: 1000\n",
    );
}

/// An exception nothing catches ends as with g++: its type and `what()`
/// on stderr, then an abort (exit code 134), with what was printed kept.
#[tokio::test]
async fn uncaught_exceptions_terminate_like_gcc() {
    let code = r#"
#include <iostream>
#include <stdexcept>
int main() {
    std::cout << "before\n";
    throw std::invalid_argument("bad input");
}
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_eq!(outcome.exit_code, Some(134));
    assert_eq!(outcome.stdout_lossy(), "before\n");
    assert!(
        outcome.stderr_lossy().starts_with(
            "terminate called after throwing an instance of 'std::invalid_argument'\n  what():  bad input\n"
        ),
        "{}",
        outcome.stderr_lossy()
    );
    let thrown_int = Run::new("c++", "int main() { throw 42; }").go().await;
    assert_eq!(thrown_int.exit_code, Some(134));
    assert!(
        thrown_int
            .stderr_lossy()
            .starts_with("terminate called after throwing an instance of 'int'\n"),
        "{}",
        thrown_int.stderr_lossy()
    );
}

/// An exception leaving a `noexcept` function calls std::terminate even
/// though `main` would catch it; `std::terminate()` with none active says so.
#[tokio::test]
async fn exceptions_escaping_noexcept_and_bare_terminate_abort() {
    let code = r#"
#include <iostream>
#include <stdexcept>
void promise() noexcept { throw std::runtime_error("broken promise"); }
int main() {
    try {
        promise();
    } catch (...) {
        std::cout << "unreachable\n";
    }
}
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_eq!(outcome.exit_code, Some(134));
    assert_eq!(outcome.stdout_lossy(), "");
    assert!(
        outcome.stderr_lossy().starts_with(
            "terminate called after throwing an instance of 'std::runtime_error'\n  what():  broken promise\n"
        ),
        "{}",
        outcome.stderr_lossy()
    );
    let bare = Run::new(
        "c++",
        "#include <exception>\nint main() { std::terminate(); }",
    )
    .go()
    .await;
    assert_eq!(bare.exit_code, Some(134));
    assert!(
        bare.stderr_lossy()
            .starts_with("terminate called without an active exception\n"),
        "{}",
        bare.stderr_lossy()
    );
}

/// A throw before `main` (a static initializer) is also an abort, with a
/// message that says where it came from.
#[tokio::test]
async fn an_exception_from_a_static_initializer_aborts() {
    let code = r#"
#include <stdexcept>
struct Config { Config() { throw std::runtime_error("no config"); } };
Config config;
int main() { return 0; }
"#;
    let outcome = Run::new("c++", code).go().await;
    assert_eq!(outcome.status, Status::RuntimeError);
    assert_eq!(outcome.exit_code, Some(134));
    assert!(
        outcome
            .stderr_lossy()
            .contains("terminate called after throwing an exception"),
        "{}",
        outcome.stderr_lossy()
    );
}

/// C++ programs carry the exception tag; C programs are built without
/// exception handling, so they pay nothing for it.
#[tokio::test]
async fn only_cpp_programs_are_built_with_exception_handling() {
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    let c = Run::new("c", "int main(void) { return 0; }")
        .in_sandbox(&sandbox)
        .await;
    assert_eq!(c.status, Status::Ok, "{}", c.compile_output);
    let c_wasm = sandbox.read_file("main", 64 << 20).expect("C program");
    assert!(
        !uses_exceptions(&c_wasm),
        "the C program has exception tags"
    );

    let cpp = Run::new("c++", "int main() { try { throw 1; } catch (int) {} }")
        .in_sandbox(&sandbox)
        .await;
    assert_eq!(cpp.status, Status::Ok, "{}", cpp.compile_output);
    let cpp_wasm = sandbox.read_file("main", 64 << 20).expect("C++ program");
    assert!(
        uses_exceptions(&cpp_wasm),
        "the C++ program has no exception tag"
    );
}

/// Whether a module has a tag section (id 13): the exception tag C++
/// throws with is defined in the program itself.
fn uses_exceptions(wasm: &[u8]) -> bool {
    let mut at = 8; // magic and version
    while at < wasm.len() {
        let id = wasm[at];
        let (size, read) = leb128(&wasm[at + 1..]);
        if id == 13 {
            return true;
        }
        at += 1 + read + size;
    }
    false
}

/// An unsigned LEB128 number and how many bytes it took.
fn leb128(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    for (index, byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return (value, index + 1);
        }
    }
    panic!("malformed section size");
}
