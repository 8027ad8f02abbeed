#pragma once
#include <string>

struct Item {
    std::string name;
    int quantity;
    long long price_cents;
};

long long total_value(const Item& item);
