// Ordered associative containers at scale: std::map and std::set with
// 200,000 entries, multimap/multiset, lower_bound/upper_bound range
// queries, erase while iterating, extract/merge (C++17) and ordered
// iteration of the results (ordered containers have a defined order).
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int main() {
    std::uint64_t seed = 12345;
    std::map<int, long long> m;
    const int N = 200000;
    for (int i = 0; i < N; ++i) m[i * 7 % N] += i;  // 7 is coprime to N: a permutation of 0..N-1
    // Build the set from sorted input with end() hints (linear time).
    std::vector<long long> raw(N);
    for (auto& x : raw) x = static_cast<long long>(splitmix(seed) % 1000000000000ULL);
    std::sort(raw.begin(), raw.end());
    std::set<long long> s;
    for (long long x : raw) s.insert(s.end(), x);
    std::cout << "map size " << m.size() << ", set size " << s.size() << '\n';
    std::cout << "map first " << m.begin()->first << "->" << m.begin()->second << ", last "
              << m.rbegin()->first << "->" << m.rbegin()->second << '\n';
    std::cout << "set min " << *s.begin() << ", max " << *s.rbegin() << '\n';

    long long keysum = 0, valsum = 0;
    for (const auto& [k, v] : m) {
        keysum += k;
        valsum += v;
    }
    std::cout << "map key sum " << keysum << ", value sum " << valsum << '\n';

    // Range queries.
    auto lo = s.lower_bound(250000000000LL), hi = s.upper_bound(500000000000LL);
    std::cout << "set elements in [2.5e11, 5e11]: " << std::distance(lo, hi) << '\n';
    std::cout << "first >= 2.5e11: " << *lo << '\n';
    auto it = m.lower_bound(123457);
    std::cout << "map lower_bound(123457): " << it->first << '\n';
    std::cout << "map count(199999)=" << m.count(199999) << " count(200000)=" << m.count(200000) << '\n';
    std::cout << "contains(77777): " << m.contains(77777) << '\n';

    // Erase every key divisible by 3 while iterating.
    for (auto i = m.begin(); i != m.end();) {
        if (i->first % 3 == 0)
            i = m.erase(i);
        else
            ++i;
    }
    std::cout << "after erasing multiples of 3: " << m.size() << '\n';
    std::size_t erased = m.erase(3);
    std::cout << "erase(3) removed " << erased << ", erase(4) removed " << m.erase(4) << '\n';

    // multimap: group by last digit, iterate one group with equal_range.
    std::multimap<int, int> groups;
    for (int i = 0; i < N / 4; ++i) groups.emplace(i % 10, i);
    auto [g0, g1] = groups.equal_range(7);
    long long group_sum = 0;
    int group_n = 0;
    for (auto g = g0; g != g1; ++g) {
        group_sum += g->second;
        ++group_n;
    }
    std::cout << "multimap group 7: " << group_n << " entries, sum " << group_sum << '\n';
    // emplace into equal keys preserves insertion order within the key
    auto first7 = groups.find(7);
    std::cout << "first value with key 7: " << first7->second << ", next " << std::next(first7)->second << '\n';

    std::multiset<int> ms;
    for (int i = 0; i < N / 4; ++i) ms.insert(static_cast<int>(splitmix(seed) % 1000));
    std::cout << "multiset size " << ms.size() << ", count(500)=" << ms.count(500) << ", distinct ";
    std::set<int> distinct(ms.begin(), ms.end());
    std::cout << distinct.size() << '\n';
    ms.erase(500);
    std::cout << "after erase(500) count=" << ms.count(500) << ", size " << ms.size() << '\n';

    // extract + merge.
    std::set<int> a{1, 3, 5, 7, 9}, b{2, 3, 4, 5, 6};
    a.merge(b);
    std::cout << "merged a:";
    for (int x : a) std::cout << ' ' << x;
    std::cout << " | leftover b:";
    for (int x : b) std::cout << ' ' << x;
    std::cout << '\n';
    auto node = a.extract(9);
    node.value() = 10;
    a.insert(std::move(node));
    std::cout << "after renaming 9 -> 10, max " << *a.rbegin() << '\n';

    // Custom comparator: strings ordered by length then lexicographically.
    auto cmp = [](const std::string& x, const std::string& y) {
        return x.size() != y.size() ? x.size() < y.size() : x < y;
    };
    std::set<std::string, decltype(cmp)> words(cmp);
    for (const char* w : {"pear", "fig", "banana", "apple", "kiwi", "date", "fig", "cherry", "plum"}) words.insert(w);
    std::cout << "words by length:";
    for (const auto& w : words) std::cout << ' ' << w;
    std::cout << '\n';

    assert(m.size() == static_cast<std::size_t>(N - (N + 2) / 3) - 1);
    return 0;
}
