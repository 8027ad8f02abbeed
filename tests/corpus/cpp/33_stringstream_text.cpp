// String processing with <sstream> and <string>: tokenizing with
// istringstream, parsing typed fields, building output with ostringstream,
// CSV splitting with getline and a delimiter, word frequencies with a
// std::map, case conversion, trimming, replacing, reversing words, run-length
// encoding, Caesar cipher, and number <-> string conversions.
#include <algorithm>
#include <cassert>
#include <cctype>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

std::vector<std::string> split(const std::string& s, char delim) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string item;
    while (std::getline(in, item, delim)) out.push_back(item);
    return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
    std::ostringstream out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out << sep;
        out << parts[i];
    }
    return out.str();
}

std::string rle(const std::string& s) {
    std::ostringstream out;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t j = i;
        while (j < s.size() && s[j] == s[i]) ++j;
        out << (j - i) << s[i];
        i = j;
    }
    return out.str();
}

std::string unrle(const std::string& s) {
    std::istringstream in(s);
    std::string out;
    int count;
    char c;
    while (in >> count >> c) out.append(count, c);
    return out;
}

std::string caesar(std::string s, int k) {
    for (char& c : s) {
        if (std::islower(static_cast<unsigned char>(c))) c = static_cast<char>('a' + (c - 'a' + k + 26) % 26);
        else if (std::isupper(static_cast<unsigned char>(c))) c = static_cast<char>('A' + (c - 'A' + k + 26) % 26);
    }
    return s;
}

int main() {
    const std::string text =
        "It was the best of times, it was the worst of times, it was the age of wisdom, "
        "it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.";
    std::map<std::string, int> freq;
    std::istringstream words(text);
    std::string w;
    int total = 0;
    while (words >> w) {
        std::string clean;
        for (char c : w)
            if (std::isalpha(static_cast<unsigned char>(c))) clean += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (clean.empty()) continue;
        ++freq[clean];
        ++total;
    }
    std::cout << "words: " << total << ", distinct: " << freq.size() << '\n';
    std::vector<std::pair<std::string, int>> byfreq(freq.begin(), freq.end());
    std::stable_sort(byfreq.begin(), byfreq.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (int i = 0; i < 5; ++i) std::cout << "  " << std::left << std::setw(8) << byfreq[i].first << std::right << byfreq[i].second << '\n';

    // Typed parsing from a string stream.
    std::istringstream record("42 3.75 hello -17 0x1f true");
    int i1, i2;
    double d;
    std::string s;
    std::string hexs, bools;
    record >> i1 >> d >> s >> i2 >> hexs >> bools;
    int hexv = std::stoi(hexs, nullptr, 16);
    std::cout << "parsed: " << i1 << " | " << d << " | " << s << " | " << i2 << " | " << hexv << " | " << bools << '\n';

    std::istringstream bad("12 abc 7");
    int x = 0, y = 0;
    bad >> x >> y;
    std::cout << "after failed extraction: x=" << x << " y=" << y << " fail=" << bad.fail() << '\n';
    bad.clear();
    std::string skipped;
    bad >> skipped >> y;
    std::cout << "after clear: skipped=" << skipped << " y=" << y << " good=" << bad.good() << " eof=" << bad.eof() << '\n';

    // CSV splitting and reassembly.
    std::string csv = "id,name,city,,score";
    auto fields = split(csv, ',');
    std::cout << "fields: " << fields.size() << " -> [" << join(fields, "|") << "]\n";

    // Reverse word order and each word.
    std::istringstream sentence("the quick brown fox jumps over the lazy dog");
    std::vector<std::string> ws;
    while (sentence >> w) ws.push_back(w);
    std::reverse(ws.begin(), ws.end());
    std::cout << "reversed words: " << join(ws, " ") << '\n';
    for (auto& word : ws) std::reverse(word.begin(), word.end());
    std::cout << "mirrored: " << join(ws, " ") << '\n';

    // Trimming, case conversion, replace-all, find.
    std::string padded = "   \tMixed Case Text With   Spaces \n";
    auto b = padded.find_first_not_of(" \t\n");
    auto e = padded.find_last_not_of(" \t\n");
    std::string trimmed = padded.substr(b, e - b + 1);
    std::string upper = trimmed, lower = trimmed;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::cout << "trimmed: [" << trimmed << "]\nupper: [" << upper << "]\nlower: [" << lower << "]\n";
    std::string rep = "a-b-c--d---e";
    for (std::size_t p = 0; (p = rep.find("--", p)) != std::string::npos;) rep.replace(p, 2, "-");
    std::cout << "collapsed dashes: " << rep << '\n';
    std::cout << "count of 'the' in text: ";
    int cnt = 0;
    for (std::size_t p = 0; (p = text.find("the", p)) != std::string::npos; p += 3) ++cnt;
    std::cout << cnt << '\n';
    std::cout << "starts_with It: " << text.starts_with("It") << ", ends_with '.': " << text.ends_with('.') << '\n';

    // RLE and Caesar round trips.
    std::string raw = "WWWWWWWWWWWWBWWWWWWWWWWWWBBBWWWWWWWWWWWWWWWWWWWWWWWWBWWWWWWWWWWWWWW";
    std::string enc = rle(raw);
    std::cout << "rle: " << enc << '\n';
    assert(unrle(enc) == raw);
    std::string secret = caesar("Attack at Dawn, Zebra!", 3);
    std::cout << "caesar +3: " << secret << ", back: " << caesar(secret, -3) << '\n';

    // Number formatting through streams and to_string.
    std::ostringstream num;
    num << std::setw(8) << std::setfill('0') << 4711 << ' ' << std::hex << 255 << ' ' << std::oct << 64 << ' '
        << std::dec << std::showpos << 5;
    std::cout << "formatted: " << num.str() << '\n';
    std::cout << "to_string: " << std::to_string(-123) << ' ' << std::to_string(9876543210LL) << ' '
              << std::to_string(0.5) << '\n';
    std::stringstream roundtrip;
    roundtrip << 123456789 << ' ' << -42;
    long long p1, p2;
    roundtrip >> p1 >> p2;
    std::cout << "round trip sum: " << p1 + p2 << '\n';

    // Palindromic sentences, ignoring non-letters.
    for (std::string cand : {"A man, a plan, a canal: Panama", "Was it a car or a cat I saw?", "Not a palindrome"}) {
        std::string letters;
        for (char c : cand)
            if (std::isalnum(static_cast<unsigned char>(c))) letters += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool pal = std::equal(letters.begin(), letters.begin() + letters.size() / 2, letters.rbegin());
        std::cout << std::quoted(cand) << (pal ? " is" : " is not") << " a palindrome\n";
    }
    return 0;
}
