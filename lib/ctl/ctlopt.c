/*
 * ctlopt.c - the parts every tallyctl command group shares.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pg/audit.h"
#include "ctl/ctlopt.h"
#include "base/err.h"
#include "base/log.h"

/* ctlopt_mutate's fn wrapper returns this to roll a dry run back */
#define CTLOPT_ROLLBACK 1
/* deadlocks between an admin and the batch programs are rare and short */
#define CTLOPT_ATTEMPTS 5

static void
print_verb_usage(FILE *fp, const char *group, const struct ctlopt_verb *v)
{
	fprintf(fp, "usage: tallyctl %s %s%s%s\n", group, v->name,
	    v->usage[0] != '\0' ? " " : "", v->usage);
}

static void
print_group_help(FILE *fp, const char *group, const char *summary,
    const struct ctlopt_verb *verbs)
{
	fprintf(fp, "usage: tallyctl %s VERB [ARGS]   (tallyctl %s VERB --help "
	    "for more)\n%s\n\n", group, group, summary);
	for (const struct ctlopt_verb *v = verbs; v->name != NULL; v++)
		fprintf(fp, "  %s %s %s\n", group, v->name, v->usage);
	fputs("\nRows print as an aligned table; --csv and --json are for "
	    "scripts.\nChanges take --dry-run (do it, show it, roll back) and "
	    "--actor NAME\n(default: $SUDO_USER, else the login name); every "
	    "change is in the audit log.\n", fp);
}

int
ctlopt_run_group(const char *group, const char *summary,
    const struct ctlopt_verb *verbs, int argc, char **argv)
{
	const struct ctlopt_verb *v;
	struct ctl c;
	int rc;

	if (argc < 2) {
		print_group_help(stderr, group, summary, verbs);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_group_help(stdout, group, summary, verbs);
		return EX_OK;
	}
	for (v = verbs; v->name != NULL; v++)
		if (strcmp(v->name, argv[1]) == 0)
			break;
	if (v->name == NULL) {
		fprintf(stderr, "tallyctl %s: unknown verb '%s'\n", group, argv[1]);
		print_group_help(stderr, group, summary, verbs);
		return EX_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.group = group;
	c.verb = v->name;
	c.verbdef = v;
	c.format = TABLE_TEXT;
	c.out = stdout;
	rc = v->run(&c, argc - 1, argv + 1);
	db_free(c.db);
	if (fflush(stdout) != 0 && rc == 0) {
		log_err("tallyctl %s %s: cannot write output", group, v->name);
		rc = TALLY_EIO;
	}
	if (rc == CTLOPT_HELP)
		return EX_OK;
	return tally_exit_code(rc);
}

static const struct ctlopt *
find_opt(const struct ctlopt *opts, const char *name, size_t len)
{
	for (; opts->name != NULL; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

int
ctlopt_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return TALLY_EUSAGE;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return TALLY_EUSAGE;
	*out = v;
	return 0;
}

int
ctlopt_usage_error(struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "tallyctl %s %s: %s\n", c->group, c->verb, msg);
	fprintf(stderr, "(tallyctl %s %s --help for more)\n", c->group, c->verb);
	return TALLY_EUSAGE;
}

static int
set_option(struct ctl *c, const struct ctlopt *o, const char *val)
{
	switch (o->kind) {
	case CTLOPT_FLAG:
		*(bool *)o->dest = true;
		break;
	case CTLOPT_SET:
		*(int *)o->dest = (int)o->min;
		break;
	case CTLOPT_STR:
		*(const char **)o->dest = val;
		break;
	case CTLOPT_INT:
		if (ctlopt_parse_ll(val, o->min, o->max, o->dest) != 0)
			return ctlopt_usage_error(c, "--%s: expected a whole number "
			    "from %lld to %lld, got '%s'", o->name, o->min, o->max,
			    val);
		break;
	}
	if (o->seen != NULL)
		*o->seen = true;
	return 0;
}

int
ctlopt_parse(struct ctl *c, int argc, char **argv, const struct ctlopt *opts,
    const char **pos, int npos_min, int maxpos)
{
	const struct ctlopt_verb *verb = c->verbdef;
	int npos = 0;
	bool only_pos = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq, *val = NULL;
		const struct ctlopt *o;
		size_t len;
		int rc;

		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			if (npos >= maxpos)
				return ctlopt_usage_error(c, "unexpected argument '%s'", a);
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_verb_usage(stdout, c->group, verb);
			fputs(verb->help, stdout);
			fputc('\n', stdout);
			return CTLOPT_HELP;
		}
		if (a[1] != '-')
			return ctlopt_usage_error(c, "unknown option '%s'", a);
		a += 2;
		eq = strchr(a, '=');
		len = eq != NULL ? (size_t)(eq - a) : strlen(a);
		o = find_opt(opts, a, len);
		if (o == NULL)
			return ctlopt_usage_error(c, "unknown option '%s'", argv[i]);
		if (o->kind == CTLOPT_STR || o->kind == CTLOPT_INT) {
			if (eq != NULL)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];	/* taken as is: "--delta -5" */
			else
				return ctlopt_usage_error(c, "--%s needs a value", o->name);
		} else if (eq != NULL) {
			return ctlopt_usage_error(c, "--%s takes no value", o->name);
		}
		if ((rc = set_option(c, o, val)) != 0)
			return rc;
	}
	if (npos < npos_min) {
		fprintf(stderr, "tallyctl %s %s: missing argument\n", c->group, c->verb);
		print_verb_usage(stderr, c->group, verb);
		return TALLY_EUSAGE;
	}
	for (int i = npos; i < maxpos; i++)
		pos[i] = NULL;
	return 0;
}

int
ctlopt_connect(struct ctl *c)
{
	if (c->db != NULL)
		return 0;
	/* db_connect logs why it failed */
	return db_connect(&c->db, "tallyctl", "tally_admin");
}

struct mutate_arg {
	struct ctl *c;
	int (*fn)(struct db *db, void *arg);
	void *arg;
};

static int
mutate_fn(struct db *db, void *p)
{
	struct mutate_arg *m = p;
	int rc = m->fn(db, m->arg);

	if (rc == 0 && m->c->dry_run)
		return CTLOPT_ROLLBACK;
	return rc;
}

int
ctlopt_mutate(struct ctl *c, int (*fn)(struct db *db, void *arg), void *arg)
{
	struct mutate_arg m = { c, fn, arg };
	int rc;

	rc = db_transaction(c->db, DB_READ_COMMITTED, CTLOPT_ATTEMPTS, mutate_fn,
	    &m);
	if (rc == CTLOPT_ROLLBACK) {
		fprintf(stderr, "dry run: nothing was changed\n");
		return 0;
	}
	if (rc == TALLY_ERETRY)
		log_err("tallyctl %s %s: gave up after %d attempts: %s", c->group,
		    c->verb, CTLOPT_ATTEMPTS, db_errmsg(c->db));
	return rc;
}

int
ctlopt_audit(struct ctl *c, const char *action, const char *entity,
    const char *entity_id, const char *reason, const char *before_json,
    const char *after_json)
{
	int rc;

	rc = audit_record(c->db, audit_actor(c->actor), action, entity, entity_id,
	    reason, before_json, after_json);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "writing the audit log");
	return 0;
}

int
ctlopt_db_error(struct ctl *c, int rc, const char *what)
{
	/* a retryable failure is reported by whoever gives up retrying
	 * (ctlopt_mutate), not on every attempt */
	if (rc == TALLY_ERETRY) {
		log_debug("tallyctl %s %s: %s: %s (will retry)", c->group, c->verb,
		    what, db_errmsg(c->db));
		return rc;
	}
	log_err("tallyctl %s %s: %s: %s", c->group, c->verb, what,
	    db_errmsg(c->db)[0] != '\0' ? db_errmsg(c->db) : tally_strerror(rc));
	return rc;
}

int
ctlopt_refuse(struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("tallyctl %s %s: refused: %s", c->group, c->verb, msg);
	return TALLY_EREFUSED;
}

int
ctlopt_print(struct ctl *c, const PGresult *res, int ncols)
{
	int rc = table_write_columns(res, ncols, c->out, (enum table_format)c->format);

	if (rc != 0)
		log_err("tallyctl %s %s: cannot write output", c->group, c->verb);
	return rc;
}

int
ctlopt_print_record(struct ctl *c, const PGresult *res, int row, int ncols)
{
	int rc = table_write_record(res, row, ncols, c->out,
	    (enum table_format)c->format);

	if (rc != 0)
		log_err("tallyctl %s %s: cannot write output", c->group, c->verb);
	return rc;
}

void
ctlopt_pg_array(struct strbuf *sb, const char *const *vals, size_t n)
{
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(sb, ',');
		if (vals[i] == NULL) {
			strbuf_addstr(sb, "NULL");
			continue;
		}
		strbuf_addch(sb, '"');
		for (const char *p = vals[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addch(sb, '\\');
			strbuf_addch(sb, *p);
		}
		strbuf_addch(sb, '"');
	}
	strbuf_addch(sb, '}');
}

int
ctlopt_count(const char *opt, const char *s, long max, long *out)
{
	long long v;

	if (ctlopt_parse_ll(s, 0, max, &v) != 0) {
		fprintf(stderr, "tallyctl: %s wants a whole number from 0 to "
		    "%ld, not '%s'\n", opt, max, s);
		return TALLY_EUSAGE;
	}
	*out = (long)v;
	return 0;
}
