/*
 * ctlopt.c - the parts every tallyctl command group shares.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/argnum.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "ctl/ctlopt.h"
#include "pg/db.h"

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
	ops_init(&c.ops, NULL, NULL, false);
	if (v->run != NULL)
		rc = v->run(&c, argc - 1, argv + 1);
	else
		rc = ctl_list(&c, v->list, argc - 1, argv + 1);
	db_free(c.ops.db);
	ops_release(&c.ops);
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
		if (argnum_parse(val, o->min, o->max, o->dest) != 0)
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

static int
ctl_connect(struct db **db, void *arg)
{
	struct ctl *c = arg;

	/* db_connect logs why it failed */
	return db_connect(db, c->appname != NULL ? c->appname : "tallyctl",
	    c->role != NULL ? c->role : "tally_admin");
}

struct ops *
ctl_ops(struct ctl *c)
{
	c->ops.actor = c->actor;
	c->ops.dry_run = c->dry_run;
	c->ops.connect = ctl_connect;
	c->ops.connect_arg = c;
	return &c->ops;
}

/* The option a request field came from: "max_seats" is --max-seats. */
static const struct ctlopt *
field_option(const struct ctlopt *opts, const char *field)
{
	char name[64];
	size_t i;

	if (opts == NULL || field == NULL || strlen(field) >= sizeof(name))
		return NULL;
	for (i = 0; field[i] != '\0'; i++)
		name[i] = field[i] == '_' ? '-' : field[i];
	name[i] = '\0';
	return find_opt(opts, name, i);
}

int
ctl_fail(struct ctl *c, int rc, const struct ctlopt *opts)
{
	const struct ops *o = &c->ops;
	const char *msg = strbuf_str(&o->err);
	const struct ctlopt *opt = field_option(opts, o->field);
	struct strbuf text = STRBUF_INIT;
	size_t n;

	if (rc == TALLY_EUNAVAIL && o->db == NULL)
		return rc;
	/* only a message about the value itself names it; "account 3 is
	 * full" speaks of the account, not of --account */
	if ((rc == TALLY_EUSAGE || rc == TALLY_EDATA) && opt != NULL &&
	    (n = strlen(o->field)) > 0 &&
	    strncmp(msg, o->field, n) == 0 &&
	    (msg[n] == ' ' || msg[n] == ':' || msg[n] == '\0'))
		strbuf_addf(&text, "--%s%s", opt->name, msg + n);
	else
		strbuf_addstr(&text, msg);
	if (rc == TALLY_EUSAGE)
		ctlopt_usage_error(c, "%s", strbuf_str(&text));
	else if (rc == TALLY_EREFUSED)
		log_err("tallyctl %s %s: refused: %s", c->group, c->verb,
		    strbuf_str(&text));
	else
		log_err("tallyctl %s %s: %s", c->group, c->verb, strbuf_str(&text));
	strbuf_release(&text);
	return rc;
}

int
ctl_outcome(struct ctl *c, int rc, const json_t *out, const struct ctlopt *opts)
{
	if (rc != 0)
		return ctl_fail(c, rc, opts);
	if (json_is_true(json_object_get(out, "dry_run")))
		fprintf(stderr, "dry run: nothing was changed\n");
	return 0;
}

static int
print_table(struct ctl *c, struct table *t, bool record)
{
	int rc = record ? table_write_row(t, 0, c->out,
	    (enum table_format)c->format) :
	    table_write(t, c->out, (enum table_format)c->format);

	table_free(t);
	if (rc != 0)
		log_err("tallyctl %s %s: cannot write output", c->group, c->verb);
	return rc;
}

int
ctl_print_item(struct ctl *c, const json_t *out)
{
	json_t *rows = json_pack("[O]", json_object_get(out, "item"));
	struct table *t = table_from_json(json_object_get(out, "columns"), rows,
	    NULL);

	json_decref(rows);
	return print_table(c, t, true);
}

int
ctl_print_items(struct ctl *c, const json_t *out, const char *const *names)
{
	return print_table(c, table_from_json(json_object_get(out, "columns"),
	    json_object_get(out, "items"), names), false);
}

int
ctl_show_item(struct ctl *c, int rc, json_t *out, const struct ctlopt *opts)
{
	if ((rc = ctl_outcome(c, rc, out, opts)) == 0)
		rc = ctl_print_item(c, out);
	json_decref(out);
	return rc;
}

int
ctl_show_items(struct ctl *c, int rc, json_t *out, const struct ctlopt *opts)
{
	if ((rc = ctl_outcome(c, rc, out, opts)) == 0)
		rc = ctl_print_items(c, out, NULL);
	json_decref(out);
	return rc;
}

struct ops_page
ctl_page_limit(long long limit)
{
	struct ops_page pg = { 1, limit > 0 ? limit : -1, LLONG_MAX };

	return pg;
}

int
ctlopt_count(const char *opt, const char *s, long max, long *out)
{
	long long v;

	if (argnum_parse(s, 0, max, &v) != 0) {
		fprintf(stderr, "tallyctl: %s wants a whole number from 0 to "
		    "%ld, not '%s'\n", opt, max, s);
		return TALLY_EUSAGE;
	}
	*out = (long)v;
	return 0;
}

/* An option for each of the (at most max) fields, its value stored in
 * the request at req; returns how many. */
static size_t
field_opts(struct ctlopt *opts, const struct ctl_field *fields, size_t max,
    unsigned char *req)
{
	size_t n = 0;

	for (const struct ctl_field *f = fields; n < max && f->name != NULL;
	    f++, n++)
		opts[n] = (struct ctlopt){ f->name, f->kind, req + f->offset,
		    f->min, f->max, f->seen != 0 ?
		    (bool *)(void *)(req + f->seen - 1) : NULL };
	return n;
}

int
ctl_list(struct ctl *c, const struct ctl_list *l, int argc, char **argv)
{
	/* the fields, --limit, --csv, --json, the end */
	struct ctlopt opts[sizeof(l->fields) / sizeof(l->fields[0]) + 4];
	unsigned char *req = xcalloc(1, l->size);
	long long limit = 1000;
	json_t *out = NULL;
	size_t n = field_opts(opts, l->fields,
	    sizeof(l->fields) / sizeof(l->fields[0]), req);
	int rc;

	if (l->limit)
		opts[n++] = (struct ctlopt){ "limit", CTLOPT_INT, &limit, 0,
		    1000000000, NULL };
	opts[n++] = (struct ctlopt){ "csv", CTLOPT_SET, &c->format, TABLE_CSV,
	    0, NULL };
	opts[n++] = (struct ctlopt){ "json", CTLOPT_SET, &c->format, TABLE_JSON,
	    0, NULL };
	opts[n] = (struct ctlopt)CTLOPT_END;
	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) == 0) {
		/* memcpy: the page sits in a request of the caller's type */
		struct ops_page pg = ctl_page_limit(l->limit ? limit : 0);

		memcpy(req + l->page, &pg, sizeof(pg));
		rc = l->run(ctl_ops(c), req, &out);
		rc = ctl_show_items(c, rc, out, opts);
	}
	free(req);
	return rc;
}

/* A positional argument into its field (none given: left as it is). */
static int
set_arg(struct ctl *c, const struct ctl_field *a, const char *val,
    unsigned char *req)
{
	if (val == NULL)
		return 0;
	if (a->kind != CTLOPT_INT) {
		*(const char **)(void *)(req + a->offset) = val;
		return 0;
	}
	if (argnum_parse(val, 1, LLONG_MAX,
	    (long long *)(void *)(req + a->offset)) != 0)
		return ctlopt_usage_error(c, "'%s' is not %s", val, a->name);
	return 0;
}

int
ctl_run_config(struct ops *o, int (*run)(struct ops *, const void *,
    json_t **), const void *req, json_t **out)
{
	struct strbuf err = STRBUF_INIT;
	struct config cfg;
	int rc;

	if (config_load(&cfg, NULL, &err) == 0)
		o->cfg = &cfg;
	rc = run(o, req, out);
	o->cfg = NULL;
	config_free(&cfg);
	strbuf_release(&err);
	return rc;
}

/* The operation, with the configuration when it wants one. */
static int
item_run(struct ctl *c, const struct ctl_item *it, const void *req,
    json_t **out)
{
	if ((it->flags & CTL_ITEM_CONFIG) == 0)
		return it->run(ctl_ops(c), req, out);
	return ctl_run_config(ctl_ops(c), it->run, req, out);
}

int
ctl_item(struct ctl *c, const struct ctl_item *it, int argc, char **argv)
{
	enum { NARGS = sizeof(it->args) / sizeof(it->args[0]) };
	/* the fields, --csv, --json, --actor, --dry-run, the end */
	struct ctlopt opts[sizeof(it->fields) / sizeof(it->fields[0]) + 5];
	unsigned char *req = xcalloc(1, it->size);
	const char *pos[NARGS];
	json_t *out = NULL;
	size_t n = field_opts(opts, it->fields,
	    sizeof(it->fields) / sizeof(it->fields[0]), req);
	int nargs = 0, rc;

	while (nargs < NARGS && it->args[nargs].name != NULL)
		nargs++;
	opts[n++] = (struct ctlopt){ "csv", CTLOPT_SET, &c->format, TABLE_CSV,
	    0, NULL };
	opts[n++] = (struct ctlopt){ "json", CTLOPT_SET, &c->format, TABLE_JSON,
	    0, NULL };
	if (it->flags & CTL_ITEM_CHANGE) {
		opts[n++] = (struct ctlopt){ "actor", CTLOPT_STR, &c->actor, 0, 0,
		    NULL };
		opts[n++] = (struct ctlopt){ "dry-run", CTLOPT_FLAG, &c->dry_run,
		    0, 0, NULL };
	}
	opts[n] = (struct ctlopt)CTLOPT_END;
	rc = ctlopt_parse(c, argc, argv, opts, pos,
	    it->flags & CTL_ITEM_OPTIONAL ? 0 : nargs, nargs);
	for (int i = 0; rc == 0 && i < nargs; i++)
		rc = set_arg(c, &it->args[i], pos[i], req);
	if (rc == 0 && it->check != NULL)
		rc = it->check(c, req);
	if (rc == 0) {
		rc = item_run(c, it, req, &out);
		if ((rc = ctl_outcome(c, rc, out, opts)) == 0) {
			if (it->note != NULL)
				it->note(c, req, out);
			if ((it->flags & CTL_ITEM_NOTE_ONLY) &&
			    c->format != TABLE_JSON)
				rc = 0;
			else
				rc = it->flags & CTL_ITEM_ROWS ?
				    ctl_print_items(c, out, NULL) :
				    ctl_print_item(c, out);
		}
		json_decref(out);
	}
	free(req);
	return rc;
}
