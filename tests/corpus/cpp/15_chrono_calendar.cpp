// C++20 <chrono> calendar types (year_month_day, sys_days, weekday,
// year_month_day_last, hh_mm_ss) cross-checked against Howard Hinnant's
// days_from_civil algorithm implemented by hand, plus a time_point based
// stopwatch whose readings are only compared, never printed.
#include <cassert>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <vector>

namespace ch = std::chrono;

// Days since 1970-01-01 for a proleptic Gregorian date.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);

const char* weekday_name(unsigned wd) {
    static const char* names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    return names[wd];
}

void print_date(const ch::year_month_day& ymd) {
    std::cout << std::setfill('0') << std::setw(4) << static_cast<int>(ymd.year()) << '-' << std::setw(2)
              << static_cast<unsigned>(ymd.month()) << '-' << std::setw(2) << static_cast<unsigned>(ymd.day())
              << std::setfill(' ');
}

int main() {
    struct D {
        int y;
        unsigned m, d;
    };
    const std::vector<D> dates = {{1970, 1, 1}, {1999, 12, 31}, {2000, 2, 29}, {2024, 2, 29},
                                  {2038, 1, 19}, {1900, 3, 1},  {1600, 1, 1},  {2100, 12, 31}};
    for (const auto& [y, m, d] : dates) {
        ch::year_month_day ymd{ch::year{y}, ch::month{m}, ch::day{d}};
        ch::sys_days sd{ymd};
        auto n = sd.time_since_epoch().count();
        assert(n == days_from_civil(y, m, d));
        ch::weekday wd{sd};
        print_date(ymd);
        std::cout << "  days since epoch " << std::setw(7) << n << "  " << weekday_name(wd.c_encoding())
                  << "  iso weekday " << wd.iso_encoding() << '\n';
    }

    std::cout << "leap years:";
    for (int y : {1900, 1996, 2000, 2023, 2024, 2100, 2400}) std::cout << ' ' << y << '=' << ch::year{y}.is_leap();
    std::cout << '\n';

    std::cout << "last day of each month in 2024:";
    for (unsigned m = 1; m <= 12; ++m) {
        ch::year_month_day_last last{ch::year{2024}, ch::month_day_last{ch::month{m}}};
        std::cout << ' ' << static_cast<unsigned>(last.day());
    }
    std::cout << '\n';

    // Month arithmetic may produce invalid dates; ok() detects them.
    ch::year_month_day jan31{ch::year{2023}, ch::January, ch::day{31}};
    auto feb = jan31 + ch::months{1};
    std::cout << "2023-01-31 + 1 month valid: " << feb.ok() << '\n';
    auto fixed = ch::year_month_day{ch::sys_days{feb.year() / feb.month() / ch::last}};
    std::cout << "clamped to ";
    print_date(fixed);
    std::cout << '\n';
    auto plus_years = ch::year_month_day{ch::year{2020}, ch::February, ch::day{29}} + ch::years{4};
    std::cout << "2020-02-29 + 4 years valid: " << plus_years.ok() << '\n';

    // Differences between dates.
    ch::sys_days a = ch::year{2000} / ch::January / 1;
    ch::sys_days b = ch::year{2024} / ch::December / 25;
    std::cout << "days from 2000-01-01 to 2024-12-25: " << (b - a).count() << '\n';
    std::cout << "whole weeks: " << ch::floor<ch::weeks>(b - a).count() << '\n';
    auto back = ch::year_month_day{a + ch::days{10000}};
    std::cout << "2000-01-01 + 10000 days = ";
    print_date(back);
    std::cout << '\n';

    // n-th weekday of a month: US Thanksgiving (4th Thursday of November).
    std::cout << "thanksgiving:";
    for (int y = 2020; y <= 2026; ++y) {
        ch::year_month_day t{ch::sys_days{ch::year{y} / ch::November / ch::Thursday[4]}};
        std::cout << ' ' << static_cast<unsigned>(t.day());
    }
    std::cout << '\n';

    // hh_mm_ss splits a duration into fields.
    ch::hh_mm_ss<ch::milliseconds> t{ch::milliseconds{-(3 * 3600 + 25 * 60 + 7) * 1000LL - 89}};
    std::cout << "hh_mm_ss: negative=" << t.is_negative() << " h=" << t.hours().count() << " m=" << t.minutes().count()
              << " s=" << t.seconds().count() << " sub=" << t.subseconds().count() << '\n';
    std::cout << "12h format of 15:00 is " << ch::make12(ch::hours{15}).count() << (ch::is_pm(ch::hours{15}) ? " pm" : " am")
              << '\n';

    // Stopwatch: compare readings only.
    auto start = ch::steady_clock::now();
    std::int64_t acc = 0;
    for (std::int64_t i = 0; i < 200000; ++i) acc += days_from_civil(1970 + i % 400, 1 + i % 12, 1 + i % 28);
    auto stop = ch::steady_clock::now();
    std::cout << "accumulated days " << acc << '\n';
    std::cout << "stopwatch stop >= start: " << (stop >= start) << '\n';
    auto us = ch::duration_cast<ch::microseconds>(stop - start);
    std::cout << "microseconds non-negative: " << (us.count() >= 0) << '\n';
    return 0;
}
