#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "doctest.h"
#include <string>

int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

TEST_CASE("fibonacci numbers") {
    CHECK(fib(0) == 0);
    CHECK(fib(1) == 1);
    CHECK(fib(10) == 55);
}

TEST_CASE("strings") {
    std::string s = "poly";
    SUBCASE("append") {
        s += "run";
        CHECK(s == "polyrun");
    }
    SUBCASE("size") {
        CHECK(s.size() == 4);
    }
}

TEST_CASE("a failing check is counted") {
    CHECK(fib(5) == 6);
    REQUIRE(fib(6) == 8);
}
