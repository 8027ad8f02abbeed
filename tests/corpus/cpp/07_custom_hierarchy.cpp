// A custom exception hierarchy (with multiple levels and virtual
// functions), exceptions propagating through deep recursion, catching by
// intermediate base classes, polymorphic rethrow via a virtual raise(),
// and noexcept / std::uncaught_exceptions queries.
#include <cassert>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

class AppError : public std::exception {
protected:
    std::string msg_;

public:
    explicit AppError(std::string m) : msg_(std::move(m)) {}
    const char* what() const noexcept override { return msg_.c_str(); }
    virtual int code() const { return 1; }
    virtual std::string kind() const { return "AppError"; }
    [[noreturn]] virtual void raise() const { throw *this; }
    virtual ~AppError() = default;
};

class IoError : public AppError {
public:
    using AppError::AppError;
    int code() const override { return 10; }
    std::string kind() const override { return "IoError"; }
    [[noreturn]] void raise() const override { throw *this; }
};

class FileNotFound : public IoError {
    std::string path_;

public:
    explicit FileNotFound(std::string path) : IoError("file not found: " + path), path_(std::move(path)) {}
    int code() const override { return 11; }
    std::string kind() const override { return "FileNotFound"; }
    const std::string& path() const { return path_; }
    [[noreturn]] void raise() const override { throw *this; }
};

class MathError : public AppError {
public:
    using AppError::AppError;
    int code() const override { return 20; }
    std::string kind() const override { return "MathError"; }
    [[noreturn]] void raise() const override { throw *this; }
};

class DepthExceeded : public MathError {
public:
    int depth;
    explicit DepthExceeded(int d) : MathError("depth limit hit at " + std::to_string(d)), depth(d) {}
    int code() const override { return 21; }
    std::string kind() const override { return "DepthExceeded"; }
    [[noreturn]] void raise() const override { throw *this; }
};

int frames_unwound = 0;
struct FrameGuard {
    ~FrameGuard() {
        if (std::uncaught_exceptions() > 0) ++frames_unwound;
    }
};

// Recursive Collatz step count that refuses to go deeper than `limit`.
long long recurse(long long n, int depth, int limit) {
    FrameGuard g;
    if (depth > limit) throw DepthExceeded(depth);
    if (n == 1) return 0;
    return 1 + recurse(n % 2 == 0 ? n / 2 : 3 * n + 1, depth + 1, limit);
}

// Mutual recursion: even/odd that throws when it hits a "poisoned" value.
bool is_odd(int n, int poison);
bool is_even(int n, int poison) {
    if (n == poison) throw MathError("poisoned value " + std::to_string(n));
    return n == 0 ? true : is_odd(n - 1, poison);
}
bool is_odd(int n, int poison) {
    if (n == poison) throw MathError("poisoned value " + std::to_string(n));
    return n == 0 ? false : is_even(n - 1, poison);
}

void report(const AppError& e) {
    std::cout << "  [" << e.kind() << " code=" << e.code() << "] " << e.what() << '\n';
}

int main() {
    std::vector<std::unique_ptr<AppError>> errors;
    errors.push_back(std::make_unique<AppError>("generic failure"));
    errors.push_back(std::make_unique<IoError>("disk unplugged"));
    errors.push_back(std::make_unique<FileNotFound>("/etc/missing.conf"));
    errors.push_back(std::make_unique<MathError>("overflow"));
    errors.push_back(std::make_unique<DepthExceeded>(7));

    std::cout << "polymorphic raise():\n";
    int sum_codes = 0;
    for (const auto& err : errors) {
        try {
            err->raise();
        } catch (const FileNotFound& e) {
            std::cout << "  FileNotFound handler, path=" << e.path() << '\n';
            sum_codes += e.code();
        } catch (const IoError& e) {
            std::cout << "  IoError handler:";
            report(e);
            sum_codes += e.code();
        } catch (const DepthExceeded& e) {
            std::cout << "  DepthExceeded handler, depth=" << e.depth << '\n';
            sum_codes += e.code();
        } catch (const AppError& e) {
            std::cout << "  AppError handler:";
            report(e);
            sum_codes += e.code();
        }
    }
    std::cout << "sum of codes = " << sum_codes << '\n';
    assert(sum_codes == 1 + 10 + 11 + 20 + 21);

    std::cout << "recursion:\n";
    std::cout << "  collatz(27, limit 200) = " << recurse(27, 0, 200) << '\n';
    try {
        long long steps = recurse(27, 0, 50);
        std::cout << "  collatz(27, limit 50) = " << steps << '\n';
    } catch (const MathError& e) {
        report(e);
        std::cout << "  frames unwound = " << frames_unwound << '\n';
    }

    frames_unwound = 0;
    try {
        recurse(12345, 0, 3);
        std::cout << "  NOT REACHED\n";
    } catch (const std::exception& e) {
        std::cout << "  caught as std::exception: " << e.what() << ", frames unwound = " << frames_unwound
                  << '\n';
    }

    std::cout << "mutual recursion:\n";
    std::cout << "  is_even(1000, -1) = " << is_even(1000, -1) << '\n';
    std::cout << "  is_odd(777, -1) = " << is_odd(777, -1) << '\n';
    for (int poison : {500, 3, 2001}) {
        try {
            bool r = is_even(2000, poison);
            std::cout << "  is_even(2000, poison " << poison << ") = " << r << '\n';
        } catch (const AppError& e) {
            report(e);
        }
    }

    std::cout << "noexcept queries:\n";
    std::cout << "  what() noexcept: " << noexcept(errors[0]->what()) << '\n';
    std::cout << "  raise() noexcept: " << noexcept(errors[0]->raise()) << '\n';
    std::cout << "  uncaught_exceptions now: " << std::uncaught_exceptions() << '\n';
    return 0;
}
