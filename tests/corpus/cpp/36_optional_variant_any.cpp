// Vocabulary types: std::optional (monadic-style helpers written by hand,
// value_or, comparisons), std::variant with std::visit and the "overloaded"
// lambda idiom (an expression-tree evaluator and a shape area table), and
// std::any as a heterogeneous property bag.
#include <any>
#include <cassert>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

std::optional<int> parse_int(const std::string& s) {
    if (s.empty()) return std::nullopt;
    int sign = 1;
    std::size_t i = 0;
    if (s[0] == '-') {
        sign = -1;
        i = 1;
    }
    if (i == s.size()) return std::nullopt;
    long long v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
        if (v > 2147483647LL) return std::nullopt;
    }
    return static_cast<int>(sign * v);
}

std::optional<int> safe_div(int a, int b) {
    if (b == 0) return std::nullopt;
    return a / b;
}

template <typename T, typename F>
auto and_then(const std::optional<T>& o, F f) -> decltype(f(*o)) {
    if (o) return f(*o);
    return std::nullopt;
}

// Expression tree with variant nodes.
struct Add;
struct Mul;
struct Neg;
using Expr = std::variant<int, std::shared_ptr<Add>, std::shared_ptr<Mul>, std::shared_ptr<Neg>>;
struct Add {
    Expr l, r;
};
struct Mul {
    Expr l, r;
};
struct Neg {
    Expr e;
};

long long eval(const Expr& e) {
    return std::visit(overloaded{
                          [](int v) -> long long { return v; },
                          [](const std::shared_ptr<Add>& a) { return eval(a->l) + eval(a->r); },
                          [](const std::shared_ptr<Mul>& m) { return eval(m->l) * eval(m->r); },
                          [](const std::shared_ptr<Neg>& n) { return -eval(n->e); },
                      },
                      e);
}

std::string show(const Expr& e) {
    return std::visit(overloaded{
                          [](int v) { return std::to_string(v); },
                          [](const std::shared_ptr<Add>& a) { return "(" + show(a->l) + " + " + show(a->r) + ")"; },
                          [](const std::shared_ptr<Mul>& m) { return show(m->l) + " * " + show(m->r); },
                          [](const std::shared_ptr<Neg>& n) { return "-" + show(n->e); },
                      },
                      e);
}

struct Circle {
    int r;
};
struct Rect {
    int w, h;
};
struct Triangle {
    int b, h;
};
using Shape = std::variant<Circle, Rect, Triangle>;

int main() {
    for (std::string s : {"123", "-45", "", "12a", "-", "99999999999", "2147483647"}) {
        auto v = parse_int(s);
        std::cout << "parse_int(\"" << s << "\") = " << (v ? std::to_string(*v) : std::string("nullopt")) << '\n';
    }
    auto r1 = and_then(parse_int("100"), [](int x) { return safe_div(1000, x); });
    auto r2 = and_then(parse_int("0"), [](int x) { return safe_div(1000, x); });
    auto r3 = and_then(parse_int("x"), [](int x) { return safe_div(1000, x); });
    std::cout << "chains: " << r1.value_or(-1) << ' ' << r2.value_or(-1) << ' ' << r3.value_or(-1) << '\n';
    std::optional<int> a = 5, b, c = 7;
    std::cout << std::boolalpha << "optional compare: a<c " << (a < c) << ", b<a " << (b < a) << ", b==nullopt "
              << (b == std::nullopt) << ", a==5 " << (a == 5) << '\n';
    b.emplace(9);
    a.reset();
    std::cout << "after emplace/reset: a " << a.has_value() << ", b " << *b << '\n';

    // (2 + 3) * -(4 + 5 * 6)
    Expr e = std::make_shared<Mul>(Mul{std::make_shared<Add>(Add{2, 3}),
                                       std::make_shared<Neg>(Neg{std::make_shared<Add>(Add{4, std::make_shared<Mul>(Mul{5, 6})})})});
    std::cout << show(e) << " = " << eval(e) << '\n';
    assert(eval(e) == -170);

    std::vector<Shape> shapes = {Circle{1}, Rect{3, 4}, Triangle{6, 5}, Circle{10}, Rect{7, 7}};
    double total = 0;
    std::cout << std::fixed << std::setprecision(4);
    for (const auto& s : shapes) {
        double area = std::visit(overloaded{
                                     [](const Circle& c) { return 3.141592653589793 * c.r * c.r; },
                                     [](const Rect& r) { return static_cast<double>(r.w * r.h); },
                                     [](const Triangle& t) { return t.b * t.h / 2.0; },
                                 },
                                 s);
        const char* names[] = {"circle", "rect", "triangle"};
        std::cout << std::left << std::setw(9) << names[s.index()] << std::right << std::setw(12) << area << '\n';
        total += area;
    }
    std::cout << "total area " << total << '\n';
    std::cout << std::defaultfloat << std::setprecision(6);
    int circles = 0;
    for (const auto& s : shapes) circles += std::holds_alternative<Circle>(s);
    std::cout << "circles: " << circles << ", variant_size: " << std::variant_size_v<Shape> << '\n';

    // Variant with a monostate and type-changing assignment.
    std::variant<std::monostate, int, std::string> slot;
    std::cout << "slot index " << slot.index();
    slot = 42;
    std::cout << " -> " << slot.index();
    slot = "text";
    std::cout << " -> " << slot.index() << " (" << std::get<std::string>(slot) << ")\n";

    // std::any property bag.
    std::map<std::string, std::any> props;
    props["width"] = 640;
    props["height"] = 480;
    props["title"] = std::string("main window");
    props["ratio"] = 1.5;
    props["visible"] = true;
    props["tags"] = std::vector<std::string>{"ui", "primary"};
    for (const auto& [key, val] : props) {
        std::cout << key << ": ";
        if (auto p = std::any_cast<int>(&val))
            std::cout << "int " << *p;
        else if (auto p = std::any_cast<std::string>(&val))
            std::cout << "string " << *p;
        else if (auto p = std::any_cast<double>(&val))
            std::cout << "double " << *p;
        else if (auto p = std::any_cast<bool>(&val))
            std::cout << "bool " << *p;
        else if (auto p = std::any_cast<std::vector<std::string>>(&val))
            std::cout << "vector of " << p->size() << " strings";
        else
            std::cout << "unknown";
        std::cout << '\n';
    }
    int area = std::any_cast<int>(props["width"]) * std::any_cast<int>(props["height"]);
    std::cout << "pixels " << area << ", has_value(empty any) " << std::any{}.has_value() << '\n';
    return 0;
}
