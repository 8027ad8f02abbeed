/* polyrun: what wasi-libc's unistd.h leaves out and programs written for
 * POSIX call (GoogleTest's output capture), implemented in files.c:
 * - dup() and dup2() exist, but WASI cannot duplicate a descriptor: dup()
 *   fails with ENOTSUP, and dup2() succeeds only when both are the same
 *   open descriptor (which POSIX makes a no-op).
 * This directory comes before the sysroot's, whose header comes first. */
#include_next <unistd.h>

#ifndef __POLYRUN_UNISTD_H
#define __POLYRUN_UNISTD_H

#ifdef __cplusplus
extern "C" {
#endif

int dup(int);
int dup2(int, int);

#ifdef __cplusplus
}
#endif

#endif
