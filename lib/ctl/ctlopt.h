/*
 * ctlopt.h - what every tallyctl command group shares: the verb table and
 * its help, option parsing, the output format, the operation (lib/ops)
 * a verb runs with its actor and dry run, and turning its answer into
 * tables and its failure into a message and an exit status.
 *
 * A group (ctl_account, ctl_assignment, ...) is a table of verbs handed to
 * ctlopt_run_group(); each verb parses its own options with ctlopt_parse()
 * into an ops request, calls the operation with ctl_ops(), prints with
 * ctl_show_item() / ctl_show_items(), and returns 0 or a TALLY_E* code;
 * the group maps it to an exit status.
 */
#ifndef TALLY_CTLOPT_H
#define TALLY_CTLOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "base/strbuf.h"
#include "ops/ops.h"
#include "out/table.h"

struct ctlopt_verb;

/* The state a verb works with. */
struct ctl {
	const char *group;	/* "account" */
	const char *verb;	/* "add" */
	const struct ctlopt_verb *verbdef;	/* its usage and help */
	int format;		/* enum table_format, set by --csv / --json */
	const char *actor;	/* --actor, NULL: audit_actor() decides */
	bool dry_run;		/* --dry-run */
	FILE *out;		/* stdout */
	/* the operation's context: connects on first use as role (default
	 * tally_admin) with appname (default "tallyctl") */
	struct ops ops;
	const char *role;
	const char *appname;
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

/*
 * A verb that lists, as data: each option sets a field of the
 * operation's request (FLAG a bool, STR a const char *, INT a long
 * long), the rows print as a table.
 */
struct ctl_field {
	const char *name;	/* without the leading "--" */
	enum ctlopt_kind kind;
	size_t offset;		/* offsetof(REQUEST, field) */
	long long min, max;	/* CTLOPT_INT */
	size_t seen;		/* CTLOPT_INT: 1 + offsetof a bool "given"; 0 none */
};

/* the end of a table of fields, or none */
#define CTL_FIELD_END { NULL, CTLOPT_FLAG, 0, 0, 0, 0 }

struct ctl_list {
	size_t size;		/* sizeof(REQUEST) */
	size_t page;		/* offsetof(REQUEST, page) */
	bool limit;		/* --limit N (default 1000; 0: all); else all rows */
	int (*run)(struct ops *o, const void *req, json_t **out);
	struct ctl_field fields[8];	/* ended by a NULL name */
};

/*
 * A verb that changes or shows one thing, as data: its positional
 * arguments and options set fields of the operation's request, check()
 * refuses what the options alone cannot say, the operation runs, and
 * after its outcome (ctl_outcome()) note() may add a line on stderr
 * before the answer prints (ctl_print_item(), or ctl_print_items()).
 */
struct ctl_item {
	size_t size;		/* sizeof(REQUEST) */
	int (*run)(struct ops *o, const void *req, json_t **out);
	unsigned flags;		/* CTL_ITEM_* */
	/* the positional arguments, in order, ended by a NULL name:
	 * CTLOPT_STR, or CTLOPT_INT for an id from 1 (name: "an order id",
	 * said in "'X' is not an order id") */
	struct ctl_field args[4];	/* (or full) */
	/* after parsing: 0, or ctlopt_usage_error(); may complete req */
	int (*check)(struct ctl *c, void *req);
	/* after a success: a line on stderr */
	void (*note)(struct ctl *c, const void *req, const json_t *out);
	struct ctl_field fields[12];	/* ended by a NULL name, or full */
};

#define CTL_ITEM_CHANGE 0x1u	/* --actor and --dry-run */
#define CTL_ITEM_ROWS 0x2u	/* the answer is rows */
#define CTL_ITEM_OPTIONAL 0x4u	/* the positional arguments may be left out */
/* dates in the report time zone: the configuration (tz, TALLY_TZ), when
 * it loads, for the operation; else UTC */
#define CTL_ITEM_CONFIG 0x8u
/* note() is the whole answer but for --json (a secret alone on stdout) */
#define CTL_ITEM_NOTE_ONLY 0x10u

/* An operation on its typed request as ctl_list() and ctl_item() call it:
 *   CTL_RUN(case_list_run, ops_case_list, struct ops_case_list_req) */
#define CTL_RUN(name, op, type) \
static int \
name(struct ops *o, const void *req, json_t **out) \
{ \
	return op(o, (const type *)req, out); \
}

/* run(o, req, out) with o->cfg the configuration while it runs, when it
 * loads (else none: UTC), as CTL_ITEM_CONFIG does for an item. */
int ctl_run_config(struct ops *o, int (*run)(struct ops *, const void *,
    json_t **), const void *req, json_t **out);

/* A list verb whose one option is a flag (--all, --active) that sets the
 * bool member of its request type, the whole rows: the verb's ctl_list
 * NAME and its run (NAME_run) over op. */
#define CTL_LIST_FLAG(name, op, type, flag, member) \
CTL_RUN(name##_run, op, type) \
static const struct ctl_list name = { \
	sizeof(type), offsetof(type, page), false, name##_run, { \
	{ flag, CTLOPT_FLAG, offsetof(type, member), 0, 0, 0 }, \
	CTL_FIELD_END } \
}

struct ctlopt_verb {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);	/* NULL: list */
	const char *usage;	/* the arguments after "tallyctl GROUP VERB" */
	const char *help;	/* what it does, refusals, side effects */
	const struct ctl_list *list;	/* a list verb, run by ctl_list() */
};

/*
 * Run "tallyctl GROUP VERB ..." (argv[0] = GROUP): find the verb, print the
 * group's help for --help / help / no verb, run it, close the connection,
 * and return the exit status (0, 1 for TALLY_EPROBLEMS, sysexits).
 */
int ctlopt_run_group(const char *group, const char *summary,
    const struct ctlopt_verb *verbs, int argc, char **argv);

/*
 * The group's command, int ctl_NAME(int argc, char **argv), over its verb
 * table NAME_verbs:  CTL_GROUP(case, "Exception cases ...")
 */
#define CTL_GROUP(name, summary) \
int \
ctl_##name(int argc, char **argv) \
{ \
	return ctlopt_run_group(#name, summary, name##_verbs, argc, argv); \
}

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

/* A non-negative whole number option of a command that parses its own
 * options (getopt): "tallyctl: OPT wants ..." on stderr, TALLY_EUSAGE. */
int ctlopt_count(const char *opt, const char *s, long max, long *out);

/*
 * The operation context for this verb, with --actor and --dry-run as
 * parsed; it connects when the operation first needs the database.
 */
struct ops *ctl_ops(struct ctl *c);

/*
 * Tell why an operation failed and return rc: a usage error as
 * ctlopt_usage_error() does, a refusal as "tallyctl GROUP VERB: refused:
 * message", anything else as "tallyctl GROUP VERB: message" (nothing when
 * the connection failed: db_connect has said why).  A bad value's
 * message that starts with the request field names it as the option the
 * verb took it from (opts; may be NULL): "max_seats must" -> "--max-seats
 * must".
 */
int ctl_fail(struct ctl *c, int rc, const struct ctlopt *opts);

/*
 * After an operation: ctl_fail() when rc is not 0; else "dry run:
 * nothing was changed" on stderr when out says the change was rolled
 * back, and 0.
 */
int ctl_outcome(struct ctl *c, int rc, const json_t *out,
    const struct ctlopt *opts);

/* Print out's item vertically (text), as an object (JSON) or a record
 * (CSV); out's items as a table (names: only those columns, in that
 * order; NULL: all). */
int ctl_print_item(struct ctl *c, const json_t *out);
int ctl_print_items(struct ctl *c, const json_t *out, const char *const *names);

/* ctl_outcome(), then print the item / the items, and json_decref(out). */
int ctl_show_item(struct ctl *c, int rc, json_t *out, const struct ctlopt *opts);
int ctl_show_items(struct ctl *c, int rc, json_t *out,
    const struct ctlopt *opts);

/* A list as tallyctl shows it by default: every row, or at most limit
 * (--limit N; 0: all). */
struct ops_page ctl_page_limit(long long limit);

/* Run a list verb: its options into a request, the operation, the table. */
int ctl_list(struct ctl *c, const struct ctl_list *l, int argc, char **argv);

/* Run a verb of one thing: arguments and options into a request, the
 * checks, the operation, the answer. */
int ctl_item(struct ctl *c, const struct ctl_item *it, int argc, char **argv);

#endif
