// Basic exception handling: catch by exact type, by base class, by
// catch(...), handler ordering, and rethrowing the current exception with
// `throw;` so that an outer handler sees the original dynamic type.
#include <cassert>
#include <iostream>
#include <stdexcept>
#include <string>

int classify(int kind) {
    try {
        switch (kind) {
        case 0: throw 42;
        case 1: throw std::string("a string");
        case 2: throw std::runtime_error("runtime problem");
        case 3: throw std::logic_error("logic problem");
        case 4: throw 3.5;
        case 5: throw 'c';
        case 6: throw std::out_of_range("index too large");
        default: return -1;
        }
    } catch (int v) {
        std::cout << "caught int " << v << '\n';
        return 0;
    } catch (const std::string& s) {
        std::cout << "caught std::string \"" << s << "\"\n";
        return 1;
    } catch (const std::out_of_range& e) {
        // Must come before logic_error: out_of_range derives from it.
        std::cout << "caught out_of_range: " << e.what() << '\n';
        return 6;
    } catch (const std::logic_error& e) {
        std::cout << "caught logic_error: " << e.what() << '\n';
        return 3;
    } catch (const std::exception& e) {
        std::cout << "caught std::exception base: " << e.what() << '\n';
        return 2;
    } catch (double d) {
        std::cout << "caught double " << d << '\n';
        return 4;
    } catch (...) {
        std::cout << "caught something else (catch(...))\n";
        return 5;
    }
}

int rethrow_count = 0;

void inner() {
    try {
        throw std::invalid_argument("bad argument from inner");
    } catch (const std::exception& e) {
        // We only see it as std::exception here...
        std::cout << "inner handler saw: " << e.what() << '\n';
        ++rethrow_count;
        throw;  // ...but rethrow preserves the dynamic type.
    }
}

void middle() {
    try {
        inner();
    } catch (...) {
        std::cout << "middle handler rethrows unknown exception\n";
        ++rethrow_count;
        throw;
    }
}

int main() {
    int total = 0;
    for (int k = 0; k <= 7; ++k) {
        int r = classify(k);
        std::cout << "  classify(" << k << ") -> " << r << '\n';
        total += r;
    }
    std::cout << "total = " << total << '\n';
    assert(total == 0 + 1 + 3 + 2 + 4 + 5 + 6 - 1);

    try {
        middle();
    } catch (const std::invalid_argument& e) {
        std::cout << "main caught invalid_argument: " << e.what() << '\n';
    }
    std::cout << "rethrow_count = " << rethrow_count << '\n';
    assert(rethrow_count == 2);

    // Catch by reference keeps polymorphism; catch by value slices.
    try {
        throw std::range_error("range!");
    } catch (std::runtime_error e) {
        std::cout << "sliced copy still has message: " << e.what() << '\n';
    }

    // A throw inside a catch handler that is itself caught.
    int stage = 0;
    try {
        try {
            stage = 1;
            throw 1;
        } catch (int) {
            stage = 2;
            throw std::string("from handler");
        }
    } catch (const std::string& s) {
        stage = 3;
        std::cout << "nested handler throw caught: " << s << '\n';
    }
    std::cout << "stage = " << stage << '\n';

    // Exceptions in a loop: make sure the runtime state is clean each time.
    int caught = 0;
    for (int i = 0; i < 1000; ++i) {
        try {
            if (i % 3 == 0) throw i;
            if (i % 3 == 1) throw std::runtime_error("r");
        } catch (int) {
            ++caught;
        } catch (const std::runtime_error&) {
            caught += 2;
        }
    }
    std::cout << "loop caught score = " << caught << '\n';
    std::cout << "done\n";
    return 0;
}
