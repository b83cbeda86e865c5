/*
 * normalize.c - raw_events to orders, payments, refunds, disputes, users,
 * usage and credits; set-based SQL, one batch per transaction.  See
 * normalize.h for the contract and sql/011_normalize.sql for what each
 * provider's payload means.
 *
 * Locking, and why the statements come in this order:
 *   - the orders upsert locks every order the batch touches (ON CONFLICT
 *     DO UPDATE locks the row even when its WHERE skips the update), in
 *     (source, provider_ref) order, so two batches touching the same orders
 *     queue instead of deadlocking, and the second sees all the first
 *     stored when it recomputes the status;
 *   - the fulfilment step locks the orders it fulfils as well (allocate.c),
 *     so "a refund arrived" and "the order was fulfilled" are serialised:
 *     whichever commits second sees the other and applies the reversal;
 *   - reversals run after the queue is updated and write the audit rows
 *     last: audit inserts serialise on one advisory lock, held to commit,
 *     so they are taken when every row lock this batch needs is held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/audit.h"
#include "base/err.h"
#include "base/log.h"
#include "books/normalize.h"
#include "base/strbuf.h"

/* Run one step; on failure log which one (once, here) and return the code. */
static int
step(struct db *db, const char *what, long long *affected, const char *sql,
    int nparams, const char *const *params)
{
	int rc;

	rc = db_command(db, affected, sql, nparams, params);
	if (rc == TALLY_ERETRY)
		log_debug("allocate: %s: %s (will retry)", what, db_errmsg(db));
	else if (rc != 0)
		log_err("allocate: %s: %s", what, db_errmsg(db));
	return rc;
}

static int
query_step(struct db *db, const char *what, PGresult **res, const char *sql,
    int nparams, const char *const *params)
{
	int rc;

	rc = db_query(db, res, sql, nparams, params);
	if (rc == TALLY_ERETRY)
		log_debug("allocate: %s: %s (will retry)", what, db_errmsg(db));
	else if (rc != 0)
		log_err("allocate: %s: %s", what, db_errmsg(db));
	return rc;
}

/*
 * Session work tables.  ON COMMIT DELETE ROWS empties them at every
 * commit; a dry run works in one long transaction, so there each batch
 * truncates them first (normalize_batch's clear).
 *
 * The work tables have no statistics and the domain tables grow during a
 * run faster than autovacuum analyses them, so the planner's guesses are
 * poor.  So the work tables are analysed once filled (a few
 * milliseconds), the session assumes a cached database (random_page_cost
 * 1.1: an index probe per batch row, not a scan of the whole table), and
 * statements that meet a big table from a work table are written so that
 * their cost follows the batch, not the table: a LATERAL subquery with
 * LIMIT (never flattened into a hash join over the whole table), a
 * correlated scalar subquery, or "id = ANY (ARRAY(...))" for a DELETE or
 * UPDATE without a join (an index scan).
 */
static const char sql_setup[] =
    "CREATE TEMP TABLE IF NOT EXISTS alloc_claim ("
    " raw_id bigint PRIMARY KEY, scheme text NOT NULL) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS alloc_facts ("
    " raw_id bigint NOT NULL, source text NOT NULL,"
    " fact text, order_ref text, obs_status text, payment_ref text, sku text,"
    " email text, amount_minor bigint, currency text, event_at timestamptz,"
    " refund_ref text, refund_kind text, refund_minor bigint,"
    " dispute_ref text, dispute_status text, dispute_reason text,"
    " details_required boolean, err text,"
    " product_id bigint, m_product_id bigint, m_customer_id bigint,"
    " m_email text, order_id bigint) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS alloc_usage ("
    " raw_id bigint NOT NULL, source text NOT NULL,"
    " fact text, event_id text, occurred_at timestamptz, user_ext text,"
    " user_email text, model text, kind text, duration_ms integer,"
    " credits bigint, ustatus text, uerror text, err text,"
    " user_id bigint, model_id bigint) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS alloc_touched ("
    " order_id bigint PRIMARY KEY, source text, provider_ref text,"
    " settled boolean NOT NULL DEFAULT false, status text)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS alloc_reversal ("
    " order_id bigint PRIMARY KEY) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS alloc_work ("
    " order_id bigint PRIMARY KEY, kind text, days integer, credits bigint,"
    " customer_id bigint, email text, paid_at timestamptz,"
    " problem text, done boolean NOT NULL DEFAULT false) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS alloc_pick ("
    " account_id bigint, seats integer, rank integer) ON COMMIT DELETE ROWS;"
    /* Statements of a few milliseconds each: compiling them costs more
     * than it saves (the planner's row guesses for the work tables, which
     * have no statistics, would otherwise trigger JIT). */
    "SET jit = off;"
    "SET random_page_cost = 1.1;";

int
normalize_setup(struct db *db)
{
	int rc;

	rc = db_simple(db, sql_setup);
	if (rc != 0)
		log_err("allocate: cannot create work tables: %s", db_errmsg(db));
	return rc;
}

int
normalize_requeue_failed(struct db *db, long long *n)
{
	char cap[16];
	const char *params[1] = { cap };

	snprintf(cap, sizeof(cap), "%d", NORMALIZE_MAX_ATTEMPTS);
	/* back-off 1, 2, 4, 8, 16 minutes after attempt 1, 2, 3, ... */
	return step(db, "requeue failed events", n,
	    "UPDATE raw_events SET status = 'NEW'"
	    " WHERE status = 'FAILED' AND attempts < $1::integer"
	    " AND coalesce(processed_at, received_at) <= now()"
	    "   - interval '1 minute' * (1 << least(greatest(attempts - 1, 0), 20))",
	    1, params);
}

/* ---- payment events ---------------------------------------------- */

static const char sql_claim[] =
    "INSERT INTO pg_temp.alloc_claim (raw_id, scheme)"
    " SELECT id, scheme FROM raw_events WHERE status = 'NEW'"
    " ORDER BY id LIMIT $1::integer FOR UPDATE SKIP LOCKED";

#define FACT_COLUMNS \
    " (raw_id, source, fact, order_ref, obs_status, payment_ref, sku, email," \
    " amount_minor, currency, event_at, refund_ref, refund_kind, refund_minor," \
    " dispute_ref, dispute_status, dispute_reason, details_required, err)"

static const struct {
	const char *what;
	const char *sql;
} extract[] = {
	{ "extract stripe events",
	  "INSERT INTO pg_temp.alloc_facts" FACT_COLUMNS
	  " SELECT r.id, r.source, f.* FROM pg_temp.alloc_claim c"
	  " JOIN raw_events r ON r.id = c.raw_id"
	  " CROSS JOIN LATERAL tally_fact_stripe(r.payload) f"
	  " WHERE c.scheme = 'stripe'" },
	{ "extract midtrans events",
	  "INSERT INTO pg_temp.alloc_facts" FACT_COLUMNS
	  " SELECT r.id, r.source, f.* FROM pg_temp.alloc_claim c"
	  " JOIN raw_events r ON r.id = c.raw_id"
	  " CROSS JOIN LATERAL tally_fact_midtrans(r.payload) f"
	  " WHERE c.scheme = 'midtrans'" },
	{ "extract xendit events",
	  "INSERT INTO pg_temp.alloc_facts" FACT_COLUMNS
	  " SELECT r.id, r.source, f.* FROM pg_temp.alloc_claim c"
	  " JOIN raw_events r ON r.id = c.raw_id"
	  " CROSS JOIN LATERAL tally_fact_xendit(r.payload) f"
	  " WHERE c.scheme = 'xendit'" },
};

/*
 * What the batch knows about each order, merged with the order as stored:
 * the product and customer may come from different events (a Stripe
 * payment intent carries no sku when the Checkout Session has it).  A
 * stored value wins over a new one; among new ones, the oldest event.
 * A paid event that should name them (all but Stripe's payment_intent
 * events) and whose order still has no product or no e-mail fails, and is
 * tried again later.  A payment intent that arrives before its Checkout
 * Session makes a paid order without a product, which waits in the
 * fulfilment queue ("order has no product") until the session fills it in.
 */
static const char *const sql_merge[] = {
	"UPDATE pg_temp.alloc_facts f SET product_id = p.id FROM products p"
	" WHERE p.sku = f.sku AND f.err IS NULL",

	"UPDATE pg_temp.alloc_facts SET err = 'unknown sku: ' || sku"
	" WHERE err IS NULL AND sku IS NOT NULL AND product_id IS NULL",

	"UPDATE pg_temp.alloc_facts f SET order_id = g.order_id,"
	" m_product_id = g.product_id, m_customer_id = g.customer_id,"
	" m_email = g.email"
	" FROM (SELECT b.source, b.order_ref, o.id AS order_id,"
	"  coalesce(o.product_id, (array_agg(b.product_id ORDER BY b.raw_id)"
	"   FILTER (WHERE b.product_id IS NOT NULL))[1]) AS product_id,"
	"  o.customer_id,"
	"  (array_agg(b.email ORDER BY b.raw_id)"
	"   FILTER (WHERE b.email IS NOT NULL))[1] AS email"
	"  FROM pg_temp.alloc_facts b"
	"  LEFT JOIN LATERAL (SELECT o.id, o.product_id, o.customer_id FROM orders o"
	"   WHERE o.source = b.source AND o.provider_ref = b.order_ref LIMIT 1) o"
	"   ON true"
	"  WHERE b.err IS NULL AND b.fact <> 'IGNORE'"
	"  GROUP BY b.source, b.order_ref, o.id, o.product_id, o.customer_id) g"
	" WHERE f.source = g.source AND f.order_ref = g.order_ref"
	" AND f.err IS NULL AND f.fact <> 'IGNORE'",

	"UPDATE pg_temp.alloc_facts SET err = CASE WHEN m_product_id IS NULL"
	" THEN 'paid, but the order has no sku (metadata.sku / custom_field1)'"
	" ELSE 'paid, but the order has no customer e-mail' END"
	" WHERE err IS NULL AND fact = 'PAYMENT' AND obs_status = 'PAID'"
	" AND details_required"
	" AND (m_product_id IS NULL OR (m_customer_id IS NULL AND m_email IS NULL))",
};

static const char sql_customers[] =
    "INSERT INTO customers (email)"
    " SELECT DISTINCT m_email FROM pg_temp.alloc_facts"
    " WHERE err IS NULL AND m_email IS NOT NULL AND m_customer_id IS NULL"
    " ORDER BY 1 ON CONFLICT ((lower(email))) DO NOTHING";

static const char sql_customer_ids[] =
    "UPDATE pg_temp.alloc_facts f SET m_customer_id = (SELECT c.id"
    "  FROM customers c WHERE lower(c.email) = f.m_email)"
    " WHERE f.m_customer_id IS NULL AND f.m_email IS NOT NULL AND f.err IS NULL";

/*
 * One row per order, sorted (lock order).  A new order takes its amount
 * from the batch's best fact (a paid one first); the recompute below sets
 * status, amount and paid_at from everything stored.
 *
 * A new order known from a single payment event (the common case) is
 * "settled": inserted with exactly the status and paid_at the recompute
 * would give it (payments.paid_at is the same coalesce(event_at, now()),
 * now() being the transaction's; no refund or dispute can exist for an
 * order that did not exist), so the recompute skips it and only queues it
 * when it is PAID.  Anything else starts PENDING and the recompute decides.
 * The orders the upsert wrote are listed in alloc_touched.
 */
static const char sql_orders[] =
    "WITH up AS ("
    " INSERT INTO orders (source, provider_ref, customer_id, product_id,"
    " amount_minor, currency, status, paid_at)"
    " SELECT DISTINCT ON (f.source, f.order_ref) f.source, f.order_ref,"
    " f.m_customer_id, f.m_product_id, f.amount_minor, f.currency,"
    " CASE WHEN f.n = 1 AND f.fact = 'PAYMENT' THEN f.obs_status"
    "  ELSE 'PENDING' END,"
    " CASE WHEN f.n = 1 AND f.fact = 'PAYMENT' AND f.obs_status = 'PAID'"
    "  THEN coalesce(f.event_at, now()) END"
    " FROM (SELECT *, count(*) OVER (PARTITION BY source, order_ref) AS n"
    "  FROM pg_temp.alloc_facts WHERE err IS NULL AND fact <> 'IGNORE') f"
    " ORDER BY f.source, f.order_ref,"
    " (f.fact = 'PAYMENT' AND f.obs_status = 'PAID') DESC,"
    " (f.fact = 'PAYMENT') DESC, f.raw_id"
    " ON CONFLICT (source, provider_ref) DO UPDATE SET"
    " customer_id = coalesce(orders.customer_id, excluded.customer_id),"
    " product_id = coalesce(orders.product_id, excluded.product_id),"
    " updated_at = now()"
    " WHERE (orders.customer_id IS NULL AND excluded.customer_id IS NOT NULL)"
    " OR (orders.product_id IS NULL AND excluded.product_id IS NOT NULL)"
    " RETURNING id, source, provider_ref, status, xmax = 0 AS inserted)"
    " INSERT INTO pg_temp.alloc_touched (order_id, source, provider_ref,"
    "  settled, status)"
    " SELECT up.id, up.source, up.provider_ref, up.inserted AND c.n = 1,"
    "  up.status FROM up"
    " JOIN (SELECT source, order_ref, count(*) AS n FROM pg_temp.alloc_facts"
    "  WHERE err IS NULL AND fact <> 'IGNORE' GROUP BY 1, 2) c"
    "  ON c.source = up.source AND c.order_ref = up.provider_ref";

/* Orders the upsert returned, then the ones it only locked (stored
 * before, nothing to fill in), which the merge step found unless another
 * allocator created them meanwhile. */
static const char *const sql_order_ids[] = {
	"UPDATE pg_temp.alloc_facts f SET order_id = t.order_id"
	" FROM pg_temp.alloc_touched t"
	" WHERE t.source = f.source AND t.provider_ref = f.order_ref"
	" AND f.err IS NULL AND f.fact <> 'IGNORE'",

	"UPDATE pg_temp.alloc_facts f SET order_id = (SELECT o.id FROM orders o"
	"  WHERE o.source = f.source AND o.provider_ref = f.order_ref)"
	" WHERE f.err IS NULL AND f.fact <> 'IGNORE' AND f.order_id IS NULL",
};

/*
 * A payment's status only moves up (PENDING < FAILED < SUCCEEDED); two
 * succeeded reports of one payment (session and payment intent) keep the
 * earliest paid_at.
 */
static const char sql_payments[] =
    "INSERT INTO payments (order_id, source, provider_payment_id,"
    " amount_minor, currency, status, paid_at, raw_event_id)"
    " SELECT DISTINCT ON (f.source, f.payment_ref) f.order_id, f.source,"
    " f.payment_ref, f.amount_minor, f.currency, s.st,"
    " CASE WHEN s.st = 'SUCCEEDED' THEN coalesce(f.event_at, now()) END, f.raw_id"
    " FROM pg_temp.alloc_facts f"
    " CROSS JOIN LATERAL (SELECT CASE f.obs_status WHEN 'PAID' THEN 'SUCCEEDED'"
    "  WHEN 'PENDING' THEN 'PENDING' ELSE 'FAILED' END AS st) s"
    " WHERE f.err IS NULL AND f.fact = 'PAYMENT' AND f.payment_ref IS NOT NULL"
    " ORDER BY f.source, f.payment_ref, tally_payment_rank(s.st) DESC,"
    " f.event_at NULLS LAST, f.raw_id"
    " ON CONFLICT (source, provider_payment_id) DO UPDATE SET"
    " status = excluded.status, amount_minor = excluded.amount_minor,"
    " currency = excluded.currency,"
    " paid_at = CASE WHEN payments.status = 'SUCCEEDED'"
    "  THEN least(payments.paid_at, excluded.paid_at) ELSE excluded.paid_at END,"
    " raw_event_id = excluded.raw_event_id"
    " WHERE tally_payment_rank(excluded.status) > tally_payment_rank(payments.status)"
    " OR (excluded.status = 'SUCCEEDED' AND payments.status = 'SUCCEEDED'"
    "  AND excluded.paid_at < payments.paid_at)";

/* Providers report a refund reference's running total: the larger wins. */
static const char sql_refunds[] =
    "INSERT INTO refunds (order_id, source, provider_refund_id, amount_minor,"
    " currency, kind, refunded_at, raw_event_id)"
    " SELECT DISTINCT ON (f.source, f.refund_ref) f.order_id, f.source,"
    " f.refund_ref, f.refund_minor, f.currency, f.refund_kind,"
    " coalesce(f.event_at, now()), f.raw_id"
    " FROM pg_temp.alloc_facts f WHERE f.err IS NULL AND f.fact = 'REFUND'"
    " ORDER BY f.source, f.refund_ref, f.refund_minor DESC, f.raw_id"
    " ON CONFLICT (source, provider_refund_id) DO UPDATE SET"
    " amount_minor = excluded.amount_minor,"
    " refunded_at = excluded.refunded_at, raw_event_id = excluded.raw_event_id"
    " WHERE excluded.amount_minor > refunds.amount_minor";

/* A dispute's status only moves up (OPEN < WON < LOST). */
static const char sql_disputes[] =
    "INSERT INTO disputes (order_id, source, provider_dispute_id,"
    " amount_minor, currency, status, reason, opened_at)"
    " SELECT DISTINCT ON (f.source, f.dispute_ref) f.order_id, f.source,"
    " f.dispute_ref, f.amount_minor, f.currency, f.dispute_status,"
    " f.dispute_reason, f.event_at"
    " FROM pg_temp.alloc_facts f WHERE f.err IS NULL AND f.fact = 'DISPUTE'"
    " ORDER BY f.source, f.dispute_ref,"
    " tally_dispute_rank(f.dispute_status) DESC, f.raw_id"
    " ON CONFLICT (source, provider_dispute_id) DO UPDATE SET"
    " status = excluded.status,"
    " amount_minor = greatest(disputes.amount_minor, excluded.amount_minor),"
    " reason = coalesce(excluded.reason, disputes.reason),"
    " opened_at = least(disputes.opened_at, excluded.opened_at),"
    " updated_at = now()"
    " WHERE tally_dispute_rank(excluded.status) > tally_dispute_rank(disputes.status)";

/* A lost dispute is a chargeback: stored as one, it takes the same
 * reversal path as a refund. */
static const char sql_lost_disputes[] =
    "INSERT INTO refunds (order_id, source, provider_refund_id, amount_minor,"
    " currency, kind, refunded_at)"
    " SELECT d.order_id, d.source, 'dispute:' || d.provider_dispute_id,"
    " d.amount_minor, d.currency, 'CHARGEBACK', d.updated_at"
    " FROM (SELECT DISTINCT source, dispute_ref FROM pg_temp.alloc_facts"
    "  WHERE err IS NULL AND fact = 'DISPUTE') f"
    " CROSS JOIN LATERAL (SELECT * FROM disputes d WHERE d.source = f.source"
    "  AND d.provider_dispute_id = f.dispute_ref LIMIT 1) d"
    " WHERE d.status = 'LOST' AND d.order_id IS NOT NULL"
    " ORDER BY 1, 3"
    " ON CONFLICT (source, provider_refund_id) DO NOTHING";

/* The orders the upsert locked without writing (nothing to fill in). */
static const char sql_touch_orders[] =
    "INSERT INTO pg_temp.alloc_touched (order_id)"
    " SELECT DISTINCT order_id FROM pg_temp.alloc_facts"
    " WHERE err IS NULL AND order_id IS NOT NULL"
    " ON CONFLICT DO NOTHING";

/* Orders whose refunds or disputes changed: the reversal step looks only
 * at these (usually none). */
static const char sql_reversal_orders[] =
    "INSERT INTO pg_temp.alloc_reversal (order_id)"
    " SELECT DISTINCT order_id FROM pg_temp.alloc_facts"
    " WHERE err IS NULL AND order_id IS NOT NULL"
    " AND fact IN ('REFUND', 'DISPUTE')"
    " ON CONFLICT DO NOTHING";

/*
 * Every touched order's status, amount and paid_at from everything stored
 * about it (tally_order_status() in sql/010_allocate.sql), so the result
 * does not depend on arrival order; then the queue: a fulfillable,
 * unfulfilled order is queued, an unfulfillable one leaves the queue.  The
 * DELETE waits while an allocator holds the queue entry; the reversal step
 * after it (a new statement, a new snapshot) then sees that allocator's
 * fulfilment.
 */
static const char sql_recompute[] =
    "WITH bf AS ("
    "  SELECT order_id, (array_agg(obs_status"
    "   ORDER BY tally_unpaid_rank(obs_status) DESC))[1] AS unpaid"
    "  FROM pg_temp.alloc_facts"
    "  WHERE err IS NULL AND fact = 'PAYMENT' AND tally_unpaid_rank(obs_status) >= 0"
    "  GROUP BY order_id),"
    " s AS ("
    "  SELECT o.id, o.amount_minor AS old_amount, o.currency AS old_currency,"
    "   o.paid_at AS old_paid_at,"
    "   pay.amount_minor AS pay_amount, pay.currency AS pay_currency,"
    "   pay.paid_at AS pay_paid_at,"
    "   (pay.amount_minor IS NOT NULL OR rf.n > 0 OR d.n > 0) AS paid,"
    "   coalesce(rf.refunded, 0) AS refunded,"
    "   coalesce(rf.chargeback, 0) AS chargeback,"
    "   coalesce(d.open, false) AS dispute_open,"
    "   CASE WHEN bf.unpaid IS NULL"
    "     OR tally_unpaid_rank(o.status) >= tally_unpaid_rank(bf.unpaid)"
    "    THEN CASE WHEN tally_unpaid_rank(o.status) >= 0 THEN o.status END"
    "    ELSE bf.unpaid END AS unpaid"
    "  FROM pg_temp.alloc_touched t"
    "  CROSS JOIN LATERAL (SELECT o.id, o.status, o.amount_minor, o.currency,"
    "   o.paid_at FROM orders o WHERE o.id = t.order_id LIMIT 1) o"
    "  LEFT JOIN bf ON bf.order_id = o.id"
    "  LEFT JOIN LATERAL (SELECT p.amount_minor, p.currency, p.paid_at"
    "   FROM payments p WHERE p.order_id = o.id AND p.status = 'SUCCEEDED'"
    "   ORDER BY p.paid_at, p.id LIMIT 1) pay ON true"
    "  LEFT JOIN LATERAL (SELECT count(*) AS n,"
    "   sum(r.amount_minor) FILTER (WHERE r.kind = 'REFUND')::bigint AS refunded,"
    "   sum(r.amount_minor) FILTER (WHERE r.kind = 'CHARGEBACK')::bigint"
    "    AS chargeback"
    "   FROM refunds r WHERE r.order_id = o.id) rf ON true"
    "  LEFT JOIN LATERAL (SELECT count(*) AS n,"
    "   bool_or(x.status = 'OPEN') AS open"
    "   FROM disputes x WHERE x.order_id = o.id) d ON true"
    "  WHERE NOT t.settled),"
    " n AS ("
    "  SELECT s.id,"
    "   tally_order_status(s.paid, s.unpaid, coalesce(s.pay_amount, s.old_amount),"
    "    s.refunded, s.chargeback, s.dispute_open) AS status,"
    "   coalesce(s.pay_amount, s.old_amount) AS amount,"
    "   coalesce(s.pay_currency, s.old_currency) AS currency,"
    "   coalesce(s.pay_paid_at, s.old_paid_at) AS paid_at,"
    "   tally_order_fulfillable(s.paid, coalesce(s.pay_amount, s.old_amount),"
    "    s.refunded, s.chargeback) AS fulfillable"
    "  FROM s),"
    " u AS ("
    "  UPDATE orders o SET status = n.status, amount_minor = n.amount,"
    "   currency = n.currency, paid_at = n.paid_at, updated_at = now()"
    "  FROM n WHERE o.id = n.id"
    "  AND (o.status, o.amount_minor, o.currency, o.paid_at)"
    "   IS DISTINCT FROM (n.status, n.amount, n.currency::currency_code, n.paid_at)"
    "  RETURNING o.id),"
    " q AS ("
    "  INSERT INTO fulfil_queue (order_id)"
    "  SELECT z.id FROM (SELECT n.id FROM n"
    "   LEFT JOIN LATERAL (SELECT 1 AS x FROM fulfilments f"
    "    WHERE f.order_id = n.id LIMIT 1) f ON true"
    "   WHERE n.fulfillable AND f.x IS NULL"
    "   UNION ALL"
    "   SELECT t.order_id FROM pg_temp.alloc_touched t"
    "   WHERE t.settled AND t.status = 'PAID') z"
    "  ORDER BY z.id ON CONFLICT (order_id) DO NOTHING RETURNING order_id),"
    " dq AS ("
    "  DELETE FROM fulfil_queue fq"
    "  WHERE fq.order_id = ANY (ARRAY(SELECT id FROM n WHERE NOT n.fulfillable))"
    "  RETURNING fq.order_id)"
    " SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM q),"
    " (SELECT count(*) FROM dq)";

/* ---- usage events ------------------------------------------------ */

static const char sql_usage_extract[] =
    "INSERT INTO pg_temp.alloc_usage (raw_id, source, fact, event_id,"
    " occurred_at, user_ext, user_email, model, kind, duration_ms, credits,"
    " ustatus, uerror, err)"
    " SELECT r.id, r.source, f.* FROM pg_temp.alloc_claim c"
    " JOIN raw_events r ON r.id = c.raw_id"
    " CROSS JOIN LATERAL tally_fact_usage(r.payload) f"
    " WHERE c.scheme = 'standard-webhooks'";

/* A month partition is created for each month met; an absurd date would
 * create absurd partitions, so it fails the event instead. */
static const char sql_usage_dates[] =
    "UPDATE pg_temp.alloc_usage SET err = 'occurred_at out of range'"
    " WHERE err IS NULL AND fact IN ('USAGE', 'REGISTER', 'LOGIN')"
    " AND (occurred_at < timestamptz '2000-01-01'"
    "  OR occurred_at > now() + interval '1 day')";

/*
 * The service's user id is the app user's identity.  A user created by a
 * credit purchase before the service told us about them has the
 * placeholder id 'email:<address>'; the first event that names both the
 * real id and that address adopts the placeholder (ledger and all).
 */
static const char sql_users_adopt[] =
    "UPDATE app_users a SET external_id = u.user_ext"
    " FROM (SELECT DISTINCT ON (user_email) user_email, user_ext"
    "  FROM (SELECT DISTINCT ON (user_ext) user_ext, user_email"
    "   FROM pg_temp.alloc_usage WHERE err IS NULL AND user_email IS NOT NULL"
    "   AND fact IN ('USAGE', 'REGISTER', 'LOGIN')"
    "   ORDER BY user_ext, raw_id) z"
    "  ORDER BY user_email, user_ext) u"
    " WHERE a.external_id = 'email:' || u.user_email"
    " AND NOT EXISTS (SELECT 1 FROM app_users b WHERE b.external_id = u.user_ext)";

static const char sql_users[] =
    "INSERT INTO app_users (external_id, email)"
    " SELECT DISTINCT ON (user_ext) user_ext, user_email FROM pg_temp.alloc_usage"
    " WHERE err IS NULL AND fact IN ('USAGE', 'REGISTER', 'LOGIN')"
    " ORDER BY user_ext, (user_email IS NULL), raw_id"
    " ON CONFLICT (external_id) DO UPDATE SET email = excluded.email"
    " WHERE app_users.email IS NULL AND excluded.email IS NOT NULL";

static const char sql_user_ids[] =
    "UPDATE pg_temp.alloc_usage f SET user_id = (SELECT a.id FROM app_users a"
    "  WHERE a.external_id = f.user_ext)"
    " WHERE f.err IS NULL AND f.user_ext IS NOT NULL";

/* Registration keeps the earliest time, login the latest: arrival order
 * does not matter. */
static const char sql_user_times[] =
    "UPDATE app_users a SET"
    " registered_at = least(a.registered_at, x.reg),"
    " last_login_at = greatest(a.last_login_at, x.login)"
    " FROM (SELECT user_id,"
    "  min(occurred_at) FILTER (WHERE fact = 'REGISTER') AS reg,"
    "  max(occurred_at) FILTER (WHERE fact = 'LOGIN') AS login"
    "  FROM pg_temp.alloc_usage WHERE err IS NULL"
    "  AND fact IN ('REGISTER', 'LOGIN') GROUP BY user_id) x"
    " WHERE a.id = x.user_id"
    " AND (a.registered_at IS DISTINCT FROM least(a.registered_at, x.reg)"
    "  OR a.last_login_at IS DISTINCT FROM greatest(a.last_login_at, x.login))";

static const char sql_signup_grant[] =
    "INSERT INTO credit_ledger (user_id, delta, kind, ref, reason)"
    " SELECT DISTINCT ON (user_id) user_id, $1::bigint, 'SIGNUP',"
    " 'signup:' || user_ext, 'signup grant'"
    " FROM pg_temp.alloc_usage"
    " WHERE err IS NULL AND fact = 'REGISTER' AND $1::bigint > 0"
    " ORDER BY user_id ON CONFLICT (kind, ref) DO NOTHING";

/* An unknown model is registered inactive and flagged for an admin. */
static const char sql_models[] =
    "INSERT INTO models (name, active, flagged)"
    " SELECT DISTINCT model, false, true FROM pg_temp.alloc_usage"
    " WHERE err IS NULL AND fact = 'USAGE'"
    " ORDER BY 1 ON CONFLICT (name) DO NOTHING";

static const char sql_model_ids[] =
    "UPDATE pg_temp.alloc_usage f SET model_id = (SELECT m.id FROM models m"
    "  WHERE m.name = f.model)"
    " WHERE f.err IS NULL AND f.fact = 'USAGE'";

/* The months met, and one either side (a month boundary in another time
 * zone than the session's). */
static const char sql_partitions[] =
    "SELECT coalesce(sum(tally_ensure_usage_partitions("
    " (m - interval '1 month')::date, (m + interval '2 months')::date)), 0)"
    " FROM (SELECT DISTINCT date_trunc('month', occurred_at)::date AS m"
    "  FROM pg_temp.alloc_usage WHERE err IS NULL AND fact = 'USAGE') x";

static const char sql_usage_insert[] =
    "INSERT INTO usage_events (event_id, raw_event_id, user_id, model_id,"
    " kind, started_at, duration_ms, credits, status, error)"
    " SELECT DISTINCT ON (event_id) event_id, raw_id, user_id, model_id, kind,"
    " occurred_at, duration_ms, credits, ustatus, uerror"
    " FROM pg_temp.alloc_usage WHERE err IS NULL AND fact = 'USAGE'"
    " ORDER BY event_id, raw_id"
    " ON CONFLICT (event_id, started_at) DO NOTHING";

static const char sql_usage_debit[] =
    "INSERT INTO credit_ledger (user_id, delta, kind, ref, reason)"
    " SELECT DISTINCT ON (event_id) user_id, -credits, 'USAGE', event_id,"
    " 'usage: ' || model"
    " FROM pg_temp.alloc_usage"
    " WHERE err IS NULL AND fact = 'USAGE' AND credits > 0"
    " ORDER BY event_id, raw_id ON CONFLICT (kind, ref) DO NOTHING";

/* ---- marking the events ------------------------------------------ */

static const char sql_mark[] =
    "WITH e AS ("
    "  SELECT raw_id, min(err) AS err, bool_and(fact = 'IGNORE') AS ign"
    "  FROM pg_temp.alloc_facts GROUP BY raw_id"
    "  UNION ALL"
    "  SELECT raw_id, min(err), bool_and(fact = 'IGNORE')"
    "  FROM pg_temp.alloc_usage GROUP BY raw_id),"
    " x AS ("
    "  SELECT c.raw_id,"
    "   CASE WHEN e.raw_id IS NULL OR e.err IS NOT NULL THEN 'FAILED'"
    "    WHEN e.ign THEN 'IGNORED' ELSE 'DONE' END AS status,"
    "   CASE WHEN e.raw_id IS NULL THEN 'event not understood' ELSE e.err END AS err"
    "  FROM pg_temp.alloc_claim c LEFT JOIN e ON e.raw_id = c.raw_id),"
    " u AS ("
    "  UPDATE raw_events r SET status = x.status, error = x.err,"
    "   processed_at = now(), attempts = r.attempts + 1"
    "  FROM x WHERE r.id = x.raw_id RETURNING r.status)"
    " SELECT count(*) FILTER (WHERE status = 'DONE'),"
    " count(*) FILTER (WHERE status = 'FAILED'),"
    " count(*) FILTER (WHERE status = 'IGNORED') FROM u";

static int
usage_batch(struct db *db, long long signup_grant, struct normalize_stats *st)
{
	char grant[32];
	const char *params[1] = { grant };
	PGresult *res = NULL;
	long long n = 0;
	int rc;

	snprintf(grant, sizeof(grant), "%lld", signup_grant);
	if ((rc = step(db, "extract usage events", &n, sql_usage_extract, 0, NULL)) != 0)
		return rc;
	if (n == 0)
		return 0;
	if ((rc = step(db, "analyse usage facts", NULL,
	    "ANALYZE pg_temp.alloc_usage", 0, NULL)) != 0)
		return rc;
	if ((rc = step(db, "check usage dates", NULL, sql_usage_dates, 0, NULL)) != 0 ||
	    (rc = step(db, "adopt placeholder users", NULL, sql_users_adopt, 0, NULL)) != 0)
		return rc;
	if ((rc = step(db, "store app users", &n, sql_users, 0, NULL)) != 0)
		return rc;
	st->users += n;
	if ((rc = step(db, "find app users", NULL, sql_user_ids, 0, NULL)) != 0 ||
	    (rc = step(db, "store registrations and logins", NULL, sql_user_times,
	    0, NULL)) != 0 ||
	    (rc = step(db, "grant signup credits", NULL, sql_signup_grant, 1,
	    params)) != 0)
		return rc;
	if ((rc = step(db, "register unknown models", &n, sql_models, 0, NULL)) != 0)
		return rc;
	st->models_flagged += n;
	if (n > 0)
		log_warning("allocate: %lld unknown model(s) registered inactive and "
		    "flagged (tallyctl model list)", n);
	if ((rc = step(db, "find models", NULL, sql_model_ids, 0, NULL)) != 0 ||
	    (rc = query_step(db, "create usage partitions", &res, sql_partitions,
	    0, NULL)) != 0)
		return rc;
	PQclear(res);
	if ((rc = step(db, "store usage events", &n, sql_usage_insert, 0, NULL)) != 0)
		return rc;
	st->usage += n;
	return step(db, "debit usage credits", NULL, sql_usage_debit, 0, NULL);
}

static int
payment_batch(struct db *db, const char *actor, struct normalize_stats *st)
{
	PGresult *res = NULL;
	long long n = 0, facts = 0;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(extract) / sizeof(extract[0]); i++) {
		if ((rc = step(db, extract[i].what, &n, extract[i].sql, 0, NULL)) != 0)
			return rc;
		facts += n;
	}
	if (facts == 0)
		return 0;
	if ((rc = step(db, "analyse facts", NULL, "ANALYZE pg_temp.alloc_facts",
	    0, NULL)) != 0)
		return rc;
	for (i = 0; i < sizeof(sql_merge) / sizeof(sql_merge[0]); i++)
		if ((rc = step(db, "merge order facts", NULL, sql_merge[i], 0,
		    NULL)) != 0)
			return rc;
	if ((rc = step(db, "store customers", NULL, sql_customers, 0, NULL)) != 0 ||
	    (rc = step(db, "find customers", NULL, sql_customer_ids, 0, NULL)) != 0 ||
	    (rc = step(db, "store orders", &n, sql_orders, 0, NULL)) != 0 ||
	    (rc = step(db, "find new orders", NULL, sql_order_ids[0], 0,
	    NULL)) != 0 ||
	    (rc = step(db, "find orders", NULL, sql_order_ids[1], 0, NULL)) != 0)
		return rc;
	st->orders += n;
	if ((rc = step(db, "store payments", &n, sql_payments, 0, NULL)) != 0)
		return rc;
	st->payments += n;
	if ((rc = step(db, "store refunds", &n, sql_refunds, 0, NULL)) != 0)
		return rc;
	st->refunds += n;
	if ((rc = step(db, "store disputes", &n, sql_disputes, 0, NULL)) != 0)
		return rc;
	st->disputes += n;
	if ((rc = step(db, "store lost disputes", NULL, sql_lost_disputes, 0,
	    NULL)) != 0 ||
	    (rc = step(db, "list touched orders", NULL, sql_touch_orders, 0,
	    NULL)) != 0 ||
	    (rc = step(db, "analyse touched orders", NULL,
	    "ANALYZE pg_temp.alloc_touched", 0, NULL)) != 0 ||
	    (rc = query_step(db, "recompute orders", &res, sql_recompute, 0,
	    NULL)) != 0)
		return rc;
	st->orders += db_value_ll(res, 0, 0, 0);
	PQclear(res);
	if ((rc = step(db, "list refunded orders", &n, sql_reversal_orders, 0,
	    NULL)) != 0 || n == 0)
		return rc;
	return normalize_apply_reversals(db, actor, st);
}

/*
 * synchronous_commit is off for a batch: everything a batch writes is
 * derived from raw_events, which the receiver committed durably.  A crash
 * can lose the last batches' commits whole (never half of one), and the
 * next run does them again from the events still marked NEW; in exchange
 * a batch does not wait for its WAL flush.
 */
int
normalize_batch(struct db *db, int limit, long long signup_grant,
    const char *actor, bool clear, struct normalize_stats *st,
    long long *claimed)
{
	char lim[16];
	const char *params[1] = { lim };
	PGresult *res = NULL;
	int rc;

	*claimed = 0;
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((rc = step(db, "set commit mode", NULL,
	    "SET LOCAL synchronous_commit = off", 0, NULL)) != 0)
		return rc;
	if (clear && (rc = step(db, "clear work tables", NULL,
	    "TRUNCATE pg_temp.alloc_claim, pg_temp.alloc_facts,"
	    " pg_temp.alloc_usage, pg_temp.alloc_touched, pg_temp.alloc_reversal",
	    0, NULL)) != 0)
		return rc;
	if ((rc = step(db, "claim events", claimed, sql_claim, 1, params)) != 0)
		return rc;
	if (*claimed == 0)
		return 0;
	if ((rc = step(db, "analyse claimed events", NULL,
	    "ANALYZE pg_temp.alloc_claim", 0, NULL)) != 0)
		return rc;
	st->events += *claimed;
	/* usage first: a refund's debit in the same batch then sees the
	 * credits already spent when it flags a negative balance */
	if ((rc = usage_batch(db, signup_grant, st)) != 0 ||
	    (rc = payment_batch(db, actor, st)) != 0)
		return rc;
	if ((rc = query_step(db, "mark events", &res, sql_mark, 0, NULL)) != 0)
		return rc;
	st->done += db_value_ll(res, 0, 0, 0);
	st->failed += db_value_ll(res, 0, 1, 0);
	st->ignored += db_value_ll(res, 0, 2, 0);
	PQclear(res);
	return 0;
}

/* ---- reversals --------------------------------------------------- */

/* The refunds and chargebacks of each order in alloc_reversal, summed. */
#define REVERSED_TOTALS \
    " CROSS JOIN LATERAL (SELECT" \
    "  coalesce(sum(r.amount_minor) FILTER (WHERE r.kind = 'REFUND'), 0)::bigint" \
    "   AS refunded," \
    "  coalesce(sum(r.amount_minor) FILTER (WHERE r.kind = 'CHARGEBACK'), 0)::bigint" \
    "   AS chargeback," \
    "  string_agg(r.provider_refund_id, ', ' ORDER BY r.id) AS refs" \
    "  FROM refunds r WHERE r.order_id = o.id) rf"

/*
 * A seat goes back when the order is no longer fulfillable (refunded in
 * full, or any chargeback).  The UPDATE re-checks status = 'ACTIVE' on the
 * current row, so an assignment an admin revoked meanwhile is left alone.
 */
static const char sql_revoke[] =
    "WITH due AS ("
    "  SELECT a.id, o.id AS order_id, a.j AS before,"
    "   CASE WHEN rf.chargeback > 0 THEN 'chargeback' ELSE 'refund' END AS why,"
    "   rf.refs"
    "  FROM pg_temp.alloc_reversal t"
    "  CROSS JOIN LATERAL (SELECT o.id, o.amount_minor FROM orders o"
    "   WHERE o.id = t.order_id LIMIT 1) o"
    "  CROSS JOIN LATERAL (SELECT f.assignment_id FROM fulfilments f"
    "   WHERE f.order_id = o.id AND f.kind = 'SEAT' LIMIT 1) f"
    "  CROSS JOIN LATERAL (SELECT a.id, to_jsonb(a) AS j FROM assignments a"
    "   WHERE a.id = f.assignment_id AND a.status = 'ACTIVE' LIMIT 1) a"
    REVERSED_TOTALS
    "  WHERE NOT tally_order_fulfillable(true, o.amount_minor, rf.refunded,"
    "   rf.chargeback))"
    " UPDATE assignments a SET status = 'REVOKED', ended_at = now(),"
    " updated_at = now(),"
    " reason = due.why || ' of order ' || due.order_id || ' (' || due.refs || ')'"
    " FROM due WHERE a.id = due.id AND a.status = 'ACTIVE'"
    " RETURNING a.id, a.reason, due.before::text, to_jsonb(a)::text";

/*
 * Credits go back in proportion to the money (tally_credit_share), per
 * kind, as the difference between what should have been taken back by now
 * and what was: a larger refund total later takes back the rest.  The ref
 * names the order, the kind and the total it accounts for, so a rerun
 * finds the row already there.
 */
static const char sql_debit[] =
    "WITH g AS ("
    "  SELECT o.id AS order_id, o.amount_minor, l.user_id, l.delta AS granted,"
    "   rf.refunded, rf.chargeback, rf.refs,"
    "   coalesce((SELECT -sum(d.delta) FROM credit_ledger d"
    "    WHERE d.order_id = o.id AND d.kind = 'REFUND'), 0)::bigint AS took_refund,"
    "   coalesce((SELECT -sum(d.delta) FROM credit_ledger d"
    "    WHERE d.order_id = o.id AND d.kind = 'CHARGEBACK'), 0)::bigint AS took_cb"
    "  FROM pg_temp.alloc_reversal t"
    "  CROSS JOIN LATERAL (SELECT o.id, o.amount_minor FROM orders o"
    "   WHERE o.id = t.order_id LIMIT 1) o"
    "  CROSS JOIN LATERAL (SELECT f.ledger_id FROM fulfilments f"
    "   WHERE f.order_id = o.id AND f.kind = 'CREDITS' LIMIT 1) f"
    "  CROSS JOIN LATERAL (SELECT l.user_id, l.delta FROM credit_ledger l"
    "   WHERE l.id = f.ledger_id LIMIT 1) l"
    REVERSED_TOTALS
    "  WHERE rf.refunded + rf.chargeback > 0),"
    " tgt AS ("
    "  SELECT g.*,"
    "   tally_credit_share(granted, refunded, amount_minor) AS want_refund,"
    "   tally_credit_share(granted, refunded + chargeback, amount_minor)"
    "   - tally_credit_share(granted, refunded, amount_minor) AS want_cb"
    "  FROM g),"
    " rows AS ("
    "  SELECT order_id, user_id, 'REFUND' AS kind, want_refund - took_refund AS n,"
    "   refunded AS total, refs FROM tgt WHERE want_refund > took_refund"
    "  UNION ALL"
    "  SELECT order_id, user_id, 'CHARGEBACK', want_cb - took_cb, chargeback,"
    "   refs FROM tgt WHERE want_cb > took_cb),"
    " ins AS ("
    "  INSERT INTO credit_ledger (user_id, delta, kind, ref, reason, order_id)"
    "  SELECT user_id, -n, kind,"
    "   'order:' || order_id || ':' || lower(kind) || ':' || total,"
    "   lower(kind) || ' of order ' || order_id || ' (' || refs || ')', order_id"
    "  FROM rows ORDER BY order_id, kind"
    "  ON CONFLICT (kind, ref) DO NOTHING"
    "  RETURNING id, user_id, delta, kind, ref, reason, order_id)"
    " SELECT ins.id, ins.reason,"
    " jsonb_build_object('user_id', ins.user_id, 'order_id', ins.order_id,"
    "  'balance', b.balance)::text,"
    " jsonb_build_object('ledger_id', ins.id, 'user_id', ins.user_id,"
    "  'order_id', ins.order_id, 'kind', ins.kind, 'delta', ins.delta,"
    "  'ref', ins.ref, 'balance', b.balance + ins.delta,"
    "  'negative_balance', b.balance + ins.delta < 0)::text"
    " FROM ins CROSS JOIN LATERAL (SELECT coalesce(sum(c.delta), 0) AS balance"
    "  FROM credit_ledger c WHERE c.user_id = ins.user_id) b"
    " ORDER BY ins.id";

/*
 * In sql_debit the balance is read in the statement's snapshot, which
 * does not include the rows the statement itself inserts: it is the
 * balance before the debit, and the debit is added explicitly.  Two
 * debits of one user in one batch each see the balance before both, so
 * the audit row of the second may understate the fall; the users left
 * below zero are counted again here, after the inserts, per user.
 */
static const char sql_negative[] =
    "SELECT count(*) FROM (SELECT l.user_id FROM credit_ledger l"
    " WHERE l.user_id IN (SELECT user_id FROM credit_ledger"
    "  WHERE id = ANY ($1::bigint[]))"
    " GROUP BY l.user_id HAVING sum(l.delta) < 0) x";

struct audit_row {
	char *id, *reason, *before, *after;
	const char *action, *entity;
};

static void
collect(PGresult *res, const char *action, const char *entity,
    struct audit_row **rows, size_t *n)
{
	int i;

	*rows = xrealloc(*rows, (*n + (size_t)PQntuples(res) + 1) * sizeof(**rows));
	for (i = 0; i < PQntuples(res); i++) {
		struct audit_row *r = &(*rows)[(*n)++];

		r->id = xstrdup(PQgetvalue(res, i, 0));
		r->reason = xstrdup(PQgetvalue(res, i, 1));
		r->before = xstrdup(PQgetvalue(res, i, 2));
		r->after = xstrdup(PQgetvalue(res, i, 3));
		r->action = action;
		r->entity = entity;
	}
}

int
normalize_apply_reversals(struct db *db, const char *actor,
    struct normalize_stats *st)
{
	PGresult *rv = NULL, *dv = NULL, *neg = NULL;
	struct audit_row *rows = NULL;
	struct strbuf ids = STRBUF_INIT;
	const char *params[1];
	size_t n = 0, i;
	int rc, k;

	if ((rc = query_step(db, "revoke refunded seats", &rv, sql_revoke, 0,
	    NULL)) != 0)
		goto out;
	if ((rc = query_step(db, "debit refunded credits", &dv, sql_debit, 0,
	    NULL)) != 0)
		goto out;
	collect(rv, "order.refund_revoke", "assignment", &rows, &n);
	collect(dv, "order.refund_debit", "credit_ledger", &rows, &n);
	st->revoked += PQntuples(rv);
	st->debited += PQntuples(dv);
	if (PQntuples(dv) > 0) {
		strbuf_addch(&ids, '{');
		for (k = 0; k < PQntuples(dv); k++)
			strbuf_addf(&ids, "%s%s", k ? "," : "", PQgetvalue(dv, k, 0));
		strbuf_addch(&ids, '}');
		params[0] = ids.buf;
		if ((rc = query_step(db, "check balances", &neg, sql_negative, 1,
		    params)) != 0)
			goto out;
		if (db_value_ll(neg, 0, 0, 0) > 0) {
			st->negative_balances += db_value_ll(neg, 0, 0, 0);
			log_warning("allocate: %lld user(s) have a negative credit "
			    "balance after a refund or chargeback",
			    db_value_ll(neg, 0, 0, 0));
		}
	}
	for (i = 0; i < n; i++) {
		rc = audit_record(db, actor, rows[i].action, rows[i].entity,
		    rows[i].id, rows[i].reason, rows[i].before, rows[i].after);
		if (rc != 0) {
			if (rc == TALLY_ERETRY)
				log_debug("allocate: audit: %s (will retry)",
				    db_errmsg(db));
			else
				log_err("allocate: audit %s %s: %s", rows[i].action,
				    rows[i].id, db_errmsg(db));
			goto out;
		}
	}
out:
	for (i = 0; i < n; i++) {
		free(rows[i].id);
		free(rows[i].reason);
		free(rows[i].before);
		free(rows[i].after);
	}
	free(rows);
	strbuf_release(&ids);
	PQclear(rv);
	PQclear(dv);
	PQclear(neg);
	return rc;
}
