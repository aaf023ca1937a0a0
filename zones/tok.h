/*
 * tok.h - one token of master-file text, as the zone-file lexer hands rdata
 * to the rdata parser: raw text still holding its escapes (\X, \DDD), the
 * surrounding quotes removed from quoted tokens.
 */
#ifndef RINGDNS_TOK_H
#define RINGDNS_TOK_H

#include <stdbool.h>
#include <stdint.h>

struct tok {
	const char *s;
	uint32_t len;
	bool quoted;
};

#endif
