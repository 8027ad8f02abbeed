// Linked into every C and C++ program polyrun compiles:
// - the program starts in its working directory (PWD, the shell's `cd`), as
//   under a real shell. A WASI process starts at "/"; wasi-libc's chdir
//   moves where relative paths resolve.
// - `rand`/`srand` are glibc's (its TYPE_3 additive feedback generator), so
//   a fixed seed gives the sequence Linux gives: judges' expected outputs
//   are made with it. Defined here, they take the place of wasi-libc's.
// - `system` exists (wasi-libc declares it but has none, so programs that
//   call it failed to link) and says why it cannot run a command.
// - `pthread_create` (behind std::thread) says why no thread starts,
//   where wasi-libc's only returns an error code.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void polyrun_start_in_working_directory(void) {
    const char *pwd = getenv("PWD");
    if (pwd && pwd[0] == '/' && pwd[1] != '\0') {
        (void)chdir(pwd);
    }
}

enum { RAND_DEGREE = 31, RAND_SEPARATION = 3, RAND_DISCARDED = 310 };

static uint32_t rand_state[RAND_DEGREE];
static int rand_front = RAND_SEPARATION, rand_rear = 0, rand_seeded = 0;

static int32_t rand_next(void) {
    uint32_t value = rand_state[rand_front] += rand_state[rand_rear];
    rand_front = (rand_front + 1) % RAND_DEGREE;
    rand_rear = (rand_rear + 1) % RAND_DEGREE;
    return (int32_t)(value >> 1);
}

// Weak, like `system` below: a program's own definition takes precedence.
__attribute__((weak)) void srand(unsigned seed) {
    // glibc's initialisation: a Lehmer sequence (Schrage's method), then
    // 310 outputs thrown away.
    int32_t word = seed == 0 ? 1 : (int32_t)seed;
    rand_state[0] = (uint32_t)word;
    for (int i = 1; i < RAND_DEGREE; i++) {
        int32_t hi = word / 127773, lo = word % 127773;
        word = 16807 * lo - 2836 * hi;
        if (word < 0) {
            word += 2147483647;
        }
        rand_state[i] = (uint32_t)word;
    }
    rand_front = RAND_SEPARATION;
    rand_rear = 0;
    rand_seeded = 1;
    for (int i = 0; i < RAND_DISCARDED; i++) {
        (void)rand_next();
    }
}

__attribute__((weak)) int rand(void) {
    if (!rand_seeded) {
        srand(1);
    }
    return rand_next();
}

__attribute__((weak)) int system(const char *command) {
    if (command == NULL) {
        return 0; /* no shell to run commands with */
    }
    fprintf(stderr,
            "polyrun: system(\"%s\") is not available: a WebAssembly sandbox cannot start processes\n",
            command);
    errno = ENOSYS;
    return -1;
}

__attribute__((weak)) int pthread_create(pthread_t *restrict thread, const pthread_attr_t *restrict attr,
                                         void *(*start)(void *), void *restrict arg) {
    (void)thread;
    (void)attr;
    (void)start;
    (void)arg;
    fputs("polyrun: a thread cannot start: a WebAssembly sandbox runs each program on one thread "
          "(std::thread, std::async and pthread_create fail)\n",
          stderr);
    return ENOTSUP;
}
