// Number theory with <numeric>: std::gcd / std::lcm, std::iota,
// std::accumulate, std::partial_sum, std::adjacent_difference,
// std::inner_product, std::transform_reduce, std::exclusive_scan and
// std::midpoint, plus hand-written extended Euclid, Chinese remainder
// theorem, deterministic Miller-Rabin for 64-bit integers (mulmod by
// doubling, no __int128), and divisor enumeration by trial division.
#include <cassert>
#include <cstdint>
#include <functional>
#include <iostream>
#include <numeric>
#include <vector>

using u64 = std::uint64_t;

u64 mulmod(u64 a, u64 b, u64 m) {
    u64 r = 0;
    a %= m;
    while (b) {
        if (b & 1) r = (r >= m - a) ? r - (m - a) : r + a;
        a = (a >= m - a) ? a - (m - a) : a + a;
        b >>= 1;
    }
    return r;
}

u64 powmod(u64 b, u64 e, u64 m) {
    u64 r = 1 % m;
    for (b %= m; e; e >>= 1, b = mulmod(b, b, m))
        if (e & 1) r = mulmod(r, b, m);
    return r;
}

bool is_prime(u64 n) {
    if (n < 2) return false;
    for (u64 p : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37})
        if (n % p == 0) return n == p;
    u64 d = n - 1;
    int s = 0;
    while (d % 2 == 0) {
        d /= 2;
        ++s;
    }
    for (u64 a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
        u64 x = powmod(a, d, n);
        if (x == 1 || x == n - 1) continue;
        bool composite = true;
        for (int i = 1; i < s && composite; ++i) {
            x = mulmod(x, x, n);
            if (x == n - 1) composite = false;
        }
        if (composite) return false;
    }
    return true;
}

// Solve x = r1 (mod m1), x = r2 (mod m2); returns {x, lcm} or {-1, -1}.
std::pair<long long, long long> crt(long long r1, long long m1, long long r2, long long m2) {
    long long g = std::gcd(m1, m2);
    if ((r2 - r1) % g != 0) return {-1, -1};
    // extended Euclid for m1 * p + m2 * q = g
    long long old_r = m1, r = m2, old_s = 1, s = 0;
    while (r) {
        long long q = old_r / r;
        std::tie(old_r, r) = std::make_pair(r, old_r - q * r);
        std::tie(old_s, s) = std::make_pair(s, old_s - q * s);
    }
    long long l = m1 / g * m2;
    long long k = ((r2 - r1) / g % (m2 / g) * (old_s % (m2 / g))) % (m2 / g);
    long long x = ((r1 + m1 * k) % l + l) % l;
    return {x, l};
}

int main() {
    std::cout << "gcd(462, 1071) = " << std::gcd(462, 1071) << ", lcm(21, 6) = " << std::lcm(21, 6) << '\n';
    std::cout << "gcd(-48, 18) = " << std::gcd(-48, 18) << ", gcd(0, 0) = " << std::gcd(0, 0) << '\n';
    std::cout << "lcm(1..20) = ";
    long long l = 1;
    for (long long i = 1; i <= 20; ++i) l = std::lcm(l, i);
    std::cout << l << '\n';
    std::cout << "gcd of F(40), F(30) = " << std::gcd(102334155LL, 832040LL) << " (= F(gcd(40,30)) = F(10) = 55)\n";

    std::vector<int> v(10);
    std::iota(v.begin(), v.end(), 1);
    std::cout << "accumulate 1..10 = " << std::accumulate(v.begin(), v.end(), 0)
              << ", product = " << std::accumulate(v.begin(), v.end(), 1LL, std::multiplies<long long>()) << '\n';
    std::vector<int> ps(v.size());
    std::partial_sum(v.begin(), v.end(), ps.begin());
    std::cout << "partial_sum:";
    for (int x : ps) std::cout << ' ' << x;
    std::cout << '\n';
    std::vector<int> diff(ps.size());
    std::adjacent_difference(ps.begin(), ps.end(), diff.begin());
    std::cout << "adjacent_difference recovers iota: " << (diff == v ? "yes" : "no") << '\n';
    std::vector<int> ex(v.size());
    std::exclusive_scan(v.begin(), v.end(), ex.begin(), 0);
    std::cout << "exclusive_scan:";
    for (int x : ex) std::cout << ' ' << x;
    std::cout << '\n';
    std::cout << "inner_product(v, v) = " << std::inner_product(v.begin(), v.end(), v.begin(), 0) << '\n';
    std::cout << "transform_reduce sum of cubes = "
              << std::transform_reduce(v.begin(), v.end(), 0LL, std::plus<>(), [](int x) { return 1LL * x * x * x; })
              << '\n';
    std::cout << "midpoint(2000000000, 2100000000) = " << std::midpoint(2000000000, 2100000000)
              << ", midpoint(-7, 4) = " << std::midpoint(-7, 4) << '\n';

    // Euler's totient via gcd counting vs formula.
    auto phi = [](long long n) {
        long long r = n;
        for (long long p = 2; p * p <= n; ++p)
            if (n % p == 0) {
                while (n % p == 0) n /= p;
                r -= r / p;
            }
        if (n > 1) r -= r / n;
        return r;
    };
    for (int n : {1, 12, 97, 360, 1000}) {
        int count = 0;
        for (int k = 1; k <= n; ++k) count += std::gcd(k, n) == 1;
        assert(count == phi(n));
        std::cout << "phi(" << n << ") = " << count << '\n';
    }

    // CRT: the classic "Sunzi" problem x = 2 mod 3, 3 mod 5, 2 mod 7.
    auto [x1, m1] = crt(2, 3, 3, 5);
    auto [x2, m2] = crt(x1, m1, 2, 7);
    std::cout << "Sunzi: x = " << x2 << " mod " << m2 << '\n';
    auto [x3, m3] = crt(3, 4, 1, 6);
    std::cout << "x=3 mod 4, x=1 mod 6: " << x3 << " mod " << m3 << '\n';
    auto [x4, m4] = crt(1, 4, 2, 6);
    std::cout << "x=1 mod 4, x=2 mod 6 solvable: " << (m4 != -1 ? "yes" : "no") << '\n';
    (void)x4;

    // Miller-Rabin on 64-bit values.
    for (u64 n : {1ULL, 2ULL, 561ULL, 1000000007ULL, 4294967291ULL, 4294967297ULL, 999999999989ULL,
                  18446744073709551557ULL, 18446744073709551615ULL, 3215031751ULL}) {
        std::cout << n << (is_prime(n) ? " is prime" : " is composite") << '\n';
    }
    int count = 0;
    for (u64 n = 1000000000000ULL; n < 1000000000000ULL + 1000; ++n) count += is_prime(n);
    std::cout << "primes in [10^12, 10^12+1000): " << count << '\n';

    // Divisors of a highly composite number.
    long long hc = 735134400;
    std::vector<long long> divs;
    for (long long d = 1; d * d <= hc; ++d)
        if (hc % d == 0) {
            divs.push_back(d);
            if (d * d != hc) divs.push_back(hc / d);
        }
    long long sigma = std::accumulate(divs.begin(), divs.end(), 0LL);
    std::cout << hc << " has " << divs.size() << " divisors, sum " << sigma << '\n';
    return 0;
}
