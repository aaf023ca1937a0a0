/*
 * tsan.h - happens-before edges told to ThreadSanitizer where the
 * synchronisation is inside a library not built with it (liburcu's
 * grace periods, fstrm's queue, DPDK's lcore launch): TSAN_RELEASE(a) in
 * the thread handing something over, TSAN_ACQUIRE(a) in the one taking it,
 * on the same address a.  Nothing outside a TSan build.
 */
#ifndef RINGDNS_DP_TSAN_H
#define RINGDNS_DP_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define DP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DP_TSAN 1
#endif
#endif

#ifdef DP_TSAN
#include <sanitizer/tsan_interface.h>
#define TSAN_RELEASE(a) __tsan_release((void *)(a))
#define TSAN_ACQUIRE(a) __tsan_acquire((void *)(a))
#else
#define TSAN_RELEASE(a) ((void)0)
#define TSAN_ACQUIRE(a) ((void)0)
#endif

#endif
