// Sieve of Eratosthenes up to 5,000,000 with std::vector<bool>, plus a
// linear sieve computing smallest prime factors up to 1,000,000, Euler's
// totient by sieve, prime gaps, twin primes, and Goldbach checks.
#include <cassert>
#include <cstdint>
#include <iostream>
#include <vector>

int main() {
    const int N = 5000000;
    std::vector<bool> composite(N + 1, false);
    composite[0] = composite[1] = true;
    for (long long i = 2; i * i <= N; ++i)
        if (!composite[i])
            for (long long j = i * i; j <= N; j += i) composite[j] = true;

    int count = 0, twins = 0, max_gap = 0, gap_start = 0, last = 0;
    long long sum = 0;
    std::vector<int> primes;
    for (int i = 2; i <= N; ++i) {
        if (composite[i]) continue;
        ++count;
        sum += i;
        if (i <= 100) primes.push_back(i);
        if (last && i - last == 2) ++twins;
        if (last && i - last > max_gap) {
            max_gap = i - last;
            gap_start = last;
        }
        last = i;
    }
    std::cout << "primes <= " << N << ": " << count << '\n';
    std::cout << "sum of primes: " << sum << '\n';
    std::cout << "largest prime: " << last << '\n';
    std::cout << "twin prime pairs: " << twins << '\n';
    std::cout << "largest gap: " << max_gap << " after " << gap_start << '\n';
    std::cout << "primes <= 100:";
    for (int p : primes) std::cout << ' ' << p;
    std::cout << '\n';
    assert(count == 348513);

    const int checkpoints[] = {10, 100, 1000, 10000, 100000, 1000000};
    std::cout << "pi(x):";
    for (int x : checkpoints) {
        int c = 0;
        for (int i = 2; i <= x; ++i) c += !composite[i];
        std::cout << ' ' << c;
    }
    std::cout << '\n';

    // Linear sieve for smallest prime factor up to 1e6.
    const int M = 1000000;
    std::vector<int> spf(M + 1, 0), lp;
    for (int i = 2; i <= M; ++i) {
        if (spf[i] == 0) {
            spf[i] = i;
            lp.push_back(i);
        }
        for (int p : lp) {
            if (p > spf[i] || 1LL * i * p > M) break;
            spf[i * p] = p;
        }
    }
    assert(static_cast<int>(lp.size()) == 78498);
    for (int x : {360, 997, 999999, 1000000, 65536, 720720}) {
        std::cout << x << " =";
        int y = x;
        bool first = true;
        while (y > 1) {
            int p = spf[y], e = 0;
            while (y % p == 0) {
                y /= p;
                ++e;
            }
            std::cout << (first ? " " : " * ") << p;
            if (e > 1) std::cout << '^' << e;
            first = false;
        }
        std::cout << '\n';
    }

    // Totient sieve up to 100000 and sum of phi.
    const int T = 100000;
    std::vector<int> phi(T + 1);
    for (int i = 0; i <= T; ++i) phi[i] = i;
    for (int i = 2; i <= T; ++i)
        if (phi[i] == i)
            for (int j = i; j <= T; j += i) phi[j] -= phi[j] / i;
    long long phisum = 0;
    for (int i = 1; i <= T; ++i) phisum += phi[i];
    std::cout << "phi(36)=" << phi[36] << " phi(97)=" << phi[97] << " phi(100000)=" << phi[100000]
              << " sum phi(1..100000)=" << phisum << '\n';

    // Goldbach: number of ways to write n as p + q, p <= q.
    for (int n : {4, 28, 100, 1000, 10000, 4999998}) {
        int ways = 0;
        for (int p = 2; p <= n / 2; ++p)
            if (!composite[p] && !composite[n - p]) ++ways;
        std::cout << "goldbach(" << n << ") = " << ways << '\n';
    }
    return 0;
}
