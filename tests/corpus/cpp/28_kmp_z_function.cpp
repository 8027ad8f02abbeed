// String matching: prefix function (KMP), Z-function, and polynomial
// rolling hash with two moduli, all finding the same occurrences; plus
// classic applications: smallest period, number of distinct substrings of
// small strings, longest palindromic substring (Manacher) and a suffix array
// by prefix doubling with its LCP array (Kasai).
#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <iostream>
#include <set>
#include <string>
#include <vector>

std::vector<int> prefix_function(const std::string& s) {
    int n = static_cast<int>(s.size());
    std::vector<int> pi(n, 0);
    for (int i = 1; i < n; ++i) {
        int j = pi[i - 1];
        while (j > 0 && s[i] != s[j]) j = pi[j - 1];
        if (s[i] == s[j]) ++j;
        pi[i] = j;
    }
    return pi;
}

std::vector<int> z_function(const std::string& s) {
    int n = static_cast<int>(s.size());
    std::vector<int> z(n, 0);
    for (int i = 1, l = 0, r = 0; i < n; ++i) {
        if (i < r) z[i] = std::min(r - i, z[i - l]);
        while (i + z[i] < n && s[z[i]] == s[i + z[i]]) ++z[i];
        if (i + z[i] > r) {
            l = i;
            r = i + z[i];
        }
    }
    return z;
}

std::vector<int> kmp_find(const std::string& text, const std::string& pat) {
    auto pi = prefix_function(pat + '\x01' + text);
    std::vector<int> res;
    int m = static_cast<int>(pat.size());
    for (int i = m + 1; i < static_cast<int>(pi.size()); ++i)
        if (pi[i] == m) res.push_back(i - 2 * m);
    return res;
}

std::vector<int> z_find(const std::string& text, const std::string& pat) {
    auto z = z_function(pat + '\x01' + text);
    std::vector<int> res;
    int m = static_cast<int>(pat.size());
    for (int i = m + 1; i < static_cast<int>(z.size()); ++i)
        if (z[i] >= m) res.push_back(i - m - 1);
    return res;
}

std::vector<int> hash_find(const std::string& text, const std::string& pat) {
    const std::uint64_t M1 = 1000000007ULL, M2 = 998244353ULL, B = 131;
    int n = static_cast<int>(text.size()), m = static_cast<int>(pat.size());
    std::vector<int> res;
    if (m > n) return res;
    std::uint64_t hp1 = 0, hp2 = 0, ht1 = 0, ht2 = 0, p1 = 1, p2 = 1;
    for (int i = 0; i < m; ++i) {
        hp1 = (hp1 * B + static_cast<unsigned char>(pat[i])) % M1;
        hp2 = (hp2 * B + static_cast<unsigned char>(pat[i])) % M2;
        ht1 = (ht1 * B + static_cast<unsigned char>(text[i])) % M1;
        ht2 = (ht2 * B + static_cast<unsigned char>(text[i])) % M2;
        if (i) {
            p1 = p1 * B % M1;
            p2 = p2 * B % M2;
        }
    }
    for (int i = 0;; ++i) {
        if (ht1 == hp1 && ht2 == hp2) res.push_back(i);
        if (i + m >= n) break;
        std::uint64_t out = static_cast<unsigned char>(text[i]), in = static_cast<unsigned char>(text[i + m]);
        ht1 = ((ht1 + M1 - out * p1 % M1) * B + in) % M1;
        ht2 = ((ht2 + M2 - out * p2 % M2) * B + in) % M2;
    }
    return res;
}

std::string manacher_longest(const std::string& s) {
    std::string t = "|";
    for (char c : s) {
        t += c;
        t += '|';
    }
    int n = static_cast<int>(t.size());
    std::vector<int> d(n, 0);
    int best = 0, center = 0;
    for (int i = 0, l = 0, r = -1; i < n; ++i) {
        int k = i > r ? 1 : std::min(d[l + r - i], r - i + 1);
        while (i - k >= 0 && i + k < n && t[i - k] == t[i + k]) ++k;
        d[i] = k--;
        if (i + k > r) {
            l = i - k;
            r = i + k;
        }
        if (d[i] - 1 > best) {
            best = d[i] - 1;
            center = i;
        }
    }
    return s.substr((center - best) / 2, best);
}

std::vector<int> suffix_array(const std::string& s) {
    int n = static_cast<int>(s.size());
    std::vector<int> sa(n), rank(n), tmp(n);
    for (int i = 0; i < n; ++i) {
        sa[i] = i;
        rank[i] = static_cast<unsigned char>(s[i]);
    }
    for (int k = 1;; k <<= 1) {
        auto key = [&](int i) { return std::make_pair(rank[i], i + k < n ? rank[i + k] : -1); };
        std::sort(sa.begin(), sa.end(), [&](int a, int b) { return key(a) < key(b) || (key(a) == key(b) && a < b); });
        tmp[sa[0]] = 0;
        for (int i = 1; i < n; ++i) tmp[sa[i]] = tmp[sa[i - 1]] + (key(sa[i - 1]) < key(sa[i]));
        rank = tmp;
        if (rank[sa[n - 1]] == n - 1) break;
    }
    return sa;
}

int main() {
    // Text: the Thue-Morse word mapped to 'ab', plus a repetitive tail.
    std::string text;
    for (int i = 0; i < 100000; ++i) text += (std::popcount(static_cast<unsigned>(i)) & 1) ? 'b' : 'a';
    for (int i = 0; i < 2000; ++i) text += "abc";

    for (std::string pat : {"abba", "abbaabba", "aaa", "abcabcabc", "babbaabbab", "cc"}) {
        auto k = kmp_find(text, pat);
        auto z = z_find(text, pat);
        auto h = hash_find(text, pat);
        assert(k == z && z == h);
        std::cout << "pattern " << pat << ": " << k.size() << " occurrences";
        if (!k.empty()) std::cout << ", first " << k.front() << ", last " << k.back();
        std::cout << '\n';
    }

    for (std::string s : {"abcabcabcabc", "aaaa", "abcd", "abaababaab", "xyzxyzx"}) {
        auto pi = prefix_function(s);
        int n = static_cast<int>(s.size());
        int period = n - pi[n - 1];
        std::cout << "smallest period of " << s << " = " << period << (n % period == 0 ? " (exact)" : "") << '\n';
    }

    auto z = z_function("aabxaabxcaabxaabxay");
    std::cout << "z-function:";
    for (int v : z) std::cout << ' ' << v;
    std::cout << '\n';

    for (std::string s : {"babad", "forgeeksskeegfor", "abacdfgdcaba", "racecar", "a"})
        std::cout << "longest palindrome in " << s << ": " << manacher_longest(s) << '\n';

    std::string word = "mississippi";
    auto sa = suffix_array(word);
    std::vector<int> rank(word.size()), lcp(word.size(), 0);
    for (std::size_t i = 0; i < sa.size(); ++i) rank[sa[i]] = static_cast<int>(i);
    for (int i = 0, h = 0; i < static_cast<int>(word.size()); ++i) {
        if (rank[i] == 0) {
            h = 0;
            continue;
        }
        int j = sa[rank[i] - 1];
        while (i + h < static_cast<int>(word.size()) && j + h < static_cast<int>(word.size()) && word[i + h] == word[j + h]) ++h;
        lcp[rank[i]] = h;
        if (h) --h;
    }
    std::cout << "suffix array of " << word << ":\n";
    long long lcp_sum = 0;
    for (std::size_t i = 0; i < sa.size(); ++i) {
        std::cout << "  " << sa[i] << ' ' << lcp[i] << ' ' << word.substr(sa[i]) << '\n';
        lcp_sum += lcp[i];
    }
    long long n = static_cast<long long>(word.size());
    long long distinct = n * (n + 1) / 2 - lcp_sum;
    std::set<std::string> all;
    for (std::size_t i = 0; i < word.size(); ++i)
        for (std::size_t len = 1; i + len <= word.size(); ++len) all.insert(word.substr(i, len));
    std::cout << "distinct substrings: " << distinct << " (brute force " << all.size() << ")\n";
    assert(distinct == static_cast<long long>(all.size()));
    return 0;
}
