#include "inventory.h"

void Inventory::add(const Item& item) {
    auto [it, inserted] = items_.try_emplace(item.name, item);
    if (!inserted) it->second.quantity += item.quantity;
}

bool Inventory::take(const std::string& name, int quantity) {
    auto it = items_.find(name);
    if (it == items_.end() || it->second.quantity < quantity) return false;
    it->second.quantity -= quantity;
    return true;
}

long long Inventory::value() const {
    long long sum = 0;
    for (const auto& [name, item] : items_) sum += total_value(item);
    return sum;
}

std::vector<std::string> Inventory::low_stock(int below) const {
    std::vector<std::string> names;
    for (const auto& [name, item] : items_)
        if (item.quantity < below) names.push_back(name);
    return names;
}
