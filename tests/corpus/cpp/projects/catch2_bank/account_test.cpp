#include "account.h"
#include "catch.hpp"

TEST_CASE("a new account is empty", "[account]") {
    Account account("ada");
    REQUIRE(account.balance() == 0);
    REQUIRE(account.owner() == "ada");
}

TEST_CASE("deposits and withdrawals move the balance", "[account]") {
    Account account("bob");
    account.deposit(1500);
    SECTION("a withdrawal within the balance") {
        account.withdraw(500);
        REQUIRE(account.balance() == 1000);
    }
    SECTION("an overdraft is refused") {
        REQUIRE_THROWS_AS(account.withdraw(2000), std::runtime_error);
        REQUIRE(account.balance() == 1500);
    }
    SECTION("a negative deposit is refused") {
        REQUIRE_THROWS_WITH(account.deposit(-1), "deposit must be positive");
    }
}
