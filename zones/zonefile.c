/*
 * zonefile.c - the master-file parser: a lexer over a bounded read buffer
 * that cuts the text into entries (one record or directive, parentheses
 * joining lines), and the entry interpreter ($ORIGIN, $TTL, $INCLUDE,
 * $GENERATE, owner/TTL/class/type fields) that hands rdata tokens to the
 * rdata codec and records to the caller.
 */
#include "zones/zonefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zones/dname.h"
#include "zones/limits.h"
#include "zones/rdata.h"
#include "zones/rrtype.h"
#include "zones/tok.h"
#include "zones/ttl.h"

#define ZF_ENTRY_MAX (1u << 20)		/* longest entry (record) in bytes */
#define ZF_BUF_SIZE (ZF_ENTRY_MAX * 2)	/* read buffer per open file */
#define ZF_TOK_MAX 65536		/* tokens per entry */
#define ZF_TOK_MIN 256			/* initial token array */
#define ZF_GEN_TOKS 4096		/* tokens per $GENERATE record */
#define ZF_STACK_MAX 64

/* Byte classes for the lexer. */
enum { C_TEXT, C_SPACE, C_NL, C_SPECIAL };
static uint8_t cls_tab[256];

static void init_cls(void)
{
	if (cls_tab[' '] == C_SPACE)
		return;
	cls_tab[' '] = cls_tab['\t'] = cls_tab['\r'] = C_SPACE;
	cls_tab['\n'] = C_NL;
	cls_tab[';'] = cls_tab['('] = cls_tab[')'] = cls_tab['"'] =
		cls_tab['\\'] = cls_tab[0] = C_SPECIAL;
}

/* One file (or text in memory) being read. */
struct zf_src {
	const char *name;
	int fd;			/* -1 for text in memory */
	char *buf;
	size_t len, pos;
	bool eof;
	bool owns_buf;
	unsigned line;		/* line number at buf[pos] */
	uint8_t origin[DNAME_MAX];
	uint8_t owner[DNAME_MAX];
	bool have_owner;
};

struct zf {
	const struct zf_options *opt;
	zf_record_fn fn;
	void *ud;
	struct diag *d;
	struct tok *toks;	/* tokens of the current entry */
	size_t tokcap;
	uint8_t *rdata;
	char *gen;		/* $GENERATE line buffer */
	struct tok *gtoks;	/* tokens of a generated record */
	uint16_t cls;
	uint32_t dflt_ttl, last_ttl;
	bool have_dflt_ttl, have_last_ttl;
	bool stop;
	unsigned file_seq;	/* bumped when a file starts or resumes */
	unsigned depth;		/* $INCLUDE nesting */
	unsigned nopen;		/* files on the stack below */
	struct { dev_t dev; ino_t ino; } stack[ZF_STACK_MAX];
	uint64_t bytes;		/* text read, all files (opt->max_bytes) */
	uint64_t records;	/* records given to fn (opt->max_records) */
};

enum lex_result { LEX_ENTRY, LEX_NEED, LEX_EOF, LEX_ERROR, LEX_BINARY, LEX_MORE };

struct lexed {
	size_t ntok;
	bool blank_owner;
	const char *next;	/* first byte after the entry */
	unsigned nlines;	/* newlines consumed */
	const char *err;	/* LEX_ERROR message */
	const char *err_at;	/* where the error is */
};

/*
 * Cuts one entry from p..end.  An entry ends at a newline outside
 * parentheses (RFC 1035 §5.1).  Comment-only and blank lines yield
 * ntok == 0.  LEX_NEED means the entry is incomplete and more input exists.
 */
/* What scanning one piece of an entry found: SCAN_ERROR leaves its
 * message and place in the struct lexed. */
enum scan { SCAN_OK, SCAN_NEED, SCAN_BINARY, SCAN_ERROR };

/* A comment (at its ';'): *pp moves to the newline that ends it, or the
 * end of the input; to a NUL byte for SCAN_BINARY. */
static enum scan scan_comment(const char **pp, const char *end)
{
	const char *p = *pp;
	while (p < end && *p != '\n' && *p != 0)
		p++;
	*pp = p;
	return p < end && *p == 0 ? SCAN_BINARY : SCAN_OK;
}

/* A quoted token (at its '"'): its text without the quotes into *t, and
 * *pp past the closing quote; for an error, *pp where scanning stopped. */
static enum scan scan_quoted(const char **pp, const char *end, bool eof, struct tok *t,
			     struct lexed *lx)
{
	const char *s = *pp + 1, *p = s;
	while (p < end && *p != '"') {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '\n' || *p == 0)
			break;
		p++;
	}
	*pp = p;
	if (p == end && !eof)
		return SCAN_NEED;
	if (p == end || *p != '"') {
		if (p < end && *p == 0)
			return SCAN_BINARY;
		lx->err = "quoted string without its closing '\"' on the same line";
		lx->err_at = s - 1;
		return SCAN_ERROR;
	}
	*t = (struct tok){ .s = s, .len = (uint32_t)(p - s), .quoted = true };
	*pp = p + 1;
	return SCAN_OK;
}

/* An unquoted token: escapes and mid-token quotes stay in it.  Its text
 * into *t and *pp past it; for an error, *pp where scanning stopped. */
static enum scan scan_plain(const char **pp, const char *end, bool eof, struct tok *t,
			    struct lexed *lx)
{
	const char *s = *pp, *p = s;
	enum scan r = SCAN_OK;
	while (p < end) {
		uint8_t c = (uint8_t)*p;
		if (cls_tab[c] == C_TEXT) {
			p++;
			continue;
		}
		if (c == '\\') {
			if (p + 1 >= end || p[1] == '\n')
				break;
			if (p[1] == 0) {
				r = SCAN_BINARY;
				break;
			}
			p += 2;
			continue;
		}
		if (c == '"') {
			p++;
			while (p < end && *p != '"' && *p != '\n' && *p != 0) {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p < end && *p == '"') {
				p++;
				continue;
			}
			if (p == end && !eof)
				return SCAN_NEED;
			if (p < end && *p == 0) {
				r = SCAN_BINARY;
				break;
			}
			lx->err = "quoted string without its closing '\"' on the same line";
			lx->err_at = s;
			r = SCAN_ERROR;
		}
		break;
	}
	*pp = p;
	if (r != SCAN_OK)
		return r;
	if (p == end && !eof)
		return SCAN_NEED;
	if (p < end && *p == '\\') {
		lx->err = "backslash at the end of a line";
		lx->err_at = p;
		return SCAN_ERROR;
	}
	*t = (struct tok){ .s = s, .len = (uint32_t)(p - s), .quoted = false };
	return SCAN_OK;
}

/* After an error at p: the entry ends at the next newline. */
static enum lex_result lex_recover(const char *start, const char *p, const char *end,
				   bool eof, struct lexed *lx)
{
	while (p < end && *p != '\n')
		p++;
	if (p == end && !eof)
		return LEX_NEED;
	if (p < end)
		p++;
	unsigned nl = 0;
	for (const char *q = start; q < p; q++)
		nl += *q == '\n';
	lx->next = p;
	lx->nlines = nl;
	return LEX_ERROR;
}

static enum lex_result lex_entry(const char *p, const char *end, bool eof,
				 struct tok *toks, size_t cap, struct lexed *lx)
{
	const char *start = p;
	unsigned depth = 0, nl = 0;
	size_t n = 0;

	lx->ntok = 0;
	lx->err = NULL;
	lx->blank_owner = p < end && (*p == ' ' || *p == '\t');
	if (p == end)
		return eof ? LEX_EOF : LEX_NEED;
	for (;;) {
		if (p == end) {
			if (!eof)
				return LEX_NEED;
			if (depth) {
				lx->err = "'(' without a closing ')' before the end of the file";
				lx->err_at = start;
				lx->next = p;
				lx->nlines = nl;
				return LEX_ERROR;
			}
			break;
		}
		uint8_t c = (uint8_t)*p;
		enum scan r;
		struct tok t;
		switch (cls_tab[c]) {
		case C_SPACE:
			p++;
			continue;
		case C_NL:
			p++;
			nl++;
			if (depth == 0)
				goto done;
			continue;
		case C_TEXT:
			r = scan_plain(&p, end, eof, &t, lx);
			break;
		default:
			if (c == ';') {
				if (scan_comment(&p, end) == SCAN_BINARY)
					goto binary;
				continue;
			}
			if (c == '(' || c == ')') {
				/* parentheses join lines; they do not nest */
				if ((c == '(') == (depth != 0)) {
					lx->err = c == '(' ?
						"nested '(': parentheses do not nest in zone files" :
						"')' without an opening '('";
					lx->err_at = p;
					return lex_recover(start, p, end, eof, lx);
				}
				depth = c == '(';
				p++;
				continue;
			}
			if (c == 0)
				goto binary;
			/* a quoted token, or a backslash that starts one */
			r = c == '"' ? scan_quoted(&p, end, eof, &t, lx)
				     : scan_plain(&p, end, eof, &t, lx);
			break;
		}
		if (r == SCAN_NEED)
			return LEX_NEED;
		if (r == SCAN_BINARY)
			goto binary;
		if (r == SCAN_ERROR)
			return lex_recover(start, p, end, eof, lx);
		if (n == cap) {
			if (cap < ZF_TOK_MAX)
				return LEX_MORE;	/* the caller grows toks and lexes again */
			lx->err = "more than 65536 fields in one record";
			lx->err_at = p;
			return lex_recover(start, p, end, eof, lx);
		}
		toks[n++] = t;
	}
done:
	lx->ntok = n;
	lx->next = p;
	lx->nlines = nl;
	return LEX_ENTRY;
binary:
	lx->err_at = p;
	return LEX_BINARY;
}

/* Line number of position at inside the entry that starts at start. */
static unsigned line_at(unsigned line0, const char *start, const char *at)
{
	for (const char *q = start; q < at; q++)
		line0 += *q == '\n';
	return line0;
}

static bool too_many_errors(struct zf *z, struct zf_src *src, unsigned line)
{
	unsigned max = z->opt->max_errors ? z->opt->max_errors : 100;
	if (z->d->errors < max)
		return false;
	if (!z->stop)
		diag_report(z->d, DIAG_ERROR, src->name, line,
			    "too many errors (%u), giving up on this zone", max);
	z->stop = true;
	return true;
}

#define ERR(line, ...) diag_report(z->d, DIAG_ERROR, src->name, line, __VA_ARGS__)
#define WARN(line, ...) diag_report(z->d, DIAG_WARNING, src->name, line, __VA_ARGS__)

static int run_src(struct zf *z, struct zf_src *src);

static bool tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);
	return !t->quoted && t->len == n && strncasecmp(t->s, word, n) == 0;
}

static int parse_name(struct zf *z, struct zf_src *src, unsigned line,
		      const struct tok *t, const uint8_t *origin,
		      uint8_t out[DNAME_MAX], const char *what)
{
	int r = dname_from_text(out, t->s, t->len, origin);
	if (r < 0)
		ERR(line, "bad %s '%.*s': %s", what, (int)(t->len > 200 ? 200 : t->len),
		    t->s, dname_strerror(r));
	return r;
}

static void do_include(struct zf *z, struct zf_src *src, unsigned line,
		       const struct tok *t, size_t n)
{
	uint8_t origin[DNAME_MAX];
	char path[4096];

	if (n < 2 || n > 3) {
		ERR(line, "$INCLUDE takes a file name and an optional origin, found %zu fields",
		    n - 1);
		return;
	}
	if (n == 3 && parse_name(z, src, line, &t[2], src->origin, origin,
				 "$INCLUDE origin") < 0)
		return;
	if (t[1].len >= sizeof path / 2) {
		ERR(line, "$INCLUDE file name longer than %zu bytes", sizeof path / 2);
		return;
	}
	/* A relative path is relative to the including file's directory. */
	if (t[1].s[0] == '/') {
		snprintf(path, sizeof path, "%.*s", (int)t[1].len, t[1].s);
	} else {
		const char *slash = strrchr(src->name, '/');
		int dl = slash ? (int)(slash - src->name) + 1 : 0;
		snprintf(path, sizeof path, "%.*s%.*s", dl, src->name,
			 (int)t[1].len, t[1].s);
	}
	unsigned maxd = z->opt->max_include_depth ? z->opt->max_include_depth : 10;
	if (maxd >= ZF_STACK_MAX)
		maxd = ZF_STACK_MAX - 1;
	if (z->depth >= maxd) {
		ERR(line, "$INCLUDE %s: includes nested deeper than %u levels", path, maxd);
		return;
	}

	struct zf_src inc = { .name = path, .fd = -1 };
	memcpy(inc.origin, n == 3 ? origin : src->origin,
	       dname_len(n == 3 ? origin : src->origin));
	memcpy(inc.owner, src->owner, sizeof inc.owner);
	inc.have_owner = src->have_owner;
	inc.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (inc.fd < 0) {
		ERR(line, "$INCLUDE %s: cannot open: %s", path, strerror(errno));
		return;
	}
	struct stat st;
	if (fstat(inc.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ERR(line, "$INCLUDE %s: %s", path,
		    S_ISDIR(st.st_mode) ? "is a directory, expected a zone file"
					: "not a regular file");
		close(inc.fd);
		return;
	}
	if (z->opt->on_file)
		z->opt->on_file(z->opt->on_file_ud, path, &st);
	for (unsigned k = 0; k < z->nopen; k++) {
		if (z->stack[k].dev == st.st_dev && z->stack[k].ino == st.st_ino) {
			ERR(line, "$INCLUDE %s: include loop, the file is already being read",
			    path);
			close(inc.fd);
			return;
		}
	}
	z->stack[z->nopen].dev = st.st_dev;
	z->stack[z->nopen].ino = st.st_ino;
	z->nopen++;
	z->depth++;
	z->file_seq++;
	run_src(z, &inc);
	z->file_seq++;
	z->depth--;
	z->nopen--;
	close(inc.fd);
}

/* The owner: the first field, or the previous record's for a line that
 * starts blank (RFC 1035 §5.1).  Fields used: *i.  0, or -1 reported. */
static int record_owner(struct zf *z, struct zf_src *src, unsigned line, const struct tok *t,
			bool blank_owner, uint8_t *owner, size_t *i)
{
	if (blank_owner) {
		if (!src->have_owner) {
			ERR(line, "record without an owner name, and no previous owner to repeat");
			return -1;
		}
		memcpy(owner, src->owner, dname_len(src->owner));
		return 0;
	}
	if (t[0].quoted) {
		ERR(line, "owner name in quotes: expected a domain name");
		return -1;
	}
	if (parse_name(z, src, line, &t[0], src->origin, owner, "owner name") < 0)
		return -1;
	memcpy(src->owner, owner, dname_len(owner));
	src->have_owner = true;
	*i = 1;
	return 0;
}

/* What a record's fields before its type say. */
struct rec_head {
	uint32_t ttl;
	bool have_ttl;
	uint16_t cls;
	uint16_t type;
};

/* TTL and class, in either order (RFC 1035 §5.1), then the type, from
 * field *i on; *i moves past them.  0, or -1 reported. */
static int record_head(struct zf *z, struct zf_src *src, unsigned line, const char *estart,
		       const struct tok *t, size_t n, size_t *i, struct rec_head *h)
{
	bool have_cls = false;
	for (int k = 0; k < 2 && *i < n; k++) {
		const struct tok *f = &t[*i];
		if (!f->quoted && ttl_looks_like(f->s, f->len) && !h->have_ttl) {
			int r = ttl_from_text(f->s, f->len, &h->ttl);
			if (r < 0) {
				ERR(line_at(line, estart, f->s),
				    "bad TTL '%.*s': expected seconds or units like 1h30m%s",
				    (int)(f->len > 64 ? 64 : f->len), f->s,
				    r == TTL_ERANGE ? " below 2^32" : "");
				return -1;
			}
			h->have_ttl = true;
			(*i)++;
		} else if (!f->quoted && !have_cls &&
			   rrclass_from_text(f->s, f->len, &h->cls) == 0) {
			have_cls = true;
			(*i)++;
		} else {
			break;
		}
	}
	if (*i >= n) {
		ERR(line, "record without a type: expected a type like A, NS or TYPE65280");
		return -1;
	}
	const struct tok *f = &t[*i];
	if (f->quoted || rrtype_from_text(f->s, f->len, &h->type) < 0) {
		ERR(line_at(line, estart, f->s),
		    "unknown type '%.*s': expected a type mnemonic like AAAA or TYPEnnn",
		    (int)(f->len > 64 ? 64 : f->len), f->s);
		return -1;
	}
	if (rrtype_is_meta(h->type) || h->type == 0) {
		char tn[32];
		rrtype_to_text(h->type, tn, sizeof tn);
		ERR(line, "type %s is a meta or query type and cannot be zone data", tn);
		return -1;
	}
	(*i)++;
	return 0;
}

/* The TTL of a record without its own: $TTL (RFC 2308 §4), else the last
 * explicit TTL (RFC 1035 §5.1), else the SOA MINIMUM for the SOA itself
 * (rdata of rl bytes in z->rdata).  0, or -1 reported. */
static int record_ttl(struct zf *z, struct zf_src *src, unsigned line, uint16_t type, int rl,
		      uint32_t *ttl)
{
	if (z->have_dflt_ttl) {
		*ttl = z->dflt_ttl;
	} else if (z->have_last_ttl) {
		*ttl = z->last_ttl;
	} else if (type == RR_SOA && rl >= 20) {
		const uint8_t *m = z->rdata + rl - 4;
		*ttl = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		z->last_ttl = *ttl;
		z->have_last_ttl = true;
		WARN(line, "no TTL and no $TTL: using the SOA MINIMUM %u as the TTL", *ttl);
	} else {
		ERR(line, "record without a TTL and no $TTL before it: add a TTL or a $TTL line");
		return -1;
	}
	return 0;
}

static void do_record(struct zf *z, struct zf_src *src, unsigned line,
		      const char *estart, const struct tok *t, size_t n,
		      bool blank_owner)
{
	uint8_t owner[DNAME_MAX];
	size_t i = 0;
	struct rec_head h = { .cls = z->cls };
	char err[512];

	if (record_owner(z, src, line, t, blank_owner, owner, &i) < 0 ||
	    record_head(z, src, line, estart, t, n, &i, &h) < 0)
		return;
	int rl = rdata_from_text(h.type, t + i, n - i, src->origin, z->rdata,
				 RDATA_MAX, err, sizeof err);
	if (rl < 0) {
		char tn[32];
		rrtype_to_text(h.type, tn, sizeof tn);
		ERR(line, "%s record: %s", tn, err);
		return;
	}
	if (h.cls != z->cls) {
		char a[32], b[32];
		rrclass_to_text(h.cls, a, sizeof a);
		rrclass_to_text(z->cls, b, sizeof b);
		ERR(line, "class %s does not match the zone's class %s", a, b);
		return;
	}
	if (h.have_ttl) {
		z->last_ttl = h.ttl;
		z->have_last_ttl = true;
	} else if (record_ttl(z, src, line, h.type, rl, &h.ttl) < 0) {
		return;
	}
	struct zf_record rr = {
		.owner = owner, .rdata = z->rdata, .rdlen = (uint16_t)rl,
		.type = h.type, .cls = h.cls, .ttl = h.ttl, .file = src->name, .line = line,
		.file_seq = z->file_seq,
	};
	if (z->opt->max_records && ++z->records > z->opt->max_records) {
		char msg[96];
		zone_limit_records_msg(msg, sizeof msg, z->opt->max_records);
		ERR(line, "%s: stopped reading", msg);
		z->stop = true;
		return;
	}
	if (z->fn(z->ud, &rr))
		z->stop = true;
}

static void do_entry(struct zf *z, struct zf_src *src, unsigned line,
		     const char *estart, const struct tok *t, size_t n,
		     bool blank_owner);

/* Appends s[0..len) to the $GENERATE buffer with $ substituted by v. */
static int gen_subst(struct zf *z, size_t *w, const char *s, size_t len,
		     long v, const char **why)
{
	char *out = z->gen;
	size_t cap = ZF_ENTRY_MAX;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			if (*w + 2 >= cap)
				goto full;
			out[(*w)++] = s[i++];
			out[(*w)++] = s[i];
			continue;
		}
		if (s[i] != '$') {
			if (*w + 1 >= cap)
				goto full;
			out[(*w)++] = s[i];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '$') {
			/* "$$" is a literal '$' */
			if (*w + 2 >= cap)
				goto full;
			out[(*w)++] = '\\';
			out[(*w)++] = '$';
			i++;
			continue;
		}
		long off = 0;
		unsigned width = 0;
		char base = 'd';
		if (i + 1 < len && s[i + 1] == '{') {
			const char *e = memchr(s + i, '}', len - i);
			if (!e) {
				*why = "'${' without a closing '}'";
				return -1;
			}
			char mod[64];
			size_t ml = (size_t)(e - (s + i + 2));
			if (ml >= sizeof mod) {
				*why = "modifier '${...}' too long";
				return -1;
			}
			memcpy(mod, s + i + 2, ml);
			mod[ml] = 0;
			char b = 'd';
			int got = sscanf(mod, "%ld,%u,%c", &off, &width, &b);
			if (got < 1 || width > 64 ||
			    (got == 3 && !strchr("doxXnN", b))) {
				*why = "bad modifier: expected ${offset[,width[,base]]} with base d, o, x, X, n or N";
				return -1;
			}
			/* as BIND's: a 32-bit offset (a larger one would
			 * overflow the value it is added to) */
			if (off < -2147483647L || off > 2147483647L) {
				*why = "offset in '${...}' out of range (-2147483647..2147483647)";
				return -1;
			}
			base = b;
			i = (size_t)(e - s);
		}
		long val = v + off;
		if (val < 0) {
			*why = "offset makes the value negative";
			return -1;
		}
		char num[160];
		int nl;
		if (base == 'n' || base == 'N') {
			/* nibble form: hex digits least significant first,
			 * dot-separated (for ip6.arpa names) */
			nl = 0;
			unsigned long u = (unsigned long)val;
			unsigned digits = 0;
			do {
				unsigned d = u & 15;
				if (nl)
					num[nl++] = '.';
				num[nl++] = (char)(d < 10 ? '0' + d : (base == 'n' ? 'a' : 'A') + d - 10);
				u >>= 4;
				digits++;
			} while ((u || digits < width) && nl < 150);
		} else {
			const char *f = base == 'o' ? "%0*lo" : base == 'x' ? "%0*lx"
				      : base == 'X' ? "%0*lX" : "%0*ld";
			nl = snprintf(num, sizeof num, f, (int)width, val);
		}
		if (*w + (size_t)nl >= cap)
			goto full;
		memcpy(out + *w, num, (size_t)nl);
		*w += (size_t)nl;
	}
	return 0;
full:
	*why = "generated record too long";
	return -1;
}

/* BIND's $GENERATE range lhs [ttl] [class] type rhs... */
static void do_generate(struct zf *z, struct zf_src *src, unsigned line,
			const struct tok *t, size_t n)
{
	long start, stop, step = 1;
	char rng[64];
	int used = 0;

	if (n < 4) {
		ERR(line, "$GENERATE needs a range, an owner, a type and rdata: found %zu fields",
		    n - 1);
		return;
	}
	if (t[1].len >= sizeof rng) {
		ERR(line, "$GENERATE: bad range: expected START-STOP[/STEP]");
		return;
	}
	memcpy(rng, t[1].s, t[1].len);
	rng[t[1].len] = 0;
	if ((sscanf(rng, "%ld-%ld%n/%ld%n", &start, &stop, &used, &step, &used) < 2) ||
	    (size_t)used != t[1].len || start < 0 || stop < start || step < 1) {
		ERR(line, "$GENERATE: bad range '%s': expected START-STOP[/STEP] with START <= STOP",
		    rng);
		return;
	}
	unsigned long max = z->opt->max_generate ? z->opt->max_generate : 1ul << 20;
	if ((unsigned long)((stop - start) / step) + 1 > max) {
		ERR(line, "$GENERATE: range %s makes more than %lu records", rng, max);
		return;
	}
	if (!z->gen && !(z->gen = malloc(ZF_ENTRY_MAX))) {
		ERR(line, "$GENERATE: out of memory");
		return;
	}
	if (!z->gtoks && !(z->gtoks = malloc(ZF_GEN_TOKS * sizeof *z->gtoks))) {
		ERR(line, "$GENERATE: out of memory");
		return;
	}
	/* by index: v += step would overflow past a stop near LONG_MAX */
	long count = (stop - start) / step + 1;
	for (long i = 0; i < count && !z->stop; i++) {
		long v = start + i * step;
		size_t w = 0;
		const char *why = NULL;
		for (size_t k = 2; k < n; k++) {
			if (k > 2)
				z->gen[w++] = ' ';
			if (t[k].quoted)
				z->gen[w++] = '"';
			if (gen_subst(z, &w, t[k].s, t[k].len, v, &why) < 0) {
				ERR(line, "$GENERATE: %s", why);
				return;
			}
			if (t[k].quoted)
				z->gen[w++] = '"';
			if (w + 4 >= ZF_ENTRY_MAX) {
				ERR(line, "$GENERATE: generated record too long");
				return;
			}
		}
		struct lexed lx;
		/* the text is one line, lexed into its own tokens: t still
		 * holds the directive */
		if (lex_entry(z->gen, z->gen + w, true, z->gtoks, ZF_GEN_TOKS, &lx) !=
		    LEX_ENTRY) {
			ERR(line, "$GENERATE: cannot read the generated record '%.*s'",
			    (int)(w > 200 ? 200 : w), z->gen);
			return;
		}
		if (lx.ntok == 0)
			continue;
		do_record(z, src, line, z->gen, z->gtoks, lx.ntok, false);
		if (too_many_errors(z, src, line))
			return;
	}
}

static void do_entry(struct zf *z, struct zf_src *src, unsigned line,
		     const char *estart, const struct tok *t, size_t n,
		     bool blank_owner)
{
	if (blank_owner || t[0].quoted || t[0].s[0] != '$') {
		do_record(z, src, line, estart, t, n, blank_owner);
		return;
	}
	if (tok_is(&t[0], "$ORIGIN")) {
		uint8_t o[DNAME_MAX];
		if (n != 2) {
			ERR(line, "$ORIGIN takes one domain name, found %zu fields", n - 1);
			return;
		}
		if (parse_name(z, src, line, &t[1], src->origin, o, "$ORIGIN") >= 0)
			memcpy(src->origin, o, dname_len(o));
	} else if (tok_is(&t[0], "$TTL")) {
		uint32_t v;
		int r = n == 2 ? ttl_from_text(t[1].s, t[1].len, &v) : TTL_ESYNTAX;
		if (r < 0) {
			ERR(line, "$TTL takes one TTL (seconds or units like 1h30m)%s",
			    r == TTL_ERANGE ? ": value above 2^32-1" : "");
			return;
		}
		z->dflt_ttl = v;
		z->have_dflt_ttl = true;
	} else if (tok_is(&t[0], "$INCLUDE")) {
		do_include(z, src, line, t, n);
	} else if (tok_is(&t[0], "$GENERATE")) {
		do_generate(z, src, line, t, n);
	} else {
		ERR(line, "unknown directive '%.*s': expected $ORIGIN, $TTL, $INCLUDE or $GENERATE",
		    (int)(t[0].len > 64 ? 64 : t[0].len), t[0].s);
	}
}

/* Moves the unread bytes to the front and reads more.  -1 on read error. */
static int refill(struct zf *z, struct zf_src *src)
{
	if (src->fd < 0 || src->eof) {
		src->eof = true;
		return 0;
	}
	if (src->pos) {
		memmove(src->buf, src->buf + src->pos, src->len - src->pos);
		src->len -= src->pos;
		src->pos = 0;
	}
	while (src->len < ZF_BUF_SIZE) {
		ssize_t r = read(src->fd, src->buf + src->len, ZF_BUF_SIZE - src->len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				src->eof = true;
				return 0;
			}
			ERR(src->line, "read error: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			src->eof = true;
			break;
		}
		src->len += (size_t)r;
		z->bytes += (uint64_t)r;
		if (z->opt->max_bytes && z->bytes > z->opt->max_bytes) {
			/* the file grew, or its $INCLUDE files add up */
			char msg[96];
			zone_limit_size_msg(msg, sizeof msg, z->opt->max_bytes);
			ERR(src->line, "zone text %s with its $INCLUDE files: stopped reading",
			    msg);
			return -1;
		}
		if (src->len > ZF_ENTRY_MAX)
			break;
	}
	return 0;
}

static int run_src(struct zf *z, struct zf_src *src)
{
	struct lexed lx;
	bool skipping = false;	/* discarding an overlong entry */

	src->line = 1;
	if (src->fd >= 0) {
		src->buf = malloc(ZF_BUF_SIZE);
		if (!src->buf) {
			ERR(0, "out of memory");
			return -1;
		}
		src->owns_buf = true;
		src->len = src->pos = 0;
		src->eof = false;
		if (refill(z, src) < 0)
			goto fail;
	}
	while (!z->stop) {
		const char *p = src->buf + src->pos, *end = src->buf + src->len;
		if (skipping) {
			const char *q = memchr(p, '\n', (size_t)(end - p));
			if (!q) {
				src->pos = src->len;
				if (src->eof)
					break;
				if (refill(z, src) < 0)
					goto fail;
				continue;
			}
			src->pos = (size_t)(q + 1 - src->buf);
			src->line++;
			skipping = false;
			continue;
		}
		enum lex_result r = lex_entry(p, end, src->eof, z->toks, z->tokcap, &lx);
		if (r == LEX_EOF)
			break;
		if (r == LEX_MORE) {
			struct tok *nt = realloc(z->toks, 4 * z->tokcap * sizeof *nt);
			if (!nt) {
				ERR(src->line, "out of memory");
				goto fail;
			}
			z->toks = nt;
			z->tokcap *= 4;
			continue;
		}
		if (r == LEX_NEED) {
			if ((size_t)(end - p) >= ZF_ENTRY_MAX) {
				ERR(src->line, "entry longer than %u bytes: skipped to the next line",
				    ZF_ENTRY_MAX);
				if (too_many_errors(z, src, src->line))
					break;
				skipping = true;
				src->pos = src->len;
				for (const char *q = p; q < end; q++)
					src->line += *q == '\n';
				if (refill(z, src) < 0)
					goto fail;
				continue;
			}
			if (refill(z, src) < 0)
				goto fail;
			continue;
		}
		if (r == LEX_BINARY) {
			ERR(line_at(src->line, p, lx.err_at),
			    "NUL byte: binary data, not a zone file; stopped reading this file");
			goto fail;
		}
		if (r == LEX_ERROR) {
			ERR(line_at(src->line, p, lx.err_at), "%s", lx.err);
		} else if (lx.ntok) {
			do_entry(z, src, src->line, p, z->toks, lx.ntok, lx.blank_owner);
		}
		src->pos = (size_t)(lx.next - src->buf);
		src->line += lx.nlines;
		if (too_many_errors(z, src, src->line))
			break;
	}
	if (src->owns_buf)
		free(src->buf);
	return z->stop ? -1 : 0;
fail:
	if (src->owns_buf)
		free(src->buf);
	z->stop = true;
	return -1;
}

static int zf_run(const char *name, int fd, const struct stat *st,
		  const char *text, size_t len,
		  const struct zf_options *opt, zf_record_fn fn, void *ud,
		  struct diag *d)
{
	struct zf z = { .opt = opt, .fn = fn, .ud = ud, .d = d };
	struct zf_src src = { .name = name, .fd = fd };
	int ret = -1;

	init_cls();
	z.cls = opt->cls ? opt->cls : RR_CLASS_IN;
	z.tokcap = ZF_TOK_MIN;
	z.toks = malloc(sizeof *z.toks * z.tokcap);
	z.rdata = malloc(RDATA_MAX + 1);
	if (!z.toks || !z.rdata) {
		diag_report(d, DIAG_ERROR, name, 0, "out of memory");
		goto out;
	}
	memcpy(src.origin, opt->origin, dname_len(opt->origin));
	if (st) {
		z.stack[0].dev = st->st_dev;
		z.stack[0].ino = st->st_ino;
		z.nopen = 1;
	}
	if (fd < 0) {
		src.buf = (char *)text;
		src.len = len;
		src.eof = true;
	}
	ret = run_src(&z, &src);
out:
	free(z.toks);
	free(z.rdata);
	free(z.gen);
	free(z.gtoks);
	return ret;
}

int zf_parse_mem(const char *name, const char *text, size_t len,
		 const struct zf_options *opt, zf_record_fn fn, void *ud,
		 struct diag *d)
{
	return zf_run(name, -1, NULL, text, len, opt, fn, ud, d);
}

int zf_parse_file(const char *path, const struct zf_options *opt,
		  zf_record_fn fn, void *ud, struct diag *d)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		diag_report(d, DIAG_ERROR, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		diag_report(d, DIAG_ERROR, path, 0, "%s",
			    S_ISDIR(st.st_mode) ? "is a directory, expected a zone file"
						: "not a regular file, expected a zone file");
		close(fd);
		return -1;
	}
	if (opt->max_bytes && (uint64_t)st.st_size > opt->max_bytes) {
		char msg[96];
		zone_limit_size_msg(msg, sizeof msg, opt->max_bytes);
		diag_report(d, DIAG_ERROR, path, 0, "%s", msg);
		close(fd);
		return -1;
	}
	if (opt->on_file)
		opt->on_file(opt->on_file_ud, path, &st);
	int r = zf_run(path, fd, &st, NULL, 0, opt, fn, ud, d);
	close(fd);
	return r;
}
