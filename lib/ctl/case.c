/*
 * ctl_case.c - reconcile cases by hand: list them, look at one, accept one.
 *
 * Accepting is the admin's "this is fine" (a test payment, a known
 * provider adjustment): the case stops counting as open, until the date
 * given (then tally-reconcile reopens it, and audits that) or for good.
 * A case that reconcile no longer finds is closed either way.  Every
 * accept is audited as case.accept with the case's state before and after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <stdint.h>

#include "pg/audit.h"
#include "base/config.h"
#include "ctl/case.h"
#include "ctl/ctlopt.h"
#include "base/err.h"
#include "base/log.h"
#include "base/period.h"
#include "base/strbuf.h"

#define NOTE_MAX 2000		/* bytes: a sentence or two, not a file */

/* The columns every listing shows, in this order; age from now. */
#define CASE_COLS \
	"c.id, c.category, c.status, c.severity, c.keys::text AS keys," \
	" CASE WHEN c.currency IS NULL THEN c.amount_minor::numeric" \
	"      ELSE tally_major(c.amount_minor, c.currency) END AS amount," \
	" c.currency, c.occurred_at, c.first_seen, c.last_seen, c.occurrences," \
	" floor(extract(epoch FROM now() - coalesce(c.occurred_at, c.first_seen))" \
	"       / 86400)::integer AS age_days," \
	" c.accepted_until, c.accepted_by, c.accepted_note, c.closed_at"
#define CASE_NCOLS 16

static int
case_list(struct ctl *c, int argc, char **argv)
{
	const char *category = NULL;
	bool open = false;
	const struct ctlopt opts[] = {
		{ "open", CTLOPT_FLAG, &open, 0, 0, NULL },
		{ "category", CTLOPT_STR, &category, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_END
	};
	const char *params[2];
	PGresult *res = NULL;
	char *known = NULL;
	char cat[48];
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, NULL, 0, 0);
	if (rc != 0)
		return rc;
	if (category != NULL) {
		size_t i;

		for (i = 0; category[i] != '\0' && i + 1 < sizeof(cat); i++)
			cat[i] = (char)(category[i] >= 'a' && category[i] <= 'z' ?
			    category[i] - 'a' + 'A' : category[i]);
		cat[i] = '\0';
	}
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	if (category != NULL) {
		params[0] = cat;
		rc = db_query_value(c->db, &known,
		    "SELECT count(*) FROM reconcile_categories WHERE category = $1",
		    1, params);
		if (rc != 0)
			return ctlopt_db_error(c, rc, "reading the categories");
		rc = strcmp(known, "0") == 0 ? ctlopt_usage_error(c,
		    "no category '%s' (see tallyctl case --help)", category) : 0;
		free(known);
		if (rc != 0)
			return rc;
	}
	params[0] = open ? "OPEN" : NULL;
	params[1] = category != NULL ? cat : NULL;
	rc = db_query(c->db, &res,
	    "SELECT " CASE_COLS
	    "  FROM reconcile_cases c"
	    "  JOIN reconcile_categories k ON k.category = c.category"
	    " WHERE ($1::text IS NULL OR c.status = $1)"
	    "   AND ($2::text IS NULL OR c.category = $2)"
	    " ORDER BY c.status = 'CLOSED', k.sort,"
	    "          tally_severity_rank(c.severity) DESC, c.id", 2, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "listing cases");
	rc = ctlopt_print(c, res, 0);
	PQclear(res);
	return rc;
}

static int
find_case(struct ctl *c, const char *spec, bool lock, PGresult **row)
{
	static const char *const sql[2] = {
		"SELECT " CASE_COLS ", c.details::text AS details,"
		" to_jsonb(c) AS state FROM reconcile_cases c WHERE c.id = $1",
		"SELECT " CASE_COLS ", c.details::text AS details,"
		" to_jsonb(c) AS state FROM reconcile_cases c WHERE c.id = $1"
		" FOR UPDATE",
	};
	const char *params[1];
	long long id;
	char idbuf[24];
	int rc;

	*row = NULL;
	if (ctlopt_parse_ll(spec, 1, INT64_MAX, &id) != 0)
		return ctlopt_usage_error(c, "'%s' is not a case id", spec);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	rc = db_query(c->db, row, sql[lock], 1, params);
	if (rc != 0)
		return ctlopt_db_error(c, rc, "reading the case");
	if (PQntuples(*row) == 0) {
		PQclear(*row);
		*row = NULL;
		log_err("tallyctl case %s: no case %s", c->verb, idbuf);
		return TALLY_ENOTFOUND;
	}
	return 0;
}

static int
case_show(struct ctl *c, int argc, char **argv)
{
	const struct ctlopt opts[] = { CTLOPT_OUTPUT(c), CTLOPT_END };
	const char *pos[1];
	PGresult *row = NULL;
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	if ((rc = find_case(c, pos[0], false, &row)) != 0)
		return rc;
	rc = ctlopt_print_record(c, row, 0, CASE_NCOLS + 1);
	PQclear(row);
	return rc;
}

struct accept_arg {
	struct ctl *c;
	const char *id;
	const char *note;
	const char *until;	/* YYYY-MM-DD or NULL: for good */
	const char *today;	/* YYYY-MM-DD in the report zone */
	PGresult *res;
};

static int
accept_tx(struct db *db, void *p)
{
	struct accept_arg *a = p;
	struct ctl *c = a->c;
	PGresult *cur = NULL;
	const char *params[4];
	const char *status, *actor;
	int rc;

	PQclear(a->res);
	a->res = NULL;
	if ((rc = find_case(c, a->id, true, &cur)) != 0)
		return rc;
	status = PQgetvalue(cur, 0, 2);
	if (strcmp(status, "CLOSED") == 0) {
		rc = ctlopt_refuse(c, "case %s is closed (tally-reconcile no "
		    "longer finds it): nothing to accept", PQgetvalue(cur, 0, 0));
		goto out;
	}
	actor = audit_actor(c->actor);
	params[0] = PQgetvalue(cur, 0, 0);
	params[1] = actor;
	params[2] = a->note;
	params[3] = a->until;
	rc = db_query(db, &a->res,
	    "UPDATE reconcile_cases c SET status = 'ACCEPTED',"
	    "  accepted_at = now(), accepted_by = $2, accepted_note = $3,"
	    "  accepted_until = $4::date"
	    " WHERE c.id = $1::bigint"
	    " RETURNING " CASE_COLS ", to_jsonb(c) AS state", 4, params);
	if (rc != 0) {
		rc = ctlopt_db_error(c, rc, "accepting the case");
		goto out;
	}
	rc = ctlopt_audit(c, "case.accept", "reconcile_case",
	    PQgetvalue(cur, 0, 0), a->note, PQgetvalue(cur, 0, CASE_NCOLS + 1),
	    PQgetvalue(a->res, 0, CASE_NCOLS));
out:
	PQclear(cur);
	return rc;
}

/* Today in the zone reconcile cuts dates in (tz / TALLY_TZ, else UTC). */
static void
today_in_report_zone(char out[16])
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct period_date d;
	const char *tz = "UTC";

	if (config_load(&cfg, NULL, &err) == 0 && cfg.tz != NULL &&
	    period_tz_valid(cfg.tz))
		tz = cfg.tz;
	if (period_local_date(time(NULL), tz, &d) != 0 &&
	    period_local_date(time(NULL), "UTC", &d) != 0)
		d = period_from_days((long)(time(NULL) / 86400));
	snprintf(out, 16, "%04d-%02d-%02d", d.year % 10000, d.month, d.day);
	config_free(&cfg);
	strbuf_release(&err);
}

static int
case_accept(struct ctl *c, int argc, char **argv)
{
	struct accept_arg a = { .c = c };
	const struct ctlopt opts[] = {
		{ "note", CTLOPT_STR, &a.note, 0, 0, NULL },
		{ "until", CTLOPT_STR, &a.until, 0, 0, NULL },
		CTLOPT_OUTPUT(c), CTLOPT_MUTATION(c), CTLOPT_END
	};
	const char *pos[1];
	struct period_date d;
	char today[16], until[16];
	int rc;

	rc = ctlopt_parse(c, argc, argv, opts, pos, 1, 1);
	if (rc != 0)
		return rc;
	if (a.note == NULL || a.note[strspn(a.note, " \t")] == '\0')
		return ctlopt_usage_error(c, "--note TEXT is required: say why "
		    "the case is fine");
	if (strlen(a.note) > NOTE_MAX)
		return ctlopt_usage_error(c, "--note is longer than %d bytes",
		    NOTE_MAX);
	today_in_report_zone(today);
	if (a.until != NULL) {
		if (period_parse_date(a.until, &d) != 0)
			return ctlopt_usage_error(c, "--until '%s' is not a date "
			    "(YYYY-MM-DD)", a.until);
		snprintf(until, sizeof(until), "%04d-%02d-%02d", d.year % 10000,
		    d.month, d.day);
		/* ISO dates compare as strings */
		if (strcmp(until, today) < 0)
			return ctlopt_usage_error(c, "--until %s is in the past "
			    "(today is %s)", until, today);
		a.until = until;
	}
	a.today = today;
	a.id = pos[0];
	if ((rc = ctlopt_connect(c)) != 0)
		return rc;
	rc = ctlopt_mutate(c, accept_tx, &a);
	if (rc == 0)
		rc = ctlopt_print_record(c, a.res, 0, CASE_NCOLS);
	PQclear(a.res);
	return rc;
}

static const struct ctlopt_verb case_verbs[] = {
	{ "list", case_list, "[--open] [--category CATEGORY]",
	  "List reconcile cases: not closed first, by category and severity.\n"
	  "--open: only OPEN ones (not closed, not accepted).  Categories:\n"
	  "PAID_NOT_FULFILLED FULFILLED_NOT_PAID MISSING_IN_SETTLEMENT\n"
	  "MISSING_WEBHOOK AMOUNT_MISMATCH CURRENCY_MISMATCH NET_INCONSISTENT\n"
	  "PAYOUT_TOTAL_MISMATCH DUPLICATE_CHARGE DUPLICATE_FULFILLMENT\n"
	  "REFUND_NOT_REFLECTED DISPUTE_OPEN UNEXPLAINED_ADJUSTMENT\n"
	  "SEAT_COUNTER_DRIFT STUCK_ASSIGNED SEATS_OVERSUBSCRIBED\n"
	  "CREDITS_OVERDRAWN CREDIT_BALANCE_MISMATCH UNPROCESSABLE_EVENT.\n"
	  "age_days counts from when the thing happened (else from when the\n"
	  "case was first seen); amounts are major units (credits for the\n"
	  "CREDIT categories)." },
	{ "show", case_show, "ID",
	  "One case, with every detail reconcile recorded about it." },
	{ "accept", case_accept, "ID --note TEXT [--until YYYY-MM-DD]",
	  "Accept a case: it is fine (say why in --note).  It stops counting\n"
	  "as open (reports, tally-reconcile's exit status) until the end of\n"
	  "the --until day in the report time zone, after which the next\n"
	  "tally-reconcile run reopens it; without --until, for good.  A case\n"
	  "reconcile no longer finds is closed either way.  Accepting again\n"
	  "replaces the note and date.  Refused for a closed case or a date\n"
	  "in the past.  Audited as case.accept." },
	{ NULL, NULL, NULL, NULL }
};

int
ctl_case(int argc, char **argv)
{
	return ctlopt_run_group("case", "Exception cases found by "
	    "tally-reconcile.", case_verbs, argc, argv);
}
