#pragma once
#include <stdexcept>
#include <string>

class Account {
public:
    explicit Account(std::string owner) : owner_(std::move(owner)) {}
    void deposit(long long cents);
    void withdraw(long long cents);
    long long balance() const { return balance_; }
    const std::string& owner() const { return owner_; }

private:
    std::string owner_;
    long long balance_ = 0;
};
