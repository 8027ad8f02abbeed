// Vocabulary-type failures: std::bad_function_call, std::bad_optional_access,
// std::bad_variant_access, std::bad_any_cast, std::bad_cast (dynamic_cast
// to a reference), std::bad_weak_ptr and std::bad_alloc from a huge
// operator new[]. Each is caught both by its own type and via its base.
#include <any>
#include <cassert>
#include <functional>
#include <iostream>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <typeinfo>
#include <variant>
#include <vector>

struct Animal {
    virtual ~Animal() = default;
    virtual std::string sound() const = 0;
};
struct Dog : Animal {
    std::string sound() const override { return "woof"; }
};
struct Cat : Animal {
    std::string sound() const override { return "meow"; }
};

int score = 0;

void check_function() {
    std::function<int(int)> f;
    std::cout << "empty function is " << (f ? "set" : "empty") << '\n';
    try {
        f(1);
    } catch (const std::bad_function_call&) {
        std::cout << "calling empty std::function -> bad_function_call\n";
        ++score;
    }
    f = [](int x) { return x * x; };
    std::cout << "after assignment f(9) = " << f(9) << '\n';
    f = nullptr;
    try {
        f(2);
    } catch (const std::exception&) {
        std::cout << "reset function -> caught via std::exception\n";
        ++score;
    }
}

std::optional<int> find_even(const std::vector<int>& v) {
    for (int x : v)
        if (x % 2 == 0) return x;
    return std::nullopt;
}

void check_optional() {
    auto a = find_even({1, 3, 8, 5});
    auto b = find_even({1, 3, 5});
    std::cout << "a has value " << a.has_value() << ", value " << a.value() << '\n';
    std::cout << "b.value_or(-1) = " << b.value_or(-1) << '\n';
    try {
        std::cout << b.value() << '\n';
    } catch (const std::bad_optional_access&) {
        std::cout << "b.value() -> bad_optional_access\n";
        ++score;
    }
    std::optional<std::string> s;
    try {
        s.value() += "x";
    } catch (const std::exception&) {
        std::cout << "optional<string>.value() -> caught via std::exception\n";
        ++score;
    }
}

void check_variant() {
    std::variant<int, double, std::string> v = 3;
    std::cout << "variant index " << v.index() << ", get<int> = " << std::get<int>(v) << '\n';
    try {
        std::cout << std::get<std::string>(v) << '\n';
    } catch (const std::bad_variant_access&) {
        std::cout << "get<string> on int alternative -> bad_variant_access\n";
        ++score;
    }
    v = std::string("text");
    std::cout << "variant index " << v.index() << ", get<2> = " << std::get<2>(v) << '\n';
    try {
        std::cout << std::get<1>(v) << '\n';
    } catch (const std::exception&) {
        std::cout << "get<1> on string alternative -> caught via std::exception\n";
        ++score;
    }
    std::cout << "get_if<double> is null: " << (std::get_if<double>(&v) == nullptr ? "yes" : "no") << '\n';
}

void check_any() {
    std::any a = 42;
    std::cout << "any holds int: " << (a.type() == typeid(int) ? "yes" : "no")
              << ", value " << std::any_cast<int>(a) << '\n';
    try {
        std::cout << std::any_cast<std::string>(a) << '\n';
    } catch (const std::bad_any_cast&) {
        std::cout << "any_cast<string> on int -> bad_any_cast\n";
        ++score;
    }
    a = std::string("now a string");
    std::cout << "any_cast<string> = " << std::any_cast<std::string>(a) << '\n';
    std::cout << "pointer any_cast<int> is null: " << (std::any_cast<int>(&a) == nullptr ? "yes" : "no")
              << '\n';
    a.reset();
    try {
        (void)std::any_cast<double>(a);
    } catch (const std::bad_cast&) {
        std::cout << "any_cast on empty any -> caught as std::bad_cast (base)\n";
        ++score;
    }
}

void check_dynamic_cast() {
    Dog d;
    Animal& ref = d;
    Dog& asDog = dynamic_cast<Dog&>(ref);
    std::cout << "dynamic_cast<Dog&> ok: " << asDog.sound() << '\n';
    std::cout << "dynamic_cast<Cat*> is null: " << (dynamic_cast<Cat*>(&ref) == nullptr ? "yes" : "no")
              << '\n';
    try {
        Cat& c = dynamic_cast<Cat&>(ref);
        std::cout << c.sound() << '\n';
    } catch (const std::bad_cast&) {
        std::cout << "dynamic_cast<Cat&> -> bad_cast\n";
        ++score;
    }
}

void check_weak_ptr() {
    std::weak_ptr<int> w;
    {
        auto sp = std::make_shared<int>(5);
        w = sp;
        std::cout << "weak_ptr expired inside scope: " << (w.expired() ? "yes" : "no") << '\n';
    }
    std::cout << "weak_ptr expired after scope: " << (w.expired() ? "yes" : "no") << '\n';
    try {
        std::shared_ptr<int> sp(w);
        std::cout << *sp << '\n';
    } catch (const std::bad_weak_ptr&) {
        std::cout << "shared_ptr from expired weak_ptr -> bad_weak_ptr\n";
        ++score;
    }
}

// Volatile so the compiler can neither fold the size nor elide the
// allocation; the request is far beyond any 32- or 64-bit address space.
volatile std::size_t huge_request = static_cast<std::size_t>(-1) - 4096;
char* volatile sink = nullptr;

void check_bad_alloc() {
    try {
        sink = new char[huge_request];
        sink[0] = 1;
        std::cout << "allocation unexpectedly succeeded\n";
        delete[] sink;
    } catch (const std::bad_alloc&) {
        std::cout << "new char[SIZE_MAX - 4096] -> bad_alloc\n";
        ++score;
    }
    sink = new (std::nothrow) char[huge_request];
    std::cout << "nothrow new returned null: " << (sink == nullptr ? "yes" : "no") << '\n';
    delete[] sink;
}

int main() {
    check_function();
    check_optional();
    check_variant();
    check_any();
    check_dynamic_cast();
    check_weak_ptr();
    check_bad_alloc();
    std::cout << "score = " << score << " / 11\n";
    assert(score == 11);
    return 0;
}
