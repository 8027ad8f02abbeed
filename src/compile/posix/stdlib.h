/* polyrun: what wasi-libc's stdlib.h leaves out and programs written for
 * POSIX call, implemented in files.c: mkstemp() and mkdtemp() create a
 * file or directory with a random name from the template (six trailing
 * X), in the sandbox like any other.
 * This directory comes before the sysroot's, whose header comes first. */
#include_next <stdlib.h>

#ifndef __POLYRUN_STDLIB_H
#define __POLYRUN_STDLIB_H

#ifdef __cplusplus
extern "C" {
#endif

int mkstemp(char *);
char *mkdtemp(char *);

#ifdef __cplusplus
}
#endif

#endif
