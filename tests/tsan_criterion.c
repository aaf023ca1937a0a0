/*
 * tsan_criterion.c - linked into the Criterion test programs of a
 * ThreadSanitizer build only (tests/meson.build), so that Criterion can
 * start under TSan on x86-64.
 *
 * Criterion (its BoxFort sandbox) maps each of its shared "arenas" at an
 * address it draws with rand_r(): 0x200000000000 plus a multiple of
 * 16 MiB below 0x600000000000, ten draws, accepting an address mincore()
 * finds unmapped.  TSan's x86-64 layout reserves all of that range for
 * its shadow and metadata except the application window
 * 0x550000000000-0x568000000000 (where PIE programs load), so most draws
 * are refused; Criterion then aborts ("Could not initialize inheritable
 * arena") or, when a later arena fails, crashes on a NULL arena (a
 * SEGV inside libcriterion).  This rand_r, which the dynamic linker binds
 * for libcriterion too (a program's definition comes first), draws in
 * that window only; mincore still skips what the program occupies there.
 * A plain linear congruential generator: nothing here needs better.
 */
#include <stdlib.h>

#if defined(__x86_64__)
#define ARENA_BASE 0x200000000000ull	/* BoxFort's lowest arena address */
#define ARENA_STEP (1ull << 24)		/* and its spacing */
#define APP_LO 0x550000000000ull	/* TSan's application window */
#define APP_HI 0x568000000000ull

int rand_r(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	unsigned lo = (unsigned)((APP_LO - ARENA_BASE) / ARENA_STEP);
	unsigned n = (unsigned)((APP_HI - APP_LO) / ARENA_STEP);
	return (int)(lo + (*seed >> 8) % n);
}
#endif
