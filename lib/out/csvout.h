/*
 * csvout.h - CSV for machines: RFC 4180, UTF-8, CRLF after every record,
 * a header row written by the caller like any other row.
 *
 * Quoting.  Text cells are always quoted (libcsv's csv_fwrite doubles any
 * '"' inside), so an empty string ("") stays distinct from SQL NULL, which
 * is nothing at all between two commas.  Numbers, booleans and dates
 * ("plain" cells) are written bare.
 *
 * Formula neutralisation.  A spreadsheet that opens the file treats a cell
 * beginning with '=', '+', '-', '@', TAB or CR as a formula (CSV injection,
 * OWASP), and text in tally comes from users: emails, notes, error
 * messages.  Such a text cell is written with a leading apostrophe inside
 * the quotes: =1+2 becomes "'=1+2".  The apostrophe is visible to a program
 * reading the file; that is the price of safety, and the rule is exact, so
 * a reader can undo it (a text cell that begins with "'" followed by one of
 * those six characters had one added).  Plain cells are not neutralised
 * when they are what they claim to be: a number like -5 or +1e3 stays bare;
 * a plain cell that does not look like a number, date or boolean (say
 * "-Infinity") is treated as text.
 *
 * The writer does not own the FILE: the caller opens it (buffered), checks
 * csvout_finish(), then fsyncs and closes it.
 */
#ifndef TALLY_CSVOUT_H
#define TALLY_CSVOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct csvout {
	FILE *fp;
	size_t col;		/* cells written in the current record */
	unsigned long long records;	/* records ended, header included */
	int err;		/* first error, sticky */
};

void csvout_init(struct csvout *c, FILE *fp);

/* A text cell: quoted, neutralised when it begins with = + - @ TAB CR. */
int csvout_text(struct csvout *c, const char *s, size_t len);
/* A number, boolean or date in its exact text form: bare (see above). */
int csvout_plain(struct csvout *c, const char *s, size_t len);
/* SQL NULL: an empty, unquoted cell. */
int csvout_null(struct csvout *c);
/* End the record with CRLF. */
int csvout_end_row(struct csvout *c);
/* Flush stdio buffers; 0, or TALLY_EIO if any write failed (errno kept). */
int csvout_finish(struct csvout *c);

/* True when a text cell would be given a leading apostrophe. */
bool csvout_dangerous(const char *s, size_t len);

#endif
