// Output formatting with <iomanip>: setw / setfill / left / right /
// internal, fixed and scientific with setprecision, showpoint, showpos,
// hex / oct / dec with showbase and uppercase, boolalpha, and a formatted
// table (amortization schedule computed in integer cents). Every printed
// floating-point value is exactly representable or rounded far from a tie.
#include <cassert>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main() {
    std::cout << '[' << std::setw(8) << 42 << "] [" << std::left << std::setw(8) << 42 << "] [" << std::right
              << std::setfill('*') << std::setw(8) << 42 << "] [" << std::internal << std::setw(8) << -42 << "]\n";
    std::cout << std::setfill(' ');

    std::cout << "hex " << std::hex << 255 << ' ' << std::showbase << 255 << ' ' << std::uppercase << 255
              << std::nouppercase << std::noshowbase << std::dec << '\n';
    std::cout << "oct " << std::oct << 8 << ' ' << std::showbase << 8 << std::noshowbase << std::dec << '\n';
    std::cout << "hex of -1 as int32: " << std::hex << -1 << std::dec << '\n';
    std::cout << "hex of 2^40: " << std::hex << (1ULL << 40) << std::dec << '\n';
    std::cout << "padded hex bytes:";
    for (int b : {0, 7, 10, 171, 255}) std::cout << ' ' << std::hex << std::setw(2) << std::setfill('0') << b;
    std::cout << std::dec << std::setfill(' ') << '\n';

    std::cout << "bool " << true << ' ' << std::boolalpha << true << ' ' << false << std::noboolalpha << '\n';
    std::cout << "showpos " << std::showpos << 7 << ' ' << 0 << ' ' << -7 << std::noshowpos << '\n';

    const double values[] = {3.14159265358979, 2.5, 0.1, 1234567.891, 1e-5, 100.0, -0.75};
    for (double v : values) {
        std::ostringstream line;
        line << std::setw(14) << std::defaultfloat << v << " | " << std::fixed << std::setprecision(3) << std::setw(14) << v
             << " | " << std::scientific << std::setprecision(4) << v << std::defaultfloat << std::setprecision(6);
        std::cout << line.str() << '\n';
    }
    std::cout << "setprecision(10) pi: " << std::setprecision(10) << 3.14159265358979 << '\n';
    std::cout << "setprecision(3) 1234.5678: " << std::setprecision(3) << 1234.5678 << std::setprecision(6) << '\n';
    std::cout << "showpoint 2.0: " << std::showpoint << 2.0 << std::noshowpoint << ", without: " << 2.0 << '\n';
    std::cout << "fixed 0 decimals of 2.75: " << std::fixed << std::setprecision(0) << 2.75 << std::defaultfloat
              << std::setprecision(6) << '\n';
    std::cout << "large: " << 1e21 << ' ' << 123456789.0 << ' ' << 1e-7 << '\n';

    // Amortization schedule in integer cents: 10,000.00 at 6% yearly, 12 months.
    std::int64_t principal = 1000000;  // cents
    const std::int64_t rate_num = 6, rate_den = 1200;  // monthly rate 0.5%
    // payment = P*r / (1 - (1+r)^-n), computed with doubles then rounded to cents
    double r = static_cast<double>(rate_num) / rate_den;
    double factor = 1.0;
    for (int i = 0; i < 12; ++i) factor *= (1 + r);
    std::int64_t payment = static_cast<std::int64_t>(principal * r * factor / (factor - 1) + 0.5);
    std::cout << "monthly payment: " << payment / 100 << '.' << std::setw(2) << std::setfill('0') << payment % 100
              << std::setfill(' ') << '\n';
    std::cout << std::left << std::setw(6) << "month" << std::right << std::setw(12) << "interest" << std::setw(12)
              << "principal" << std::setw(14) << "balance" << '\n';
    std::cout << std::string(44, '-') << '\n';
    std::int64_t balance = principal, total_interest = 0;
    auto money = [](std::int64_t cents) {
        std::ostringstream o;
        if (cents < 0) {
            o << '-';
            cents = -cents;
        }
        o << cents / 100 << '.' << std::setw(2) << std::setfill('0') << cents % 100;
        return o.str();
    };
    for (int m = 1; m <= 12; ++m) {
        std::int64_t interest = (balance * rate_num + rate_den / 2) / rate_den;
        std::int64_t pay = m == 12 ? balance + interest : payment;
        std::int64_t princ = pay - interest;
        balance -= princ;
        total_interest += interest;
        std::cout << std::left << std::setw(6) << m << std::right << std::setw(12) << money(interest) << std::setw(12)
                  << money(princ) << std::setw(14) << money(balance) << '\n';
    }
    std::cout << "total interest: " << money(total_interest) << '\n';
    assert(balance == 0);

    // A multiplication table with aligned columns.
    for (int i = 1; i <= 9; i += 4) {
        for (int j = 1; j <= 9; ++j) std::cout << std::setw(4) << i * j;
        std::cout << '\n';
    }

    // Percentages with fixed precision (values chosen away from rounding ties).
    std::vector<std::pair<std::string, int>> votes = {{"red", 1234}, {"green", 987}, {"blue", 2345}, {"other", 77}};
    int total = 0;
    for (auto& [name, n] : votes) total += n;
    std::cout << std::fixed << std::setprecision(2);
    for (auto& [name, n] : votes)
        std::cout << std::left << std::setw(7) << name << std::right << std::setw(6) << n << std::setw(8)
                  << 100.0 * n / total << "%\n";
    return 0;
}
