/*
 * audit.c - `tallyctl audit list | verify | anchor`: the audit trail, its
 * chain and its head (lib/ops/audit.c).
 */
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/log.h"
#include "ctl/audit.h"
#include "ctl/ctlopt.h"
#include "ops/access.h"
#include "ops/audit.h"

static int
audit_list(struct ctl *c, int argc, char **argv)
{
	/* text: a readable summary of the change; csv/json: both documents */
	static const char *const text_cols[] = { "id", "at", "actor", "action",
	    "entity", "entity_id", "reason", "changes", NULL };
	static const char *const doc_cols[] = { "id", "at", "actor", "action",
	    "entity", "entity_id", "reason", "before", "after", NULL };
	struct ops_audit_list_req req = { .page = { 1, 50, 10000 } };
	const struct ctlopt opts[] = {
		{ "page", CTLOPT_INT, &req.page.page, 1, 1000000000, NULL },
		{ "per-page", CTLOPT_INT, &req.page.per_page, 1, 10000, NULL },
		{ "entity", CTLOPT_STR, &req.entity, 0, 0, NULL },
		{ "entity-id", CTLOPT_STR, &req.entity_id, 0, 0, NULL },
		{ "actor", CTLOPT_STR, &req.actor, 0, 0, NULL },
		{ "action", CTLOPT_STR, &req.action, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	json_t *out = NULL;
	long long total, pages;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	rc = ops_audit_list(ctl_ops(c), &req, &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) != 0)
		goto out;
	rc = ctl_print_items(c, out, c->format == TABLE_TEXT ? text_cols :
	    doc_cols);
	total = json_integer_value(json_object_get(out, "total"));
	pages = (total + req.page.per_page - 1) / req.page.per_page;
	if (rc == 0 && c->format == TABLE_TEXT)
		fprintf(c->out, "page %lld of %lld (%lld entr%s, newest first)\n",
		    req.page.page, pages, total, total == 1 ? "y" : "ies");
out:
	json_decref(out);
	return rc;
}

static int
audit_verify_cmd(struct ctl *c, int argc, char **argv)
{
	struct ops_audit_verify_req req = { NULL };
	const struct ctlopt opts[] = {
		{ "anchor", CTLOPT_STR, &req.anchor, 0, 0, NULL },
		{ "legacy-until", CTLOPT_STR, &req.legacy_until, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	static const char *const cols[] = { "intact", "rows_checked",
	    "first_bad", "problem", "anchors_reached", "head", NULL };
	const json_t *item;
	json_t *out = NULL;
	long long bad, rows;
	const char *problem;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	rc = ops_audit_verify(ctl_ops(c), &req, &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) != 0)
		goto out;
	item = json_object_get(out, "item");
	bad = json_integer_value(json_object_get(item, "first_bad"));
	rows = json_integer_value(json_object_get(item, "rows_checked"));
	problem = json_string_value(json_object_get(item, "problem"));
	if (c->format != TABLE_TEXT) {
		/* one row of a table, like every other --csv and --json */
		json_t *one = json_pack("{s:[O], s:O}", "items", item, "columns",
		    json_object_get(out, "columns"));

		rc = ctl_print_items(c, one, cols);
		json_decref(one);
	} else if (bad == 0) {
		long long unkeyed = json_integer_value(json_object_get(item,
		    "unkeyed"));
		const char *head = json_string_value(json_object_get(item, "head"));

		fprintf(c->out, "audit log intact: %lld rows checked", rows);
		if (unkeyed > 0)
			fprintf(c->out, " (%lld unkeyed from before the keyed "
			    "chain, vouched for from outside)", unkeyed);
		fprintf(c->out, ", head %s\n%s", head != NULL ? head : "none",
		    json_string_value(json_object_get(item, "reached")));
	} else {
		fprintf(c->out, "audit log BROKEN at row %lld: %s (%lld rows "
		    "checked)\n", bad, problem, rows);
	}
	if (rc == 0 && bad != 0) {
		log_err("audit log: row %lld: %s", bad, problem);
		rc = TALLY_EPROBLEMS;
	}
out:
	json_decref(out);
	return rc;
}

static int
access_list_run(struct ops *o, const void *req, json_t **out)
{
	return ops_access_list(o, req, out);
}

#define F(name, field) { name, CTLOPT_STR, \
	offsetof(struct ops_access_list_req, field), 0, 0, 0 }
static const struct ctl_list access_list = {
	sizeof(struct ops_access_list_req),
	offsetof(struct ops_access_list_req, page), true, access_list_run, {
	F("token", token), F("actor", actor), F("status", status),
	CTL_FIELD_END }
};
#undef F

static int
audit_anchor_cmd(struct ctl *c, int argc, char **argv)
{
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	json_t *out = NULL;
	int rc;

	if ((rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0)) != 0)
		return rc;
	rc = ops_audit_anchor(ctl_ops(c), &out);
	if ((rc = ctl_outcome(c, rc, out, opts)) != 0)
		goto out;
	/* the text is the anchor alone, for a script to keep */
	if (c->format == TABLE_TEXT)
		fprintf(c->out, "%s\n", json_string_value(json_object_get(
		    json_object_get(out, "item"), "anchor")));
	else
		rc = ctl_print_item(c, out);
out:
	json_decref(out);
	return rc;
}

static const struct ctlopt_verb audit_verbs[] = {
	{ "list", audit_list, "[--page N] [--per-page M] [--entity E] "
	  "[--entity-id ID] [--actor A] [--action A]",
	  "The audit trail, newest first, a page at a time (default 50 per\n"
	  "page).  The table shows what changed; --csv and --json give the\n"
	  "whole before and after documents.", NULL },
	{ "verify", audit_verify_cmd, "[--anchor ID:HEX] [--legacy-until ID]",
	  "Check the audit log's chain with the audit key: every row's MAC,\n"
	  "ids without gaps, and that it still reaches the newest anchor in\n"
	  "job_runs and the --anchor given (one kept off the machine: from\n"
	  "tallyctl audit anchor, a batch run's log line or a backup's\n"
	  "manifest).  Exit 0 when intact; exit 1 naming the first row that\n"
	  "was altered or removed (also the newest rows, against an anchor).\n"
	  "Rows without a MAC (unkeyed: written before the audit key, at\n"
	  "migration 052) can be recomputed by anyone who can write the table,\n"
	  "so they fail the check (exit 1, with their count and ids) unless\n"
	  "something from outside the database vouches for them: --legacy-until\n"
	  "ID, the last unkeyed id as noted at the upgrade (rows 1..ID may be\n"
	  "unkeyed, none after it), or an --anchor at or after them.",
	  NULL },
	{ "anchor", audit_anchor_cmd, "",
	  "Print the chain's head as ID:HEX: keep it somewhere the database's\n"
	  "superuser cannot reach, and give it to verify --anchor later.",
	  NULL },
	{ "access", NULL, "[--token NAME | --actor ACTOR] [--status CODE] "
	  "[--limit N]",
	  "tally-admin's access log, newest first (at most --limit, default\n"
	  "1000; 0: all): every request to the API and the panel, reads\n"
	  "included, with the token or admin user, the answer's status and how\n"
	  "long it took.", &access_list },
	{ NULL, NULL, NULL, NULL, NULL }
};

CTL_GROUP(audit, "Who changed what, when and why.")
