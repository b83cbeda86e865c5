#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>

#include "out/csvout.h"
#include "base/err.h"

void
csvout_init(struct csvout *c, FILE *fp)
{
	c->fp = fp;
	c->col = 0;
	c->records = 0;
	c->err = 0;
}

bool
csvout_dangerous(const char *s, size_t len)
{
	if (len == 0)
		return false;
	switch (s[0]) {
	case '=':
	case '+':
	case '-':
	case '@':
	case '\t':
	case '\r':
		return true;
	default:
		return false;
	}
}

/* The separator before every cell but the first of a record. */
static int
separator(struct csvout *c)
{
	if (c->err != 0)
		return c->err;
	if (c->col++ > 0 && putc(',', c->fp) == EOF)
		c->err = TALLY_EIO;
	return c->err;
}

int
csvout_text(struct csvout *c, const char *s, size_t len)
{
	if (separator(c) != 0)
		return c->err;
	if (csvout_dangerous(s, len)) {
		/*
		 * csv_fwrite quotes the whole cell itself, so the apostrophe
		 * must go in by hand: open the quote, apostrophe, then the
		 * content with its quotes doubled, close the quote.
		 */
		if (fputs("\"'", c->fp) == EOF)
			goto fail;
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '"' && putc('"', c->fp) == EOF)
				goto fail;
			if (putc(s[i], c->fp) == EOF)
				goto fail;
		}
		if (putc('"', c->fp) == EOF)
			goto fail;
		return 0;
	}
	if (csv_fwrite(c->fp, s, len) != 0)
		goto fail;
	return 0;
fail:
	c->err = TALLY_EIO;
	return c->err;
}

/* A decimal number as PostgreSQL prints one:
 * [+-]digits[.digits][e[+-]digits]. */
static bool
is_number(const char *s, size_t len)
{
	size_t i = 0, d = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
	if (d == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == len || s[i] < '0' || s[i] > '9')
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == len;
}

/*
 * A plain cell is written bare only when nothing in it can be read as a
 * formula or break the record: a number (a sign alone would make "-1+2" a
 * formula, so the whole cell must be one number), a boolean, or something
 * that starts with a digit (dates, timestamps) and holds no separator,
 * quote or line break.  Anything else goes through csvout_text.
 */
static bool
plain_is_safe(const char *s, size_t len)
{
	if (len == 0)
		return false;
	if (is_number(s, len))
		return true;
	if ((len == 4 && memcmp(s, "true", 4) == 0) ||
	    (len == 5 && memcmp(s, "false", 5) == 0))
		return true;
	if (s[0] < '0' || s[0] > '9')
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n' ||
		    s[i] == '\t')
			return false;
	return true;
}

int
csvout_plain(struct csvout *c, const char *s, size_t len)
{
	if (!plain_is_safe(s, len))
		return csvout_text(c, s, len);
	if (separator(c) != 0)
		return c->err;
	if (fwrite(s, 1, len, c->fp) != len)
		c->err = TALLY_EIO;
	return c->err;
}

int
csvout_null(struct csvout *c)
{
	return separator(c);
}

int
csvout_end_row(struct csvout *c)
{
	if (c->err != 0)
		return c->err;
	if (fputs("\r\n", c->fp) == EOF)
		c->err = TALLY_EIO;
	c->col = 0;
	c->records++;
	return c->err;
}

int
csvout_finish(struct csvout *c)
{
	if (c->err == 0 && (fflush(c->fp) != 0 || ferror(c->fp)))
		c->err = TALLY_EIO;
	return c->err;
}
