#define CATCH_CONFIG_MAIN
#include "catch.hpp"

unsigned int factorial(unsigned int n) { return n <= 1 ? 1 : n * factorial(n - 1); }

TEST_CASE("factorials are computed", "[factorial]") {
    REQUIRE(factorial(1) == 1);
    REQUIRE(factorial(2) == 2);
    REQUIRE(factorial(3) == 6);
    REQUIRE(factorial(10) == 3628800);
}

TEST_CASE("vectors can be sized and resized", "[vector]") {
    std::vector<int> v(5);
    REQUIRE(v.size() == 5);
    SECTION("resizing bigger changes size") {
        v.resize(10);
        REQUIRE(v.size() == 10);
    }
    SECTION("reserving leaves size alone") {
        v.reserve(10);
        REQUIRE(v.size() == 5);
        REQUIRE(v.capacity() >= 10);
    }
}

TEST_CASE("a failing check is counted", "[fail]") {
    CHECK(factorial(0) == 1);
    CHECK(factorial(4) == 25);
}
