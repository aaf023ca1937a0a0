/*
 * common/sigmask.h: the signal mask of the threads that take no signals
 * (workers, TCP, the metrics server): every asynchronous signal blocked,
 * left to the main thread's handlers, and never the synchronous ones a
 * fault or a trap raises (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP).  A
 * fault with its signal blocked kills the process at once, with no
 * sanitizer report or core handler (POSIX leaves the outcome of such a
 * blocked signal, raised by the thread itself, undefined).
 */
#ifndef RINGDNS_COMMON_SIGMASK_H
#define RINGDNS_COMMON_SIGMASK_H

#include <signal.h>

/* Fills *set with the signals such threads block. */
static inline void sigmask_async(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGTRAP);
}

#endif
