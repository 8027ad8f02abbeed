// Self-testing program in the <cassert> style: an arbitrary-precision
// unsigned integer (base 10^9 limbs) with +, -, *, divmod by small ints,
// comparison and printing, tested with assert() against 64-bit arithmetic,
// then used for 100!, 2^1000 digit sum, Fibonacci(1000) and Catalan numbers.
// An LRU cache is tested the same way. Every test prints a PASS line.
#include <cassert>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <list>
#include <map>
#include <sstream>
#include <string>
#include <vector>

class BigUInt {
    static constexpr std::uint32_t BASE = 1000000000u;
    std::vector<std::uint32_t> d_;  // little-endian limbs

    void trim() {
        while (d_.size() > 1 && d_.back() == 0) d_.pop_back();
    }

public:
    BigUInt(std::uint64_t v = 0) {
        do {
            d_.push_back(static_cast<std::uint32_t>(v % BASE));
            v /= BASE;
        } while (v);
    }
    explicit BigUInt(const std::string& s) {
        for (int end = static_cast<int>(s.size()); end > 0; end -= 9) {
            int start = end >= 9 ? end - 9 : 0;
            d_.push_back(static_cast<std::uint32_t>(std::stoul(s.substr(start, end - start))));
        }
        trim();
    }
    friend bool operator==(const BigUInt&, const BigUInt&) = default;
    friend bool operator<(const BigUInt& a, const BigUInt& b) {
        if (a.d_.size() != b.d_.size()) return a.d_.size() < b.d_.size();
        for (std::size_t i = a.d_.size(); i-- > 0;)
            if (a.d_[i] != b.d_[i]) return a.d_[i] < b.d_[i];
        return false;
    }
    BigUInt& operator+=(const BigUInt& o) {
        std::uint64_t carry = 0;
        if (d_.size() < o.d_.size()) d_.resize(o.d_.size(), 0);
        for (std::size_t i = 0; i < d_.size(); ++i) {
            std::uint64_t cur = carry + d_[i] + (i < o.d_.size() ? o.d_[i] : 0);
            d_[i] = static_cast<std::uint32_t>(cur % BASE);
            carry = cur / BASE;
        }
        if (carry) d_.push_back(static_cast<std::uint32_t>(carry));
        return *this;
    }
    BigUInt& operator-=(const BigUInt& o) {  // requires *this >= o
        std::int64_t borrow = 0;
        for (std::size_t i = 0; i < d_.size(); ++i) {
            std::int64_t cur = static_cast<std::int64_t>(d_[i]) - borrow - (i < o.d_.size() ? o.d_[i] : 0);
            borrow = cur < 0;
            if (cur < 0) cur += BASE;
            d_[i] = static_cast<std::uint32_t>(cur);
        }
        trim();
        return *this;
    }
    friend BigUInt operator*(const BigUInt& a, const BigUInt& b) {
        std::vector<std::uint64_t> r(a.d_.size() + b.d_.size() + 1, 0);
        for (std::size_t i = 0; i < a.d_.size(); ++i) {
            std::uint64_t carry = 0;
            for (std::size_t j = 0; j < b.d_.size() || carry; ++j) {
                std::uint64_t cur = r[i + j] + carry + (j < b.d_.size() ? std::uint64_t{a.d_[i]} * b.d_[j] : 0);
                r[i + j] = cur % BASE;
                carry = cur / BASE;
            }
        }
        BigUInt out;
        out.d_.assign(r.begin(), r.end());
        out.trim();
        return out;
    }
    std::uint32_t divmod_small(std::uint32_t v) {  // *this /= v, returns remainder
        std::uint64_t rem = 0;
        for (std::size_t i = d_.size(); i-- > 0;) {
            std::uint64_t cur = d_[i] + rem * BASE;
            d_[i] = static_cast<std::uint32_t>(cur / v);
            rem = cur % v;
        }
        trim();
        return static_cast<std::uint32_t>(rem);
    }
    std::string str() const {
        std::ostringstream o;
        o << d_.back();
        for (std::size_t i = d_.size() - 1; i-- > 0;) o << std::setw(9) << std::setfill('0') << d_[i];
        return o.str();
    }
};

BigUInt operator+(BigUInt a, const BigUInt& b) { return a += b; }
BigUInt operator-(BigUInt a, const BigUInt& b) { return a -= b; }

class LruCache {
    std::size_t cap_;
    std::list<std::pair<int, int>> items_;
    std::map<int, std::list<std::pair<int, int>>::iterator> where_;

public:
    explicit LruCache(std::size_t cap) : cap_(cap) {}
    int get(int k) {
        auto it = where_.find(k);
        if (it == where_.end()) return -1;
        items_.splice(items_.begin(), items_, it->second);
        return it->second->second;
    }
    void put(int k, int v) {
        auto it = where_.find(k);
        if (it != where_.end()) {
            it->second->second = v;
            items_.splice(items_.begin(), items_, it->second);
            return;
        }
        if (items_.size() == cap_) {
            where_.erase(items_.back().first);
            items_.pop_back();
        }
        items_.emplace_front(k, v);
        where_[k] = items_.begin();
    }
    std::size_t size() const { return items_.size(); }
};

int passed = 0;
void pass(const char* name) {
    ++passed;
    std::cout << "PASS " << name << '\n';
}

int main() {
    // Arithmetic agrees with uint64 on a grid of values.
    std::uint64_t samples[] = {0, 1, 9, 999999999, 1000000000, 1234567890123ULL, 4294967295ULL, 999999999999999999ULL};
    for (auto a : samples)
        for (auto b : samples) {
            if (a <= 9000000000000000000ULL - b) assert((BigUInt(a) + BigUInt(b)) == BigUInt(a + b));
            if (a >= b) assert((BigUInt(a) - BigUInt(b)) == BigUInt(a - b));
            if (a < 4294967296ULL && b < 4294967296ULL) assert((BigUInt(a) * BigUInt(b)) == BigUInt(a * b));
            assert((BigUInt(a) < BigUInt(b)) == (a < b));
            assert(BigUInt(a).str() == std::to_string(a));
        }
    pass("bigint matches uint64 arithmetic");

    BigUInt parsed("123456789012345678901234567890");
    assert(parsed.str() == "123456789012345678901234567890");
    BigUInt q = parsed;
    std::uint32_t rem = q.divmod_small(97);
    assert((q * BigUInt(97) + BigUInt(rem)) == parsed);
    pass("bigint parse and divmod round trip");

    BigUInt fact(1);
    for (std::uint32_t i = 2; i <= 100; ++i) fact = fact * BigUInt(i);
    std::string fs = fact.str();
    std::cout << "100! has " << fs.size() << " digits: " << fs.substr(0, 20) << "..." << fs.substr(fs.size() - 30) << '\n';
    int digit_sum = 0;
    for (char c : fs) digit_sum += c - '0';
    assert(fs.size() == 158 && digit_sum == 648);
    pass("100! digit count and digit sum");

    BigUInt p2(1);
    for (int i = 0; i < 1000; ++i) p2 = p2 + p2;
    int s2 = 0;
    for (char c : p2.str()) s2 += c - '0';
    std::cout << "2^1000 has " << p2.str().size() << " digits, digit sum " << s2 << '\n';
    assert(s2 == 1366);
    pass("2^1000 digit sum");

    BigUInt fa(0), fb(1);
    for (int i = 0; i < 1000; ++i) {
        BigUInt t = fa + fb;
        fa = fb;
        fb = t;
    }
    std::string f1000 = fa.str();
    std::cout << "F(1000) = " << f1000.substr(0, 15) << "... (" << f1000.size() << " digits)\n";
    assert(f1000.size() == 209);
    pass("Fibonacci(1000)");

    // Catalan numbers C(n+1) = C(n) * 2(2n+1) / (n+2), exact division.
    BigUInt cat(1);
    for (std::uint32_t n = 0; n < 60; ++n) {
        cat = cat * BigUInt(2 * (2 * n + 1));
        std::uint32_t r = cat.divmod_small(n + 2);
        assert(r == 0);
    }
    std::cout << "Catalan(60) = " << cat.str() << '\n';
    pass("Catalan recurrence divides exactly");

    LruCache cache(3);
    cache.put(1, 10);
    cache.put(2, 20);
    cache.put(3, 30);
    assert(cache.get(1) == 10);  // order now 1,3,2
    cache.put(4, 40);            // evicts 2
    assert(cache.get(2) == -1);
    assert(cache.get(3) == 30);
    cache.put(1, 11);
    cache.put(5, 50);  // evicts 4
    assert(cache.get(4) == -1 && cache.get(1) == 11 && cache.get(5) == 50 && cache.size() == 3);
    pass("LRU cache eviction order");

    std::cout << passed << " tests passed\n";
    return 0;
}
