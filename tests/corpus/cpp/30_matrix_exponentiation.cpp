// Modular arithmetic toolkit: fast modular exponentiation, modular inverse
// (Fermat and extended Euclid), factorial tables and nCr mod p, Lucas'
// theorem, and matrix exponentiation for Fibonacci / linear recurrences /
// counting walks of length k in a graph. Products use unsigned 64-bit
// arithmetic with operands below 2^30 (except F(90) mod 2^62, which relies
// on well-defined unsigned wrap-around modulo 2^64).
#include <array>
#include <cassert>
#include <cstdint>
#include <iostream>
#include <vector>

using u64 = std::uint64_t;
using i64 = std::int64_t;
constexpr u64 MOD = 1000000007ULL;

constexpr u64 power(u64 base, u64 exp, u64 mod) {
    u64 result = 1 % mod;
    base %= mod;
    while (exp) {
        if (exp & 1) result = result * base % mod;
        base = base * base % mod;
        exp >>= 1;
    }
    return result;
}
static_assert(power(2, 10, 1000000007ULL) == 1024);
static_assert(power(3, 1000000006ULL, 1000000007ULL) == 1);  // Fermat

i64 ext_gcd(i64 a, i64 b, i64& x, i64& y) {
    if (b == 0) {
        x = 1;
        y = 0;
        return a;
    }
    i64 x1, y1;
    i64 g = ext_gcd(b, a % b, x1, y1);
    x = y1;
    y = x1 - (a / b) * y1;
    return g;
}

i64 inverse_euclid(i64 a, i64 m) {
    i64 x, y;
    i64 g = ext_gcd(a, m, x, y);
    if (g != 1) return -1;
    return ((x % m) + m) % m;
}

using Matrix = std::vector<std::vector<u64>>;

Matrix multiply(const Matrix& A, const Matrix& B, u64 mod) {
    std::size_t n = A.size(), m = B[0].size(), k = B.size();
    Matrix C(n, std::vector<u64>(m, 0));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t t = 0; t < k; ++t) {
            if (A[i][t] == 0) continue;
            for (std::size_t j = 0; j < m; ++j) C[i][j] = (C[i][j] + A[i][t] * B[t][j]) % mod;
        }
    return C;
}

Matrix mat_pow(Matrix A, u64 e, u64 mod) {
    std::size_t n = A.size();
    Matrix R(n, std::vector<u64>(n, 0));
    for (std::size_t i = 0; i < n; ++i) R[i][i] = 1;
    while (e) {
        if (e & 1) R = multiply(R, A, mod);
        A = multiply(A, A, mod);
        e >>= 1;
    }
    return R;
}

u64 fib(u64 n, u64 mod) {
    if (n == 0) return 0;
    Matrix F = {{1, 1}, {1, 0}};
    return mat_pow(F, n - 1, mod)[0][0];
}

int main() {
    std::cout << "2^100 mod 1e9+7 = " << power(2, 100, MOD) << '\n';
    std::cout << "3^(10^18) mod 1e9+7 = " << power(3, 1000000000000000000ULL, MOD) << '\n';
    std::cout << "7^222 mod 1000 = " << power(7, 222, 1000) << '\n';

    for (i64 a : {2LL, 3LL, 10LL, 123456789LL}) {
        i64 inv1 = static_cast<i64>(power(static_cast<u64>(a), MOD - 2, MOD));
        i64 inv2 = inverse_euclid(a, static_cast<i64>(MOD));
        assert(inv1 == inv2);
        assert(static_cast<u64>(a) * static_cast<u64>(inv1) % MOD == 1);
        std::cout << "inverse of " << a << " = " << inv1 << '\n';
    }
    std::cout << "inverse of 6 mod 9 exists: " << (inverse_euclid(6, 9) != -1 ? "yes" : "no") << '\n';
    std::cout << "inverse of 7 mod 26 = " << inverse_euclid(7, 26) << '\n';

    // Factorials and binomials mod p.
    const int N = 1000000;
    std::vector<u64> fact(N + 1), inv_fact(N + 1);
    fact[0] = 1;
    for (int i = 1; i <= N; ++i) fact[i] = fact[i - 1] * i % MOD;
    inv_fact[N] = power(fact[N], MOD - 2, MOD);
    for (int i = N; i > 0; --i) inv_fact[i - 1] = inv_fact[i] * i % MOD;
    auto C = [&](int n, int r) -> u64 {
        if (r < 0 || r > n) return 0;
        return fact[n] * inv_fact[r] % MOD * inv_fact[n - r] % MOD;
    };
    std::cout << "1000000! mod p = " << fact[N] << '\n';
    std::cout << "C(10,3)=" << C(10, 3) << " C(100,50)=" << C(100, 50) << " C(1000000,500000)=" << C(N, N / 2)
              << '\n';
    u64 catalan = C(2000, 1000) * power(1001, MOD - 2, MOD) % MOD;
    std::cout << "Catalan(1000) mod p = " << catalan << '\n';

    // Lucas theorem for a small prime.
    auto lucas = [](u64 n, u64 r, u64 p) {
        u64 res = 1;
        while (n || r) {
            u64 ni = n % p, ri = r % p;
            if (ri > ni) return u64{0};
            u64 num = 1, den = 1;
            for (u64 i = 0; i < ri; ++i) {
                num = num * ((ni - i) % p) % p;
                den = den * ((i + 1) % p) % p;
            }
            res = res * num % p * power(den, p - 2, p) % p;
            n /= p;
            r /= p;
        }
        return res;
    };
    std::cout << "C(10^18, 10^9) mod 13 = " << lucas(1000000000000000000ULL, 1000000000ULL, 13) << '\n';
    std::cout << "C(1000, 300) mod 7 = " << lucas(1000, 300, 7) << '\n';

    // Fibonacci via matrix power, checked against iteration.
    u64 a = 0, b = 1;
    for (int i = 0; i < 1000; ++i) {
        u64 c = (a + b) % MOD;
        a = b;
        b = c;
    }
    assert(fib(1000, MOD) == a);
    std::cout << "F(10)=" << fib(10, MOD) << " F(90)=" << fib(90, 1ULL << 62) << " F(1000) mod p=" << fib(1000, MOD)
              << " F(10^18) mod p=" << fib(1000000000000000000ULL, MOD) << '\n';

    // Tribonacci-like recurrence a(n) = a(n-1) + 2a(n-2) + 3a(n-3).
    Matrix T = {{1, 2, 3}, {1, 0, 0}, {0, 1, 0}};
    Matrix P = mat_pow(T, 100, MOD);
    u64 a102 = (P[0][0] * 3 + P[0][1] * 2 + P[0][2] * 1) % MOD;  // a2=3, a1=2, a0=1
    std::cout << "a(102) of a(n)=a(n-1)+2a(n-2)+3a(n-3) = " << a102 << '\n';

    // Number of walks of length k in a small directed graph.
    Matrix G = {{0, 1, 1, 0, 0}, {0, 0, 1, 1, 0}, {1, 0, 0, 1, 1}, {0, 0, 0, 0, 1}, {1, 1, 0, 0, 0}};
    for (u64 k : {1ULL, 2ULL, 10ULL, 1000000ULL}) {
        Matrix W = mat_pow(G, k, MOD);
        u64 total = 0;
        for (auto& row : W)
            for (u64 v : row) total = (total + v) % MOD;
        std::cout << "walks of length " << k << ": 0->4 = " << W[0][4] << ", total = " << total << '\n';
    }
    return 0;
}
