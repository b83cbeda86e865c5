/*
 * allocate.c - drive tally-allocate: a batch of events (normalize.c), then
 * fulfilment batches until the queue holds nothing untried, and again,
 * each batch in its own transaction (or all in one rolled-back transaction
 * for --dry-run), on one or more connections (workers).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "books/allocate.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "pg/query.h"

#define TX_ATTEMPTS 8
/* Batches in a row that found every free account held by other
 * transactions before the run leaves the rest to the next run. */
#define MAX_STALLS 50

struct ctx {
	const struct allocate_opts *o;
	const char *actor;
	const char *run_start;	/* DB clock when the run began */
	int batch;
	bool show_progress;	/* the main worker only */
	/* one batch's results; added to the totals once it committed */
	struct normalize_stats ev;
	long long claimed;	/* events, or orders, claimed */
	long long queued;	/* queue entries claimed (orders may be fewer) */
	long long seats, credits, no_room, blocked, contended;
	long long held, overpaid;
};

/* queries/NAME.sql, without parameters; *n (optional) gets the rows it
 * wrote. */
static int
run(struct db *db, const char *name, long long *n)
{
	return query_command(db, name, n, 0, NULL);
}

/* ---- events ------------------------------------------------------ */

static int
event_batch(struct db *db, void *arg)
{
	struct ctx *c = arg;

	memset(&c->ev, 0, sizeof(c->ev));
	return normalize_batch(db, c->batch, c->o->signup_grant, c->actor,
	    c->o->dry_run, &c->ev, &c->claimed);
}

static void
add_ev(struct normalize_stats *t, const struct normalize_stats *b)
{
	t->events += b->events;
	t->done += b->done;
	t->failed += b->failed;
	t->ignored += b->ignored;
	t->orders += b->orders;
	t->payments += b->payments;
	t->refunds += b->refunds;
	t->disputes += b->disputes;
	t->usage += b->usage;
	t->users += b->users;
	t->models_flagged += b->models_flagged;
	t->revoked += b->revoked;
	t->debited += b->debited;
	t->negative_balances += b->negative_balances;
	t->mismatches += b->mismatches;
}

/* ---- fulfilment -------------------------------------------------- */

static int
seat_batch(struct db *db, struct ctx *c)
{
	char need[24], sla[24];
	const char *params[2];
	long long n = 0, left, elsewhere = 0, done = 0;
	int rc;

	if ((rc = query_ll(db, "allocate/seat_need", &n, 0, NULL)) != 0 ||
	    n == 0)
		return rc;
	snprintf(need, sizeof(need), "%lld", n);
	params[0] = need;
	if ((rc = query_command(db, "allocate/pick", NULL, 1, params)) != 0)
		return rc;
	snprintf(sla, sizeof(sla), "%ld", c->o->fulfil_sla_minutes);
	params[0] = c->o->as_of;
	params[1] = sla;
	if ((rc = query_command(db, "allocate/seat_assign", &done, 2,
	    params)) != 0)
		return rc;
	c->seats += done;
	left = n - done;
	if (left <= 0)
		return 0;
	if ((rc = query_ll(db, "allocate/room_elsewhere", &elsewhere, 0,
	    NULL)) != 0)
		return rc;
	if (elsewhere > 0) {
		/* held by others: not tried, claimed again by the next batch */
		c->contended++;
		return 0;
	}
	if ((rc = run(db, "allocate/no_room", NULL)) != 0)
		return rc;
	c->no_room += left;
	return 0;
}

/* Hold the orders whose payment is wrong for their product (hold.sql). */
static int
hold_orders(struct db *db, struct ctx *c)
{
	PGresult *res = NULL;
	long long opened = 0;
	int rc, i;

	if ((rc = query_rows(db, "allocate/hold", &res, 0, NULL)) != 0)
		return rc;
	c->held = PQntuples(res);
	/* logged before the commit: a retried batch may say it twice */
	for (i = 0; i < PQntuples(res); i++)
		log_warning("allocate: order %s held: %s (a case is open; "
		    "tallyctl order list --held)", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1));
	PQclear(res);
	if (c->held == 0)
		return 0;
	return query_ll(db, "allocate/hold_cases", &opened, 0, NULL);
}

static int
fulfil_batch(struct db *db, void *arg)
{
	struct ctx *c = arg;
	char lim[16];
	const char *params[2];
	PGresult *res = NULL;
	long long n = 0;
	int rc;

	memset(&c->ev, 0, sizeof(c->ev));
	c->claimed = c->queued = c->seats = c->credits = c->no_room = 0;
	c->blocked = c->contended = c->held = c->overpaid = 0;
	/* see normalize_batch(): all of this is derived from durable data */
	if ((rc = query_fixed(db, "SET LOCAL synchronous_commit = off")) != 0)
		return rc;
	/* emptied at every commit; a dry run is one transaction */
	if (c->o->dry_run && (rc = run(db, "allocate/clear", NULL)) != 0)
		return rc;
	snprintf(lim, sizeof(lim), "%d", c->batch);
	params[0] = c->run_start;
	params[1] = lim;
	if ((rc = query_rows(db, "allocate/claim", &res, 2, params)) != 0)
		return rc;
	c->queued = db_value_ll(res, 0, 0, 0);
	c->claimed = db_value_ll(res, 0, 1, 0);
	PQclear(res);
	if (c->claimed < c->queued)
		c->contended++;	/* orders held by a normaliser right now */
	if (c->claimed == 0)
		return 0;
	if ((rc = query_fixed(db, "ANALYZE pg_temp.alloc_work")) != 0 ||
	    (rc = run(db, "allocate/adopt_product", NULL)) != 0 ||
	    (rc = hold_orders(db, c)) != 0 ||
	    (rc = run(db, "allocate/overpaid", NULL)) != 0 ||
	    (rc = run(db, "allocate/blocked", &c->blocked)) != 0 ||
	    (rc = run(db, "allocate/credit_users", NULL)) != 0 ||
	    (rc = run(db, "allocate/credit_grant", NULL)) != 0 ||
	    (rc = run(db, "allocate/credit_fulfil", &n)) != 0)
		return rc;
	c->credits = n;
	if ((rc = seat_batch(db, c)) != 0 ||
	    (rc = query_ll(db, "allocate/overpaid_cases", &c->overpaid, 0,
	    NULL)) != 0 ||
	    (rc = run(db, "allocate/reversal_orders", &n)) != 0)
		return rc;
	if (n > 0 && (rc = normalize_apply_reversals(db, c->actor, &c->ev)) != 0)
		return rc;
	return run(db, "allocate/dequeue", NULL);
}

/* ---- the run ----------------------------------------------------- */

static int
in_tx(struct db *db, const struct allocate_opts *o,
    int (*fn)(struct db *, void *), void *arg)
{
	if (o->dry_run)
		return fn(db, arg);	/* inside the run's one transaction */
	return db_transaction(db, DB_READ_COMMITTED, TX_ATTEMPTS, fn, arg);
}

static int
requeue(struct db *db, void *arg)
{
	return normalize_requeue_failed(db, arg);
}

static int
release(struct db *db, void *arg)
{
	return query_ll(db, "allocate/release", arg, 0, NULL);
}

static void
pause_briefly(int stalls)
{
	struct timespec ts = { 0, 0 };

	/* 10..100 ms: long enough for the holder to commit */
	ts.tv_nsec = (long)(10 + (stalls % 10) * 10) * 1000000L;
	nanosleep(&ts, NULL);
}

/*
 * Fulfil queued orders until none is left that this run has not tried
 * (or only orders and accounts other transactions hold remain).
 */
static int
fulfil_queued(struct db *db, struct ctx *c, struct allocate_stats *st)
{
	int rc, stalls = 0;

	for (;;) {
		if ((rc = in_tx(db, c->o, fulfil_batch, c)) != 0)
			return rc;
		if (c->queued == 0)
			return 0;
		add_ev(&st->ev, &c->ev);
		st->seats += c->seats;
		st->credits += c->credits;
		st->no_room += c->no_room;
		st->blocked += c->blocked;
		st->contended += c->contended;
		st->held += c->held;
		st->overpaid += c->overpaid;
		if (c->contended > 0 && c->seats + c->credits == 0) {
			if (++stalls >= MAX_STALLS) {
				log_notice("allocate: free accounts or queued orders "
				    "stay held by other transactions; leaving the "
				    "rest to the next run");
				return 0;
			}
			pause_briefly(stalls);
		} else {
			stalls = 0;
		}
	}
}

/*
 * One worker: a batch of new events, then the orders it made fulfillable,
 * and again, until no new event is left.  Fulfilling after every batch
 * (not once all events are in) keeps a steady inflow of events from
 * delaying every seat until the inflow pauses.
 */
static int
work(struct db *db, struct ctx *c, struct allocate_stats *st)
{
	struct progress p;
	long long pending = 0, got;
	int rc;

	if (c->show_progress && (rc = query_ll(db, "allocate/pending_events",
	    &pending, 0, NULL)) != 0)
		return rc;
	progress_start(&p, "events", (unsigned long long)pending);
	p.active = p.active && c->show_progress;
	for (;;) {
		if ((rc = in_tx(db, c->o, event_batch, c)) != 0)
			break;
		got = c->claimed;
		if (got > 0) {
			add_ev(&st->ev, &c->ev);
			progress_update(&p, (unsigned long long)st->ev.events);
		}
		if ((rc = fulfil_queued(db, c, st)) != 0 || got == 0)
			break;
	}
	progress_done(&p);
	return rc;
}

static int
finish_counts(struct db *db, struct allocate_stats *st)
{
	PGresult *res = NULL;
	int rc;

	if ((rc = query_rows(db, "allocate/unfulfilled", &res, 0, NULL)) != 0)
		return rc;
	st->unfulfilled = db_value_ll(res, 0, 0, 0);
	st->waiting = db_value_ll(res, 0, 1, 0);
	st->held_total = db_value_ll(res, 0, 2, 0);
	PQclear(res);
	return 0;
}

static void
add_stats(struct allocate_stats *t, const struct allocate_stats *w)
{
	add_ev(&t->ev, &w->ev);
	t->seats += w->seats;
	t->credits += w->credits;
	t->no_room += w->no_room;
	t->blocked += w->blocked;
	t->contended += w->contended;
	t->held += w->held;
	t->overpaid += w->overpaid;
}

struct worker {
	pthread_t thread;
	struct ctx c;
	struct allocate_stats st;
	int rc;
	bool started;
};

/*
 * A helper worker on its own connection.  The main one and the helpers
 * share nothing but the database: the same SKIP LOCKED claims that keep
 * separate tally-allocate processes apart keep them apart.
 */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct db *db = NULL;

	w->rc = db_connect_url(&db, w->c.o->conninfo, "tally-allocate",
	    w->c.o->role);
	if (w->rc == 0)
		w->rc = normalize_setup(db);
	if (w->rc == 0)
		w->rc = work(db, &w->c, &w->st);
	db_free(db);
	return NULL;
}

int
allocate_run(struct db *db, const struct allocate_opts *o,
    struct allocate_stats *st)
{
	struct worker *helpers = NULL;
	struct ctx c;
	char *start = NULL;
	int rc, jobs, i;

	memset(st, 0, sizeof(*st));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.actor = o->actor != NULL ? o->actor : ALLOCATE_ACTOR;
	c.batch = o->batch > 0 ? o->batch : ALLOCATE_BATCH_DEFAULT;
	c.show_progress = true;
	/* a dry run is one transaction, which only one connection can see */
	jobs = o->dry_run || o->jobs < 1 ? 1 : o->jobs;
	if ((rc = normalize_setup(db)) != 0)
		return rc;
	/* the database's clock, not ours: "tried in this run" compares it
	 * with tried_at, which the database sets */
	rc = db_query_value(db, &start, "SELECT clock_timestamp()::text", 0, NULL);
	if (rc != 0) {
		log_err("allocate: %s", db_errmsg(db));
		return rc;
	}
	c.run_start = start;
	if (o->dry_run && (rc = db_begin(db, DB_READ_COMMITTED)) != 0) {
		log_err("allocate: %s", db_errmsg(db));
		goto out;
	}
	if ((rc = in_tx(db, o, requeue, &st->requeued)) != 0 ||
	    (rc = in_tx(db, o, release, &st->released)) != 0)
		goto rollback;
	if (st->released > 0)
		log_notice("allocate: %lld held order(s) no longer held for "
		    "their reason (the product exists, is active again, or "
		    "accepts the payment now); checking them again",
		    st->released);
	/* the provider's word on unsigned notifications, before any worker
	 * may claim them; asked on this connection, outside the batches */
	if ((rc = confirm_run(db, o->cfg, &st->confirm)) != 0)
		goto rollback;
	if (jobs > 1) {
		helpers = xcalloc((size_t)jobs - 1, sizeof(*helpers));
		for (i = 0; i < jobs - 1; i++) {
			helpers[i].c = c;
			helpers[i].c.show_progress = false;
			if (pthread_create(&helpers[i].thread, NULL, worker_main,
			    &helpers[i]) == 0)
				helpers[i].started = true;
			else
				log_warning("allocate: cannot start worker %d; "
				    "continuing with fewer", i + 2);
		}
	}
	rc = work(db, &c, st);
	for (i = 0; i < jobs - 1; i++) {
		if (!helpers[i].started)
			continue;
		pthread_join(helpers[i].thread, NULL);
		add_stats(st, &helpers[i].st);
		if (rc == 0)
			rc = helpers[i].rc;
	}
	if (rc == 0)
		rc = finish_counts(db, st);
rollback:
	if (o->dry_run)
		db_rollback(db);
	if (rc == 0 && st->unfulfilled > 0) {
		log_warning("allocate: %lld paid order(s) cannot be fulfilled "
		    "(tallyctl order list --unfulfilled)", st->unfulfilled);
		rc = TALLY_EPROBLEMS;
	}
	if (rc == 0 && st->held_total > 0) {
		log_warning("allocate: %lld paid order(s) are held for an admin "
		    "(tallyctl order list --held)", st->held_total);
		rc = TALLY_EPROBLEMS;
	}
out:
	free(helpers);
	free(start);
	return rc;
}

int
allocate_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n + 1 < 2 ? 2 : n + 1 > 8 ? 8 : (int)n + 1;
}

/* The figures' names in job_runs.counts (a jsonb: their order is not
 * kept). */
#define N(name, field) { name, offsetof(struct normalize_stats, field) }
static const struct jobrun_field normalize_counts[] = {
	N("events", events),
	N("events_done", done),
	N("events_failed", failed),
	N("events_ignored", ignored),
	N("orders_changed", orders),
	N("payments", payments),
	N("refunds", refunds),
	N("disputes", disputes),
	N("usage_events", usage),
	N("app_users", users),
	N("models_flagged", models_flagged),
	N("revoked", revoked),
	N("debited", debited),
	N("negative_balances", negative_balances),
	N("notification_mismatches", mismatches),
	{ NULL, 0 }
};
#undef N
#define C(name, field) { name, offsetof(struct confirm_stats, field) }
static const struct jobrun_field confirm_counts[] = {
	C("provider_asked", asked),
	C("provider_unreachable", unreachable),
	C("provider_unknown", unknown),
	{ NULL, 0 }
};
#undef C
#define A(name, field) { name, offsetof(struct allocate_stats, field) }
static const struct jobrun_field allocate_counts[] = {
	A("events_requeued", requeued),
	A("fulfilled_seats", seats),
	A("fulfilled_credits", credits),
	A("no_room", no_room),
	A("blocked", blocked),
	A("contended", contended),
	A("held", held),
	A("held_total", held_total),
	A("released", released),
	A("overpaid", overpaid),
	A("unfulfilled", unfulfilled),
	A("waiting", waiting),
	{ NULL, 0 }
};
#undef A

void
allocate_report(const struct allocate_stats *st, struct jobrun *jr)
{
	if (jr == NULL)
		return;
	jobrun_count_fields(jr, &st->ev, normalize_counts);
	jobrun_count_fields(jr, &st->confirm, confirm_counts);
	jobrun_count_fields(jr, st, allocate_counts);
}
