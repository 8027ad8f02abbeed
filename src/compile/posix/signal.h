/* polyrun: what wasi-libc's signal emulation lacks, so that programs and
 * test frameworks written for POSIX (Catch2's fatal-signal handler, code
 * that blocks signals) compile and link unchanged.
 *
 * wasi-libc (with -D_WASI_EMULATED_SIGNAL) has signal() and raise(), and
 * nothing else. Here are sigaction(), sigaltstack(), the signal sets and
 * the masks, implemented in signal.c over that emulation:
 * - A WebAssembly program receives no signal from outside. A handler runs
 *   only when the program raises its signal itself (raise(), kill(0, sig));
 *   a trap (a bad memory access, a division by zero) or abort() ends the
 *   program without any handler running.
 * - sigprocmask() keeps and reports the mask; raise() does not consult it.
 * - The alternate stack is recorded and reported, never used.
 * This directory comes before the sysroot's, whose header comes first. */
#include_next <signal.h>

#ifndef __POLYRUN_SIGNAL_H
#define __POLYRUN_SIGNAL_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <__typedef_sigset_t.h>

typedef struct sigaltstack {
	void *ss_sp;
	int ss_flags;
	size_t ss_size;
} stack_t;

union sigval {
	int sival_int;
	void *sival_ptr;
};

typedef struct {
	int si_signo, si_errno, si_code;
	pid_t si_pid;
	uid_t si_uid;
	void *si_addr;
	int si_status;
	union sigval si_value;
} siginfo_t;

struct sigaction {
	union {
		void (*sa_handler)(int);
		void (*sa_sigaction)(int, siginfo_t *, void *);
	} __sa_handler;
	sigset_t sa_mask;
	int sa_flags;
	void (*sa_restorer)(void);
};
#define sa_handler __sa_handler.sa_handler
#define sa_sigaction __sa_handler.sa_sigaction

#define SA_NOCLDSTOP 1
#define SA_NOCLDWAIT 2
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SI_USER 0

#define SS_ONSTACK 1
#define SS_DISABLE 2

#define MINSIGSTKSZ 2048
#define SIGSTKSZ 8192

int sigemptyset(sigset_t *);
int sigfillset(sigset_t *);
int sigaddset(sigset_t *, int);
int sigdelset(sigset_t *, int);
int sigismember(const sigset_t *, int);
int sigprocmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int pthread_sigmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int sigpending(sigset_t *);
int sigaction(int, const struct sigaction *__restrict, struct sigaction *__restrict);
int sigaltstack(const stack_t *__restrict, stack_t *__restrict);
int kill(pid_t, int);

#ifdef __cplusplus
}
#endif

#endif
