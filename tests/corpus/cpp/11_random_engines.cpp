// Raw output of the standard random-number engines with fixed seeds. The
// engine algorithms (and therefore their sequences) are fully specified by
// the C++ standard, unlike the distributions, so only engine() values,
// discard(), seeding, comparison and simple hand-written mappings are used.
#include <cassert>
#include <cstdint>
#include <iostream>
#include <random>
#include <sstream>
#include <vector>

template <typename Engine>
void show(const char* name, Engine e, int count) {
    std::cout << name << ':';
    for (int i = 0; i < count; ++i) std::cout << ' ' << e();
    std::cout << '\n';
}

int main() {
    // Values required by the standard: the 10000th invocation of a
    // default-constructed engine.
    {
        std::mt19937 a;
        a.discard(9999);
        std::mt19937_64 b;
        b.discard(9999);
        std::minstd_rand0 c;
        c.discard(9999);
        std::minstd_rand d;
        d.discard(9999);
        std::ranlux24_base e;
        e.discard(9999);
        std::ranlux48_base f;
        f.discard(9999);
        std::ranlux24 g;
        g.discard(9999);
        std::ranlux48 h;
        h.discard(9999);
        std::knuth_b k;
        k.discard(9999);
        unsigned long long va = a(), vb = b(), vc = c(), vd = d(), ve = e(), vf = f(), vg = g(), vh = h(), vk = k();
        std::cout << "mt19937 10000th:       " << va << '\n';
        std::cout << "mt19937_64 10000th:    " << vb << '\n';
        std::cout << "minstd_rand0 10000th:  " << vc << '\n';
        std::cout << "minstd_rand 10000th:   " << vd << '\n';
        std::cout << "ranlux24_base 10000th: " << ve << '\n';
        std::cout << "ranlux48_base 10000th: " << vf << '\n';
        std::cout << "ranlux24 10000th:      " << vg << '\n';
        std::cout << "ranlux48 10000th:      " << vh << '\n';
        std::cout << "knuth_b 10000th:       " << vk << '\n';
        assert(va == 4123659995u);
        assert(vb == 9981545732273789042ull);
        assert(vc == 1043618065u);
        assert(vd == 399268537u);
        assert(ve == 7937952u);
        assert(vf == 61839128582725ull);
        assert(vg == 9901578u);
        assert(vh == 249142670248501ull);
        assert(vk == 1112339016u);
    }

    show("mt19937(42)      ", std::mt19937(42), 6);
    show("mt19937(2024)    ", std::mt19937(2024), 6);
    show("mt19937_64(7)    ", std::mt19937_64(7), 4);
    show("minstd_rand(1)   ", std::minstd_rand(1), 6);
    show("minstd_rand0(99) ", std::minstd_rand0(99), 6);
    show("ranlux24(5)      ", std::ranlux24(5), 6);
    show("ranlux48(5)      ", std::ranlux48(5), 4);
    show("knuth_b(3)       ", std::knuth_b(3), 6);

    // discard(n) is equivalent to calling the engine n times.
    std::mt19937 x(12345), y(12345);
    for (int i = 0; i < 1000; ++i) x();
    y.discard(1000);
    std::cout << "discard equivalence: " << (x == y ? "equal" : "different") << ", next " << x() << ' ' << y()
              << '\n';
    assert(x == y);

    // seed() resets the state; min()/max() describe the range.
    std::minstd_rand m(777);
    auto first = m();
    m.seed(777);
    std::cout << "reseed reproduces: " << (first == m() ? "yes" : "no") << '\n';
    std::cout << "minstd_rand range: " << std::minstd_rand::min() << ".." << std::minstd_rand::max() << '\n';
    std::cout << "mt19937 range: " << std::mt19937::min() << ".." << std::mt19937::max() << '\n';
    std::cout << "ranlux24 range: " << std::ranlux24::min() << ".." << std::ranlux24::max() << '\n';

    // State round-trips through a stream.
    std::mt19937 s1(555);
    s1.discard(100);
    std::stringstream ss;
    ss << s1;
    std::mt19937 s2;
    ss >> s2;
    std::cout << "stream round-trip equal: " << (s1 == s2 ? "yes" : "no") << ", next " << s2() << '\n';

    // A custom linear_congruential_engine and subtract_with_carry_engine.
    std::linear_congruential_engine<std::uint32_t, 1103515245u, 12345u, 2147483648u> lcg(1);
    show("custom lcg(1)    ", lcg, 5);
    std::independent_bits_engine<std::mt19937, 16, std::uint32_t> ib(9);
    show("indep_bits16(9)  ", ib, 6);

    // Hand-written mappings (not std distributions): histogram of gen() % 6
    // and a Fisher-Yates shuffle using gen() % (i + 1).
    std::mt19937 g(2023);
    std::vector<int> hist(6, 0);
    for (int i = 0; i < 60000; ++i) ++hist[g() % 6];
    std::cout << "die histogram:";
    int total = 0;
    for (int h : hist) {
        std::cout << ' ' << h;
        total += h;
    }
    std::cout << '\n';
    assert(total == 60000);

    std::vector<int> deck(20);
    for (int i = 0; i < 20; ++i) deck[i] = i;
    std::mt19937_64 sh(99);
    for (int i = 19; i > 0; --i) {
        int j = static_cast<int>(sh() % static_cast<std::uint64_t>(i + 1));
        std::swap(deck[i], deck[j]);
    }
    std::cout << "shuffled:";
    for (int v : deck) std::cout << ' ' << v;
    std::cout << '\n';

    // Monte Carlo pi with integer arithmetic only.
    std::mt19937 mc(31337);
    long long inside = 0, trials = 200000;
    for (long long i = 0; i < trials; ++i) {
        long long px = mc() % 10000, py = mc() % 10000;
        if (px * px + py * py < 100000000LL) ++inside;
    }
    std::cout << "monte carlo inside=" << inside << " of " << trials << " (pi*10000 ~ " << inside * 40000 / trials
              << ")\n";
    return 0;
}
