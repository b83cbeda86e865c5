/*
 * reconcile_find.c - what each exception category means, in SQL.
 *
 * The three sides compared: our records (orders, payments, refunds,
 * disputes, fulfilments, assignments, the credit ledger, the pool), the
 * provider's settlement rows (settlement_rows, matched to our payments at
 * load, lib/books/settlement.c) and the image service's balances (credits.balance
 * events, or a file in rc_balances).  Every statement is set-based: a
 * million payments cost a few hash joins, not a million queries.
 *
 * Time: p_from/p_to is the run's period, as_of the instant it describes;
 * rows dated after as_of are left out where a date exists, so a rerun at
 * the same as-of finds the same problems in data that has not changed
 * since.  Tolerances: tolerance (minor units, config amount_tolerance),
 * grace_days (config settlement_grace_days), sla_minutes (config
 * fulfil_sla_minutes: allocate's time to act), stuck_minutes (expire's).
 */
#include <stdlib.h>

#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "books/reconcile_find.h"

/* Scoped categories read their period from here. */
#define IN_PERIOD(t) " " t " >= p.p_from AND " t " < p.p_to AND " t " <= p.as_of "

/* Details every settlement-row case shows, so the row can be found. */
#define SETTLEMENT_DETAILS \
	"'category', s.category, 'gross', tally_major(s.gross_minor, s.currency)," \
	" 'fee', tally_major(s.fee_minor, s.currency)," \
	" 'net', tally_major(s.net_minor, s.currency)," \
	" 'payment_ref', s.payment_ref, 'charge_ref', s.charge_ref," \
	" 'order_ref', s.order_ref, 'payout_id', s.payout_id," \
	" 'created_at', s.created_at, 'file', s.file_name, 'line', s.file_line"

/*
 * A paid order with no fulfilment once allocate has had its minutes.
 * fulfil_queue (sql/010) says why allocate could not fulfil it, when it
 * tried.
 */
static const char paid_not_fulfilled[] =
    "SELECT 'PAID_NOT_FULFILLED', jsonb_build_object('order_id', o.id),"
    "       NULL, t.at, o.currency, o.amount_minor,"
    "       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,"
    "         'customer_email', c.email, 'sku', pr.sku, 'product_kind', pr.kind,"
    "         'order_status', o.status, 'paid_at', t.at,"
    "         'allocate_error', q.last_error, 'allocate_attempts', q.attempts)"
    "  FROM orders o"
    " CROSS JOIN rc_params p"
    " CROSS JOIN LATERAL (SELECT coalesce(o.paid_at, o.created_at) AS at) t"
    "  LEFT JOIN customers c ON c.id = o.customer_id"
    "  LEFT JOIN products pr ON pr.id = o.product_id"
    "  LEFT JOIN fulfil_queue q ON q.order_id = o.id"
    " WHERE o.status IN ('PAID', 'PARTIALLY_REFUNDED')"
    "   AND" IN_PERIOD("t.at")
    "   AND t.at <= p.as_of - make_interval(mins => p.sla_minutes)"
    "   AND NOT EXISTS (SELECT 1 FROM fulfilments f"
    "                    WHERE f.order_id = o.id AND f.created_at <= p.as_of)";

/*
 * A fulfilment for an order that no record says was paid: no succeeded
 * payment, and a status only an unpaid order has (allocate counts a
 * refund or dispute as proof of payment, sql/010).
 */
static const char fulfilled_not_paid[] =
    "SELECT 'FULFILLED_NOT_PAID', jsonb_build_object('order_id', o.id),"
    "       NULL, f.created_at, o.currency, o.amount_minor,"
    "       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,"
    "         'customer_email', c.email, 'order_status', o.status,"
    "         'fulfilment_kind', f.kind, 'assignment_id', f.assignment_id,"
    "         'ledger_id', f.ledger_id, 'fulfilled_at', f.created_at)"
    "  FROM fulfilments f"
    "  JOIN orders o ON o.id = f.order_id"
    " CROSS JOIN rc_params p"
    "  LEFT JOIN customers c ON c.id = o.customer_id"
    " WHERE" IN_PERIOD("f.created_at")
    "   AND o.status NOT IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'DISPUTED')"
    "   AND NOT EXISTS (SELECT 1 FROM payments y"
    "                    WHERE y.order_id = o.id AND y.status = 'SUCCEEDED')";

/*
 * A succeeded payment with no settled charge.  Only where the provider's
 * settlement data covers the payment's time (between its first and last
 * loaded charge: a file not loaded yet is not a missing row) and after the
 * grace days a provider takes to settle.  Older than 7 days: error.
 */
static const char missing_in_settlement[] =
    "SELECT 'MISSING_IN_SETTLEMENT', jsonb_build_object('payment_id', y.id),"
    "       CASE WHEN p.as_of - t.at > interval '7 days' THEN 'error'"
    "            ELSE 'warning' END,"
    "       t.at, y.currency, y.amount_minor,"
    "       jsonb_build_object('source', y.source,"
    "         'provider_payment_id', y.provider_payment_id,"
    "         'order_id', y.order_id,"
    "         'provider_ref', (SELECT o.provider_ref FROM orders o"
    "                           WHERE o.id = y.order_id),"
    "         'provider', c.scheme, 'paid_at', t.at,"
    "         'settled_from', cov.since, 'settled_until', cov.until)"
    "  FROM payments y"
    " CROSS JOIN rc_params p"
    " CROSS JOIN LATERAL (SELECT coalesce(y.paid_at, y.created_at) AS at) t"
    "  JOIN rc_src c ON c.source = y.source"
    "  JOIN (SELECT provider, min(created_at) AS since, max(created_at) AS until"
    "          FROM settlement_rows WHERE kind = 'charge'"
    "         GROUP BY provider) cov ON cov.provider = c.scheme"
    " WHERE y.status = 'SUCCEEDED'"
    "   AND" IN_PERIOD("t.at")
    "   AND t.at >= cov.since AND t.at <= cov.until"
    "   AND t.at <= p.as_of - make_interval(days => p.grace_days)"
    "   AND NOT EXISTS (SELECT 1 FROM settlement_rows s"
    "                    WHERE s.payment_id = y.id AND s.kind = 'charge')";

/*
 * A settled charge without a succeeded payment of ours: the webhook that
 * says it was paid never came.  (Unmatched rows come from the partial
 * index settlement_rows_unmatched; matched ones whose payment did not
 * succeed from the few such payments: neither scans a million-row join.)  A delivery that did come but is still
 * waiting or failed (it names the payment) explains it: that one is an
 * UNPROCESSABLE_EVENT, or allocate's next run.
 */
static const char missing_webhook[] =
    "SELECT 'MISSING_WEBHOOK',"
    "       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),"
    "       NULL, s.created_at, s.currency, s.gross_minor,"
    "       jsonb_build_object(" SETTLEMENT_DETAILS ","
    "         'sku', s.sku, 'order_id', s.order_id,"
    "         'payment_status', s.payment_status)"
    "  FROM (SELECT u.*, NULL::text AS payment_status"
    "          FROM settlement_rows u"
    "         WHERE u.payment_id IS NULL AND u.kind = 'charge'"
    "        UNION ALL"
    "        SELECT u.*, y.status"
    "          FROM settlement_rows u"
    "          JOIN payments y ON y.id = u.payment_id"
    "         WHERE u.kind = 'charge' AND y.status <> 'SUCCEEDED') s"
    " CROSS JOIN rc_params p"
    " WHERE" IN_PERIOD("s.created_at")
    "   AND NOT EXISTS (SELECT 1 FROM raw_events r"
    "                    WHERE r.scheme = s.provider"
    "                      AND r.status IN ('NEW', 'FAILED')"
    "                      AND r.received_at <= p.as_of"
    "                      AND (strpos(r.payload::text, '\"' || s.payment_ref || '\"') > 0"
    "                        OR strpos(r.payload::text, '\"' || s.charge_ref || '\"') > 0"
    "                        OR strpos(r.payload::text, '\"' || s.order_ref || '\"') > 0))";

/*
 * A settled charge whose currency differs from our payment's
 * (CURRENCY_MISMATCH, the amount is the settled gross), or whose gross
 * differs from our amount by more than the tolerance (AMOUNT_MISMATCH,
 * settled minus recorded).  One pass over the matched rows for both: the
 * join is the expensive part.
 */
static const char amount_currency_mismatch[] =
    "SELECT CASE WHEN s.currency <> y.currency THEN 'CURRENCY_MISMATCH'"
    "            ELSE 'AMOUNT_MISMATCH' END,"
    "       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),"
    "       NULL, s.created_at, s.currency,"
    "       CASE WHEN s.currency <> y.currency THEN s.gross_minor"
    "            ELSE s.gross_minor - y.amount_minor END,"
    "       jsonb_build_object(" SETTLEMENT_DETAILS ","
    "         'payment_id', y.id, 'source', y.source,"
    "         'provider_payment_id', y.provider_payment_id,"
    "         'order_id', y.order_id,"
    "         'recorded', tally_major(y.amount_minor, y.currency),"
    "         'recorded_currency', y.currency)"
    "  FROM settlement_rows s"
    "  JOIN payments y ON y.id = s.payment_id"
    " CROSS JOIN rc_params p"
    " WHERE s.kind = 'charge'"
    "   AND" IN_PERIOD("s.created_at")
    "   AND (s.currency <> y.currency"
    "        OR abs(s.gross_minor::numeric - y.amount_minor) > p.tolerance)";

/* gross - fee = net exactly: it is arithmetic, not a measurement.  The
 * amount is (gross - fee) - net, in numeric so no bigint can overflow. */
static const char net_inconsistent[] =
    "SELECT 'NET_INCONSISTENT',"
    "       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),"
    "       NULL, s.created_at, s.currency,"
    "       CASE WHEN abs(d.diff) <= 9223372036854775807 THEN d.diff::bigint END,"
    "       jsonb_build_object(" SETTLEMENT_DETAILS ")"
    "  FROM settlement_rows s"
    " CROSS JOIN rc_params p"
    " CROSS JOIN LATERAL (SELECT s.gross_minor::numeric - s.fee_minor"
    "                            - s.net_minor AS diff) d"
    " WHERE" IN_PERIOD("s.created_at")
    "   AND d.diff <> 0";

/*
 * The payout row of a payout carries minus the sum of its other rows' net
 * (docs/PROVIDERS.md); a payout whose rows do not add up to it is a case, per
 * currency.  Only payouts whose payout row was loaded: a file cut in the
 * middle of a payout cannot be judged.  The amount is the rows' net plus
 * the payout row: what was settled but not paid out (or the reverse).
 */
static const char payout_total_mismatch[] =
    "SELECT 'PAYOUT_TOTAL_MISMATCH',"
    "       jsonb_build_object('provider', x.provider, 'payout_id', x.payout_id,"
    "         'currency', x.currency),"
    "       NULL, x.payout_at, x.currency,"
    "       CASE WHEN abs(x.items_net + x.payout_net) <= 9223372036854775807"
    "            THEN (x.items_net + x.payout_net)::bigint END,"
    "       jsonb_build_object("
    "         'payout_amount', round(-x.payout_net"
    "             / power(10::numeric, tally_currency_exponent(x.currency)),"
    "             tally_currency_exponent(x.currency)),"
    "         'rows_net', round(x.items_net"
    "             / power(10::numeric, tally_currency_exponent(x.currency)),"
    "             tally_currency_exponent(x.currency)),"
    "         'rows', x.items, 'payout_rows', x.payout_rows,"
    "         'payout_at', x.payout_at)"
    "  FROM (SELECT s.provider, s.payout_id, s.currency,"
    "               sum(s.net_minor::numeric) FILTER (WHERE s.kind = 'payout')"
    "                 AS payout_net,"
    "               count(*) FILTER (WHERE s.kind = 'payout') AS payout_rows,"
    "               coalesce(sum(s.net_minor::numeric)"
    "                        FILTER (WHERE s.kind <> 'payout'), 0) AS items_net,"
    "               count(*) FILTER (WHERE s.kind <> 'payout') AS items,"
    "               min(s.created_at) FILTER (WHERE s.kind = 'payout')"
    "                 AS payout_at"
    "          FROM settlement_rows s"
    "         WHERE (s.provider, s.payout_id) IN"
    "               (SELECT z.provider, z.payout_id FROM settlement_rows z"
    "                 CROSS JOIN rc_params p"
    "                 WHERE z.kind = 'payout' AND z.payout_id IS NOT NULL"
    "                   AND" IN_PERIOD("z.created_at") ")"
    "         GROUP BY s.provider, s.payout_id, s.currency) x"
    " WHERE x.payout_rows > 0 AND x.items_net + x.payout_net <> 0";

/*
 * An order with more than one succeeded payment that kept more than its
 * first payment: refunding the extra payment is the fix, so refunds of
 * the order count against it.  The amount is what is still kept beyond
 * the first payment.
 */
static const char duplicate_charge[] =
    "SELECT 'DUPLICATE_CHARGE', jsonb_build_object('order_id', o.id),"
    "       NULL, d.last_at, o.currency, d.kept - d.first_amount,"
    "       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,"
    "         'customer_email', c.email, 'payments', d.n,"
    "         'order_amount', tally_major(o.amount_minor, o.currency),"
    "         'charged', tally_major(d.total, o.currency),"
    "         'refunded', tally_major(d.total - d.kept, o.currency),"
    "         'payment_ids', d.ids)"
    "  FROM (SELECT y.order_id FROM payments y WHERE y.status = 'SUCCEEDED'"
    "         GROUP BY y.order_id HAVING count(*) > 1) g"
    " CROSS JOIN LATERAL (SELECT count(*) AS n,"
    "               sum(y.amount_minor)::bigint AS total,"
    "               sum(y.amount_minor)::bigint"
    "                 - coalesce((SELECT sum(r.amount_minor) FROM refunds r,"
    "                                    rc_params p"
    "                              WHERE r.order_id = g.order_id"
    "                                AND coalesce(r.refunded_at, r.created_at)"
    "                                    <= p.as_of), 0)::bigint AS kept,"
    "               (array_agg(y.amount_minor ORDER BY y.id))[1] AS first_amount,"
    "               max(coalesce(y.paid_at, y.created_at)) AS last_at,"
    "               jsonb_agg(y.provider_payment_id ORDER BY y.id) AS ids"
    "          FROM payments y"
    "         WHERE y.order_id = g.order_id AND y.status = 'SUCCEEDED') d"
    "  JOIN orders o ON o.id = g.order_id"
    " CROSS JOIN rc_params p"
    "  LEFT JOIN customers c ON c.id = o.customer_id"
    " WHERE d.kept > d.first_amount"
    "   AND" IN_PERIOD("d.last_at");

/*
 * An order that got more than one seat (assignments not revoked: a
 * revoked extra seat is the fix) or credit grant, or both kinds.
 */
static const char duplicate_fulfillment[] =
    "SELECT 'DUPLICATE_FULFILLMENT', jsonb_build_object('order_id', o.id),"
    "       NULL, greatest(a.last_at, g.last_at), o.currency, o.amount_minor,"
    "       jsonb_build_object('source', o.source, 'provider_ref', o.provider_ref,"
    "         'customer_email', c.email, 'seats', a.n,"
    "         'assignment_ids', a.ids, 'credit_grants', g.n,"
    "         'credits_granted', g.credits, 'ledger_ids', g.ids)"
    "  FROM (SELECT u.order_id"
    "          FROM (SELECT x.order_id FROM assignments x, rc_params p"
    "                 WHERE x.order_id IS NOT NULL AND x.status <> 'REVOKED'"
    "                   AND x.created_at <= p.as_of"
    "                UNION ALL"
    "                SELECT l.order_id FROM credit_ledger l, rc_params p"
    "                 WHERE l.order_id IS NOT NULL AND l.kind = 'PURCHASE'"
    "                   AND l.created_at <= p.as_of) u"
    "         GROUP BY u.order_id HAVING count(*) > 1) k"
    "  JOIN orders o ON o.id = k.order_id"
    " CROSS JOIN rc_params p"
    " CROSS JOIN LATERAL (SELECT count(*) AS n, max(x.created_at) AS last_at,"
    "                            jsonb_agg(x.id ORDER BY x.id) AS ids"
    "                       FROM assignments x"
    "                      WHERE x.order_id = o.id AND x.status <> 'REVOKED'"
    "                        AND x.created_at <= p.as_of) a"
    " CROSS JOIN LATERAL (SELECT count(*) AS n, max(l.created_at) AS last_at,"
    "                            sum(l.delta) AS credits,"
    "                            jsonb_agg(l.id ORDER BY l.id) AS ids"
    "                       FROM credit_ledger l"
    "                      WHERE l.order_id = o.id AND l.kind = 'PURCHASE'"
    "                        AND l.created_at <= p.as_of) g"
    "  LEFT JOIN customers c ON c.id = o.customer_id"
    " WHERE" IN_PERIOD("greatest(a.last_at, g.last_at)");

/*
 * Money went back in full (refunds reaching what was paid: the order's
 * amount, or more when it was paid twice and one payment was refunded,
 * which is not a full refund), by a chargeback, or by a lost dispute, but
 * the seat is still ACTIVE or the
 * credits granted were not taken back (debits of the order: REFUND,
 * CHARGEBACK or an admin's ADJUSTMENT).  A partial refund keeps the seat
 * (allocate's rule, sql/010), so it is not a case here.
 */
static const char refund_not_reflected[] =
    "SELECT 'REFUND_NOT_REFLECTED', jsonb_build_object('order_id', t.id),"
    "       NULL, t.at, t.currency, t.refunded,"
    "       jsonb_build_object('source', t.source, 'provider_ref', t.provider_ref,"
    "         'customer_email', c.email,"
    "         'order_amount', tally_major(t.amount_minor, t.currency),"
    "         'chargeback', t.chargeback, 'refunded_at', t.at,"
    "         'active_assignment_ids', sa.ids,"
    "         'credits_granted', cg.granted, 'credits_taken_back', cg.taken)"
    "  FROM (SELECT o.id, o.source, o.provider_ref, o.currency, o.amount_minor,"
    "               o.customer_id,"
    "               coalesce(r.refunded, 0) AS refunded,"
    "               coalesce(r.chargeback, false) OR d.order_id IS NOT NULL"
    "                 AS chargeback,"
    "               greatest(r.at, d.at) AS at"
    "          FROM (SELECT x.order_id FROM refunds x"
    "                UNION"
    "                SELECT z.order_id FROM disputes z"
    "                 WHERE z.status = 'LOST' AND z.order_id IS NOT NULL) k"
    "          JOIN orders o ON o.id = k.order_id"
    "          LEFT JOIN (SELECT x.order_id, sum(x.amount_minor) AS refunded,"
    "                            bool_or(x.kind = 'CHARGEBACK') AS chargeback,"
    "                            max(coalesce(x.refunded_at, x.created_at)) AS at"
    "                       FROM refunds x, rc_params p"
    "                      WHERE coalesce(x.refunded_at, x.created_at) <= p.as_of"
    "                      GROUP BY x.order_id) r ON r.order_id = o.id"
    "          LEFT JOIN (SELECT z.order_id, max(z.updated_at) AS at"
    "                       FROM disputes z, rc_params p"
    "                      WHERE z.status = 'LOST' AND z.order_id IS NOT NULL"
    "                        AND z.updated_at <= p.as_of"
    "                      GROUP BY z.order_id) d ON d.order_id = o.id"
    "         WHERE (r.order_id IS NOT NULL"
    "                AND (r.chargeback"
    "                     OR r.refunded >= greatest(o.amount_minor,"
    "                          (SELECT coalesce(sum(y.amount_minor), 0)"
    "                             FROM payments y WHERE y.order_id = o.id"
    "                              AND y.status = 'SUCCEEDED'))))"
    "            OR d.order_id IS NOT NULL) t"
    " CROSS JOIN rc_params p"
    "  LEFT JOIN customers c ON c.id = t.customer_id"
    " CROSS JOIN LATERAL (SELECT count(*) AS n, jsonb_agg(a.id ORDER BY a.id) AS ids"
    "                       FROM assignments a"
    "                      WHERE a.order_id = t.id AND a.status = 'ACTIVE') sa"
    " CROSS JOIN LATERAL (SELECT coalesce(sum(l.delta)"
    "                              FILTER (WHERE l.kind = 'PURCHASE'), 0) AS granted,"
    "                            coalesce(-sum(l.delta) FILTER (WHERE l.kind IN"
    "                              ('REFUND', 'CHARGEBACK', 'ADJUSTMENT')), 0) AS taken"
    "                       FROM credit_ledger l WHERE l.order_id = t.id) cg"
    " WHERE" IN_PERIOD("t.at")
    "   AND t.at <= p.as_of - make_interval(mins => p.sla_minutes)"
    "   AND (sa.n > 0 OR cg.taken < cg.granted)";

/* Every dispute still open at the provider, whatever its date: the
 * deadline to answer runs whether or not the period covers it. */
static const char dispute_open[] =
    "SELECT 'DISPUTE_OPEN', jsonb_build_object('dispute_id', d.id),"
    "       NULL, coalesce(d.opened_at, d.updated_at), d.currency, d.amount_minor,"
    "       jsonb_build_object('source', d.source,"
    "         'provider_dispute_id', d.provider_dispute_id,"
    "         'order_id', d.order_id, 'provider_ref', o.provider_ref,"
    "         'customer_email', c.email, 'reason', d.reason,"
    "         'opened_at', coalesce(d.opened_at, d.updated_at))"
    "  FROM disputes d"
    " CROSS JOIN rc_params p"
    "  LEFT JOIN orders o ON o.id = d.order_id"
    "  LEFT JOIN customers c ON c.id = o.customer_id"
    " WHERE d.status = 'OPEN'"
    "   AND coalesce(d.opened_at, d.updated_at) <= p.as_of";

/*
 * A settlement row our records do not explain: an adjustment of any kind
 * (tally_settlement_kind, sql/030), a refund row for an order we have no
 * refund of, a dispute row for an order with no dispute or chargeback.
 */
static const char unexplained_adjustment[] =
    "SELECT 'UNEXPLAINED_ADJUSTMENT',"
    "       jsonb_build_object('provider', s.provider, 'txn_id', s.txn_id),"
    "       NULL, s.created_at, s.currency, s.net_minor,"
    "       jsonb_build_object(" SETTLEMENT_DETAILS ","
    "         'kind', s.kind, 'order_id', s.order_id)"
    "  FROM settlement_rows s"
    " CROSS JOIN rc_params p"
    " WHERE" IN_PERIOD("s.created_at")
    "   AND (s.kind = 'adjustment'"
    "     OR (s.kind = 'refund'"
    "         AND NOT EXISTS (SELECT 1 FROM refunds r"
    "                          WHERE r.order_id = s.order_id"
    "                            AND r.kind = 'REFUND'))"
    "     OR (s.kind = 'dispute'"
    "         AND NOT EXISTS (SELECT 1 FROM disputes d"
    "                          WHERE d.order_id = s.order_id)"
    "         AND NOT EXISTS (SELECT 1 FROM refunds r"
    "                          WHERE r.order_id = s.order_id"
    "                            AND r.kind = 'CHARGEBACK')))";

/* The counter the trigger keeps (sql/001) against a recount. */
static const char seat_counter_drift[] =
    "SELECT 'SEAT_COUNTER_DRIFT', jsonb_build_object('account_id', a.id),"
    "       NULL, NULL, NULL, NULL,"
    "       jsonb_build_object('email', a.email, 'status', a.status,"
    "         'max_seats', a.max_seats,"
    "         'current_seats_used', a.current_seats_used,"
    "         'active_assignments', coalesce(x.n, 0))"
    "  FROM pool_accounts a"
    "  LEFT JOIN (SELECT account_id, count(*) AS n FROM assignments"
    "              WHERE status = 'ACTIVE' GROUP BY account_id) x"
    "         ON x.account_id = a.id"
    " WHERE a.current_seats_used <> coalesce(x.n, 0)";

/*
 * A full (ASSIGNED) account none of whose ACTIVE assignments is still
 * running: all ended more than stuck_minutes ago and tally-expire has not
 * released them, so the seats cannot be sold.
 */
static const char stuck_assigned[] =
    "SELECT 'STUCK_ASSIGNED', jsonb_build_object('account_id', a.id),"
    "       NULL, x.last_end, NULL, NULL,"
    "       jsonb_build_object('email', a.email, 'max_seats', a.max_seats,"
    "         'current_seats_used', a.current_seats_used,"
    "         'active_assignments', x.n, 'last_ends_at', x.last_end)"
    "  FROM pool_accounts a"
    " CROSS JOIN rc_params p"
    " CROSS JOIN LATERAL (SELECT count(*) AS n, max(z.ends_at) AS last_end,"
    "                            count(*) FILTER (WHERE z.ends_at > p.as_of"
    "                              - make_interval(mins => p.stuck_minutes))"
    "                              AS running"
    "                       FROM assignments z"
    "                      WHERE z.account_id = a.id AND z.status = 'ACTIVE') x"
    " WHERE a.status = 'ASSIGNED' AND x.running = 0";

/*
 * More seats held at once than the account has, at any instant of the
 * period: a seat is held from the assignment's creation (when the
 * trigger counts it) until it ended.  The counter and its check make this
 * impossible through the triggers; history shows it when they were
 * bypassed.  A running sum of +1 at each start and -1 at each end, ends
 * first at the same instant.
 */
static const char seats_oversubscribed[] =
    /* the intervals counted, clipped to the period */
    "WITH rc_iv AS ("
    " SELECT x.account_id, greatest(x.created_at, p.p_from) AS s,"
    "        least(coalesce(x.ended_at, 'infinity'), w.hi) AS e, w.hi"
    "   FROM assignments x"
    "  CROSS JOIN rc_params p"
    "  CROSS JOIN LATERAL (SELECT least(p.p_to, p.as_of) AS hi) w"
    "  WHERE x.created_at < w.hi"
    "    AND coalesce(x.ended_at, 'infinity') > p.p_from)"
    " SELECT 'SEATS_OVERSUBSCRIBED', jsonb_build_object('account_id', a.id),"
    "       NULL, pk.first_at, NULL, NULL,"
    "       jsonb_build_object('email', a.email,"
    "         'capacity', coalesce(a.max_seats, 1), 'peak_seats', pk.peak,"
    "         'first_over_at', pk.first_at,"
    "         'active_now', (SELECT count(*) FROM assignments z"
    "                         WHERE z.account_id = a.id AND z.status = 'ACTIVE'))"
    "  FROM (SELECT r.account_id, max(r.lvl) AS peak,"
    "               min(r.t) FILTER (WHERE r.lvl > coalesce(q.max_seats, 1))"
    "                 AS first_at"
    "          FROM (SELECT e.account_id, e.t,"
    "                       sum(e.d) OVER (PARTITION BY e.account_id"
    "                                      ORDER BY e.t, e.d"
    "                                      ROWS UNBOUNDED PRECEDING) AS lvl"
    "                  FROM (SELECT iv.account_id, iv.s AS t, 1 AS d FROM rc_iv iv"
    "                        UNION ALL"
    "                        SELECT iv.account_id, iv.e, -1 FROM rc_iv iv"
    "                         WHERE iv.e < iv.hi) e) r"
    "          JOIN pool_accounts q ON q.id = r.account_id"
    "         GROUP BY r.account_id) pk"
    "  JOIN pool_accounts a ON a.id = pk.account_id"
    " WHERE pk.peak > coalesce(a.max_seats, 1)";

/* Negative balances at as-of (allowed, flagged: issue 4). */
static const char credits_overdrawn[] =
    "SELECT 'CREDITS_OVERDRAWN', jsonb_build_object('user_id', u.id),"
    "       NULL, b.last_at, NULL, b.balance,"
    "       jsonb_build_object('external_id', u.external_id, 'email', u.email,"
    "         'balance', b.balance, 'last_entry_at', b.last_at)"
    "  FROM (SELECT l.user_id, sum(l.delta) AS balance,"
    "               max(l.created_at) AS last_at"
    "          FROM credit_ledger l, rc_params p"
    "         WHERE l.created_at <= p.as_of"
    "         GROUP BY l.user_id HAVING sum(l.delta) < 0) b"
    "  JOIN app_users u ON u.id = b.user_id";

/*
 * The image service's latest balance per user (a credits.balance event
 * received by as-of, or the --balances file, which counts as of as-of)
 * against our ledger at that instant.  A usage debit counts from the
 * moment the call started, not from when allocate wrote it (a minute
 * later), so a snapshot taken between the two agrees.  The amount is ours
 * minus theirs, in credits.
 */
static const char credit_balance_mismatch[] =
    "SELECT 'CREDIT_BALANCE_MISMATCH', jsonb_build_object('user_id', u.id),"
    "       NULL, s.at, NULL, o.ours - s.balance,"
    "       jsonb_build_object('external_id', u.external_id, 'email', u.email,"
    "         'ours', o.ours, 'theirs', s.balance, 'snapshot_at', s.at,"
    "         'snapshot_from', s.origin, 'raw_event_id', s.raw_event_id)"
    "  FROM (SELECT DISTINCT ON (z.ext) z.ext, z.balance, z.at, z.origin,"
    "               z.raw_event_id"
    "          FROM (SELECT coalesce(r.payload->'user'->>'id',"
    "                                r.payload->>'user_id') AS ext,"
    "                       CASE WHEN jsonb_typeof(r.payload->'balance')"
    "                                 IN ('number', 'string')"
    "                             AND (r.payload->>'balance') ~ '^-?[0-9]{1,18}$'"
    "                            THEN (r.payload->>'balance')::bigint END"
    "                         AS balance,"
    "                       coalesce(tally_try_timestamptz("
    "                                  r.payload->>'occurred_at'),"
    "                                r.received_at) AS at,"
    "                       'event' AS origin, r.id AS raw_event_id"
    "                  FROM raw_events r, rc_params p"
    "                 WHERE r.payload->>'type' = 'credits.balance'"
    "                   AND r.received_at <= p.as_of"
    "                UNION ALL"
    "                SELECT b.ext, b.balance, p.as_of, 'file', NULL"
    "                  FROM rc_balances b, rc_params p) z"
    "         WHERE z.ext IS NOT NULL AND z.balance IS NOT NULL"
    "         ORDER BY z.ext, z.at DESC, z.raw_event_id DESC NULLS FIRST) s"
    "  JOIN app_users u ON u.external_id = s.ext"
    " CROSS JOIN LATERAL (SELECT coalesce(sum(l.delta), 0) AS ours"
    "                       FROM credit_ledger l"
    "                       LEFT JOIN usage_events ue"
    "                              ON l.kind = 'USAGE' AND ue.event_id = l.ref"
    "                             AND ue.user_id = u.id"
    "                      WHERE l.user_id = u.id"
    "                        AND coalesce(ue.started_at, l.created_at) <= s.at) o"
    " WHERE o.ours <> s.balance";

/* Deliveries allocate marked FAILED (unknown sku, missing e-mail, ...),
 * received in the period. */
static const char unprocessable_event[] =
    "SELECT 'UNPROCESSABLE_EVENT',"
    "       jsonb_build_object('source', r.source, 'event_key', r.event_key),"
    "       NULL, r.received_at, NULL, NULL,"
    "       jsonb_build_object('raw_event_id', r.id, 'scheme', r.scheme,"
    "         'type', coalesce(r.payload->>'type', r.payload->>'transaction_status',"
    "                          r.payload->>'status'),"
    "         'error', left(r.error, 500), 'attempts', r.attempts,"
    "         'received_at', r.received_at)"
    "  FROM raw_events r"
    " CROSS JOIN rc_params p"
    " WHERE r.status = 'FAILED'"
    "   AND" IN_PERIOD("r.received_at");

/*
 * Orders tally-allocate holds (sql/041_held_orders.sql): UNDERPAID,
 * CURRENCY_MISMATCH (keys: the order, where a settlement row's case has
 * provider and txn_id), UNKNOWN_PRODUCT and PRODUCT_INACTIVE.  Found
 * while they are held, whatever the period (a hold is state), with the
 * keys and figures allocate opened them with (the view tally_held_cases
 * is shared).
 */
static const char held_orders[] =
    "SELECT v.category, v.keys, NULL, v.occurred_at, v.currency,"
    "       v.amount_minor, v.details"
    "  FROM tally_held_cases v"
    " CROSS JOIN rc_params p"
    " WHERE v.held_at <= p.as_of";

/* Fulfilled orders that paid more than the price and kept the excess
 * (the view tally_overpaid_cases, shared with allocate), paid in the
 * period. */
static const char overpaid[] =
    "SELECT v.category, v.keys, NULL, v.occurred_at, v.currency,"
    "       v.amount_minor, v.details"
    "  FROM tally_overpaid_cases v"
    " CROSS JOIN rc_params p"
    " WHERE" IN_PERIOD("v.occurred_at");

/* Notifications the provider's status API contradicted (lib/books/
 * confirm.h; the view tally_notification_cases, shared with allocate),
 * received in the period. */
static const char notification_mismatch[] =
    "SELECT v.category, v.keys, NULL, v.occurred_at, v.currency,"
    "       v.amount_minor, v.details"
    "  FROM tally_notification_cases v"
    " CROSS JOIN rc_params p"
    " WHERE" IN_PERIOD("v.occurred_at");

const struct reconcile_finder reconcile_finders[] = {
	{ "PAID_NOT_FULFILLED", paid_not_fulfilled },
	{ "FULFILLED_NOT_PAID", fulfilled_not_paid },
	{ "MISSING_IN_SETTLEMENT", missing_in_settlement },
	{ "MISSING_WEBHOOK", missing_webhook },
	{ "AMOUNT_MISMATCH, CURRENCY_MISMATCH", amount_currency_mismatch },
	{ "NET_INCONSISTENT", net_inconsistent },
	{ "PAYOUT_TOTAL_MISMATCH", payout_total_mismatch },
	{ "DUPLICATE_CHARGE", duplicate_charge },
	{ "DUPLICATE_FULFILLMENT", duplicate_fulfillment },
	{ "REFUND_NOT_REFLECTED", refund_not_reflected },
	{ "DISPUTE_OPEN", dispute_open },
	{ "UNEXPLAINED_ADJUSTMENT", unexplained_adjustment },
	{ "SEAT_COUNTER_DRIFT", seat_counter_drift },
	{ "STUCK_ASSIGNED", stuck_assigned },
	{ "SEATS_OVERSUBSCRIBED", seats_oversubscribed },
	{ "CREDITS_OVERDRAWN", credits_overdrawn },
	{ "CREDIT_BALANCE_MISMATCH", credit_balance_mismatch },
	{ "UNPROCESSABLE_EVENT", unprocessable_event },
	{ "UNDERPAID, CURRENCY_MISMATCH, UNKNOWN_PRODUCT, PRODUCT_INACTIVE",
	  held_orders },
	{ "OVERPAID", overpaid },
	{ "NOTIFICATION_MISMATCH", notification_mismatch },
};

const size_t reconcile_nfinders =
    sizeof(reconcile_finders) / sizeof(reconcile_finders[0]);

/* On a standby, the run's temporary tables are CTEs of the same names:
 * $1..$9 rc_params, $10/$11 rc_src, $12/$13 rc_balances. */
#define THERE_WITH \
	"WITH rc_params AS (" RECONCILE_PARAMS_SQL ")," \
	" rc_src AS (SELECT * FROM unnest($10::text[], $11::text[])" \
	"   AS s(source, scheme))," \
	" rc_balances AS (SELECT * FROM unnest($12::text[], $13::bigint[])" \
	"   AS b(ext, balance))" \
	" SELECT * FROM ("
#define THERE_NPARAMS (RECONCILE_NPARAMS + 4)

/*
 * Every finder into db's rc_found: run on db itself (read NULL), or on
 * read with params and its rows streamed to db.  Logs a failure.
 */
static int
find_each(struct db *db, struct db *read, const char **params)
{
	struct strbuf sql = STRBUF_INIT;
	long long n;
	double t;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < reconcile_nfinders; i++) {
		t = log_clock();
		strbuf_reset(&sql);
		if (read == NULL) {
			strbuf_addstr(&sql, "INSERT INTO rc_found ("
			    RECONCILE_FOUND_COLUMNS ") ");
			strbuf_addstr(&sql, reconcile_finders[i].sql);
			rc = db_command(db, &n, sql.buf, 0, NULL);
		} else {
			strbuf_addstr(&sql, THERE_WITH);
			strbuf_addstr(&sql, reconcile_finders[i].sql);
			strbuf_addstr(&sql, ") f");
			rc = db_copy_rows(read, sql.buf, THERE_NPARAMS, params,
			    db, "COPY rc_found (" RECONCILE_FOUND_COLUMNS ")"
			    " FROM STDIN", &n);
		}
		if (rc != 0 && rc != TALLY_ERETRY)
			log_err("reconcile: finding %s: %s",
			    reconcile_finders[i].category, db_errmsg(db));
		/* TALLY_DEBUG=1 shows where a slow run spends its time */
		else if (rc == 0)
			log_debug("%s: %lld rows in %.3f s%s",
			    reconcile_finders[i].category, n, log_clock() - t,
			    read != NULL ? " (read database)" : "");
	}
	strbuf_release(&sql);
	return rc;
}

int
reconcile_find_here(struct db *db)
{
	return find_each(db, NULL, NULL);
}

/* rc_src and rc_balances as array literals, for the standby. */
static int
there_arrays(struct db *db, char *arrays[4])
{
	PGresult *res = NULL;
	int rc;

	rc = db_query(db, &res,
	    "SELECT (SELECT coalesce(array_agg(source ORDER BY source), '{}')"
	    "          FROM rc_src)::text,"
	    "       (SELECT coalesce(array_agg(scheme ORDER BY source), '{}')"
	    "          FROM rc_src)::text,"
	    "       (SELECT coalesce(array_agg(ext ORDER BY line), '{}')"
	    "          FROM rc_balances)::text,"
	    "       (SELECT coalesce(array_agg(balance ORDER BY line), '{}')"
	    "          FROM rc_balances)::text", 0, NULL);
	if (rc != 0) {
		log_err("reconcile: reading the run's sources and balances: %s",
		    db_errmsg(db));
		return rc;
	}
	for (int i = 0; i < 4; i++)
		arrays[i] = xstrdup(PQgetvalue(res, 0, i));
	PQclear(res);
	return 0;
}

int
reconcile_find_there(struct db *db, struct db *read,
    const char *const params[RECONCILE_NPARAMS])
{
	char *arrays[4] = { NULL, NULL, NULL, NULL };
	const char *all[THERE_NPARAMS];
	int rc;

	if ((rc = there_arrays(db, arrays)) != 0)
		return rc;
	for (int i = 0; i < RECONCILE_NPARAMS; i++)
		all[i] = params[i];
	for (int i = 0; i < 4; i++)
		all[RECONCILE_NPARAMS + i] = arrays[i];
	/* one snapshot for every category; timestamps travel as ISO text */
	rc = db_begin(read, DB_REPEATABLE_READ_RO);
	if (rc == 0)
		rc = db_simple(read, "SET LOCAL DateStyle = 'ISO, YMD'");
	if (rc != 0)
		log_err("reconcile: the read database: %s", db_errmsg(read));
	else
		rc = find_each(db, read, all);
	if (rc == 0 && (rc = db_commit(read)) != 0)
		log_err("reconcile: the read database: %s", db_errmsg(read));
	if (rc != 0)
		db_rollback(read);
	for (int i = 0; i < 4; i++)
		free(arrays[i]);
	return rc;
}
