// Reads stdin line by line with std::getline until EOF (the last line has
// no trailing newline). Reports line/word/character counts, blank lines,
// the longest line, palindromic lines (ignoring case and non-letters), a
// letter histogram, numbers embedded in the text, a title-cased copy of
// every line, and the lines in reverse order.
#include <algorithm>
#include <array>
#include <cctype>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

bool is_palindrome_line(const std::string& s) {
    std::string t;
    for (unsigned char c : s)
        if (std::isalpha(c)) t += static_cast<char>(std::tolower(c));
    if (t.empty()) return false;
    return std::equal(t.begin(), t.begin() + t.size() / 2, t.rbegin());
}

std::string title_case(const std::string& s) {
    std::string out = s;
    bool start = true;
    for (char& ch : out) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (std::isalpha(c)) {
            ch = static_cast<char>(start ? std::toupper(c) : std::tolower(c));
            start = false;
        } else {
            start = std::isspace(c) != 0;
        }
    }
    return out;
}

int main() {
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(std::cin, line)) lines.push_back(line);

    long long words = 0, chars = 0;
    int blank = 0;
    std::size_t longest = 0;
    std::array<int, 26> hist{};
    long long number_sum = 0;
    int numbers = 0;
    for (const auto& l : lines) {
        chars += static_cast<long long>(l.size());
        std::istringstream in(l);
        std::string w;
        int here = 0;
        while (in >> w) {
            ++here;
            bool all_digits = std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); });
            if (all_digits) {
                number_sum += std::stoll(w);
                ++numbers;
            }
        }
        words += here;
        if (here == 0) ++blank;
        if (l.size() > lines[longest].size()) longest = &l - &lines[0];
        for (unsigned char c : l)
            if (std::isalpha(c)) ++hist[std::tolower(c) - 'a'];
    }

    std::cout << "lines: " << lines.size() << ", words: " << words << ", chars (without newlines): " << chars << '\n';
    std::cout << "blank lines: " << blank << '\n';
    std::cout << "longest line #" << longest + 1 << " (" << lines[longest].size() << " chars): \"" << lines[longest] << "\"\n";
    std::cout << "numbers found: " << numbers << ", their sum: " << number_sum << '\n';

    std::cout << "palindromic lines:";
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (is_palindrome_line(lines[i])) std::cout << ' ' << i + 1;
    std::cout << '\n';

    std::cout << "letter histogram (non-zero):\n";
    int max_count = *std::max_element(hist.begin(), hist.end());
    for (int i = 0; i < 26; ++i)
        if (hist[i]) std::cout << "  " << static_cast<char>('a' + i) << ' ' << std::string(hist[i] * 40 / max_count, '#') << ' ' << hist[i] << '\n';

    std::cout << "title case:\n";
    for (const auto& l : lines)
        if (!l.empty()) std::cout << "  " << title_case(l) << '\n';

    std::cout << "reversed order:\n";
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) std::cout << "  [" << *it << "]\n";
    return 0;
}
