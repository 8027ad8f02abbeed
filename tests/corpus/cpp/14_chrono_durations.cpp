// <chrono> durations and clocks: literals, duration_cast and the rounding
// helpers floor/ceil/round, mixed-unit arithmetic, custom ratios, and
// timing a workload with steady_clock / high_resolution_clock while only
// printing facts that do not depend on the speed of the machine.
#include <cassert>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <numeric>
#include <ratio>
#include <vector>

using namespace std::chrono_literals;
namespace ch = std::chrono;

template <typename Rep, typename Period>
void print_hms(ch::duration<Rep, Period> d) {
    auto h = ch::duration_cast<ch::hours>(d);
    d -= h;
    auto m = ch::duration_cast<ch::minutes>(d);
    d -= m;
    auto s = ch::duration_cast<ch::seconds>(d);
    d -= s;
    auto ms = ch::duration_cast<ch::milliseconds>(d);
    std::cout << h.count() << "h " << m.count() << "m " << s.count() << "s " << ms.count() << "ms";
}

int main() {
    auto total = 1h + 23min + 45s + 678ms;
    std::cout << "1h+23min+45s+678ms = " << ch::duration_cast<ch::milliseconds>(total).count() << " ms\n";
    std::cout << "as hms: ";
    print_hms(total);
    std::cout << '\n';

    ch::seconds s = 3725s;
    std::cout << "3725s in minutes (duration_cast truncates): " << ch::duration_cast<ch::minutes>(s).count() << '\n';
    std::cout << "floor(-3725s) in minutes: " << ch::floor<ch::minutes>(-s).count() << '\n';
    std::cout << "ceil(3725s) in minutes: " << ch::ceil<ch::minutes>(s).count() << '\n';
    std::cout << "round(90s) in minutes: " << ch::round<ch::minutes>(90s).count() << '\n';
    std::cout << "round(150s) in minutes: " << ch::round<ch::minutes>(150s).count() << '\n';
    std::cout << "round(151s) in minutes: " << ch::round<ch::minutes>(151s).count() << '\n';

    ch::milliseconds ms = 2s;  // implicit lossless conversion
    ch::microseconds us = ms;
    ch::nanoseconds ns = us;
    std::cout << "2s = " << ms.count() << "ms = " << us.count() << "us = " << ns.count() << "ns\n";

    // Floating-point representation allows lossy-looking conversions.
    ch::duration<double, std::ratio<60>> minutes_f = 90s;
    std::cout << "90s as double minutes: " << minutes_f.count() << '\n';
    ch::duration<double> secs_f = 1500ms;
    std::cout << "1500ms as double seconds: " << secs_f.count() << '\n';

    // Custom periods.
    using frames = ch::duration<std::int64_t, std::ratio<1, 60>>;  // 60 fps
    using weeks = ch::duration<int, std::ratio<604800>>;
    frames f = ch::duration_cast<frames>(2500ms);
    std::cout << "2500ms = " << f.count() << " frames at 60fps\n";
    std::cout << "3 weeks = " << ch::duration_cast<ch::hours>(weeks(3)).count() << " hours\n";
    std::cout << "ratio 1/60 + 1/3 = " << std::ratio_add<std::ratio<1, 60>, std::ratio<1, 3>>::num << '/'
              << std::ratio_add<std::ratio<1, 60>, std::ratio<1, 3>>::den << '\n';
    std::cout << "common_type(ms, frames) period = "
              << std::common_type_t<ch::milliseconds, frames>::period::num << '/'
              << std::common_type_t<ch::milliseconds, frames>::period::den << '\n';

    // Comparisons across units.
    std::cout << std::boolalpha;
    std::cout << "1s == 1000ms: " << (1s == 1000ms) << '\n';
    std::cout << "59min < 1h: " << (59min < 1h) << '\n';
    std::cout << "(1h % 7min) = " << (1h % 7min).count() << "min\n";
    std::cout << "1h / 7min = " << (1h / 7min) << '\n';
    std::cout << "abs(-5s) = " << ch::abs(-5s).count() << "s\n";
    std::cout << "zero/min/max check: " << (ch::seconds::zero().count() == 0) << ' '
              << (ch::milliseconds::max() > ch::milliseconds::zero()) << '\n';

    // Time a workload. Only deterministic facts are printed.
    auto t0 = ch::steady_clock::now();
    auto h0 = ch::high_resolution_clock::now();
    std::clock_t c0 = std::clock();
    std::vector<std::int64_t> v(300000);
    std::iota(v.begin(), v.end(), 1);
    std::int64_t sum = std::accumulate(v.begin(), v.end(), std::int64_t{0});
    auto t1 = ch::steady_clock::now();
    auto h1 = ch::high_resolution_clock::now();
    std::clock_t c1 = std::clock();
    auto elapsed = t1 - t0;
    std::cout << "workload sum = " << sum << '\n';
    std::cout << "steady elapsed is non-negative: " << (elapsed >= ch::steady_clock::duration::zero()) << '\n';
    std::cout << "high_resolution elapsed is non-negative: " << (h1 - h0 >= decltype(h1 - h0)::zero()) << '\n';
    std::cout << "elapsed under one minute: " << (elapsed < 1min) << '\n';
    std::cout << "steady_clock::is_steady: " << ch::steady_clock::is_steady << '\n';
    std::cout << "clock() >= 0: " << (c0 >= 0 && c1 >= 0) << '\n';
    std::cout << "clock() monotonic: " << (c1 >= c0) << '\n';
    std::cout << "CLOCKS_PER_SEC is positive: " << (CLOCKS_PER_SEC > 0) << '\n';
    auto later = t0 + 5s;
    std::cout << "time_point arithmetic: (t0 + 5s) - t0 = " << ch::duration_cast<ch::seconds>(later - t0).count()
              << "s\n";
    assert(sum == 300000LL * 300001LL / 2);
    return 0;
}
