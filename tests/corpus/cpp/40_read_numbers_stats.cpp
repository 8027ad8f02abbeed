// Reads N followed by N integers from stdin, then Q range queries "l r"
// (1-based, either order). Prints summary statistics computed with integer
// arithmetic (sum, min, max, median, mode, distinct count), the longest
// increasing run, maximum subarray sum (Kadane), and answers the range
// queries with prefix sums and a sparse table for range minimum.
#include <algorithm>
#include <bit>
#include <cassert>
#include <iostream>
#include <map>
#include <vector>

int main() {
    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);
    int n;
    if (!(std::cin >> n) || n <= 0) {
        std::cout << "no data\n";
        return 0;
    }
    std::vector<long long> a(n);
    for (auto& x : a) std::cin >> x;

    long long sum = 0;
    for (long long x : a) sum += x;
    std::vector<long long> sorted = a;
    std::sort(sorted.begin(), sorted.end());
    std::cout << "n = " << n << '\n';
    std::cout << "sum = " << sum << '\n';
    std::cout << "min = " << sorted.front() << ", max = " << sorted.back() << '\n';
    // mean as an exact fraction floor plus remainder
    long long q = sum / n, r = sum % n;
    std::cout << "mean = " << sum << "/" << n << " (trunc " << q << ", remainder " << r << ")\n";
    if (n % 2)
        std::cout << "median = " << sorted[n / 2] << '\n';
    else
        std::cout << "median = (" << sorted[n / 2 - 1] << " + " << sorted[n / 2] << ") / 2\n";

    std::map<long long, int> freq;
    for (long long x : a) ++freq[x];
    int best = 0;
    long long mode = 0;
    for (const auto& [v, c] : freq)
        if (c > best) {
            best = c;
            mode = v;
        }
    std::cout << "distinct = " << freq.size() << ", smallest mode = " << mode << " (x" << best << ")\n";
    int negatives = static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), 0LL) - sorted.begin());
    std::cout << "negatives = " << negatives << ", non-negatives = " << n - negatives << '\n';

    int run = 1, best_run = 1, best_end = 0;
    for (int i = 1; i < n; ++i) {
        run = a[i] > a[i - 1] ? run + 1 : 1;
        if (run > best_run) {
            best_run = run;
            best_end = i;
        }
    }
    std::cout << "longest increasing run = " << best_run << " ending at index " << best_end + 1 << '\n';

    long long cur = 0, best_sum = a[0];
    int start = 0, bs = 0, be = 0;
    for (int i = 0; i < n; ++i) {
        if (cur <= 0) {
            cur = a[i];
            start = i;
        } else {
            cur += a[i];
        }
        if (cur > best_sum) {
            best_sum = cur;
            bs = start;
            be = i;
        }
    }
    std::cout << "max subarray sum = " << best_sum << " on [" << bs + 1 << ", " << be + 1 << "]\n";

    std::vector<long long> pre(n + 1, 0);
    for (int i = 0; i < n; ++i) pre[i + 1] = pre[i] + a[i];
    int levels = 1;
    while ((1 << levels) <= n) ++levels;
    std::vector<std::vector<long long>> sp(levels, std::vector<long long>(n));
    sp[0] = a;
    for (int k = 1; k < levels; ++k)
        for (int i = 0; i + (1 << k) <= n; ++i) sp[k][i] = std::min(sp[k - 1][i], sp[k - 1][i + (1 << (k - 1))]);
    auto range_min = [&](int l, int r) {  // 0-based inclusive
        int k = std::bit_width(static_cast<unsigned>(r - l + 1)) - 1;
        return std::min(sp[k][l], sp[k][r - (1 << k) + 1]);
    };

    int queries = 0;
    if (std::cin >> queries) {
        for (int i = 0; i < queries; ++i) {
            int l, r;
            if (!(std::cin >> l >> r)) break;
            if (l < 1 || r < 1 || l > n || r > n) {
                std::cout << "query " << l << " " << r << ": out of range\n";
                continue;
            }
            if (l > r) std::swap(l, r);
            long long s = pre[r] - pre[l - 1];
            long long m = range_min(l - 1, r - 1);
            long long brute = *std::min_element(a.begin() + l - 1, a.begin() + r);
            assert(m == brute);
            std::cout << "query [" << l << ", " << r << "]: sum " << s << ", min " << m << '\n';
        }
    }
    return 0;
}
