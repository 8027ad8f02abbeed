/* polyrun: sigaction() and the rest of the signal API that wasi-libc's
 * emulation (signal(), raise()) lacks; see signal.h for what they do in a
 * WebAssembly program. Linked into every C and C++ program. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#define BITS_PER_WORD (8 * sizeof(unsigned long))

static struct sigaction actions[_NSIG];
static sigset_t blocked;
static stack_t alternate_stack = {.ss_flags = SS_DISABLE};

static int valid(int sig) { return sig > 0 && sig < _NSIG; }

static int invalid(void) {
	errno = EINVAL;
	return -1;
}

int sigemptyset(sigset_t *set) {
	memset(set, 0, sizeof *set);
	return 0;
}

int sigfillset(sigset_t *set) {
	memset(set, 0xff, sizeof *set);
	return 0;
}

int sigaddset(sigset_t *set, int sig) {
	if (!valid(sig)) return invalid();
	set->__bits[(sig - 1) / BITS_PER_WORD] |= 1UL << ((sig - 1) % BITS_PER_WORD);
	return 0;
}

int sigdelset(sigset_t *set, int sig) {
	if (!valid(sig)) return invalid();
	set->__bits[(sig - 1) / BITS_PER_WORD] &= ~(1UL << ((sig - 1) % BITS_PER_WORD));
	return 0;
}

int sigismember(const sigset_t *set, int sig) {
	if (!valid(sig)) return invalid();
	return (set->__bits[(sig - 1) / BITS_PER_WORD] >> ((sig - 1) % BITS_PER_WORD)) & 1;
}

int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict old) {
	if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return invalid();
	if (old) *old = blocked;
	if (!set) return 0;
	for (size_t i = 0; i < sizeof blocked.__bits / sizeof blocked.__bits[0]; i++) {
		switch (how) {
		case SIG_BLOCK: blocked.__bits[i] |= set->__bits[i]; break;
		case SIG_UNBLOCK: blocked.__bits[i] &= ~set->__bits[i]; break;
		default: blocked.__bits[i] = set->__bits[i]; break;
		}
	}
	return 0;
}

int pthread_sigmask(int how, const sigset_t *restrict set, sigset_t *restrict old) {
	return sigprocmask(how, set, old) == 0 ? 0 : errno;
}

int sigpending(sigset_t *set) { return sigemptyset(set); }

/* Runs the handler sigaction() installed, as the kernel would call it. */
static void deliver(int sig) {
	struct sigaction action = actions[sig];
	if (action.sa_flags & SA_RESETHAND) {
		memset(&actions[sig], 0, sizeof actions[sig]);
		signal(sig, SIG_DFL);
	}
	if (action.sa_flags & SA_SIGINFO) {
		siginfo_t info;
		memset(&info, 0, sizeof info);
		info.si_signo = sig;
		info.si_code = SI_USER;
		action.sa_sigaction(sig, &info, 0);
	} else {
		action.sa_handler(sig);
	}
}

int sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict old) {
	if (!valid(sig) || (act && (sig == SIGKILL || sig == SIGSTOP))) return invalid();
	if (old) *old = actions[sig];
	if (!act) return 0;
	actions[sig] = *act;
	int plain = !(act->sa_flags & SA_SIGINFO);
	if (plain && (act->sa_handler == SIG_DFL || act->sa_handler == SIG_IGN))
		signal(sig, act->sa_handler);
	else
		signal(sig, deliver);
	return 0;
}

int sigaltstack(const stack_t *restrict stack, stack_t *restrict old) {
	if (old) *old = alternate_stack;
	if (!stack) return 0;
	if (stack->ss_flags & ~SS_DISABLE) return invalid();
	if (!(stack->ss_flags & SS_DISABLE) && stack->ss_size < MINSIGSTKSZ) {
		errno = ENOMEM;
		return -1;
	}
	alternate_stack = *stack;
	return 0;
}

int kill(pid_t pid, int sig) {
	if (sig != 0 && !valid(sig)) return invalid();
	if (pid != 0) {
		errno = ESRCH; /* no other process is visible */
		return -1;
	}
	return sig == 0 ? 0 : raise(sig);
}
