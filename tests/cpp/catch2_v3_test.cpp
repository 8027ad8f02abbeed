#include "catch_amalgamated.hpp"

#include <string>
#include <vector>

static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

TEST_CASE("greatest common divisors", "[math]") {
    REQUIRE(gcd(12, 18) == 6);
    REQUIRE(gcd(7, 13) == 1);
    CHECK(gcd(0, 5) == 5);
}

TEST_CASE("strings split into words", "[text]") {
    std::string text = "catch two three";
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        if (c == ' ') { words.push_back(word); word.clear(); } else word += c;
    }
    words.push_back(word);
    SECTION("there are three") { REQUIRE(words.size() == 3); }
    SECTION("the last is three") { REQUIRE(words.back() == "three"); }
}

TEST_CASE("generators and a failing check", "[fail]") {
    int x = GENERATE(1, 2, 3);
    CHECK(x * x != 4);
}
