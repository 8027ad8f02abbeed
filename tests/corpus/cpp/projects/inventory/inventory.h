#pragma once
#include <map>
#include <string>
#include <vector>

#include "item.h"

class Inventory {
public:
    void add(const Item& item);
    bool take(const std::string& name, int quantity);
    long long value() const;
    std::vector<std::string> low_stock(int below) const;

private:
    std::map<std::string, Item> items_;
};
