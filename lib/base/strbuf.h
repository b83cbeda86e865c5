/*
 * strbuf.h - a growable, always NUL-terminated byte buffer.
 *
 * Allocation failure is fatal (logged, then abort()): tally's programs are
 * small and a half-built string is never a useful thing to continue with.
 * The owner calls strbuf_release(); strbuf_detach() hands the buffer over
 * (free() it).
 */
#ifndef TALLY_STRBUF_H
#define TALLY_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Returns the buffer (never NULL; caller frees) and re-initialises sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
/* strbuf_addf() with a va_list (ap is used up). */
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The contents, "" when empty: safe to print without a NULL check. */
const char *strbuf_str(const struct strbuf *sb);

/* malloc/calloc/realloc/strdup that abort on failure, like strbuf. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* The length of s, or SIZE_MAX when s is NULL or longer than max (read no
 * further than max + 1 bytes: s may be a header of any length). */
size_t bounded_len(const char *s, size_t max);

#endif
