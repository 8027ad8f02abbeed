// The smallest C++ exception runtime that lets programs that `throw` link
// and behave like g++'s on an uncaught exception.
//
// The wasm32-wasip1 sysroot's libc++abi has no exception runtime, and code is
// compiled without wasm exception handling, so a `catch` is never reached:
// every throw is uncaught. Like libstdc++'s verbose terminate handler, we
// print the type (and `what()` for std::exception), then abort.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace __cxxabiv1 {
extern "C" char *__cxa_demangle(const char *mangled, char *buffer, std::size_t *length, int *status);

// libc++abi's private base of every type_info, declared as in its
// private_typeinfo.h so that we can ask whether a thrown type is a
// std::exception. Only the virtual layout matters.
class __shim_type_info : public std::type_info {
public:
    ~__shim_type_info() override;
    virtual void noop1() const;
    virtual void noop2() const;
    virtual bool can_catch(const __shim_type_info *thrown, void *&adjusted) const = 0;
};
} // namespace __cxxabiv1

namespace {

struct alignas(16) ExceptionHeader {
    std::size_t size;
};

const char *demangled(const std::type_info *type) {
    int status = 0;
    char *name = __cxxabiv1::__cxa_demangle(type->name(), nullptr, nullptr, &status);
    return status == 0 && name != nullptr ? name : type->name();
}

const std::exception *as_std_exception(void *object, const std::type_info *type) {
    auto *base = reinterpret_cast<const __cxxabiv1::__shim_type_info *>(&typeid(std::exception));
    auto *thrown = reinterpret_cast<const __cxxabiv1::__shim_type_info *>(type);
    void *adjusted = object;
    if (base->can_catch(thrown, adjusted)) {
        return static_cast<const std::exception *>(adjusted);
    }
    return nullptr;
}

} // namespace

extern "C" {

void *__cxa_allocate_exception(std::size_t size) noexcept {
    auto *header = static_cast<ExceptionHeader *>(std::malloc(sizeof(ExceptionHeader) + size));
    if (header == nullptr) {
        std::fputs("terminate called: out of memory allocating an exception\n", stderr);
        std::abort();
    }
    header->size = size;
    return header + 1;
}

// In wasm, destructors return their argument.
[[noreturn]] void __cxa_throw(void *object, std::type_info *type, void *(*)(void *)) {
    std::fflush(stdout);
    std::fprintf(stderr, "terminate called after throwing an instance of '%s'\n", demangled(type));
    if (const std::exception *error = as_std_exception(object, type)) {
        std::fprintf(stderr, "  what():  %s\n", error->what());
    }
    std::fflush(stderr);
    std::abort();
}

} // extern "C"
