// Exceptions thrown by the standard library itself and caught by the
// program: std::stoi / std::stoll / std::stod (invalid_argument,
// out_of_range), vector::at, map::at, string::at, string::substr,
// bitset (invalid_argument, out_of_range, overflow_error) and reserve beyond max_size (length_error).
// Only the caught type is printed, never the library's what() text.
#include <bitset>
#include <cassert>
#include <deque>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

template <typename F>
std::string outcome(F f) {
    try {
        return "ok " + f();
    } catch (const std::invalid_argument&) {
        return "invalid_argument";
    } catch (const std::out_of_range&) {
        return "out_of_range";
    } catch (const std::length_error&) {
        return "length_error";
    } catch (const std::logic_error&) {
        return "other logic_error";
    } catch (const std::overflow_error&) {
        return "overflow_error";
    } catch (const std::exception&) {
        return "other std::exception";
    }
}

int main() {
    const char* inputs[] = {"42", "-17", "  123", "0x1A", "abc", "", "12abc", "99999999999", "+7", "-"};
    for (const char* in : inputs) {
        std::string s = in;
        std::cout << "stoi(\"" << s << "\") -> " << outcome([&] { return std::to_string(std::stoi(s)); })
                  << '\n';
    }

    // stoi with an explicit base and a position output argument.
    std::size_t pos = 0;
    int hex = std::stoi("ff rest", &pos, 16);
    std::cout << "stoi(\"ff rest\", 16) = " << hex << ", consumed " << pos << '\n';
    assert(hex == 255 && pos == 2);
    std::cout << "stoi(\"0x1A\", 0) = " << std::stoi("0x1A", nullptr, 0) << '\n';
    std::cout << "stoi(\"777\", 8) = " << std::stoi("777", nullptr, 8) << '\n';

    std::cout << "stoll(\"9000000000\") -> "
              << outcome([] { return std::to_string(std::stoll("9000000000")); }) << '\n';
    std::cout << "stoll(\"99999999999999999999\") -> "
              << outcome([] { return std::to_string(std::stoll("99999999999999999999")); }) << '\n';
    std::cout << "stoull(\"18446744073709551615\") -> "
              << outcome([] { return std::to_string(std::stoull("18446744073709551615")); }) << '\n';
    std::cout << "stod(\"2.5\") -> " << outcome([] { return std::to_string(std::stod("2.5")); }) << '\n';
    std::cout << "stod(\"x2.5\") -> " << outcome([] { return std::to_string(std::stod("x2.5")); }) << '\n';
    std::cout << "stod(\"1e999\") -> " << outcome([] { return std::to_string(std::stod("1e999")); }) << '\n';

    std::vector<int> v{10, 20, 30};
    for (int i : {0, 2, 3, 100}) {
        std::cout << "v.at(" << i << ") -> " << outcome([&] { return std::to_string(v.at(i)); }) << '\n';
    }
    std::cout << "v.at(-1 as size_t) -> "
              << outcome([&] { return std::to_string(v.at(static_cast<std::size_t>(-1))); }) << '\n';

    std::deque<int> dq{1, 2};
    std::cout << "deque.at(5) -> " << outcome([&] { return std::to_string(dq.at(5)); }) << '\n';

    std::map<std::string, int> ages{{"alice", 31}, {"bob", 27}};
    for (const char* name : {"alice", "carol", "bob"}) {
        std::string n = name;
        std::cout << "ages.at(" << n << ") -> " << outcome([&] { return std::to_string(ages.at(n)); })
                  << '\n';
    }
    const std::map<int, int> cm{{1, 1}};
    std::cout << "const map.at(2) -> " << outcome([&] { return std::to_string(cm.at(2)); }) << '\n';

    std::string word = "hello";
    std::cout << "word.at(4) -> " << outcome([&] { return std::string(1, word.at(4)); }) << '\n';
    std::cout << "word.at(5) -> " << outcome([&] { return std::string(1, word.at(5)); }) << '\n';
    std::cout << "word.substr(1, 3) -> " << outcome([&] { return word.substr(1, 3); }) << '\n';
    std::cout << "word.substr(5) -> " << outcome([&] { return "'" + word.substr(5) + "'"; }) << '\n';
    std::cout << "word.substr(6) -> " << outcome([&] { return word.substr(6); }) << '\n';
    std::cout << "word.erase(10) -> " << outcome([&] { return std::string(word).erase(10); }) << '\n';
    std::cout << "word.insert(9, \"x\") -> "
              << outcome([&] { return std::string(word).insert(9, "x"); }) << '\n';
    std::cout << "word.replace(2, 1, \"LL\") -> "
              << outcome([&] { return std::string(word).replace(2, 1, "LL"); }) << '\n';
    std::cout << "word.compare(7, 1, \"x\") -> "
              << outcome([&] { return std::to_string(word.compare(7, 1, "x")); }) << '\n';

    std::cout << "bitset<8>(\"10102\") -> "
              << outcome([] { return std::bitset<8>(std::string("10102")).to_string(); }) << '\n';
    std::cout << "bitset<8>(\"1010\") -> "
              << outcome([] { return std::bitset<8>(std::string("1010")).to_string(); }) << '\n';
    std::cout << "bitset<8>.set(9) -> " << outcome([] { return std::bitset<8>().set(9).to_string(); })
              << '\n';
    std::cout << "bitset<70> all ones to_ullong -> "
              << outcome([] { return std::to_string(std::bitset<70>().set().to_ullong()); }) << '\n';

    std::cout << "vector reserve(max_size()+1) -> " << outcome([] {
        std::vector<int> big;
        big.reserve(big.max_size() + 1);
        return std::string("reserved");
    }) << '\n';
    std::cout << "string reserve(max_size()+1) -> " << outcome([] {
        std::string big;
        big.reserve(big.max_size() + 1);
        return std::string("reserved");
    }) << '\n';
    return 0;
}
