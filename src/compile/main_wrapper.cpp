// Linked into every C++ program, with `-Wl,--wrap=__main_void`: wasi-libc's
// `_start` calls `__main_void` (which calls `main`) through this wrapper.
//
// On a native target an exception that no handler catches calls
// std::terminate, whose handler prints g++'s "terminate called after
// throwing an instance of ..." and aborts. A wasm exception that nothing
// catches leaves the module instead, and the host can only call it a trap.
// An exception escaping a noexcept function calls std::terminate, so this
// wrapper gives programs the native ending. (Unlike g++, the frames between
// the throw and here have been unwound by then, so their destructors ran.)

extern "C" int __real___main_void(void);

extern "C" int __wrap___main_void(void) noexcept {
    return __real___main_void();
}
