// Nested exceptions: std::throw_with_nested wraps the exception currently
// being handled inside a new one; std::rethrow_if_nested unwraps the chain.
// A config loader adds context at every layer and main prints the full
// causal chain (only messages the program itself created are printed).
#include <cassert>
#include <exception>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

void print_chain(const std::exception& e, int level = 0) {
    std::cout << std::string(level * 2, ' ') << "- " << e.what() << '\n';
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        print_chain(inner, level + 1);
    } catch (int code) {
        std::cout << std::string((level + 1) * 2, ' ') << "- (int " << code << ")\n";
    }
}

int chain_length(const std::exception& e) {
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        return 1 + chain_length(inner);
    } catch (...) {
        return 2;
    }
    return 1;
}

int parse_port(const std::string& text) {
    int value = 0;
    if (text.empty()) throw std::invalid_argument("port is empty");
    for (char c : text) {
        if (c < '0' || c > '9') throw std::invalid_argument("port '" + text + "' is not a number");
        value = value * 10 + (c - '0');
        if (value > 65535) throw std::out_of_range("port '" + text + "' exceeds 65535");
    }
    return value;
}

int read_setting(const std::map<std::string, std::string>& cfg, const std::string& key) {
    try {
        auto it = cfg.find(key);
        if (it == cfg.end()) throw std::runtime_error("missing key '" + key + "'");
        return parse_port(it->second);
    } catch (...) {
        std::throw_with_nested(std::runtime_error("while reading setting '" + key + "'"));
    }
}

int load_config(const std::string& name, const std::map<std::string, std::string>& cfg) {
    try {
        return read_setting(cfg, "port");
    } catch (...) {
        std::throw_with_nested(std::runtime_error("while loading config '" + name + "'"));
    }
}

struct PlainError {};

int main() {
    std::map<std::string, std::map<std::string, std::string>> configs = {
        {"good.cfg", {{"port", "8080"}}},
        {"letters.cfg", {{"port", "80a0"}}},
        {"huge.cfg", {{"port", "123456"}}},
        {"empty.cfg", {{"port", ""}}},
        {"nokey.cfg", {{"host", "localhost"}}},
    };

    int loaded = 0, failed = 0;
    for (const auto& [name, cfg] : configs) {
        std::cout << name << ":\n";
        try {
            int port = load_config(name, cfg);
            std::cout << "  port = " << port << '\n';
            ++loaded;
        } catch (const std::exception& e) {
            ++failed;
            print_chain(e, 1);
            std::cout << "  chain length " << chain_length(e) << '\n';
        }
    }
    std::cout << "loaded=" << loaded << " failed=" << failed << '\n';
    assert(loaded == 1 && failed == 4);

    // Nesting a non-std exception type.
    try {
        try {
            throw 404;
        } catch (...) {
            std::throw_with_nested(std::logic_error("wrapper around int"));
        }
    } catch (const std::logic_error& e) {
        std::cout << "wrapped int:\n";
        print_chain(e, 1);
    }

    // std::nested_exception can be caught directly.
    try {
        try {
            throw std::runtime_error("root cause");
        } catch (...) {
            std::throw_with_nested(std::runtime_error("top"));
        }
    } catch (const std::nested_exception& ne) {
        std::cout << "caught as std::nested_exception, nested_ptr set: "
                  << (ne.nested_ptr() ? "yes" : "no") << '\n';
        try {
            ne.rethrow_nested();
        } catch (const std::runtime_error& e) {
            std::cout << "rethrow_nested gave: " << e.what() << '\n';
        }
    }

    // rethrow_if_nested on a non-nested exception does nothing.
    std::runtime_error plain("plain");
    std::cout << "plain chain length " << chain_length(plain) << '\n';

    // throw_with_nested on a final or non-class type throws it unchanged.
    try {
        std::throw_with_nested(PlainError{});
    } catch (const std::nested_exception&) {
        std::cout << "PlainError was wrapped\n";
    } catch (const PlainError&) {
        std::cout << "PlainError was thrown unwrapped\n";
    }
    return 0;
}
