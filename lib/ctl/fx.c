/*
 * fx.c - `tallyctl fx`: the terminal face of lib/ops/fx.c.  Parses the
 * command line into a request, runs the operation, prints its JSON
 * answer as a table (or as JSON / CSV), and turns a failure into a message
 * and an exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "base/log.h"
#include "ctl/ctlopt.h"
#include "ctl/fx.h"
#include "ops/fx.h"
#include "ops/ops.h"
#include "out/table.h"

/* Rows of JSON objects as a table: one column per key of the first row,
 * in its order; numbers and booleans keep their type. */
static int
print_rows(struct ctl *c, json_t *rows)
{
	json_t *first = json_array_get(rows, 0), *v;
	struct table *t;
	const char *key, **cells;
	size_t ncols, i, r;
	char **texts;
	int rc;

	if ((enum table_format)c->format == TABLE_JSON) {
		if (json_dumpf(rows, c->out, JSON_INDENT(2)) != 0 ||
		    fputc('\n', c->out) == EOF)
			return TALLY_EIO;
		return 0;
	}
	ncols = first != NULL ? json_object_size(first) : 0;
	t = table_new(ncols > 0 ? ncols : 1);
	if (ncols == 0)
		table_set_column(t, 0, "rates", TABLE_STRING);
	i = 0;
	json_object_foreach(first, key, v) {
		table_set_column(t, i++, key, json_is_number(v) ? TABLE_NUMBER :
		    json_is_boolean(v) ? TABLE_BOOL : TABLE_STRING);
	}
	cells = calloc(ncols + 1, sizeof(*cells));
	texts = calloc(ncols + 1, sizeof(*texts));
	if (cells == NULL || texts == NULL)
		abort();
	for (r = 0; r < json_array_size(rows); r++) {
		json_t *row = json_array_get(rows, r);

		i = 0;
		json_object_foreach(first, key, v) {
			json_t *x = json_object_get(row, key);

			texts[i] = NULL;
			if (x == NULL || json_is_null(x))
				cells[i] = NULL;
			else if (json_is_string(x))
				cells[i] = json_string_value(x);
			else if (json_is_boolean(x))
				cells[i] = json_is_true(x) ? "true" : "false";
			else
				cells[i] = texts[i] = json_dumps(x, JSON_ENCODE_ANY);
			i++;
		}
		table_add_row(t, cells);
		for (i = 0; i < ncols; i++)
			free(texts[i]);
	}
	rc = table_write(t, c->out, (enum table_format)c->format);
	table_free(t);
	free(cells);
	free(texts);
	return rc;
}

/* An operation's failure, in the operator's terms. */
static int
failed(struct ctl *c, struct ops *o, int rc)
{
	log_err("tallyctl %s %s: %s", c->group, c->verb, strbuf_str(&o->err));
	return rc;
}

static int
fx_set(struct ctl *c, int argc, char **argv)
{
	struct ops_fx_set_req rq;
	const char *pos[3];
	const struct ctlopt opts[] = {
		{ "from", CTLOPT_STR, &rq.valid_from, 0, 0, NULL },
		{ "reason", CTLOPT_STR, &rq.reason, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	struct ops o;
	json_t *out = NULL, *rows;
	int rc;

	memset(&rq, 0, sizeof(rq));
	if ((rc = ctlopt_parse(c, argc, argv, opts, pos, 3, 3)) != 0)
		return rc;
	if (rq.valid_from == NULL)
		return ctlopt_usage_error(c, "--from DATE is required: the first "
		    "day the rate applies");
	rq.from = pos[0];
	rq.to = pos[1];
	rq.rate = pos[2];
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	ops_init(&o, c->db, c->actor, c->dry_run);
	rc = ops_fx_set(&o, &rq, &out);
	if (rc != 0) {
		rc = failed(c, &o, rc);
		ops_release(&o);
		return rc;
	}
	if (c->dry_run)
		fputs("dry run: nothing was changed\n", stderr);
	rows = json_array();
	json_array_append(rows, out);
	rc = print_rows(c, rows);
	json_decref(rows);
	json_decref(out);
	ops_release(&o);
	return rc;
}

static int
fx_list(struct ctl *c, int argc, char **argv)
{
	struct ops_fx_list_req rq;
	const struct ctlopt opts[] = {
		{ "from", CTLOPT_STR, &rq.from, 0, 0, NULL },
		{ "to", CTLOPT_STR, &rq.to, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	struct ops o;
	json_t *out = NULL;
	int rc;

	memset(&rq, 0, sizeof(rq));
	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	ops_init(&o, c->db, c->actor, false);
	rc = ops_fx_list(&o, &rq, &out);
	if (rc == 0)
		rc = print_rows(c, out);
	else
		rc = failed(c, &o, rc);
	json_decref(out);
	ops_release(&o);
	return rc;
}

static const struct ctlopt_verb fx_verbs[] = {
	{ "set", fx_set, "FROM TO RATE --from DATE [--reason TEXT]",
	  "Record that one FROM is worth RATE TO (major units: EUR USD 1.08),\n"
	  "from the local day DATE on, until a later rate for the pair.  The\n"
	  "monthly margins convert a provider's cost with the rate in force\n"
	  "on the period's last day (or, when only TO FROM was set, with its\n"
	  "inverse).  Audited as fx.set.  Setting a pair and day again adds a\n"
	  "rate that replaces the earlier one from then on: reports made\n"
	  "before keep showing what they showed." },
	{ "list", fx_list, "[--from CUR] [--to CUR]",
	  "Every rate set, per pair, latest day first; in_force is false for\n"
	  "one a later setting of the same pair and day replaced." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_fx(int argc, char **argv)
{
	return ctlopt_run_group("fx", "Exchange rates for the monthly margins.",
	    fx_verbs, argc, argv);
}
