/* polyrun: sigset_t as musl defines it (a mask of 1024 bits), in place of
 * wasi-libc's one-byte placeholder, which cannot hold signals 8 to 64 that
 * the signal sets of signal.h (ours) name. wasi-libc itself only passes
 * sigset_t by pointer (ppoll, pselect), so its size changes nothing there.
 * This directory comes before the sysroot's, so every header that wants
 * sigset_t gets this one. */
#ifndef __wasilibc___typedef_sigset_t_h
#define __wasilibc___typedef_sigset_t_h

typedef struct __sigset_t { unsigned long __bits[128 / sizeof(long)]; } sigset_t;

#endif
