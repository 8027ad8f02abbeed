// Binary search in its many forms: std::lower_bound / upper_bound /
// equal_range / binary_search on sorted vectors (including a custom
// comparator and a projection-free struct search), std::partition_point,
// hand-written integer binary search on the answer (minimum capacity to ship
// packages, integer square root, k-th smallest in a multiplication table)
// and a floating-point bisection printed with limited precision.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

struct Employee {
    std::string name;
    int salary;
};

long long isqrt(long long n) {
    long long lo = 0, hi = 3037000499LL;  // floor(sqrt(2^63 - 1))
    while (lo < hi) {
        long long mid = lo + (hi - lo + 1) / 2;
        if (mid <= n / mid)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int ship_within_days(const std::vector<int>& w, int days) {
    int lo = *std::max_element(w.begin(), w.end()), hi = 0;
    for (int x : w) hi += x;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int need = 1, cur = 0;
        for (int x : w) {
            if (cur + x > mid) {
                ++need;
                cur = 0;
            }
            cur += x;
        }
        if (need <= days)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

long long kth_in_table(long long n, long long m, long long k) {
    long long lo = 1, hi = n * m;
    while (lo < hi) {
        long long mid = (lo + hi) / 2, cnt = 0;
        for (long long i = 1; i <= n; ++i) cnt += std::min(m, mid / i);
        if (cnt >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int main() {
    std::vector<int> a = {1, 3, 3, 3, 5, 8, 8, 13, 21, 21, 21, 21, 34};
    for (int x : {0, 3, 4, 8, 21, 34, 40}) {
        auto lb = std::lower_bound(a.begin(), a.end(), x) - a.begin();
        auto ub = std::upper_bound(a.begin(), a.end(), x) - a.begin();
        auto [f, l] = std::equal_range(a.begin(), a.end(), x);
        std::cout << "x=" << std::setw(2) << x << " lower_bound=" << std::setw(2) << lb << " upper_bound=" << std::setw(2)
                  << ub << " count=" << (l - f) << " found=" << std::binary_search(a.begin(), a.end(), x) << '\n';
    }

    // Descending order with std::greater.
    std::vector<int> desc = {50, 40, 40, 30, 20, 10};
    auto pos = std::lower_bound(desc.begin(), desc.end(), 40, std::greater<int>()) - desc.begin();
    auto pos2 = std::upper_bound(desc.begin(), desc.end(), 40, std::greater<int>()) - desc.begin();
    std::cout << "descending: first 40 at " << pos << ", first below 40 at " << pos2 << '\n';

    // Search by key in a vector of structs sorted by salary (then name).
    std::vector<Employee> staff = {{"ann", 3000}, {"bob", 4200}, {"cy", 4200}, {"dee", 5100}, {"eve", 7000}};
    auto it = std::lower_bound(staff.begin(), staff.end(), 4200,
                               [](const Employee& e, int s) { return e.salary < s; });
    auto it2 = std::upper_bound(staff.begin(), staff.end(), 5000,
                                [](int s, const Employee& e) { return s < e.salary; });
    std::cout << "first earning >= 4200: " << it->name << ", first earning > 5000: " << it2->name << '\n';

    // partition_point on a predicate-partitioned range.
    std::vector<int> squares(1000);
    for (int i = 0; i < 1000; ++i) squares[i] = i * i;
    auto pp = std::partition_point(squares.begin(), squares.end(), [](int s) { return s < 500000; });
    std::cout << "first square >= 500000 is " << *pp << " = " << (pp - squares.begin()) << "^2\n";

    // Ranges version.
    auto rlb = std::ranges::lower_bound(a, 13);
    std::cout << "ranges::lower_bound(13) at index " << (rlb - a.begin()) << '\n';

    // Binary search on the answer.
    for (long long n : {0LL, 1LL, 15LL, 16LL, 17LL, 999999999999LL, 1000000000000LL, 9223372036854775807LL}) {
        long long r = isqrt(n);
        assert(r * r <= n && (r + 1 > n / (r + 1)));
        std::cout << "isqrt(" << n << ") = " << r << '\n';
    }
    std::vector<int> weights = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    for (int d : {1, 2, 5, 10}) std::cout << "ship within " << d << " days: capacity " << ship_within_days(weights, d) << '\n';
    std::cout << "k-th smallest in tables: 3x3,k=5 -> " << kth_in_table(3, 3, 5) << "; 2x3,k=6 -> "
              << kth_in_table(2, 3, 6) << "; 30000x30000,k=450000000 -> " << kth_in_table(30000, 30000, 450000000) << '\n';

    // Bisection for the real root of x^3 - 2x - 5 (Newton's classic example).
    double lo = 2.0, hi = 3.0;
    int iterations = 0;
    while (hi - lo > 1e-12) {
        double mid = (lo + hi) / 2;
        if (mid * mid * mid - 2 * mid - 5 > 0)
            hi = mid;
        else
            lo = mid;
        ++iterations;
    }
    std::cout << std::fixed << std::setprecision(9) << "root of x^3-2x-5 ~ " << lo << " after " << iterations
              << " halvings\n";

    // Exponential search for the first true in an "infinite" predicate.
    auto pred = [](long long x) { return x * x * x >= 123456789012LL; };
    long long bound = 1;
    while (!pred(bound)) bound *= 2;
    long long l2 = bound / 2, h2 = bound;
    while (l2 < h2) {
        long long mid = (l2 + h2) / 2;
        if (pred(mid))
            h2 = mid;
        else
            l2 = mid + 1;
    }
    std::cout << "smallest x with x^3 >= 123456789012: " << l2 << " (bound " << bound << ")\n";
    return 0;
}
