// C++20 ranges: std::ranges algorithms (sort with projections, find_if,
// count_if, min/max, reverse, unique + erase, binary_search, equal) and
// lazy views (iota, filter, transform, take, take_while, drop, drop_while,
// reverse, keys/values, elements, join, split, common) composed with pipes.
#include <algorithm>
#include <cassert>
#include <iostream>
#include <map>
#include <numeric>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace rv = std::views;

struct Person {
    std::string name;
    int age;
    int score;
};

template <typename R>
void print(const char* label, R&& r) {
    std::cout << label << ':';
    for (auto&& x : r) std::cout << ' ' << x;
    std::cout << '\n';
}

int main() {
    auto evens_squared = rv::iota(1, 21) | rv::filter([](int x) { return x % 2 == 0; }) |
                         rv::transform([](int x) { return x * x; });
    print("even squares 1..20", evens_squared);

    auto first_primes = rv::iota(2) | rv::filter([](int n) {
                            for (int d = 2; d * d <= n; ++d)
                                if (n % d == 0) return false;
                            return true;
                        }) |
                        rv::take(15);
    print("first 15 primes", first_primes);

    print("take_while < 30 of triangular numbers",
          rv::iota(1) | rv::transform([](int n) { return n * (n + 1) / 2; }) | rv::take_while([](int t) { return t < 30; }));
    std::vector<int> v = {5, 3, 8, 1, 9, 2, 7, 3, 8, 8, 4};
    print("drop 3", v | rv::drop(3));
    print("drop_while > 2", v | rv::drop_while([](int x) { return x > 2; }));
    print("reverse", v | rv::reverse);

    std::ranges::sort(v);
    print("ranges::sort", v);
    auto [first_dup, last_dup] = std::ranges::unique(v);
    v.erase(first_dup, last_dup);
    print("unique", v);
    std::cout << "binary_search 7: " << std::ranges::binary_search(v, 7) << ", 6: " << std::ranges::binary_search(v, 6)
              << '\n';
    std::cout << "min " << std::ranges::min(v) << " max " << std::ranges::max(v) << " count_if odd "
              << std::ranges::count_if(v, [](int x) { return x % 2; }) << '\n';

    std::vector<Person> people = {{"dana", 31, 88}, {"abe", 25, 92}, {"cleo", 31, 75}, {"bo", 19, 92}, {"eli", 25, 60}};
    std::ranges::sort(people, {}, &Person::name);
    print("by name", people | rv::transform(&Person::name));
    std::ranges::stable_sort(people, std::ranges::greater{}, &Person::score);
    print("by score desc (stable)", people | rv::transform([](const Person& p) { return p.name + "=" + std::to_string(p.score); }));
    std::ranges::sort(people, [](const Person& a, const Person& b) { return std::tie(a.age, a.name) < std::tie(b.age, b.name); });
    print("by age then name", people | rv::transform(&Person::name));
    auto it = std::ranges::find_if(people, [](const Person& p) { return p.score < 70; });
    std::cout << "first with score < 70: " << (it != people.end() ? it->name : "none") << '\n';
    auto oldest = std::ranges::max_element(people, {}, &Person::age);
    std::cout << "oldest (first max): " << oldest->name << '\n';

    std::map<std::string, int> stock = {{"apples", 12}, {"bananas", 0}, {"cherries", 40}, {"dates", 7}};
    print("keys", stock | rv::keys);
    print("values", stock | rv::values);
    print("in stock", stock | rv::filter([](const auto& kv) { return kv.second > 0; }) | rv::keys);

    std::vector<std::tuple<int, char, double>> tup = {{1, 'a', 0.5}, {2, 'b', 1.5}, {3, 'c', 2.5}};
    print("elements<1>", tup | rv::elements<1>);

    std::vector<std::vector<int>> nested = {{1, 2}, {}, {3}, {4, 5, 6}};
    print("join", nested | rv::join);

    std::string csv = "alpha,beta,,gamma,delta";
    std::cout << "split:";
    for (auto part : csv | rv::split(',')) std::cout << " [" << std::string_view(part.begin(), part.end()) << ']';
    std::cout << '\n';

    auto common = rv::iota(1, 11) | rv::transform([](int x) { return x * 3; }) | rv::common;
    int total = std::accumulate(common.begin(), common.end(), 0);
    std::cout << "sum of 3,6,...,30 via common view: " << total << '\n';

    std::vector<int> a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4};
    std::cout << "equal(a,b) " << std::ranges::equal(a, b) << ", equal(a,c) " << std::ranges::equal(a, c) << '\n';

    // Lazy evaluation: count how many times the filter predicate runs.
    int calls = 0;
    auto lazy = rv::iota(0, 1000000) | rv::filter([&calls](int x) {
                    ++calls;
                    return x % 1000 == 999;
                }) |
                rv::take(3);
    print("lazy take 3", lazy);
    // Only a prefix of the million-element range is ever examined.
    std::cout << "predicate calls between 3000 and 4000: " << (calls >= 3000 && calls <= 4000) << '\n';
    assert(calls >= 3000 && calls <= 4000);

    long long sumsq = 0;
    for (long long x : rv::iota(1LL, 1000001LL) | rv::transform([](long long x) { return x * x; })) sumsq += x;
    std::cout << "sum of squares 1..1e6 = " << sumsq << '\n';
    return 0;
}
