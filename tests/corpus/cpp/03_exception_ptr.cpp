// std::exception_ptr: capture exceptions with std::current_exception, store
// them, move them between "tasks", and rethrow later with
// std::rethrow_exception. Also std::make_exception_ptr and a simple
// promise/future-like result type built on top of exception_ptr.
#include <cassert>
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

struct TaskError : std::runtime_error {
    int task_id;
    TaskError(int id, const std::string& msg) : std::runtime_error(msg), task_id(id) {}
};

template <typename T>
class Result {
    bool has_value_ = false;
    T value_{};
    std::exception_ptr error_;

public:
    void set_value(T v) {
        value_ = std::move(v);
        has_value_ = true;
    }
    void set_exception(std::exception_ptr p) { error_ = std::move(p); }
    bool ok() const { return has_value_; }
    T get() const {
        if (error_) std::rethrow_exception(error_);
        return value_;
    }
};

template <typename F>
auto run_task(F f) -> Result<decltype(f())> {
    Result<decltype(f())> r;
    try {
        r.set_value(f());
    } catch (...) {
        r.set_exception(std::current_exception());
    }
    return r;
}

int checked_div(int a, int b) {
    if (b == 0) throw std::domain_error("division by zero");
    return a / b;
}

int main() {
    // Empty exception_ptr compares equal to nullptr and is false.
    std::exception_ptr none;
    std::cout << "default exception_ptr is null: " << (none == nullptr ? "yes" : "no") << '\n';
    std::cout << "current_exception outside handler is null: "
              << (std::current_exception() == nullptr ? "yes" : "no") << '\n';

    std::vector<std::function<int()>> tasks = {
        [] { return checked_div(100, 7); },
        [] { return checked_div(1, 0); },
        [] { return std::stoi("12345"); },
        []() -> int { throw TaskError(3, "task three failed"); },
        []() -> int { throw 99; },
        [] { return 2 * 21; },
    };

    std::vector<Result<int>> results;
    for (auto& t : tasks) results.push_back(run_task(t));

    int ok = 0, failed = 0, sum = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        std::cout << "task " << i << ": ";
        try {
            int v = results[i].get();
            std::cout << "value " << v << '\n';
            sum += v;
            ++ok;
        } catch (const TaskError& e) {
            std::cout << "TaskError id=" << e.task_id << " msg=" << e.what() << '\n';
            ++failed;
        } catch (const std::domain_error& e) {
            std::cout << "domain_error: " << e.what() << '\n';
            ++failed;
        } catch (int code) {
            std::cout << "int code " << code << '\n';
            ++failed;
        }
    }
    std::cout << "ok=" << ok << " failed=" << failed << " sum=" << sum << '\n';
    assert(ok == 3 && failed == 3 && sum == 14 + 12345 + 42);

    // The same exception_ptr can be rethrown several times.
    std::exception_ptr saved = std::make_exception_ptr(std::runtime_error("saved error"));
    int rethrown = 0;
    for (int i = 0; i < 3; ++i) {
        try {
            std::rethrow_exception(saved);
        } catch (const std::runtime_error& e) {
            ++rethrown;
            std::cout << "rethrow #" << rethrown << ": " << e.what() << '\n';
        }
    }
    assert(rethrown == 3);

    // Capture inside a nested handler, rethrow after the handler has exited.
    std::exception_ptr later;
    try {
        try {
            throw std::invalid_argument("original");
        } catch (...) {
            later = std::current_exception();
        }
    } catch (...) {
        std::cout << "NOT REACHED\n";
    }
    std::cout << "captured non-null: " << (later ? "yes" : "no") << '\n';
    try {
        std::rethrow_exception(later);
    } catch (const std::logic_error& e) {
        std::cout << "rethrown later, caught as logic_error: " << e.what() << '\n';
    }

    // Copies of exception_ptr refer to the same captured exception state.
    std::exception_ptr copy = later;
    std::cout << "copy == original: " << (copy == later ? "yes" : "no") << '\n';
    later = nullptr;
    std::cout << "after reset, original null: " << (later == nullptr ? "yes" : "no")
              << ", copy still set: " << (copy != nullptr ? "yes" : "no") << '\n';
    return 0;
}
