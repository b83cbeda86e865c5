/*
 * fixture_sql.h - rows more than one test starts from, as SQL text to
 * run with the test's own database handle (t_x(), x(), ...).
 */
#ifndef TALLY_TESTS_FIXTURE_SQL_H
#define TALLY_TESTS_FIXTURE_SQL_H

/* An order held as underpaid: customer held@x.io paid 0.01 USD
 * (provider_ref pi_held) for the 20.00 USD seat-20. */
#define T_SQL_HELD_ORDER \
	"INSERT INTO customers (email) VALUES ('held@x.io');" \
	"INSERT INTO products (sku, name, kind, duration_days, price_minor," \
	" currency) VALUES ('seat-20', 'Seat', 'SEAT', 30, 2000, 'USD');" \
	"INSERT INTO orders (source, provider_ref, customer_id, product_id," \
	" sku, amount_minor, currency, status, paid_at, hold_reason, held_at," \
	" price_minor)" \
	" SELECT 'stripe', 'pi_held', c.id, p.id, 'seat-20', 1, 'USD', 'HELD'," \
	"  now(), 'UNDERPAID', now(), 2000 FROM customers c, products p" \
	"  WHERE c.email = 'held@x.io' AND p.sku = 'seat-20';"

#endif
