/*
 * memrel.h - giving a big array's memory back to the kernel while it is
 * read front to back for the last time (the compiler's inputs), so that
 * what is read and what is made from it are not both whole in memory.
 */
#ifndef RINGDNS_MEMREL_H
#define RINGDNS_MEMREL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

struct memrel {
	uintptr_t next;		/* first page not given back */
	uintptr_t end;
};

static inline void memrel_init(struct memrel *r, const void *base, size_t size)
{
	r->next = ((uintptr_t)base + 4095) & ~(uintptr_t)4095;
	r->end = (uintptr_t)base + size;
}

/* Gives back the whole pages below upto, which are never read again (the
 * array is free()d as usual), in steps of at least 2 MiB. */
static inline void memrel_upto(struct memrel *r, const void *upto)
{
	const uintptr_t step = 2u << 20;
	uintptr_t to = (uintptr_t)upto & ~(uintptr_t)4095;
	if (to > r->end || to < r->next + step)
		return;
	madvise((void *)r->next, to - r->next, MADV_DONTNEED);
	r->next = to;
}

#endif
