/*
 * ctl_audit.c - reading the audit trail and checking its hash chain.
 *
 * The chain itself is the database's (sql/002_audit_roles.sql): every row
 * carries sha256(previous hash || its content).  `verify` recomputes it
 * through audit_verify() and names the first row that was altered or that
 * follows a removed one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/audit.h"
#include "ctl/audit.h"
#include "ctl/ctlopt.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "out/table.h"

/*
 * For people, the change of each key instead of two JSON documents:
 * "max_seats: 2 -> 3, status: \"ASSIGNED\" -> \"AVAILABLE\"" (updated_at
 * left out: it changes every time).  Only objects have keys; anything
 * else compares as a whole.
 */
#define AUDIT_CHANGES \
	"left((SELECT string_agg(k || ': ' || coalesce(b.j -> k, 'null')::text" \
	"   || ' -> ' || coalesce(f.j -> k, 'null')::text, ', ' ORDER BY k)" \
	"  FROM (SELECT CASE WHEN jsonb_typeof(a.before) = 'object' THEN a.before" \
	"                    ELSE '{}' END AS j) b," \
	"       (SELECT CASE WHEN jsonb_typeof(a.after) = 'object' THEN a.after" \
	"                    ELSE '{}' END AS j) f," \
	"       LATERAL jsonb_object_keys(b.j || f.j) AS k" \
	"  WHERE (b.j -> k) IS DISTINCT FROM (f.j -> k) AND k <> 'updated_at'), 300)"

#define AUDIT_FILTER \
	" FROM audit_log a" \
	" WHERE ($1::text IS NULL OR a.entity = $1)" \
	"   AND ($2::text IS NULL OR a.entity_id = $2)" \
	"   AND ($3::text IS NULL OR a.actor = $3)" \
	"   AND ($4::text IS NULL OR a.action = $4)"

static int
audit_list(struct ctl *c, int argc, char **argv)
{
	/* text: a readable summary of the change; csv/json: both documents */
	static const char *const sql[2] = {
		"SELECT a.id, a.at, a.actor, a.action, a.entity, a.entity_id,"
		" a.reason, " AUDIT_CHANGES " AS changes" AUDIT_FILTER
		" ORDER BY a.id DESC LIMIT $5::bigint OFFSET $6::bigint",
		"SELECT a.id, a.at, a.actor, a.action, a.entity, a.entity_id,"
		" a.reason, a.before, a.after" AUDIT_FILTER
		" ORDER BY a.id DESC LIMIT $5::bigint OFFSET $6::bigint",
	};
	const char *entity = NULL, *entity_id = NULL, *actor = NULL, *action = NULL;
	long long page = 1, per_page = 50;
	const struct ctlopt opts[] = {
		{ "page", CTLOPT_INT, &page, 1, 1000000000, NULL },
		{ "per-page", CTLOPT_INT, &per_page, 1, 10000, NULL },
		{ "entity", CTLOPT_STR, &entity, 0, 0, NULL },
		{ "entity-id", CTLOPT_STR, &entity_id, 0, 0, NULL },
		{ "actor", CTLOPT_STR, &actor, 0, 0, NULL },
		{ "action", CTLOPT_STR, &action, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	const char *params[6];
	char lim[24], off[24];
	char *total = NULL;
	PGresult *res = NULL;
	long long ntotal, pages;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	snprintf(lim, sizeof(lim), "%lld", per_page);
	snprintf(off, sizeof(off), "%lld", (page - 1) * per_page);
	params[0] = entity;
	params[1] = entity_id;
	params[2] = actor;
	params[3] = action;
	params[4] = lim;
	params[5] = off;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	/* the page and the total from one snapshot */
	if ((rc = db_begin(c->db, DB_REPEATABLE_READ_RO)) != 0)
		return ctlopt_db_error(c, rc, "starting a transaction");
	rc = db_query_value(c->db, &total, "SELECT count(*)" AUDIT_FILTER, 4, params);
	if (rc == 0)
		rc = db_query(c->db, &res, sql[c->format != TABLE_TEXT], 6, params);
	db_rollback(c->db);
	if (rc != 0) {
		free(total);
		return ctlopt_db_error(c, rc, "reading the audit log");
	}
	rc = ctlopt_print(c, res, 0);
	ntotal = total != NULL ? strtoll(total, NULL, 10) : 0;
	pages = (ntotal + per_page - 1) / per_page;
	if (rc == 0 && c->format == TABLE_TEXT)
		fprintf(c->out, "page %lld of %lld (%lld entr%s, newest first)\n",
		    page, pages, ntotal, ntotal == 1 ? "y" : "ies");
	free(total);
	PQclear(res);
	return rc;
}

static int
audit_verify_cmd(struct ctl *c, int argc, char **argv)
{
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	struct strbuf problem = STRBUF_INIT;
	long long first_bad = 0, rows = 0;
	char rowsbuf[24], badbuf[24];
	struct table *t;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = audit_verify(c->db, &first_bad, &rows, &problem);
	if (rc != 0) {
		strbuf_release(&problem);
		return ctlopt_db_error(c, rc, "checking the audit log");
	}
	if (c->format == TABLE_TEXT) {
		if (first_bad == 0)
			fprintf(c->out, "audit log intact: %lld rows checked\n", rows);
		else
			fprintf(c->out, "audit log BROKEN at row %lld: %s (%lld rows "
			    "checked)\n", first_bad, strbuf_str(&problem), rows);
	} else {
		const char *cells[4];

		snprintf(rowsbuf, sizeof(rowsbuf), "%lld", rows);
		snprintf(badbuf, sizeof(badbuf), "%lld", first_bad);
		t = table_new(4);
		table_set_column(t, 0, "intact", TABLE_BOOL);
		table_set_column(t, 1, "rows_checked", TABLE_NUMBER);
		table_set_column(t, 2, "first_bad", TABLE_NUMBER);
		table_set_column(t, 3, "problem", TABLE_STRING);
		cells[0] = first_bad == 0 ? "true" : "false";
		cells[1] = rowsbuf;
		cells[2] = first_bad == 0 ? NULL : badbuf;
		cells[3] = first_bad == 0 ? NULL : strbuf_str(&problem);
		table_add_row(t, cells);
		rc = table_write(t, c->out, (enum table_format)c->format);
		table_free(t);
		if (rc != 0)
			log_err("tallyctl audit verify: cannot write output");
	}
	if (rc == 0 && first_bad != 0) {
		log_err("audit log: row %lld: %s", first_bad, strbuf_str(&problem));
		rc = TALLY_EPROBLEMS;
	}
	strbuf_release(&problem);
	return rc;
}

static const struct ctlopt_verb audit_verbs[] = {
	{ "list", audit_list, "[--page N] [--per-page M] [--entity E] "
	  "[--entity-id ID] [--actor A] [--action A]",
	  "The audit trail, newest first, a page at a time (default 50 per\n"
	  "page).  The table shows what changed; --csv and --json give the\n"
	  "whole before and after documents." },
	{ "verify", audit_verify_cmd, "",
	  "Recompute the audit log's hash chain.  Exit 0 when intact; exit 1\n"
	  "naming the first row that was altered, or that follows a removed\n"
	  "row." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_audit(int argc, char **argv)
{
	return ctlopt_run_group("audit", "Who changed what, when and why.",
	    audit_verbs, argc, argv);
}
