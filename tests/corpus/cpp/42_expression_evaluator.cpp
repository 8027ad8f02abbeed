// A line-oriented calculator: tokenizer + recursive-descent parser over
// 64-bit integers with variables, assignment (right associative), unary
// minus, right-associative '^', and functions min/max/gcd/abs. Each stdin
// line is one statement; errors are reported through a small exception
// hierarchy (syntax, math, name errors) and the calculator keeps going.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

struct CalcError : std::runtime_error {
    using std::runtime_error::runtime_error;
    virtual const char* category() const { return "error"; }
};
struct SyntaxError : CalcError {
    using CalcError::CalcError;
    const char* category() const override { return "syntax error"; }
};
struct MathError : CalcError {
    using CalcError::CalcError;
    const char* category() const override { return "math error"; }
};
struct NameError : CalcError {
    using CalcError::CalcError;
    const char* category() const override { return "name error"; }
};

struct Token {
    enum Kind { Num, Ident, Op, End } kind;
    std::string text;
    long long value = 0;
    std::size_t pos = 0;
};

std::vector<Token> tokenize(const std::string& s) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (std::isspace(c)) {
            ++i;
        } else if (std::isdigit(c)) {
            std::size_t j = i;
            long long v = 0;
            while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
                int d = s[j] - '0';
                if (v > (std::numeric_limits<long long>::max() - d) / 10) throw MathError("integer literal too large");
                v = v * 10 + d;
                ++j;
            }
            out.push_back({Token::Num, s.substr(i, j - i), v, i});
            i = j;
        } else if (std::isalpha(c) || c == '_') {
            std::size_t j = i;
            while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
            out.push_back({Token::Ident, s.substr(i, j - i), 0, i});
            i = j;
        } else if (std::string("+-*/%^(),=").find(static_cast<char>(c)) != std::string::npos) {
            out.push_back({Token::Op, std::string(1, static_cast<char>(c)), 0, i});
            ++i;
        } else {
            throw SyntaxError("unexpected character '" + std::string(1, static_cast<char>(c)) + "' at column " +
                              std::to_string(i + 1));
        }
    }
    out.push_back({Token::End, "", 0, s.size()});
    return out;
}

class Parser {
    const std::vector<Token>& t_;
    std::size_t p_ = 0;
    std::map<std::string, long long>& vars_;

    const Token& peek() const { return t_[p_]; }
    bool is_op(const char* op) const { return peek().kind == Token::Op && peek().text == op; }
    void expect(const char* op) {
        if (!is_op(op)) throw SyntaxError(std::string("expected '") + op + "' at column " + std::to_string(peek().pos + 1));
        ++p_;
    }

    static constexpr long long MAXV = std::numeric_limits<long long>::max();
    static constexpr long long MINV = std::numeric_limits<long long>::min();
    static long long checked_add(long long a, long long b) {
        if ((b > 0 && a > MAXV - b) || (b < 0 && a < MINV - b)) throw MathError("overflow in addition");
        return a + b;
    }
    static long long checked_sub(long long a, long long b) {
        if ((b < 0 && a > MAXV + b) || (b > 0 && a < MINV + b)) throw MathError("overflow in subtraction");
        return a - b;
    }
    static long long checked_mul(long long a, long long b) {
        if (a == 0 || b == 0) return 0;
        bool overflow = a > 0 ? (b > 0 ? a > MAXV / b : b < MINV / a) : (b > 0 ? a < MINV / b : b < MAXV / a);
        if (overflow) throw MathError("overflow in multiplication");
        return a * b;
    }

    long long assignment() {
        if (peek().kind == Token::Ident && t_[p_ + 1].kind == Token::Op && t_[p_ + 1].text == "=") {
            std::string name = peek().text;
            p_ += 2;
            long long v = assignment();
            vars_[name] = v;
            return v;
        }
        return sum();
    }
    long long sum() {
        long long v = product();
        while (is_op("+") || is_op("-")) {
            bool plus = peek().text == "+";
            ++p_;
            long long r = product();
            v = plus ? checked_add(v, r) : checked_sub(v, r);
        }
        return v;
    }
    long long product() {
        long long v = unary();
        while (is_op("*") || is_op("/") || is_op("%")) {
            char op = peek().text[0];
            ++p_;
            long long r = unary();
            if (op == '*') {
                v = checked_mul(v, r);
            } else {
                if (r == 0) throw MathError(op == '/' ? "division by zero" : "modulo by zero");
                v = op == '/' ? v / r : v % r;
            }
        }
        return v;
    }
    long long unary() {
        if (is_op("-")) {
            ++p_;
            long long v = unary();
            if (v == MINV) throw MathError("overflow in negation");
            return -v;
        }
        if (is_op("+")) {
            ++p_;
            return unary();
        }
        return power();
    }
    long long power() {
        long long base = primary();
        if (is_op("^")) {
            ++p_;
            long long e = unary();  // right associative
            if (e < 0) throw MathError("negative exponent");
            long long r = 1;
            for (long long i = 0; i < e; ++i) r = checked_mul(r, base);
            return r;
        }
        return base;
    }
    long long primary() {
        const Token& tk = peek();
        if (tk.kind == Token::Num) {
            ++p_;
            return tk.value;
        }
        if (tk.kind == Token::Ident) {
            ++p_;
            if (is_op("(")) {
                ++p_;
                std::vector<long long> args;
                if (!is_op(")")) {
                    args.push_back(assignment());
                    while (is_op(",")) {
                        ++p_;
                        args.push_back(assignment());
                    }
                }
                expect(")");
                return call(tk.text, args);
            }
            auto it = vars_.find(tk.text);
            if (it == vars_.end()) throw NameError("unknown variable '" + tk.text + "'");
            return it->second;
        }
        if (is_op("(")) {
            ++p_;
            long long v = assignment();
            expect(")");
            return v;
        }
        if (tk.kind == Token::End) throw SyntaxError("unexpected end of input");
        throw SyntaxError("unexpected '" + tk.text + "' at column " + std::to_string(tk.pos + 1));
    }
    static long long call(const std::string& f, const std::vector<long long>& a) {
        if (f == "min" || f == "max") {
            if (a.empty()) throw SyntaxError(f + "() needs at least one argument");
            long long r = a[0];
            for (long long x : a) r = f == "min" ? std::min(r, x) : std::max(r, x);
            return r;
        }
        if (f == "gcd" && a.size() == 2) return std::gcd(a[0], a[1]);
        if (f == "abs" && a.size() == 1) return a[0] < 0 ? -a[0] : a[0];
        throw NameError("unknown function '" + f + "' with " + std::to_string(a.size()) + " argument(s)");
    }

public:
    Parser(const std::vector<Token>& t, std::map<std::string, long long>& vars) : t_(t), vars_(vars) {}
    long long statement() {
        long long v = assignment();
        if (peek().kind != Token::End)
            throw SyntaxError("trailing input at column " + std::to_string(peek().pos + 1));
        return v;
    }
};

int main() {
    std::map<std::string, long long> vars;
    std::string line;
    int lineno = 0, ok = 0, failed = 0;
    while (std::getline(std::cin, line)) {
        ++lineno;
        auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        try {
            auto tokens = tokenize(line);
            Parser parser(tokens, vars);
            long long v = parser.statement();
            std::cout << lineno << ": " << v << '\n';
            ++ok;
        } catch (const CalcError& e) {
            std::cout << lineno << ": " << e.category() << ": " << e.what() << '\n';
            ++failed;
        }
    }
    std::cout << "evaluated " << ok << ", failed " << failed << '\n';
    std::cout << "variables:";
    for (const auto& [k, v] : vars) std::cout << ' ' << k << '=' << v;
    std::cout << '\n';
    return 0;
}
