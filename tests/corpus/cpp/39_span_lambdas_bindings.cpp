// std::span views over arrays and vectors (subspan, first, last, fixed
// extent), structured bindings (arrays, pairs, tuples, structs, map
// iteration), and lambdas: captures by value / reference / init-capture,
// mutable lambdas, generic and template lambdas, recursive lambdas via a
// self parameter, immediately-invoked lambdas, std::function callbacks and
// returning closures from functions.
#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <span>
#include <string>
#include <tuple>
#include <vector>

long long sum_span(std::span<const int> s) {
    return std::accumulate(s.begin(), s.end(), 0LL);
}

void scale(std::span<int> s, int k) {
    for (int& x : s) x *= k;
}

double mean3(std::span<const double, 3> s) { return (s[0] + s[1] + s[2]) / 3; }

struct Point {
    int x, y;
};

std::tuple<int, int, int> divmod_and_sign(int a, int b) {
    return {a / b, a % b, (a < 0) != (b < 0) ? -1 : 1};
}

std::function<int(int)> make_adder(int n) {
    return [n](int x) { return x + n; };
}

auto make_counter() {
    return [count = 0]() mutable { return ++count; };
}

int main() {
    int raw[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    std::vector<int> vec(raw, raw + 10);
    std::array<int, 4> arr = {100, 200, 300, 400};
    std::cout << "sum raw " << sum_span(raw) << ", vec " << sum_span(vec) << ", array " << sum_span(arr) << '\n';
    std::span<int> all(vec);
    std::cout << "first(3) " << sum_span(all.first(3)) << ", last(2) " << sum_span(all.last(2)) << ", subspan(4,3) "
              << sum_span(all.subspan(4, 3)) << ", size " << all.size() << '\n';
    scale(all.subspan(5), 10);
    std::cout << "after scaling tail:";
    for (int x : vec) std::cout << ' ' << x;
    std::cout << '\n';
    double triple[] = {1.5, 2.5, 5.0};
    std::cout << "mean3 = " << mean3(triple) << '\n';
    std::span<const int, 4> fixed(arr);
    std::cout << "fixed extent " << fixed.extent << ", back " << fixed.back() << '\n';

    // Structured bindings.
    auto [q, r, sign] = divmod_and_sign(-17, 5);
    std::cout << "divmod(-17,5): q=" << q << " r=" << r << " sign=" << sign << '\n';
    Point p{3, -4};
    auto& [px, py] = p;
    px *= 2;
    std::cout << "point now (" << p.x << ", " << py << ")\n";
    int coords[3] = {7, 8, 9};
    auto [cx, cy, cz] = coords;
    std::cout << "array binding " << cx + cy + cz << '\n';
    std::map<std::string, std::pair<int, int>> scores = {{"ann", {3, 1}}, {"ben", {2, 2}}, {"cat", {0, 5}}};
    for (const auto& [name, rec] : scores) {
        const auto& [won, lost] = rec;
        std::cout << "  " << name << ": " << won << "-" << lost << " points " << won * 3 << '\n';
    }
    if (auto [it, inserted] = scores.insert({"ann", {9, 9}}); !inserted)
        std::cout << "ann already present with " << it->second.first << " wins\n";

    // Captures.
    int base = 10;
    auto by_value = [base](int x) { return x + base; };
    auto by_ref = [&base](int x) { return x + base; };
    base = 100;
    std::cout << "by value " << by_value(1) << ", by reference " << by_ref(1) << '\n';
    auto counter = make_counter();
    counter();
    counter();
    std::cout << "counter third call " << counter() << '\n';
    auto add5 = make_adder(5);
    std::cout << "adder " << add5(37) << '\n';
    auto moved = [s = std::string("init-capture")]() { return s.size(); };
    std::cout << "init capture size " << moved() << '\n';

    // Generic and template lambdas.
    auto twice = [](auto f, auto x) { return f(f(x)); };
    std::cout << "twice(+3, 1) = " << twice([](int v) { return v + 3; }, 1)
              << ", twice(str+!, hi) = " << twice([](std::string s) { return s + "!"; }, std::string("hi")) << '\n';
    auto largest = []<typename T>(const std::vector<T>& xs) { return *std::max_element(xs.begin(), xs.end()); };
    std::cout << "largest int " << largest(std::vector<int>{4, 9, 2}) << ", largest string "
              << largest(std::vector<std::string>{"pear", "zoo", "apple"}) << '\n';

    // Recursive lambda with an explicit self parameter.
    auto fib = [](auto self, int n) -> long long { return n < 2 ? n : self(self, n - 1) + self(self, n - 2); };
    std::cout << "fib(30) via recursive lambda " << fib(fib, 30) << '\n';
    std::function<int(int, int)> ackermann = [&](int m, int n) -> int {
        if (m == 0) return n + 1;
        if (n == 0) return ackermann(m - 1, 1);
        return ackermann(m - 1, ackermann(m, n - 1));
    };
    std::cout << "ackermann(2, 3) = " << ackermann(2, 3) << ", ackermann(3, 3) = " << ackermann(3, 3) << '\n';

    // Immediately invoked lambda for const initialization.
    const auto table = [] {
        std::array<int, 10> t{};
        for (int i = 0; i < 10; ++i) t[i] = i * i * i;
        return t;
    }();
    std::cout << "cubes:";
    for (int c : table) std::cout << ' ' << c;
    std::cout << '\n';

    // Callbacks in a vector of std::function; sort with a comparator lambda.
    std::vector<std::pair<std::string, std::function<long long(long long)>>> ops = {
        {"double", [](long long x) { return 2 * x; }},
        {"square", [](long long x) { return x * x; }},
        {"negate", std::negate<long long>()},
        {"plus base", [&](long long x) { return x + base; }},
    };
    long long val = 7;
    for (const auto& [name, fn] : ops) {
        val = fn(val);
        std::cout << "  " << name << " -> " << val << '\n';
    }
    std::vector<std::string> words = {"banana", "Apple", "cherry", "apple", "Banana"};
    std::sort(words.begin(), words.end(), [](const std::string& a, const std::string& b) {
        std::string la = a, lb = b;
        for (auto& c : la) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (auto& c : lb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return la != lb ? la < lb : a < b;
    });
    std::cout << "case-insensitive sort:";
    for (const auto& w : words) std::cout << ' ' << w;
    std::cout << '\n';
    assert(words.front() == "Apple");
    return 0;
}
