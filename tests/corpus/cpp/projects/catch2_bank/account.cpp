#include "account.h"

void Account::deposit(long long cents) {
    if (cents <= 0) throw std::invalid_argument("deposit must be positive");
    balance_ += cents;
}

void Account::withdraw(long long cents) {
    if (cents > balance_) throw std::runtime_error("insufficient funds");
    balance_ -= cents;
}
