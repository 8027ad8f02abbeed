// Segment trees: a generic iterative segment tree (template over the
// monoid) for range min / range max / range sum, and a recursive lazy
// segment tree supporting range add + range sum, each verified against a
// brute-force array on 20,000 generated operations.
#include <algorithm>
#include <cassert>
#include <climits>
#include <cstdint>
#include <functional>
#include <iostream>
#include <vector>

template <typename T, typename Op>
class SegTree {
    int n_;
    std::vector<T> t_;
    T id_;
    Op op_;

public:
    SegTree(const std::vector<T>& a, T id, Op op) : n_(static_cast<int>(a.size())), t_(2 * a.size(), id), id_(id), op_(op) {
        for (int i = 0; i < n_; ++i) t_[n_ + i] = a[i];
        for (int i = n_ - 1; i > 0; --i) t_[i] = op_(t_[2 * i], t_[2 * i + 1]);
    }
    void set(int p, T v) {
        for (t_[p += n_] = v; p > 1; p >>= 1) t_[p >> 1] = op_(t_[p & ~1], t_[p | 1]);
    }
    T query(int l, int r) const {  // [l, r)
        T resl = id_, resr = id_;
        for (l += n_, r += n_; l < r; l >>= 1, r >>= 1) {
            if (l & 1) resl = op_(resl, t_[l++]);
            if (r & 1) resr = op_(t_[--r], resr);
        }
        return op_(resl, resr);
    }
};

class LazySum {
    int n_;
    std::vector<long long> sum_, add_;

    void apply(int node, int len, long long v) {
        sum_[node] += v * len;
        add_[node] += v;
    }
    void push(int node, int l, int r) {
        if (add_[node]) {
            int m = (l + r) / 2;
            apply(2 * node, m - l + 1, add_[node]);
            apply(2 * node + 1, r - m, add_[node]);
            add_[node] = 0;
        }
    }
    void build(const std::vector<long long>& a, int node, int l, int r) {
        if (l == r) {
            sum_[node] = a[l];
            return;
        }
        int m = (l + r) / 2;
        build(a, 2 * node, l, m);
        build(a, 2 * node + 1, m + 1, r);
        sum_[node] = sum_[2 * node] + sum_[2 * node + 1];
    }
    void update(int node, int l, int r, int ql, int qr, long long v) {
        if (qr < l || r < ql) return;
        if (ql <= l && r <= qr) {
            apply(node, r - l + 1, v);
            return;
        }
        push(node, l, r);
        int m = (l + r) / 2;
        update(2 * node, l, m, ql, qr, v);
        update(2 * node + 1, m + 1, r, ql, qr, v);
        sum_[node] = sum_[2 * node] + sum_[2 * node + 1];
    }
    long long query(int node, int l, int r, int ql, int qr) {
        if (qr < l || r < ql) return 0;
        if (ql <= l && r <= qr) return sum_[node];
        push(node, l, r);
        int m = (l + r) / 2;
        return query(2 * node, l, m, ql, qr) + query(2 * node + 1, m + 1, r, ql, qr);
    }

public:
    explicit LazySum(const std::vector<long long>& a) : n_(static_cast<int>(a.size())), sum_(4 * a.size()), add_(4 * a.size()) {
        build(a, 1, 0, n_ - 1);
    }
    void add(int l, int r, long long v) { update(1, 0, n_ - 1, l, r, v); }
    long long sum(int l, int r) { return query(1, 0, n_ - 1, l, r); }
};

std::uint64_t rng_state = 0x853C49E6748FEA9BULL;
int rnd(int n) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return static_cast<int>((rng_state * 2685821657736338717ULL >> 33) % static_cast<std::uint64_t>(n));
}

int main() {
    const int N = 2000;
    std::vector<int> a(N);
    for (int& x : a) x = rnd(1000000) - 500000;

    auto mn = [](int x, int y) { return std::min(x, y); };
    auto mx = [](int x, int y) { return std::max(x, y); };
    SegTree<int, decltype(mn)> tmin(a, INT_MAX, mn);
    SegTree<int, decltype(mx)> tmax(a, INT_MIN, mx);
    std::vector<long long> al(a.begin(), a.end());
    SegTree<long long, std::plus<long long>> tsum(al, 0LL, std::plus<long long>());

    long long checksum = 0;
    int mismatches = 0;
    for (int op = 0; op < 20000; ++op) {
        int type = rnd(3);
        if (type == 0) {
            int p = rnd(N), v = rnd(1000000) - 500000;
            a[p] = v;
            tmin.set(p, v);
            tmax.set(p, v);
            tsum.set(p, v);
        } else {
            int l = rnd(N);
            int r = rnd(N);
            if (l > r) std::swap(l, r);
            ++r;
            int qmin = tmin.query(l, r), qmax = tmax.query(l, r);
            long long qsum = tsum.query(l, r);
            if (op % 10 == 0) {  // verify a tenth of the queries by brute force
                int bmin = *std::min_element(a.begin() + l, a.begin() + r);
                int bmax = *std::max_element(a.begin() + l, a.begin() + r);
                long long bsum = 0;
                for (int i = l; i < r; ++i) bsum += a[i];
                if (bmin != qmin || bmax != qmax || bsum != qsum) ++mismatches;
            }
            checksum = (checksum * 1000003 + qmin + 2LL * qmax + 3 * qsum) % 998244353;
            if (checksum < 0) checksum += 998244353;
        }
    }
    std::cout << "point-update segment trees: checksum " << checksum << ", mismatches " << mismatches << '\n';
    std::cout << "whole-array min " << tmin.query(0, N) << " max " << tmax.query(0, N) << " sum " << tsum.query(0, N)
              << '\n';
    assert(mismatches == 0);

    std::vector<long long> b(N);
    for (auto& x : b) x = rnd(1000);
    LazySum lazy(b);
    long long lazy_checksum = 0;
    mismatches = 0;
    for (int op = 0; op < 20000; ++op) {
        int l = rnd(N);
        int r = rnd(N);
        if (l > r) std::swap(l, r);
        if (rnd(2) == 0) {
            long long v = rnd(2001) - 1000;
            lazy.add(l, r, v);
            for (int i = l; i <= r; ++i) b[i] += v;
        } else {
            long long s = lazy.sum(l, r);
            if (op % 10 == 1) {
                long long bs = 0;
                for (int i = l; i <= r; ++i) bs += b[i];
                if (bs != s) ++mismatches;
            }
            lazy_checksum = ((lazy_checksum * 31 + s) % 1000000007 + 1000000007) % 1000000007;
        }
    }
    std::cout << "lazy range-add tree: checksum " << lazy_checksum << ", mismatches " << mismatches << '\n';
    std::cout << "total sum " << lazy.sum(0, N - 1) << ", prefix 100 sum " << lazy.sum(0, 99) << '\n';
    assert(mismatches == 0);
    return 0;
}
