// A small stack machine whose faults are C++ exceptions. The VM supports a
// TRY/ENDTRY instruction pair that is implemented by recursively running the
// guarded block inside a C++ try/catch, so VM-level handlers nest exactly
// like C++ handlers. Covers exception hierarchies, catch by base class,
// rethrow, and unwinding through recursive interpreter calls.
#include <cassert>
#include <cctype>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

struct VmError : std::runtime_error {
    int pc;
    VmError(const std::string& m, int p) : std::runtime_error(m), pc(p) {}
    virtual std::string kind() const { return "VmError"; }
};
struct StackUnderflow : VmError {
    using VmError::VmError;
    std::string kind() const override { return "StackUnderflow"; }
};
struct DivideByZero : VmError {
    using VmError::VmError;
    std::string kind() const override { return "DivideByZero"; }
};
struct UnknownOp : VmError {
    using VmError::VmError;
    std::string kind() const override { return "UnknownOp"; }
};
struct UserThrow : VmError {
    long long value;
    UserThrow(long long v, int p) : VmError("user throw " + std::to_string(v), p), value(v) {}
    std::string kind() const override { return "UserThrow"; }
};

class Vm {
    std::vector<std::string> code_;
    std::vector<long long> stack_;
    int depth_ = 0;
    int max_depth_ = 0;

    long long pop(int pc) {
        if (stack_.empty()) throw StackUnderflow("pop on empty stack", pc);
        long long v = stack_.back();
        stack_.pop_back();
        return v;
    }

    int matching_endtry(int pc) const {
        int level = 0;
        for (int i = pc; i < static_cast<int>(code_.size()); ++i) {
            if (code_[i] == "TRY") ++level;
            if (code_[i] == "ENDTRY" && --level == 0) return i;
        }
        throw VmError("unbalanced TRY", pc);
    }

    // Runs code_[begin, end). Returns normally or throws a VmError.
    void run(int begin, int end) {
        ++depth_;
        if (depth_ > max_depth_) max_depth_ = depth_;
        struct DepthGuard {
            int& d;
            ~DepthGuard() { --d; }
        } guard{depth_};
        for (int pc = begin; pc < end; ++pc) {
            const std::string& op = code_[pc];
            if (op == "TRY") {
                int close = matching_endtry(pc);
                std::size_t saved = stack_.size();
                try {
                    run(pc + 1, close);
                } catch (const UserThrow& e) {
                    stack_.resize(saved);
                    stack_.push_back(e.value);  // handler receives the thrown value
                } catch (const DivideByZero&) {
                    stack_.resize(saved);
                    stack_.push_back(-1);
                }
                // StackUnderflow and UnknownOp propagate to the outer level.
                pc = close;
            } else if (op == "ADD" || op == "SUB" || op == "MUL" || op == "DIV" || op == "MOD") {
                long long b = pop(pc), a = pop(pc);
                if ((op == "DIV" || op == "MOD") && b == 0) throw DivideByZero("division by zero", pc);
                long long r = op == "ADD" ? a + b : op == "SUB" ? a - b : op == "MUL" ? a * b : op == "DIV" ? a / b : a % b;
                stack_.push_back(r);
            } else if (op == "DUP") {
                long long v = pop(pc);
                stack_.push_back(v);
                stack_.push_back(v);
            } else if (op == "SWAP") {
                long long b = pop(pc), a = pop(pc);
                stack_.push_back(b);
                stack_.push_back(a);
            } else if (op == "THROW") {
                throw UserThrow(pop(pc), pc);
            } else if (!op.empty() && (std::isdigit(static_cast<unsigned char>(op[0])) || (op[0] == '-' && op.size() > 1))) {
                stack_.push_back(std::stoll(op));
            } else {
                throw UnknownOp("unknown op '" + op + "'", pc);
            }
        }
    }

public:
    explicit Vm(const std::string& src) {
        std::istringstream in(src);
        for (std::string tok; in >> tok;) code_.push_back(tok);
    }
    std::vector<long long> execute() {
        run(0, static_cast<int>(code_.size()));
        return stack_;
    }
    int max_depth() const { return max_depth_; }
    int depth() const { return depth_; }
};

int main() {
    const std::vector<std::string> programs = {
        "2 3 ADD 4 MUL",
        "10 0 DIV",
        "1 TRY 10 0 DIV ENDTRY ADD",
        "TRY 5 THROW 99 ENDTRY 7 MUL",
        "TRY TRY 1 2 THROW ENDTRY 3 ADD THROW ENDTRY 100 ADD",
        "TRY ADD ENDTRY",
        "1 2 FROB",
        "TRY TRY TRY TRY 42 THROW ENDTRY ENDTRY ENDTRY ENDTRY",
        "7 DUP MUL DUP MUL DUP MUL 1000000007 MOD",
        "-5 3 SWAP SUB",
        "TRY 1 2 3",
    };
    int ok = 0, failed = 0;
    std::map<std::string, int> by_kind;
    for (std::size_t i = 0; i < programs.size(); ++i) {
        Vm vm(programs[i]);
        std::cout << "#" << i << " [" << programs[i] << "]\n   ";
        try {
            auto st = vm.execute();
            std::cout << "stack:";
            for (long long v : st) std::cout << ' ' << v;
            std::cout << "  (max nesting " << vm.max_depth() << ")\n";
            ++ok;
        } catch (const VmError& e) {
            std::cout << e.kind() << " at pc " << e.pc << ": " << e.what() << " (depth restored to " << vm.depth()
                      << ")\n";
            ++by_kind[e.kind()];
            ++failed;
        }
    }
    std::cout << "ok=" << ok << " failed=" << failed << '\n';
    for (const auto& [k, n] : by_kind) std::cout << "  " << k << ": " << n << '\n';
    assert(ok + failed == static_cast<int>(programs.size()));
    return 0;
}
