// Fenwick (binary indexed) trees: prefix sums with point updates, counting
// inversions of a permutation with coordinate compression, k-th order
// statistic by binary lifting on the tree, range-update/range-query with two
// BITs, and a 2D BIT, all checked against brute force.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <iostream>
#include <vector>

template <typename T>
struct Fenwick {
    int n;
    std::vector<T> t;
    explicit Fenwick(int n_) : n(n_), t(n_ + 1, T{}) {}
    void add(int i, T v) {  // 1-based
        for (; i <= n; i += i & -i) t[i] += v;
    }
    T prefix(int i) const {
        T s{};
        for (; i > 0; i -= i & -i) s += t[i];
        return s;
    }
    T range(int l, int r) const { return prefix(r) - prefix(l - 1); }
    // smallest i with prefix(i) >= k (all values non-negative)
    int lower_bound(T k) const {
        int pos = 0, step = 1;
        while (step * 2 <= n) step *= 2;
        for (; step; step /= 2)
            if (pos + step <= n && t[pos + step] < k) {
                pos += step;
                k -= t[pos];
            }
        return pos + 1;
    }
};

struct RangeFenwick {  // range add, range sum
    Fenwick<long long> b1, b2;
    explicit RangeFenwick(int n) : b1(n), b2(n) {}
    void add(int l, int r, long long v) {
        b1.add(l, v);
        b1.add(r + 1, -v);
        b2.add(l, v * (l - 1));
        b2.add(r + 1, -v * r);
    }
    long long prefix(int i) const { return b1.prefix(i) * i - b2.prefix(i); }
    long long range(int l, int r) const { return prefix(r) - prefix(l - 1); }
};

std::uint32_t seed = 2166136261u;
int rnd(int n) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return static_cast<int>(seed % static_cast<std::uint32_t>(n));
}

int main() {
    // Inversions of 200,000 values with duplicates (coordinate compressed).
    const int N = 200000;
    std::vector<int> a(N);
    for (int& x : a) x = rnd(1000000000);
    std::vector<int> sorted = a;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    Fenwick<int> bit(static_cast<int>(sorted.size()));
    long long inversions = 0;
    for (int i = N - 1; i >= 0; --i) {
        int r = static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), a[i]) - sorted.begin()) + 1;
        inversions += bit.prefix(r - 1);
        bit.add(r, 1);
    }
    std::cout << "inversions among " << N << " values: " << inversions << '\n';

    // Brute-force check on a small prefix.
    const int S = 2000;
    long long brute = 0, fast = 0;
    for (int i = 0; i < S; ++i)
        for (int j = i + 1; j < S; ++j) brute += a[i] > a[j];
    {
        std::vector<int> sm(a.begin(), a.begin() + S);
        std::vector<int> ss = sm;
        std::sort(ss.begin(), ss.end());
        Fenwick<int> b2(S);
        for (int i = S - 1; i >= 0; --i) {
            int r = static_cast<int>(std::lower_bound(ss.begin(), ss.end(), sm[i]) - ss.begin()) + 1;
            fast += b2.prefix(r - 1);
            b2.add(r, 1);
        }
    }
    std::cout << "first " << S << ": brute " << brute << ", fenwick " << fast << '\n';
    assert(brute == fast);

    // Order statistics: multiset of values in [1, 100000].
    const int V = 100000;
    Fenwick<int> counts(V);
    std::vector<int> bag;
    for (int i = 0; i < 50000; ++i) {
        int v = rnd(V) + 1;
        counts.add(v, 1);
        bag.push_back(v);
    }
    std::sort(bag.begin(), bag.end());
    for (int k : {1, 100, 25000, 49999, 50000}) {
        int v = counts.lower_bound(k);
        assert(v == bag[k - 1]);
        std::cout << k << "-th smallest = " << v << '\n';
    }

    // Range add / range sum versus a plain array.
    const int M = 5000;
    RangeFenwick rf(M);
    std::vector<long long> plain(M + 1, 0);
    long long checksum = 0;
    for (int op = 0; op < 20000; ++op) {
        int l = rnd(M) + 1;
        int r = rnd(M) + 1;
        if (l > r) std::swap(l, r);
        if (op % 2 == 0) {
            long long v = rnd(201) - 100;
            rf.add(l, r, v);
            for (int i = l; i <= r; ++i) plain[i] += v;
        } else {
            long long s = rf.range(l, r);
            if (op % 50 == 1) {
                long long b = 0;
                for (int i = l; i <= r; ++i) b += plain[i];
                assert(b == s);
            }
            checksum = (checksum * 7 + s % 1000000007 + 1000000007) % 1000000007;
        }
    }
    std::cout << "range-update checksum " << checksum << ", total " << rf.range(1, M) << '\n';

    // 2D BIT: count points in rectangles.
    const int G = 256;
    std::vector<std::vector<int>> t2(G + 1, std::vector<int>(G + 1, 0));
    auto add2 = [&](int x, int y) {
        for (int i = x; i <= G; i += i & -i)
            for (int j = y; j <= G; j += j & -j) ++t2[i][j];
    };
    auto pre2 = [&](int x, int y) {
        int s = 0;
        for (int i = x; i > 0; i -= i & -i)
            for (int j = y; j > 0; j -= j & -j) s += t2[i][j];
        return s;
    };
    std::vector<std::pair<int, int>> pts;
    for (int i = 0; i < 10000; ++i) {
        int x = rnd(G) + 1;
        int y = rnd(G) + 1;
        pts.emplace_back(x, y);
        add2(x, y);
    }
    int x1 = 30, y1 = 40, x2 = 200, y2 = 180;
    int rect = pre2(x2, y2) - pre2(x1 - 1, y2) - pre2(x2, y1 - 1) + pre2(x1 - 1, y1 - 1);
    int rect_brute = 0;
    for (auto [x, y] : pts) rect_brute += x >= x1 && x <= x2 && y >= y1 && y <= y2;
    std::cout << "points in [30,200]x[40,180]: " << rect << " (brute " << rect_brute << ")\n";
    assert(rect == rect_brute);
    return 0;
}
