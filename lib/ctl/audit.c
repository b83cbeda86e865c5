/*
 * ctl_audit.c - reading the audit trail, checking its chain and printing
 * its head: the command-line face of lib/pg/audit.h, which does the work.
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
	const char *anchor_text = NULL;
	const struct ctlopt opts[] = {
		{ "anchor", CTLOPT_STR, &anchor_text, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	struct audit_anchor anchor;
	struct audit_check chk;
	char rowsbuf[24], badbuf[24], head[AUDIT_ANCHOR_TEXT];
	struct table *t;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if (anchor_text != NULL && !audit_anchor_parse(anchor_text, &anchor))
		return ctlopt_usage_error(c, "--anchor wants ID:HEX (64 hex "
		    "digits), as tallyctl audit anchor prints it");
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	audit_check_init(&chk);
	rc = audit_verify_chain(c->db, &anchor, anchor_text != NULL ? 1 : 0,
	    &chk);
	if (rc != 0) {
		audit_check_release(&chk);
		return rc == TALLY_ECONFIG ? rc :
		    ctlopt_db_error(c, rc, "checking the audit log");
	}
	audit_anchor_format(&chk.head, head, sizeof(head));
	if (c->format == TABLE_TEXT) {
		if (chk.first_bad == 0)
			fprintf(c->out, "audit log intact: %lld rows checked "
			    "(%lld unkeyed from before the keyed chain), head %s\n"
			    "%s", chk.rows, chk.legacy, head,
			    strbuf_str(&chk.reached));
		else
			fprintf(c->out, "audit log BROKEN at row %lld: %s (%lld rows "
			    "checked)\n", chk.first_bad, strbuf_str(&chk.problem),
			    chk.rows);
	} else {
		const char *cells[6];
		char anchors[16];

		snprintf(rowsbuf, sizeof(rowsbuf), "%lld", chk.rows);
		snprintf(badbuf, sizeof(badbuf), "%lld", chk.first_bad);
		snprintf(anchors, sizeof(anchors), "%d", chk.anchors);
		t = table_new(6);
		table_set_column(t, 0, "intact", TABLE_BOOL);
		table_set_column(t, 1, "rows_checked", TABLE_NUMBER);
		table_set_column(t, 2, "first_bad", TABLE_NUMBER);
		table_set_column(t, 3, "problem", TABLE_STRING);
		table_set_column(t, 4, "anchors_reached", TABLE_NUMBER);
		table_set_column(t, 5, "head", TABLE_STRING);
		cells[0] = chk.first_bad == 0 ? "true" : "false";
		cells[1] = rowsbuf;
		cells[2] = chk.first_bad == 0 ? NULL : badbuf;
		cells[3] = chk.first_bad == 0 ? NULL : strbuf_str(&chk.problem);
		cells[4] = anchors;
		cells[5] = chk.head.id > 0 ? head : NULL;
		table_add_row(t, cells);
		rc = table_write(t, c->out, (enum table_format)c->format);
		table_free(t);
		if (rc != 0)
			log_err("tallyctl audit verify: cannot write output");
	}
	if (rc == 0 && chk.first_bad != 0) {
		log_err("audit log: row %lld: %s", chk.first_bad,
		    strbuf_str(&chk.problem));
		rc = TALLY_EPROBLEMS;
	}
	audit_check_release(&chk);
	return rc;
}

static int
audit_anchor_cmd(struct ctl *c, int argc, char **argv)
{
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	struct audit_anchor head;
	char text[AUDIT_ANCHOR_TEXT], id[24];
	const char *cells[2];
	struct table *t;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	if ((rc = audit_head(c->db, &head)) != 0)
		return ctlopt_db_error(c, rc, "reading the audit log's head");
	if (head.id == 0) {
		log_err("the audit log is empty: no anchor yet");
		return TALLY_ENOTFOUND;
	}
	audit_anchor_format(&head, text, sizeof(text));
	if (c->format == TABLE_TEXT) {
		fprintf(c->out, "%s\n", text);
		return 0;
	}
	snprintf(id, sizeof(id), "%lld", head.id);
	t = table_new(2);
	table_set_column(t, 0, "id", TABLE_NUMBER);
	table_set_column(t, 1, "anchor", TABLE_STRING);
	cells[0] = id;
	cells[1] = text;
	table_add_row(t, cells);
	rc = table_write(t, c->out, (enum table_format)c->format);
	table_free(t);
	return rc;
}

static const struct ctlopt_verb audit_verbs[] = {
	{ "list", audit_list, "[--page N] [--per-page M] [--entity E] "
	  "[--entity-id ID] [--actor A] [--action A]",
	  "The audit trail, newest first, a page at a time (default 50 per\n"
	  "page).  The table shows what changed; --csv and --json give the\n"
	  "whole before and after documents." },
	{ "verify", audit_verify_cmd, "[--anchor ID:HEX]",
	  "Check the audit log's chain with the audit key: every row's MAC,\n"
	  "ids without gaps, and that it still reaches the newest anchor in\n"
	  "job_runs and the --anchor given (one kept off the machine: from\n"
	  "tallyctl audit anchor, a batch run's log line or a backup's\n"
	  "manifest).  Exit 0 when intact; exit 1 naming the first row that\n"
	  "was altered or removed (also the newest rows, against an anchor)." },
	{ "anchor", audit_anchor_cmd, "",
	  "Print the chain's head as ID:HEX: keep it somewhere the database's\n"
	  "superuser cannot reach, and give it to verify --anchor later." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_audit(int argc, char **argv)
{
	return ctlopt_run_group("audit", "Who changed what, when and why.",
	    audit_verbs, argc, argv);
}
