// Exceptions from constructors and function-try-blocks: members that were
// already constructed are destroyed when a later member or the constructor
// body throws; a constructor function-try-block sees the exception and
// implicitly rethrows it; an ordinary function-try-block can return a value.
// Also: two-phase construction via a factory that returns std::optional,
// and a delegating constructor whose target throws.
#include <cassert>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

std::vector<std::string> log_lines;

void note(const std::string& s) {
    log_lines.push_back(s);
    std::cout << "  " << s << '\n';
}

struct Member {
    std::string name;
    Member(std::string n, bool fail) : name(std::move(n)) {
        if (fail) {
            note("Member " + name + " ctor throws");
            throw std::runtime_error("member " + name + " failed");
        }
        note("Member " + name + " constructed");
    }
    ~Member() { note("Member " + name + " destroyed"); }
};

struct Widget {
    Member a;
    Member b;
    Member c;
    Widget(bool fail_b, bool fail_body) try : a("a", false), b("b", fail_b), c("c", false) {
        note("Widget body runs");
        if (fail_body) throw std::logic_error("widget body failed");
        note("Widget fully constructed");
    } catch (const std::exception& e) {
        // Members a (and b, c if constructed) are already destroyed here.
        note(std::string("Widget function-try-block caught: ") + e.what());
        // falls off the end -> exception is rethrown automatically
    }
    ~Widget() { note("Widget destroyed"); }
};

int parse_positive(const std::string& s) try {
    int v = std::stoi(s);
    if (v <= 0) throw std::domain_error("not positive");
    return v;
} catch (const std::invalid_argument&) {
    return -1;  // a normal function-try-block may return
} catch (const std::domain_error&) {
    return -2;
}

struct Resource {
    int id;
    explicit Resource(int i) : id(i) { note("Resource " + std::to_string(id) + " acquired"); }
    ~Resource() { note("Resource " + std::to_string(id) + " released"); }
};

class Connection {
    std::unique_ptr<Resource> socket_;
    std::unique_ptr<Resource> buffer_;

public:
    Connection(int port) : Connection(port, port + 1) {
        note("delegating ctor body runs after target succeeded");
    }
    Connection(int s, int b) : socket_(std::make_unique<Resource>(s)), buffer_(std::make_unique<Resource>(b)) {
        if (s % 2 == 1) throw std::invalid_argument("odd port " + std::to_string(s));
        note("Connection ready");
    }
    ~Connection() { note("Connection closed"); }

    static std::optional<Connection> try_make(int port) {
        try {
            return std::optional<Connection>(std::in_place, port);
        } catch (const std::invalid_argument& e) {
            note(std::string("factory caught: ") + e.what());
            return std::nullopt;
        }
    }
};

int main() {
    std::cout << "case 1: all good\n";
    {
        Widget w(false, false);
    }
    std::cout << "case 2: member b throws\n";
    try {
        Widget w(true, false);
        std::cout << "NOT REACHED\n";
    } catch (const std::runtime_error& e) {
        std::cout << "main caught runtime_error: " << e.what() << '\n';
    }
    std::cout << "case 3: constructor body throws\n";
    try {
        Widget w(false, true);
    } catch (const std::logic_error& e) {
        std::cout << "main caught logic_error: " << e.what() << '\n';
    }

    std::cout << "function-try-block with return values:\n";
    for (const char* s : {"15", "zzz", "-4", "7"}) {
        std::cout << "  parse_positive(" << s << ") = " << parse_positive(s) << '\n';
    }

    std::cout << "delegating constructors:\n";
    {
        auto c1 = Connection::try_make(8080);
        std::cout << "  c1 engaged: " << c1.has_value() << '\n';
        auto c2 = Connection::try_make(8081);
        std::cout << "  c2 engaged: " << c2.has_value() << '\n';
    }

    std::cout << "new-expression whose constructor throws frees its memory:\n";
    try {
        Widget* p = new Widget(true, false);
        delete p;
    } catch (const std::exception&) {
        std::cout << "  caught, no leak, no destructor for the Widget itself\n";
    }

    int destroyed = 0, thrown = 0;
    for (const auto& l : log_lines) {
        if (l.find("destroyed") != std::string::npos) ++destroyed;
        if (l.find("throws") != std::string::npos) ++thrown;
    }
    std::cout << "log lines=" << log_lines.size() << " destroyed=" << destroyed << " thrown=" << thrown << '\n';
    assert(thrown == 2);
    return 0;
}
