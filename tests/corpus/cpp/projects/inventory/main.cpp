#include <iostream>
#include <sstream>
#include <string>

#include "inventory.h"

int main() {
    Inventory inventory;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::string command, name;
        int quantity = 0;
        words >> command >> name >> quantity;
        if (command == "add") {
            long long price = 0;
            words >> price;
            inventory.add({name, quantity, price});
            std::cout << "added " << quantity << ' ' << name << '\n';
        } else if (command == "take") {
            std::cout << (inventory.take(name, quantity) ? "took " : "cannot take ") << quantity
                      << ' ' << name << '\n';
        }
    }
    std::cout << "value " << inventory.value() / 100 << '.' << inventory.value() % 100 << '\n';
    std::cout << "low:";
    for (const auto& name : inventory.low_stock(5)) std::cout << ' ' << name;
    std::cout << '\n';
}
