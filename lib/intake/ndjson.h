/*
 * ndjson.h - split a newline-delimited JSON body into its lines.
 *
 * A line ends at LF; a CR just before the LF is not part of the line's JSON.
 * Lines holding only blanks (space, tab, CR) are skipped.  The last line may
 * lack its LF.  Each line found also has a "segment": the bytes from the end
 * of the previous segment through this line's terminator and any blank
 * lines after it, so the segments of all lines, in order, are exactly the
 * body (blank lines before the first JSON line belong to the first
 * segment).  That lets each line be stored as its own row while the signed
 * body stays reconstructible byte for byte.
 *
 * The splitter only finds lines; it does not parse JSON.
 */
#ifndef TALLY_NDJSON_H
#define TALLY_NDJSON_H

#include <stddef.h>

struct ndjson_line {
	size_t off;		/* the line's JSON text: buf + off, len bytes */
	size_t len;
	size_t seg_off;		/* its segment: buf + seg_off, seg_len bytes */
	size_t seg_len;
	size_t lineno;		/* 1-based physical line number, for messages */
};

/*
 * Split buf.  On success *lines (caller frees) holds *nlines >= 1 entries.
 * TALLY_EDATA: a NUL byte, or no JSON line at all; TALLY_ERANGE: more than
 * max_lines lines or a line longer than max_line bytes.  On failure *lines
 * is NULL and *bad_line (optional) is the physical line number at fault
 * (0 when it is the body as a whole).
 */
int ndjson_split(const char *buf, size_t len, size_t max_lines,
    size_t max_line, struct ndjson_line **lines, size_t *nlines,
    size_t *bad_line);

#endif
