// Hash containers at scale: unordered_map with 100,000 entries,
// unordered_set, a custom hash for a pair key, and unordered_multimap.
// Only order-independent facts are printed (sizes, sums, lookups, counts);
// iteration order of unordered containers is never printed.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <iostream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

struct PairHash {
    std::size_t operator()(const std::pair<int, int>& p) const {
        std::uint64_t h = static_cast<std::uint64_t>(static_cast<std::uint32_t>(p.first)) * 0x9E3779B97F4A7C15ULL;
        h ^= static_cast<std::uint32_t>(p.second) + 0x7F4A7C15ULL + (h << 6) + (h >> 2);
        return static_cast<std::size_t>(h ^ (h >> 32));
    }
};

int main() {
    const int N = 100000;
    std::unordered_map<int, long long> sq;
    sq.reserve(N);
    for (int i = 0; i < N; ++i) sq[i * 37 + 11] = 1LL * i * i;
    std::cout << "size " << sq.size() << '\n';

    long long total = 0;
    for (const auto& [k, v] : sq) total += v;  // summation is order-independent
    std::cout << "sum of values " << total << '\n';

    int hits = 0;
    long long hit_sum = 0;
    for (int q = 0; q < 200000; ++q) {
        auto it = sq.find(q * 19);
        if (it != sq.end()) {
            ++hits;
            hit_sum += it->second;
        }
    }
    std::cout << "lookups hit " << hits << ", sum of hit values " << hit_sum << '\n';
    std::cout << "count(11)=" << sq.count(11) << " count(12)=" << sq.count(12) << " at(48)=" << sq.at(48) << '\n';

    // Erase by predicate (C++20 std::erase_if) and check the size.
    auto removed = std::erase_if(sq, [](const auto& kv) { return kv.second % 2 == 1; });
    std::cout << "erase_if removed " << removed << ", remaining " << sq.size() << '\n';

    // Word frequencies: collect into a vector and sort before printing.
    std::unordered_map<std::string, int> freq;
    std::uint32_t x = 1;
    const char* syll[] = {"ka", "lo", "mi", "ne", "ru", "ta"};
    for (int i = 0; i < 60000; ++i) {
        x = x * 1664525u + 1013904223u;
        std::string w = std::string(syll[(x >> 24) % 6]) + syll[(x >> 16) % 6];
        ++freq[w];
    }
    std::vector<std::pair<std::string, int>> items(freq.begin(), freq.end());
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::cout << "distinct words " << items.size() << ", top 5:";
    for (int i = 0; i < 5; ++i) std::cout << ' ' << items[i].first << '=' << items[i].second;
    std::cout << '\n';

    // Pair keys with a custom hash: count lattice points on circles.
    std::unordered_map<std::pair<int, int>, int, PairHash> grid;
    for (int a = -150; a <= 150; ++a)
        for (int b = -150; b <= 150; ++b)
            if (a * a + b * b <= 150 * 150) grid[{a, b}] = a * a + b * b;
    std::cout << "lattice points in radius 150: " << grid.size() << '\n';
    int on_circle_25 = 0;
    for (int a = -25; a <= 25; ++a)
        for (int b = -25; b <= 25; ++b) {
            auto it = grid.find({a, b});
            if (it != grid.end() && it->second == 625) ++on_circle_25;
        }
    std::cout << "points with a^2+b^2 = 625: " << on_circle_25 << '\n';

    // unordered_set: first repeated value of an LCG mod 100003.
    std::unordered_set<long long> seen;
    long long v = 7, steps = 0;
    while (seen.insert(v).second) {
        v = (v * v + 1) % 100003;
        ++steps;
    }
    std::cout << "x -> x^2+1 mod 100003 from 7 repeats after " << steps << " steps at " << v << '\n';

    // unordered_multimap: count per key only.
    std::unordered_multimap<int, int> mm;
    for (int i = 0; i < 30000; ++i) mm.emplace(i % 97, i);
    std::cout << "multimap size " << mm.size() << ", count(5)=" << mm.count(5) << ", count(96)=" << mm.count(96)
              << '\n';
    auto range = mm.equal_range(5);
    long long s5 = 0;
    for (auto it = range.first; it != range.second; ++it) s5 += it->second;
    std::cout << "sum for key 5: " << s5 << '\n';

    assert(sq.size() + removed == static_cast<std::size_t>(N));
    std::cout << "load factor below max: " << (sq.load_factor() <= sq.max_load_factor() ? "yes" : "no") << '\n';
    return 0;
}
