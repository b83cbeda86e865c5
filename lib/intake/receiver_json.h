/*
 * receiver_json.h - validate a webhook body as one JSON object and pick
 * out a few top-level string members, in one pass and without building a
 * document: the receiver's hot path.
 *
 * What passes here is stored as jsonb, so the rules are PostgreSQL's (RFC
 * 8259) and a little stricter, never looser: UTF-8 only (no overlong forms,
 * no surrogates, nothing past U+10FFFF), no raw control characters in
 * strings, no "\u0000" (jsonb cannot hold it), surrogate escapes only in
 * pairs, numbers in JSON's grammar with at most RECEIVER_JSON_MAX_DIGITS
 * digits before and after the point and an exponent of at most
 * RECEIVER_JSON_MAX_EXPONENT (inside numeric's range), nesting at most
 * RECEIVER_JSON_MAX_DEPTH.  Surrounding JSON whitespace is allowed.
 */
#ifndef TALLY_RECEIVER_JSON_H
#define TALLY_RECEIVER_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define RECEIVER_JSON_MAX_DEPTH 512
#define RECEIVER_JSON_MAX_DIGITS 1000
#define RECEIVER_JSON_MAX_EXPONENT 1000

struct receiver_json_field {
	const char *name;	/* in: a top-level member name */
	char *value;		/* out: its string value, unescaped (owned),
				 * NULL when absent or not a string */
	bool present;		/* out: the member exists, of any type */
};

/*
 * 0 when buf[0..len) is exactly one JSON object; the fields found are
 * filled (the last occurrence of a repeated member wins, as in jsonb).
 * TALLY_EDATA otherwise, with *err_off (optional) the byte offset at fault.
 * Always call receiver_json_fields_release().
 */
int receiver_json_scan(const char *buf, size_t len,
    struct receiver_json_field *fields, size_t nfields, size_t *err_off);
void receiver_json_fields_release(struct receiver_json_field *fields,
    size_t nfields);

#endif
