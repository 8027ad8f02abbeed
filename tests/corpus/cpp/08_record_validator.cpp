// Line-oriented input validation with exceptions. Each stdin line is a
// comma-separated record "name,age,email,score"; a ParseError carries the
// line and field number. Library exceptions from std::stoi / std::stod are
// translated into ParseError (their own what() text is never printed).
#include <algorithm>
#include <cassert>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

struct ParseError : std::runtime_error {
    int line, field;
    ParseError(int l, int f, const std::string& msg)
        : std::runtime_error("line " + std::to_string(l) + ", field " + std::to_string(f) + ": " + msg),
          line(l), field(f) {}
};

struct Record {
    std::string name;
    int age;
    std::string email;
    double score;
};

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string item;
    while (std::getline(ss, item, sep)) out.push_back(trim(item));
    if (!line.empty() && line.back() == sep) out.push_back("");
    return out;
}

int parse_age(const std::string& s, int line) {
    std::size_t used = 0;
    int v = 0;
    try {
        v = std::stoi(s, &used);
    } catch (const std::invalid_argument&) {
        throw ParseError(line, 2, "age '" + s + "' is not a number");
    } catch (const std::out_of_range&) {
        throw ParseError(line, 2, "age '" + s + "' does not fit in int");
    }
    if (used != s.size()) throw ParseError(line, 2, "trailing characters in age");
    if (v < 0 || v > 150) throw ParseError(line, 2, "age " + std::to_string(v) + " out of range 0..150");
    return v;
}

double parse_score(const std::string& s, int line) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(s, &used);
    } catch (const std::logic_error&) {  // invalid_argument or out_of_range
        throw ParseError(line, 4, "score '" + s + "' is not a number");
    }
    if (used != s.size()) throw ParseError(line, 4, "trailing characters in score");
    if (v < 0 || v > 100) throw ParseError(line, 4, "score above 100");
    return v;
}

Record parse_record(const std::string& line, int lineno) {
    auto f = split(line, ',');
    if (f.size() != 4)
        throw ParseError(lineno, 0, "expected 4 fields, got " + std::to_string(f.size()));
    if (f[0].empty()) throw ParseError(lineno, 1, "empty name");
    Record r;
    r.name = f[0];
    r.age = parse_age(f[1], lineno);
    auto at = f[2].find('@');
    if (at == std::string::npos || at == 0 || f[2].find('.', at) == std::string::npos)
        throw ParseError(lineno, 3, "malformed email '" + f[2] + "'");
    r.email = f[2];
    r.score = parse_score(f[3], lineno);
    return r;
}

int main() {
    std::vector<Record> good;
    std::vector<int> bad_lines;
    std::string line;
    int lineno = 0, skipped = 0;
    while (std::getline(std::cin, line)) {
        ++lineno;
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') {
            ++skipped;
            continue;
        }
        try {
            good.push_back(parse_record(t, lineno));
        } catch (const ParseError& e) {
            std::cout << "error: " << e.what() << '\n';
            bad_lines.push_back(e.line);
        }
    }
    std::cout << "lines=" << lineno << " skipped=" << skipped << " valid=" << good.size()
              << " invalid=" << bad_lines.size() << '\n';
    assert(static_cast<int>(good.size() + bad_lines.size()) + skipped == lineno);

    std::stable_sort(good.begin(), good.end(), [](const Record& a, const Record& b) { return a.score > b.score; });
    std::cout << std::fixed << std::setprecision(2);
    double total = 0;
    for (const auto& r : good) {
        std::cout << std::left << std::setw(8) << r.name << std::right << std::setw(4) << r.age << "  "
                  << std::setw(20) << std::left << r.email << std::right << std::setw(7) << r.score << '\n';
        total += r.score;
    }
    if (!good.empty()) std::cout << "average score " << total / good.size() << '\n';
    return 0;
}
