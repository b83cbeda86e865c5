/*
 * ctlopt.h - what every tallyctl command group shares: the verb table and
 * its help, option parsing, the output format, the database connection,
 * running a mutation in one transaction (with --dry-run rolling it back),
 * the audit actor, and turning failures into messages and exit codes.
 *
 * A group (ctl_account, ctl_assignment, ...) is a table of verbs handed to
 * ctlopt_run_group(); each verb parses its own options with ctlopt_parse()
 * and returns 0 or a TALLY_E* code; the group maps it to an exit status.
 */
#ifndef TALLY_CTLOPT_H
#define TALLY_CTLOPT_H

#include <stdbool.h>
#include <stdio.h>

#include "pg/db.h"
#include "base/strbuf.h"
#include "out/table.h"

struct ctlopt_verb;

/* The state a verb works with. */
struct ctl {
	const char *group;	/* "account" */
	const char *verb;	/* "add" */
	const struct ctlopt_verb *verbdef;	/* its usage and help */
	struct db *db;		/* after ctlopt_connect() */
	int format;		/* enum table_format, set by --csv / --json */
	const char *actor;	/* --actor, NULL: audit_actor() decides */
	bool dry_run;		/* --dry-run */
	FILE *out;		/* stdout */
};

enum ctlopt_kind {
	CTLOPT_FLAG,		/* --x: *(bool *)dest = true */
	CTLOPT_STR,		/* --x VALUE or --x=VALUE: *(const char **)dest */
	CTLOPT_INT,		/* a whole number in [min, max]: *(long long *)dest */
	CTLOPT_SET		/* --x: *(int *)dest = (int)min */
};

struct ctlopt {
	const char *name;	/* without the leading "--" */
	enum ctlopt_kind kind;
	void *dest;
	long long min, max;
	bool *seen;		/* optional: set when the option is given */
};

#define CTLOPT_END { NULL, CTLOPT_FLAG, NULL, 0, 0, NULL }
/* --csv and --json, for every verb that prints rows */
#define CTLOPT_OUTPUT(c) \
	{ "csv", CTLOPT_SET, &(c)->format, TABLE_CSV, 0, NULL }, \
	{ "json", CTLOPT_SET, &(c)->format, TABLE_JSON, 0, NULL }
/* --actor and --dry-run, for every verb that changes data */
#define CTLOPT_MUTATION(c) \
	{ "actor", CTLOPT_STR, &(c)->actor, 0, 0, NULL }, \
	{ "dry-run", CTLOPT_FLAG, &(c)->dry_run, 0, 0, NULL }

/* ctlopt_parse() returns this (> 0) after printing the verb's help. */
#define CTLOPT_HELP 1

struct ctlopt_verb {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *usage;	/* the arguments after "tallyctl GROUP VERB" */
	const char *help;	/* what it does, refusals, side effects */
};

/*
 * Run "tallyctl GROUP VERB ..." (argv[0] = GROUP): find the verb, print the
 * group's help for --help / help / no verb, run it, close the connection,
 * and return the exit status (0, 1 for TALLY_EPROBLEMS, sysexits).
 */
int ctlopt_run_group(const char *group, const char *summary,
    const struct ctlopt_verb *verbs, int argc, char **argv);

/*
 * Parse argv[1..] (argv[0] = the verb) against opts (ended by CTLOPT_END);
 * --help and -h are always accepted.  Positional arguments go to pos[]
 * (at most maxpos; exactly npos_min..maxpos required).  Options may come
 * before or after positional arguments; "--" ends the options.
 * Returns 0, CTLOPT_HELP (help printed on stdout), or TALLY_EUSAGE
 * (message and usage on stderr).
 */
int ctlopt_parse(struct ctl *c, int argc, char **argv,
    const struct ctlopt *opts, const char **pos, int npos_min, int maxpos);

/* Print "tallyctl GROUP VERB: message" and the usage line on stderr;
 * returns TALLY_EUSAGE. */
int ctlopt_usage_error(struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse a whole number in [min, max] (for positional ids). */
int ctlopt_parse_ll(const char *s, long long min, long long max, long long *out);

/* A non-negative whole number option of a command that parses its own
 * options (getopt): "tallyctl: OPT wants ..." on stderr, TALLY_EUSAGE. */
int ctlopt_count(const char *opt, const char *s, long max, long *out);

/* Connect as tally_admin (db_connect(&db, "tallyctl", "tally_admin")). */
int ctlopt_connect(struct ctl *c);

/*
 * Run fn(db, arg) in one READ COMMITTED transaction, retried on
 * deadlock/serialization failure.  With --dry-run it is rolled back after
 * fn succeeded, and "dry run: nothing was changed" goes to stderr.  fn
 * must be restartable: it is called again on a retry.
 */
int ctlopt_mutate(struct ctl *c, int (*fn)(struct db *db, void *arg), void *arg);

/* audit_record() with the actor from --actor or audit_actor(NULL). */
int ctlopt_audit(struct ctl *c, const char *action, const char *entity,
    const char *entity_id, const char *reason, const char *before_json,
    const char *after_json);

/*
 * Log a failed database call: "GROUP VERB: what: <server message>" and
 * return rc unchanged.  Refusals and not-found are reported by the verb
 * itself, with a sentence about the data; this is for everything else.
 */
int ctlopt_db_error(struct ctl *c, int rc, const char *what);

/* A refusal: log "GROUP VERB: refused: message" and return TALLY_EREFUSED. */
int ctlopt_refuse(struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print rows (all columns, or the first ncols when ncols > 0). */
int ctlopt_print(struct ctl *c, const PGresult *res, int ncols);
/* Print one row vertically (text), as an object (JSON) or a record (CSV). */
int ctlopt_print_record(struct ctl *c, const PGresult *res, int row, int ncols);

/*
 * Append a PostgreSQL array literal of n text values ({"a","b",NULL}) to
 * sb, for passing a list as one $n parameter (unnest($1::text[])): the
 * values are quoted and escaped, never spliced into SQL.
 */
void ctlopt_pg_array(struct strbuf *sb, const char *const *vals, size_t n);

#endif
